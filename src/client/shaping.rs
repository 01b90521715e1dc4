//! Library → planned torrents: what to share, as which torrent, under which title.
//!
//! Rules: a movie file is a single-file torrent; an episode file is a single-file
//! torrent; a season with every episode on disk in ONE folder is a multi-file
//! season pack and replaces that season's single-episode torrents; an album with
//! every track on disk in one folder is a multi-file torrent; otherwise tracks
//! are single files. A pack folder may hold sidecar files (subtitles, .nfo,
//! artwork, cue sheets), which the pack then carries; any other file in it (another
//! season's episode, a sample) means no pack, because the torrent engine takes
//! the whole folder.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::store::TorrentMeta;

use super::arr::{App, AppLibrary, Artist, Library, MediaFile, Movie, Series};
use super::config::PathMap;
use super::naming;

/// One torrent the client wants on the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Identity across scans: the local path of the file or folder shared.
    pub key: String,
    pub app: App,
    /// The file (single-file torrent) or folder (multi-file torrent).
    pub path: PathBuf,
    pub multi: bool,
    /// The media files the torrent is made for (local paths).
    pub files: Vec<PathBuf>,
    pub title: String,
    pub meta: TorrentMeta,
}

/// Rewrites the paths the *arr apps report into this client's paths.
#[derive(Debug, Clone, Default)]
pub struct PathMapper {
    maps: Vec<PathMap>,
}

impl PathMapper {
    pub fn new(mut maps: Vec<PathMap>) -> PathMapper {
        // Longest prefix first, so /media/tv wins over /media.
        maps.sort_by_key(|m| std::cmp::Reverse(m.arr.len()));
        PathMapper { maps }
    }

    pub fn to_local(&self, arr_path: &str) -> PathBuf {
        for m in &self.maps {
            if let Some(rest) = arr_path.strip_prefix(&m.arr) {
                if rest.is_empty() {
                    return m.local.clone();
                }
                if rest.starts_with(['/', '\\']) {
                    // Apps on Windows report `\`; this client's side uses `/`.
                    let rest = rest.trim_start_matches(['/', '\\']).replace('\\', "/");
                    return m.local.join(rest);
                }
            }
        }
        PathBuf::from(arr_path)
    }

    /// A local path as the *arr apps see it (the mappings in reverse); a path
    /// no mapping covers is shown as it is.
    pub fn to_arr(&self, local: &Path) -> String {
        let mut best: Option<(&PathMap, &Path)> = None;
        for m in &self.maps {
            if let Ok(rest) = local.strip_prefix(&m.local) {
                if best.is_none_or(|(b, _)| m.local.as_os_str().len() > b.local.as_os_str().len()) {
                    best = Some((m, rest));
                }
            }
        }
        match best {
            Some((m, rest)) if rest.as_os_str().is_empty() => m.arr.clone(),
            Some((m, rest)) => format!("{}/{}", m.arr, rest.to_string_lossy()),
            None => local.to_string_lossy().into_owned(),
        }
    }
}

/// Sidecar files a pack folder may hold besides its media.
const SIDECARS: &[&str] = &[
    "srt", "ass", "ssa", "sub", "idx", "sup", "vtt", "nfo", "txt", "jpg", "jpeg", "png", "cue",
    "log", "m3u", "m3u8", "lrc", "sfv", "md5",
];

fn is_sidecar(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SIDECARS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Whether `folder`, as the torrent engine lists it, holds `media` and otherwise
/// only sidecar files.
pub fn folder_fits_pack(folder: &Path, media: &[PathBuf]) -> bool {
    let Ok(listing) = crate::create::walk::list(folder) else {
        return false;
    };
    if listing.single {
        return false;
    }
    let want: BTreeSet<&Path> = media.iter().map(PathBuf::as_path).collect();
    let mut found = 0;
    for f in &listing.files {
        if want.contains(f.path.as_path()) {
            found += 1;
        } else if !is_sidecar(&f.path) {
            return false;
        }
    }
    found == want.len()
}

/// Plans every torrent for one app's library.
pub fn plan(
    lib: &AppLibrary,
    mapper: &PathMapper,
    fits_pack: &dyn Fn(&Path, &[PathBuf]) -> bool,
    anonymous: bool,
) -> Vec<Plan> {
    let mut out = Vec::new();
    match &lib.library {
        Library::Radarr(movies) => {
            for m in movies {
                plan_movie(m, mapper, &mut out);
            }
        }
        Library::Sonarr(series) => {
            for s in series {
                plan_series(s, mapper, fits_pack, &mut out);
            }
        }
        Library::Lidarr(artists) => {
            for a in artists {
                plan_artist(a, mapper, fits_pack, &mut out);
            }
        }
    }
    for p in &mut out {
        p.meta.anonymous = anonymous;
    }
    // Two entries for the same path (an app listing a file twice) would fight.
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert(p.key.clone()));
    out
}

