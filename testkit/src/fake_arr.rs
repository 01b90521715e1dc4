//! A fake Radarr/Sonarr/Lidarr: a real HTTP server on 127.0.0.1 answering the
//! GET requests the client makes with canned JSON bodies (by default the ones
//! in ../shared/fixtures/arr), checking the API key like the real apps do.
//! Bodies can be replaced while it runs; it can be told to fail with HTTP 500.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use warp::http::StatusCode;
use warp::Filter;

#[derive(Default)]
struct State {
    /// "path?query" → body.
    routes: HashMap<String, Value>,
    fail: bool,
    requests: Vec<String>,
}

pub struct FakeArr {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The API root of each app.
pub fn api(app: &str) -> &'static str {
    match app {
        "lidarr" => "/api/v1",
        _ => "/api/v3",
    }
}

/// Where the shared fixtures live: `../shared/fixtures` beside the clone.
pub fn fixtures_dir() -> PathBuf {
    crate::server::repo_root().join("../shared/fixtures/arr")
}

pub fn read_fixture(rel: &str) -> Value {
    let p = fixtures_dir().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

impl FakeArr {
    /// Starts an app answering `system/status` as `app_name` `version`.
    pub fn start(app: &'static str, app_name: &str, version: &str, key: &str) -> FakeArr {
        let state = Arc::new(Mutex::new(State::default()));
        state.lock().unwrap().routes.insert(
            format!("{}/system/status", api(app)),
            serde_json::json!({"appName": app_name, "instanceName": app_name, "version": version}),
        );
        let st = state.clone();
        let want_key = key.to_string();
        let route = warp::get()
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::optional::<String>("x-api-key"))
            .map(
                move |path: warp::path::FullPath, query: String, key: Option<String>| {
                    let mut s = st.lock().unwrap();
                    let full = if query.is_empty() {
                        path.as_str().to_string()
                    } else {
                        format!("{}?{}", path.as_str(), query)
                    };
                    s.requests.push(full.clone());
                    if key.as_deref() != Some(want_key.as_str()) {
                        return warp::reply::with_status(
                            warp::reply::json(&serde_json::json!({"message": "Unauthorized"})),
                            StatusCode::UNAUTHORIZED,
                        );
                    }
                    if s.fail && !full.ends_with("/system/status") {
                        return warp::reply::with_status(
                            warp::reply::json(
                                &serde_json::json!({"message": "database is locked"}),
                            ),
                            StatusCode::INTERNAL_SERVER_ERROR,
                        );
                    }
                    match s.routes.get(&full) {
                        Some(body) => {
                            warp::reply::with_status(warp::reply::json(body), StatusCode::OK)
                        }
                        None => warp::reply::with_status(
                            warp::reply::json(&serde_json::json!({"message": "NotFound"})),
                            StatusCode::NOT_FOUND,
                        ),
                    }
                },
            );
        let (tx_addr, rx_addr) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx_addr.send(listener.local_addr().unwrap()).unwrap();
                let server = warp::serve(route).incoming(listener).graceful(async {
                    let _ = stopped.await;
                });
                server.run().await;
            });
        });
        let addr = rx_addr.recv().unwrap();
        FakeArr {
            addr,
            state,
            _stop: stop,
        }
    }

    /// An app serving the shared fixtures for `app` ("radarr", "sonarr", "lidarr").
    pub fn with_fixtures(app: &'static str, key: &str) -> FakeArr {
        let (name, version) = match app {
            "radarr" => ("Radarr", "5.26.2.10099"),
            "sonarr" => ("Sonarr", "4.0.15.2941"),
            _ => ("Lidarr", "2.13.3.4711"),
        };
        let f = FakeArr::start(app, name, version, key);
        let a = api(app);
        match app {
            "radarr" => {
                f.set(
                    &format!("{a}/rootfolder"),
                    read_fixture("radarr/rootfolder.json"),
                );
                f.set(&format!("{a}/movie"), read_fixture("radarr/movie.json"));
            }
            "sonarr" => {
                f.set(
                    &format!("{a}/rootfolder"),
                    read_fixture("sonarr/rootfolder.json"),
                );
                f.set(&format!("{a}/series"), read_fixture("sonarr/series.json"));
                for id in [1, 2] {
                    f.set(
                        &format!("{a}/episode?seriesId={id}"),
                        read_fixture(&format!("sonarr/episode-{id}.json")),
                    );
                    f.set(
                        &format!("{a}/episodefile?seriesId={id}"),
                        read_fixture(&format!("sonarr/episodefile-{id}.json")),
                    );
                }
            }
            _ => {
                f.set(
                    &format!("{a}/rootfolder"),
                    read_fixture("lidarr/rootfolder.json"),
                );
                f.set(&format!("{a}/artist"), read_fixture("lidarr/artist.json"));
                f.set(
                    &format!("{a}/album?artistId=1"),
                    read_fixture("lidarr/album.json"),
                );
                f.set(
                    &format!("{a}/track?artistId=1"),
                    read_fixture("lidarr/track-1.json"),
                );
                f.set(
                    &format!("{a}/trackfile?artistId=1"),
                    read_fixture("lidarr/trackfile-1.json"),
                );
            }
        }
        f
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets the body for `path_and_query` (e.g. "/api/v3/episode?seriesId=1").
    pub fn set(&self, path_and_query: &str, body: Value) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path_and_query.to_string(), body);
    }

    pub fn get(&self, path_and_query: &str) -> Value {
        self.state.lock().unwrap().routes[path_and_query].clone()
    }

    /// Edits a body in place.
    pub fn edit(&self, path_and_query: &str, f: impl FnOnce(&mut Value)) {
        let mut s = self.state.lock().unwrap();
        let body = s.routes.get_mut(path_and_query).expect("no such route");
        f(body);
    }

    /// Every request but `system/status` answers HTTP 500 while set.
    pub fn set_failing(&self, fail: bool) {
        self.state.lock().unwrap().fail = fail;
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

/// Creates every media file of MANIFEST.json under `root` (replacing its
/// `pathPrefix`), each with exactly its size; returns (path, size) pairs.
pub fn lay_out_library(root: &Path) -> Vec<(PathBuf, u64)> {
    let manifest = read_fixture("MANIFEST.json");
    let prefix = manifest["pathPrefix"].as_str().unwrap();
    let mut out = Vec::new();
    for (i, f) in manifest["files"].as_array().unwrap().iter().enumerate() {
        let path = local(root, prefix, f["path"].as_str().unwrap());
        let size = f["size"].as_u64().unwrap();
        write_file(&path, i as u64 + 1, size);
        out.push((path, size));
    }
    out
}

/// The local path of an app-side `/media/...` path.
pub fn local(root: &Path, prefix: &str, arr_path: &str) -> PathBuf {
    root.join(
        arr_path
            .strip_prefix(prefix)
            .unwrap()
            .trim_start_matches('/'),
    )
}

/// Writes `size` bytes of deterministic content (different per seed).
pub fn write_file(path: &Path, seed: u64, size: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, crate::server::content(seed, size as usize)).unwrap();
}
