//! The JSON the *arr apps send, reduced to the fields the client reads.
//! Every field is optional: the apps leave out null properties, and a field
//! this client does not need must never fail a scan.

use serde::Deserialize;

use super::{MediaFile, MediaInfo, Quality};

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemStatus {
    pub app_name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RootFolder {
    pub path: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct QualityName {
    pub name: Option<String>,
    pub resolution: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Revision {
    pub version: Option<i64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct QualityModel {
    pub quality: Option<QualityName>,
    pub revision: Option<Revision>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MediaInfoModel {
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub audio_channels: Option<f64>,
    pub video_dynamic_range_type: Option<String>,
}

/// Radarr `MovieFileResource`, Sonarr `EpisodeFileResource`, Lidarr `TrackFileResource`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct FileModel {
    pub id: Option<u64>,
    pub path: Option<String>,
    pub size: Option<u64>,
    pub release_group: Option<String>,
    pub quality: Option<QualityModel>,
    pub media_info: Option<MediaInfoModel>,
    pub season_number: Option<u32>,
    pub album_id: Option<u64>,
    pub movie_id: Option<u64>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl FileModel {
    /// The normalised file, or None when it has no id or path (nothing to share).
    pub fn into_media_file(self) -> Option<MediaFile> {
        let path = non_empty(self.path)?;
        let id = self.id?;
        let q = self.quality.unwrap_or_default();
        let qn = q.quality.unwrap_or_default();
        let mi = self.media_info.unwrap_or_default();
        Some(MediaFile {
            id,
            path,
            size: self.size.unwrap_or(0),
            quality: Quality {
                name: non_empty(qn.name).unwrap_or_else(|| "Unknown".to_string()),
                resolution: qn
                    .resolution
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or(0),
                proper: q.revision.and_then(|r| r.version).unwrap_or(1) > 1,
            },
            release_group: non_empty(self.release_group),
            media_info: MediaInfo {
                video_codec: non_empty(mi.video_codec),
                audio_codec: non_empty(mi.audio_codec),
                audio_channels: mi.audio_channels.filter(|c| c.is_finite() && *c > 0.0),
                dynamic_range: non_empty(mi.video_dynamic_range_type),
            },
        })
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MovieModel {
    pub id: Option<u64>,
    pub title: Option<String>,
    pub year: Option<i64>,
    pub imdb_id: Option<String>,
    pub tmdb_id: Option<i64>,
    pub has_file: Option<bool>,
    pub movie_file: Option<FileModel>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SeriesModel {
    pub id: Option<u64>,
    /// The series folder as the app sees it.
    pub path: Option<String>,
    pub title: Option<String>,
    pub year: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EpisodeModel {
    pub id: Option<u64>,
    pub season_number: Option<u32>,
    pub episode_number: Option<u32>,
    pub title: Option<String>,
    pub has_file: Option<bool>,
    pub episode_file_id: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ArtistModel {
    pub id: Option<u64>,
    /// The artist folder as the app sees it.
    pub path: Option<String>,
    pub artist_name: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AlbumModel {
    pub id: Option<u64>,
    pub title: Option<String>,
    pub artist_id: Option<u64>,
    pub release_date: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TrackModel {
    pub id: Option<u64>,
    pub album_id: Option<u64>,
    pub track_number: Option<String>,
    pub absolute_track_number: Option<i64>,
    pub title: Option<String>,
    pub has_file: Option<bool>,
    pub track_file_id: Option<u64>,
}

/// A positive id as u64 (the apps use 0 for "none").
pub fn id(v: Option<i64>) -> Option<u64> {
    v.and_then(|v| u64::try_from(v).ok()).filter(|&v| v > 0)
}

pub fn year(v: Option<i64>) -> u32 {
    v.and_then(|v| u32::try_from(v).ok())
        .filter(|&y| (1800..=9999).contains(&y))
        .unwrap_or(0)
}

pub fn text(s: Option<String>) -> String {
    non_empty(s).unwrap_or_default()
}