fn single(app: App, path: PathBuf, title: String, meta: TorrentMeta) -> Plan {
    Plan {
        key: path.to_string_lossy().into_owned(),
        app,
        files: vec![path.clone()],
        path,
        multi: false,
        title,
        meta,
    }
}

fn year16(y: u32) -> Option<u16> {
    u16::try_from(y).ok().filter(|&y| y > 0)
}

fn id32(id: Option<u64>) -> Option<u32> {
    id.and_then(|i| u32::try_from(i).ok())
}

fn plan_movie(m: &Movie, mapper: &PathMapper, out: &mut Vec<Plan>) {
    let Some(f) = &m.file else { return };
    let (category, resolution) = naming::video_category(2000, f.quality.resolution);
    let meta = TorrentMeta {
        category,
        title: None,
        imdb_id: naming::imdb_number(m.imdb_id.as_deref()),
        tmdb_id: id32(m.tmdb_id),
        year: year16(m.year),
        resolution,
        ..Default::default()
    };
    out.push(single(
        App::Radarr,
        mapper.to_local(&f.path),
        naming::movie(&m.title, m.year, f),
        meta,
    ));
}

fn series_meta(s: &Series, f: &MediaFile, season: u32, episode: Option<u32>) -> TorrentMeta {
    let (category, resolution) = naming::video_category(5000, f.quality.resolution);
    TorrentMeta {
        category,
        imdb_id: naming::imdb_number(s.imdb_id.as_deref()),
        tmdb_id: id32(s.tmdb_id),
        tvdb_id: id32(s.tvdb_id),
        season: Some(season),
        episode,
        year: year16(s.year),
        resolution,
        ..Default::default()
    }
}

