//! The checks every torrent's metadata passes before it is stored, whether an
//! upload sent it or an import brought it: known category, texts fit to show,
//! fields that belong to the category.

use crate::categories;
use crate::display_text;
use crate::store::TorrentMeta;

const MAX_TEXT_CHARS: usize = 300;

/// Why metadata was refused, naming the field as the upload's JSON does (`meta.title …`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct MetaError(String);

/// Checks `meta` and trims its texts (an empty text becomes absent).
pub fn check(mut meta: TorrentMeta) -> Result<TorrentMeta, MetaError> {
    let refuse = |m: String| Err(MetaError(m));
    if categories::find(meta.category).is_none() {
        return refuse(format!(
            "meta.category: {} is not a movie, TV or audio category",
            meta.category
        ));
    }
    for (field, value) in [
        ("title", &mut meta.title),
        ("artist", &mut meta.artist),
        ("album", &mut meta.album),
        ("resolution", &mut meta.resolution),
    ] {
        if let Some(v) = value {
            let trimmed = v.trim();
            if !trimmed.is_empty() {
                display_text::check(trimmed, MAX_TEXT_CHARS)
                    .map_err(|e| MetaError(format!("meta.{field} {e}")))?;
            }
            *value = (!trimmed.is_empty()).then(|| trimmed.to_string());
        }
    }
    if let Some(y) = meta.year {
        if !(1870..=2100).contains(&y) {
            return refuse("meta.year: must be between 1870 and 2100".into());
        }
    }
    if meta.episode.is_some() && meta.season.is_none() {
        return refuse("meta.episode: needs meta.season".into());
    }
    let family = categories::parent(meta.category);
    if (meta.season.is_some() || meta.tvdb_id.is_some()) && family != 5000 {
        return refuse("meta.season/tvdb_id: only for TV categories (5000…)".into());
    }
    if (meta.artist.is_some() || meta.album.is_some()) && family != 3000 {
        return refuse("meta.artist/album: only for audio categories (3000…)".into());
    }
    Ok(meta)
}
