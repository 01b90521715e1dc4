//! Lidarr v1: artists, then each artist's albums, tracks and track files.

use super::models::{self, AlbumModel, ArtistModel, FileModel, TrackModel};
use super::{Album, ArrError, ArrHttp, Artist, Item, ItemFolder, Track};

/// Every artist, and each one's folder for rescanning it alone.
pub async fn read(http: &ArrHttp) -> Result<(Vec<Artist>, Vec<ItemFolder>), ArrError> {
    let list: Vec<ArtistModel> = http.get("/artist", &[]).await?;
    let mut out = Vec::with_capacity(list.len());
    let mut folders = Vec::new();
    for a in list {
        let Some(id) = a.id else { continue };
        if let Some(folder) = a.path.clone().filter(|p| !p.is_empty()) {
            folders.push(ItemFolder {
                folder,
                item: Item::Artist(id, a.clone()),
            });
        }
        out.push(read_artist(http, id, a).await?);
    }
    Ok((out, folders))
}

/// One artist's albums, tracks and files (Lidarr does not page these; one request each).
pub async fn read_artist(http: &ArrHttp, id: u64, a: ArtistModel) -> Result<Artist, ArrError> {
    let q = [("artistId", id.to_string())];
    let albums: Vec<AlbumModel> = http.get("/album", &q).await?;
    let tracks: Vec<TrackModel> = http.get("/track", &q).await?;
    let files: Vec<FileModel> = http.get("/trackfile", &q).await?;
    Ok(Artist {
        id,
        name: models::text(a.artist_name),
        albums: albums
            .into_iter()
            // `/album?artistId=` is honoured by Lidarr, but stay correct if not.
            .filter(|al| al.artist_id.is_none_or(|x| x == id))
            .filter_map(|al| {
                Some(Album {
                    id: al.id?,
                    title: models::text(al.title),
                    year: al
                        .release_date
                        .as_deref()
                        .and_then(|d| d.get(..4))
                        .and_then(|y| y.parse::<i64>().ok())
                        .map_or(0, |y| models::year(Some(y))),
                })
            })
            .collect(),
        tracks: tracks
            .into_iter()
            .filter_map(|t| {
                let number = t
                    .track_number
                    .as_deref()
                    .and_then(|n| n.trim().parse::<u32>().ok())
                    .or_else(|| t.absolute_track_number.and_then(|n| u32::try_from(n).ok()))
                    .unwrap_or(0);
                Some(Track {
                    id: t.id?,
                    album_id: t.album_id?,
                    number,
                    title: models::text(t.title),
                    has_file: t.has_file.unwrap_or(false),
                    file_id: t.track_file_id.filter(|&f| f > 0),
                })
            })
            .collect(),
        files: files
            .into_iter()
            .filter_map(|f| {
                let album = f.album_id?;
                Some((album, f.into_media_file()?))
            })
            .collect(),
    })
}
