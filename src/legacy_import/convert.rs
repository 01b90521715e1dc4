//! Legacy rows into this server's records, with the checks an upload or a new
//! member passes here. Pure: no database, no files, no store.

use crate::categories;
use crate::keys::{self, Secret};
use crate::members;
use crate::metainfo::{self, hex_hash};
use crate::store::{TorrentMeta, TorrentRecord, User};
use crate::torrent_meta;

/// A row of the legacy `users` table (server 1.11), the columns carried over.
#[derive(Debug, Clone)]
pub struct LegacyUser {
    pub id: i64,
    pub label: String,
    pub api_key: Option<String>,
    pub uploaded: u64,
    pub downloaded: u64,
    pub grabs: u64,
    pub popularity: u64,
    /// The member let their label show on their uploads.
    pub public_uploads: bool,
    pub last_seen: Option<i64>,
}

/// A row of the legacy `torrents` table (server 1.11), the columns carried over.
#[derive(Debug, Clone)]
pub struct LegacyTorrent {
    pub id: u64,
    /// The release name the client sent.
    pub name: String,
    pub season: Option<i64>,
    pub episode: Option<i64>,
    pub imdb_id: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub category: i64,
    pub hash_v1: Option<String>,
    pub hash_v2: Option<String>,
    pub grabs: Option<i64>,
    /// `added_by_user_id`: NULL once the member was deleted.
    pub uploader: Option<i64>,
    pub added_on: Option<i64>,
    pub last_seen: Option<i64>,
}

/// Why a row is left out.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Skip(pub String);

fn skip<T>(why: impl Into<String>) -> Result<T, Skip> {
    Err(Skip(why.into()))
}

/// The member as stored here, keeping its API key (hashed, lower-case as the
/// legacy server minted it) and the passkey this server derives from it.
pub fn member(row: &LegacyUser, secret: &Secret, now: i64) -> Result<User, Skip> {
    let label = members::clean_label(&row.label).map_err(|e| Skip(e.to_string()))?;
    let Some(key) = row.api_key.as_deref() else {
        return skip("has no API key");
    };
    let key = key.trim().to_ascii_lowercase();
    if !keys::well_formed(&key) {
        return skip("API key is not 64 hex characters, which keys here must be");
    }
    Ok(User {
        id: 0,
        label,
        api_key_hash: keys::hash_key(&key),
        passkey_hash: keys::hash_key(&keys::passkey_for(secret, &key)),
        created: now,
        last_seen: row.last_seen.unwrap_or(0).max(0),
        enabled: true,
        uploaded: row.uploaded,
        downloaded: row.downloaded,
        grabs: row.grabs,
        uploads: 0, // counted as its torrents come in
        popularity: row.popularity,
        snatches: 0,
    })
}

/// `<v2 hash>.torrent`; the hash names a file, so it must be 64 hex characters.
pub fn torrent_file_name(row: &LegacyTorrent) -> Result<String, Skip> {
    match row.hash_v2.as_deref().map(str::to_ascii_lowercase) {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(format!("{h}.torrent"))
        }
        Some(_) => skip("hash_v2 is not 64 hex characters"),
        None => skip("has no hash_v2 (the legacy server names torrent files by it)"),
    }
}

/// A torrent ready to store, and when the legacy tracker last saw it seeded.
#[derive(Debug)]
pub struct Imported {
    pub record: TorrentRecord,
    pub stored: Vec<u8>,
    pub last_seen: Option<i64>,
}

/// Checks the row and its `.torrent` bytes as an upload is checked here.
pub fn torrent(
    row: &LegacyTorrent,
    file: &[u8],
    uploader: u64,
    anonymous: bool,
) -> Result<Imported, Skip> {
    let info = metainfo::parse(file).map_err(|e| Skip(format!("torrent file: {e}")))?;
    let row_v2 = row.hash_v2.as_deref().unwrap_or_default();
    if info.info_hash_v2.map(hex::encode).as_deref() != Some(&row_v2.to_ascii_lowercase()) {
        return skip("the torrent file's v2 info-hash is not the row's hash_v2");
    }
    if let Some(v1) = row.hash_v1.as_deref().filter(|h| !h.is_empty()) {
        if !v1.eq_ignore_ascii_case(&hex_hash(&info.info_hash)) {
            return skip("the torrent file's v1 info-hash is not the row's hash_v1");
        }
    }
    let category = u32::try_from(row.category)
        .map_err(|_| Skip(format!("category {} is not a category", row.category)))?;
    let family = categories::parent(category);
    // The legacy server read season/episode out of every name; they mean
    // something only for TV, as artist/album only for audio.
    let tv = |v: Option<u32>| v.filter(|_| family == 5000);
    let audio = |v: &Option<String>| v.clone().filter(|_| family == 3000);
    let meta = TorrentMeta {
        category,
        title: Some(row.name.clone()),
        imdb_id: id("imdbid", row.imdb_id)?,
        tmdb_id: id("tmdbid", row.tmdb_id)?,
        tvdb_id: tv(id("tvdbid", row.tvdb_id)?),
        season: tv(number("season", row.season)?),
        episode: tv(number("episode", row.episode)?),
        artist: audio(&row.artist),
        album: audio(&row.album),
        anonymous,
        ..TorrentMeta::default()
    };
    let meta = torrent_meta::check(meta).map_err(|e| Skip(e.to_string()))?;
    let Some(added) = row.added_on else {
        return skip("added_on is not a date");
    };
    let grabs =
        u64::try_from(row.grabs.unwrap_or(0)).map_err(|_| Skip("grabs is negative".into()))?;
    let file_count = u32::try_from(info.files.len()).map_err(|_| Skip("too many files".into()))?;
    Ok(Imported {
        record: TorrentRecord {
            info_hash: info.info_hash,
            info_hash_v2: info.info_hash_v2,
            name: info.name,
            size: info.size,
            file_count,
            piece_length: info.piece_length,
            uploader,
            added,
            meta,
            grabs,
            snatches: 0,
        },
        stored: info.stored,
        last_seen: row.last_seen,
    })
}

