//! Sonarr v3: series, then each series' episodes and episode files.

use super::models::{self, EpisodeModel, FileModel, SeriesModel};
use super::{ArrError, ArrHttp, Episode, Item, ItemFolder, Series};

/// Every series, and each one's folder for rescanning it alone.
pub async fn read(http: &ArrHttp) -> Result<(Vec<Series>, Vec<ItemFolder>), ArrError> {
    let list: Vec<SeriesModel> = http.get("/series", &[]).await?;
    let mut out = Vec::with_capacity(list.len());
    let mut folders = Vec::new();
    for s in list {
        let Some(id) = s.id else { continue };
        if let Some(folder) = s.path.clone().filter(|p| !p.is_empty()) {
            folders.push(ItemFolder {
                folder,
                item: Item::Series(id, s.clone()),
            });
        }
        out.push(read_series(http, id, s).await?);
    }
    Ok((out, folders))
}

/// One series' episodes and files (two requests; Sonarr does not page them).
pub async fn read_series(http: &ArrHttp, id: u64, s: SeriesModel) -> Result<Series, ArrError> {
    let q = [("seriesId", id.to_string())];
    let episodes: Vec<EpisodeModel> = http.get("/episode", &q).await?;
    let files: Vec<FileModel> = http.get("/episodefile", &q).await?;
    Ok(Series {
        id,
        title: models::text(s.title),
        year: models::year(s.year),
        tvdb_id: models::id(s.tvdb_id),
        tmdb_id: models::id(s.tmdb_id),
        imdb_id: s.imdb_id.filter(|i| !i.trim().is_empty()),
        episodes: episodes
            .into_iter()
            .filter_map(|e| {
                Some(Episode {
                    id: e.id?,
                    season: e.season_number?,
                    number: e.episode_number?,
                    title: models::text(e.title),
                    has_file: e.has_file.unwrap_or(false),
                    file_id: e.episode_file_id.filter(|&f| f > 0),
                })
            })
            .collect(),
        files: files
            .into_iter()
            .filter_map(|f| {
                let season = f.season_number?;
                Some((season, f.into_media_file()?))
            })
            .collect(),
    })
}
