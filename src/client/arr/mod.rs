//! Reading Radarr (v3), Sonarr (v3) and Lidarr (v1): what each library holds,
//! normalised into the few fields shaping needs.

pub mod http;
pub mod lidarr;
pub mod models;
pub mod radarr;
pub mod sonarr;

use serde::{Deserialize, Serialize};

pub use http::{ArrError, ArrHttp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    Radarr,
    Sonarr,
    Lidarr,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            App::Radarr => "Radarr",
            App::Sonarr => "Sonarr",
            App::Lidarr => "Lidarr",
        }
    }
    pub fn env_prefix(self) -> &'static str {
        match self {
            App::Radarr => "RADARR",
            App::Sonarr => "SONARR",
            App::Lidarr => "LIDARR",
        }
    }
    /// The API root the client speaks.
    pub fn api(self) -> &'static str {
        match self {
            App::Radarr | App::Sonarr => "/api/v3",
            App::Lidarr => "/api/v1",
        }
    }
    /// Lowest app major version serving that API.
    pub fn min_major(self) -> u64 {
        match self {
            App::Radarr | App::Sonarr => 3,
            App::Lidarr => 1,
        }
    }
}

impl std::fmt::Display for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Quality as the *arr app names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quality {
    /// "Bluray-1080p", "WEBDL-2160p", "FLAC", "MP3-320".
    pub name: String,
    /// Vertical resolution, 0 when unknown (always for music).
    pub resolution: u32,
    /// A proper/repack (revision above 1).
    pub proper: bool,
}

/// Parts of `mediaInfo` that go into release names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaInfo {
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub audio_channels: Option<f64>,
    /// "HDR10", "DV HDR10", … (empty for SDR, which is left out).
    pub dynamic_range: Option<String>,
}

/// One media file the app knows, with the path as the app sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaFile {
    pub id: u64,
    pub path: String,
    pub size: u64,
    pub quality: Quality,
    pub release_group: Option<String>,
    pub media_info: MediaInfo,
}

#[derive(Debug, Clone, Default)]
pub struct Movie {
    pub id: u64,
    pub title: String,
    pub year: u32,
    pub imdb_id: Option<String>,
    pub tmdb_id: Option<u64>,
    pub file: Option<MediaFile>,
}

#[derive(Debug, Clone, Default)]
pub struct Episode {
    pub id: u64,
    pub season: u32,
    pub number: u32,
    pub title: String,
    pub has_file: bool,
    pub file_id: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Series {
    pub id: u64,
    pub title: String,
    pub year: u32,
    pub tvdb_id: Option<u64>,
    pub tmdb_id: Option<u64>,
    pub imdb_id: Option<String>,
    pub episodes: Vec<Episode>,
    /// Episode files with their season number.
    pub files: Vec<(u32, MediaFile)>,
}

#[derive(Debug, Clone, Default)]
pub struct Album {
    pub id: u64,
    pub title: String,
    pub year: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Track {
    pub id: u64,
    pub album_id: u64,
    pub number: u32,
    pub title: String,
    pub has_file: bool,
    pub file_id: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Artist {
    pub id: u64,
    pub name: String,
    pub albums: Vec<Album>,
    pub tracks: Vec<Track>,
    /// Track files with their album id.
    pub files: Vec<(u64, MediaFile)>,
}

/// Everything one app holds.
#[derive(Debug, Clone)]
pub enum Library {
    Radarr(Vec<Movie>),
    Sonarr(Vec<Series>),
    Lidarr(Vec<Artist>),
}

/// A series or an artist as the app's list gives it: enough to re-read it alone.
#[derive(Debug, Clone)]
pub enum Item {
    Series(u64, models::SeriesModel),
    Artist(u64, models::ArtistModel),
}

/// An item and its folder (as the app sees it).
#[derive(Debug, Clone)]
pub struct ItemFolder {
    pub folder: String,
    pub item: Item,
}

/// One app's library and its root folders (as the app sees them).
#[derive(Debug, Clone)]
pub struct AppLibrary {
    pub app: App,
    pub root_folders: Vec<String>,
    pub library: Library,
    /// Series or artist folders (none for Radarr, whose one list is cheap to re-read).
    pub items: Vec<ItemFolder>,
}

/// Reads everything the client shares from one app. Any failure fails the
/// whole read, so a half-read library never causes withdrawals.
pub async fn read_library(http: &ArrHttp) -> Result<AppLibrary, ArrError> {
    let roots: Vec<models::RootFolder> = http.get("/rootfolder", &[]).await?;
    let root_folders = roots.into_iter().filter_map(|r| r.path).collect();
    let (library, items) = match http.app() {
        App::Radarr => (Library::Radarr(radarr::read(http).await?), Vec::new()),
        App::Sonarr => {
            let (series, items) = sonarr::read(http).await?;
            (Library::Sonarr(series), items)
        }
        App::Lidarr => {
            let (artists, items) = lidarr::read(http).await?;
            (Library::Lidarr(artists), items)
        }
    };
    Ok(AppLibrary {
        app: http.app(),
        root_folders,
        library,
        items,
    })
}

/// Re-reads one series or artist: two or three requests instead of the whole app.
pub async fn read_item(http: &ArrHttp, item: &Item) -> Result<AppLibrary, ArrError> {
    let library = match item {
        Item::Series(id, s) => {
            Library::Sonarr(vec![sonarr::read_series(http, *id, s.clone()).await?])
        }
        Item::Artist(id, a) => {
            Library::Lidarr(vec![lidarr::read_artist(http, *id, a.clone()).await?])
        }
    };
    Ok(AppLibrary {
        app: http.app(),
        root_folders: Vec::new(),
        library,
        items: Vec::new(),
    })
}