fn parent_of(p: &Path) -> PathBuf {
    p.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn plan_series(
    s: &Series,
    mapper: &PathMapper,
    fits_pack: &dyn Fn(&Path, &[PathBuf]) -> bool,
    out: &mut Vec<Plan>,
) {
    let files: HashMap<u64, &(u32, MediaFile)> = s.files.iter().map(|f| (f.1.id, f)).collect();
    let mut seasons: BTreeMap<u32, Vec<&super::arr::Episode>> = BTreeMap::new();
    for e in &s.episodes {
        seasons.entry(e.season).or_default().push(e);
    }
    for (&season, eps) in &seasons {
        // Complete means every episode Sonarr lists for the season has its file,
        // not the season statistics (episodeCount skips unmonitored episodes).
        let complete = !eps.is_empty()
            && eps
                .iter()
                .all(|e| e.has_file && e.file_id.is_some_and(|id| files.contains_key(&id)));
        let file_ids: BTreeSet<u64> = eps.iter().filter_map(|e| e.file_id).collect();
        let season_files: Vec<&MediaFile> = file_ids
            .iter()
            .filter_map(|id| files.get(id))
            .map(|f| &f.1)
            .collect();
        let local: Vec<PathBuf> = season_files
            .iter()
            .map(|f| mapper.to_local(&f.path))
            .collect();
        let folders: BTreeSet<PathBuf> = local.iter().map(|p| parent_of(p)).collect();
        if complete && local.len() >= 2 && folders.len() == 1 {
            let folder = folders.into_iter().next().unwrap_or_default();
            if fits_pack(&folder, &local) {
                let first = season_files[0];
                let same_group = season_files
                    .iter()
                    .all(|f| f.release_group == first.release_group);
                out.push(Plan {
                    key: folder.to_string_lossy().into_owned(),
                    app: App::Sonarr,
                    path: folder,
                    multi: true,
                    files: local,
                    title: naming::season_pack(&s.title, s.year, season, first, same_group),
                    meta: series_meta(s, first, season, None),
                });
                continue;
            }
        }
        for f in season_files {
            let mut covered: Vec<&super::arr::Episode> = eps
                .iter()
                .copied()
                .filter(|e| e.file_id == Some(f.id))
                .collect();
            covered.sort_by_key(|e| e.number);
            let numbers: Vec<u32> = covered.iter().map(|e| e.number).collect();
            let ep_title = covered.first().map_or("", |e| e.title.as_str());
            out.push(single(
                App::Sonarr,
                mapper.to_local(&f.path),
                naming::episode(&s.title, s.year, season, &numbers, ep_title, f),
                series_meta(s, f, season, numbers.first().copied()),
            ));
        }
    }
}

fn plan_artist(
    a: &Artist,
    mapper: &PathMapper,
    fits_pack: &dyn Fn(&Path, &[PathBuf]) -> bool,
    out: &mut Vec<Plan>,
) {
    let files: HashMap<u64, &(u64, MediaFile)> = a.files.iter().map(|f| (f.1.id, f)).collect();
    for album in &a.albums {
        let tracks: Vec<&super::arr::Track> =
            a.tracks.iter().filter(|t| t.album_id == album.id).collect();
        let album_files: Vec<&MediaFile> = a
            .files
            .iter()
            .filter(|(al, _)| *al == album.id)
            .map(|(_, f)| f)
            .collect();
        if album_files.is_empty() {
            continue;
        }
        let complete = !tracks.is_empty()
            && tracks
                .iter()
                .all(|t| t.has_file && t.file_id.is_some_and(|id| files.contains_key(&id)));
        let local: Vec<PathBuf> = album_files
            .iter()
            .map(|f| mapper.to_local(&f.path))
            .collect();
        let folders: BTreeSet<PathBuf> = local.iter().map(|p| parent_of(p)).collect();
        let q = &album_files[0].quality;
        let meta = |f: &MediaFile| TorrentMeta {
            category: naming::audio_category(&f.quality),
            artist: Some(naming::clean(&a.name)).filter(|s| !s.is_empty()),
            album: Some(naming::clean(&album.title)).filter(|s| !s.is_empty()),
            year: year16(album.year),
            ..Default::default()
        };
        if complete && local.len() >= 2 && folders.len() == 1 {
            let folder = folders.into_iter().next().unwrap_or_default();
            if fits_pack(&folder, &local) {
                out.push(Plan {
                    key: folder.to_string_lossy().into_owned(),
                    app: App::Lidarr,
                    path: folder,
                    multi: true,
                    files: local,
                    title: naming::album(&a.name, &album.title, album.year, q),
                    meta: meta(album_files[0]),
                });
                continue;
            }
        }
        let n_files = album_files.len();
        for f in album_files {
            let track = tracks.iter().find(|t| t.file_id == Some(f.id));
            let title = if complete && n_files == 1 {
                naming::album(&a.name, &album.title, album.year, &f.quality)
            } else {
                naming::track(
                    &a.name,
                    &album.title,
                    album.year,
                    track.map_or(0, |t| t.number),
                    track.map_or("", |t| t.title.as_str()),
                    &f.quality,
                )
            };
            out.push(single(
                App::Lidarr,
                mapper.to_local(&f.path),
                title,
                meta(f),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_back_to_what_the_apps_see() {
        let m = PathMapper::new(vec![
            PathMap {
                arr: "/data".into(),
                local: PathBuf::from("/mnt/d"),
            },
            PathMap {
                arr: "/dl".into(),
                local: PathBuf::from("/mnt/d/downloads"),
            },
        ]);
        assert_eq!(
            m.to_arr(Path::new("/mnt/d/downloads/radarr/x.mkv")),
            "/dl/radarr/x.mkv"
        );
        assert_eq!(m.to_arr(Path::new("/mnt/d/tv")), "/data/tv");
        assert_eq!(m.to_arr(Path::new("/mnt/d")), "/data");
        assert_eq!(m.to_arr(Path::new("/elsewhere/f")), "/elsewhere/f");
        assert_eq!(
            m.to_local("/dl/radarr/x.mkv"),
            PathBuf::from("/mnt/d/downloads/radarr/x.mkv")
        );
    }

    #[test]
    fn mapping() {
        let m = PathMapper::new(vec![
            PathMap {
                arr: "/media".into(),
                local: "/mnt/a".into(),
            },
            PathMap {
                arr: "/media/tv".into(),
                local: "/mnt/tv".into(),
            },
            PathMap {
                arr: "D:\\Movies".into(),
                local: "/mnt/movies".into(),
            },
        ]);
        assert_eq!(
            m.to_local("/media/tv/x.mkv"),
            PathBuf::from("/mnt/tv/x.mkv")
        );
        assert_eq!(
            m.to_local("/media/m/x.mkv"),
            PathBuf::from("/mnt/a/m/x.mkv")
        );
        assert_eq!(m.to_local("/mediax/y"), PathBuf::from("/mediax/y"));
        assert_eq!(
            m.to_local("D:\\Movies\\A (2000)\\a.mkv"),
            PathBuf::from("/mnt/movies/A (2000)/a.mkv")
        );
    }
}