/// An IMDb/TMDb/TVDB id: 0 is how the *arr apps say "none".
fn id(field: &str, v: Option<i64>) -> Result<Option<u32>, Skip> {
    match v {
        None | Some(0) => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| Skip(format!("{field} {n} is not an id"))),
    }
}

fn number(field: &str, v: Option<i64>) -> Result<Option<u32>, Skip> {
    v.map(|n| u32::try_from(n).map_err(|_| Skip(format!("{field} {n} is negative"))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(label: &str, key: Option<&str>) -> LegacyUser {
        LegacyUser {
            id: 1,
            label: label.into(),
            api_key: key.map(Into::into),
            uploaded: 5,
            downloaded: 6,
            grabs: 7,
            popularity: 8,
            public_uploads: false,
            last_seen: Some(1_700_000_000),
        }
    }

    #[test]
    fn a_member_keeps_counters_and_its_key_hashed_in_lower_case() {
        let key = "AB".repeat(32);
        let u = member(&user(" alice ", Some(&key)), &[1; 32], 99).unwrap();
        assert_eq!(u.label, "alice");
        assert_eq!(u.api_key_hash, keys::hash_key(&key.to_ascii_lowercase()));
        let passkey = keys::passkey_for(&[1; 32], &key.to_ascii_lowercase());
        assert_eq!(u.passkey_hash, keys::hash_key(&passkey));
        assert_eq!(
            (u.uploaded, u.downloaded, u.grabs, u.popularity, u.uploads),
            (5, 6, 7, 8, 0)
        );
        assert_eq!(
            (u.created, u.last_seen, u.enabled),
            (99, 1_700_000_000, true)
        );
    }

    #[test]
    fn members_that_would_not_work_here_are_skipped_with_why() {
        let good = "a".repeat(64);
        let why = |u: LegacyUser| member(&u, &[1; 32], 0).unwrap_err().0;
        assert!(why(user("bad\u{1b}[31m", Some(&good))).contains("control character"));
        assert!(why(user("", Some(&good))).contains("empty"));
        assert!(why(user("bob", None)).contains("no API key"));
        assert!(why(user("bob", Some("short"))).contains("64 hex"));
    }

    fn row(hash_v2: Option<&str>) -> LegacyTorrent {
        LegacyTorrent {
            id: 1,
            name: "n".into(),
            season: None,
            episode: None,
            imdb_id: None,
            tmdb_id: None,
            tvdb_id: None,
            artist: None,
            album: None,
            category: 2000,
            hash_v1: None,
            hash_v2: hash_v2.map(Into::into),
            grabs: None,
            uploader: None,
            added_on: None,
            last_seen: None,
        }
    }

    #[test]
    fn only_a_hash_names_a_torrent_file() {
        let h = "Ab".repeat(32);
        assert_eq!(
            torrent_file_name(&row(Some(&h))).unwrap(),
            format!("{}.torrent", h.to_ascii_lowercase())
        );
        let traversal = format!("../../{}", "a".repeat(58));
        for bad in [Some(traversal.as_str()), Some("abc"), None] {
            assert!(torrent_file_name(&row(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_of_zero_are_none_and_negative_ones_are_refused() {
        assert_eq!(id("imdbid", Some(0)), Ok(None));
        assert_eq!(id("imdbid", Some(133093)), Ok(Some(133093)));
        assert!(id("tmdbid", Some(-1)).is_err());
        assert!(number("season", Some(-2)).is_err());
        assert_eq!(number("season", Some(0)), Ok(Some(0)));
    }

    #[test]
    fn a_file_that_is_no_torrent_is_skipped() {
        let r = row(Some(&"a".repeat(64)));
        let why = torrent(&r, b"not bencode", 1, false).unwrap_err().0;
        assert!(why.starts_with("torrent file:"), "{why}");
    }
}
