//! The client benches' synthetic library: a fake Radarr (the integration
//! tests' `fake_arr`) listing movies written to disk here.

use std::path::Path;

use crate::fake_arr::{write_file, FakeArr};

/// A Radarr listing `n` movies of `size` bytes each, written under
/// `media/movies` (the benchmarks' synthetic library; the app sees `/media`).
pub fn synthetic_radarr(media: &Path, n: u64, size: u64, key: &str) -> FakeArr {
    let mut movies = Vec::with_capacity(n as usize);
    for i in 0..n {
        let folder = format!("Movie {i:05} (2000)");
        let file = format!("Movie {i:05} (2000) WEBDL-1080p.mkv");
        let arr_path = format!("/media/movies/{folder}/{file}");
        write_file(&media.join("movies").join(&folder).join(&file), i + 1, size);
        movies.push(serde_json::json!({
            "id": i + 1, "title": format!("Movie {i:05}"), "year": 2000, "hasFile": true,
            "tmdbId": i + 1, "imdbId": format!("tt{:07}", i + 1),
            "movieFile": {
                "id": i + 1, "movieId": i + 1, "path": arr_path, "size": size,
                "releaseGroup": "BENCH",
                "quality": {"quality": {"id": 3, "name": "WEBDL-1080p", "source": "webdl", "resolution": 1080},
                            "revision": {"version": 1, "real": 0, "isRepack": false}},
                "mediaInfo": {"audioCodec": "AAC", "audioChannels": 2, "videoCodec": "h264", "videoDynamicRangeType": ""}
            }
        }));
    }
    let radarr = FakeArr::start("radarr", "Radarr", "5.26.2.10099", key);
    radarr.set(
        "/api/v3/rootfolder",
        serde_json::json!([{"path": "/media/movies", "id": 1}]),
    );
    radarr.set("/api/v3/movie", serde_json::Value::Array(movies));
    radarr
}
