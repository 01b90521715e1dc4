//! Runs `privateindexer client` against fake *arr apps and a real server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fake_arr::FakeArr;

pub const ARR_KEY: &str = "0123456789abcdef0123456789abcdef";

/// The three apps, serving the shared fixtures.
pub struct Apps {
    pub radarr: FakeArr,
    pub sonarr: FakeArr,
    pub lidarr: FakeArr,
}

impl Apps {
    pub fn start() -> Apps {
        Apps {
            radarr: FakeArr::with_fixtures("radarr", ARR_KEY),
            sonarr: FakeArr::with_fixtures("sonarr", ARR_KEY),
            lidarr: FakeArr::with_fixtures("lidarr", ARR_KEY),
        }
    }

    /// Client environment for these apps, the media under `media_root`.
    pub fn env(&self, media_root: &Path) -> Vec<(String, String)> {
        vec![
            ("RADARR_URL".into(), self.radarr.url()),
            ("RADARR_API_KEY".into(), ARR_KEY.into()),
            ("SONARR_URL".into(), self.sonarr.url()),
            ("SONARR_API_KEY".into(), ARR_KEY.into()),
            ("LIDARR_URL".into(), self.lidarr.url()),
            ("LIDARR_API_KEY".into(), ARR_KEY.into()),
            // The apps report /media/...; this client finds it under media_root.
            (
                "PATH_MAPPINGS".into(),
                format!("/media={}", media_root.display()),
            ),
        ]
    }
}

fn command(server_url: &str, api_key: &str, data_dir: &Path, env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(crate::server::bin());
    cmd.arg("client")
        .env_clear()
        .env("INDEXER_API_URL", server_url)
        .env("API_KEY", api_key)
        .env("CLIENT_DATA_DIR", data_dir)
        .env("LOG_LEVEL", "info")
        .env("NO_COLOR", "1")
        // Tests run side by side: each client seeds, downloads and serves its
        // qBittorrent API on its own ports, and downloads into its own folder.
        .env("TORRENTING_PORT", crate::server::free_port().to_string())
        .env("DOWNLOAD_PORT", crate::server::free_port().to_string())
        .env(
            "CLIENT_BIND",
            format!("127.0.0.1:{}", crate::server::free_port()),
        )
        .env("DOWNLOADS_DIR", data_dir.join("downloads"))
        // Short watch delays, so a folder event is acted on well within a second.
        .env("WATCH_DEBOUNCE_MS", "200")
        .env("WATCH_FOLLOW_UP_MS", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `client --once` to the end; its exit status and log.
pub fn run_once(
    server_url: &str,
    api_key: &str,
    data_dir: &Path,
    env: &[(String, String)],
) -> (ExitStatus, String) {
    let mut cmd = command(server_url, api_key, data_dir, env);
    cmd.arg("--once");
    let mut c = RunningClient::spawn(cmd);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = c.child.as_mut().unwrap().try_wait().unwrap() {
            // Let the reader thread take the last lines.
            std::thread::sleep(Duration::from_millis(200));
            return (status, c.log_text());
        }
        assert!(
            Instant::now() < deadline,
            "client --once did not finish: {}",
            c.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A long-running client; killed on drop.
pub struct RunningClient {
    pub child: Option<Child>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl RunningClient {
    fn spawn(mut cmd: Command) -> RunningClient {
        let mut child = cmd.spawn().expect("spawn client");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log2.lock().unwrap().push(line);
            }
        });
        RunningClient {
            child: Some(child),
            log,
        }
    }

    pub fn start(
        server_url: &str,
        api_key: &str,
        data_dir: &Path,
        env: &[(String, String)],
    ) -> RunningClient {
        RunningClient::spawn(command(server_url, api_key, data_dir, env))
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM and waits for the exit; the status and the whole log.
    pub fn stop(mut self) -> (ExitStatus, String) {
        let status = crate::server::sigterm_and_wait(&mut self.child.take().unwrap(), "client");
        // Let the reader thread take the last lines.
        std::thread::sleep(Duration::from_millis(200));
        (status, self.log_text())
    }

    /// Waits (generous deadline) until `pred` holds for the log.
    pub fn wait_log(&self, what: &str, pred: impl Fn(&str) -> bool) {
        crate::server::wait_for_log(|| self.log_text(), what, pred)
    }
}

impl Drop for RunningClient {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Sum of `bytes_hashed=` over the "scan complete" lines of a log.
pub fn bytes_hashed(log: &str) -> u64 {
    log.lines()
        .filter(|l| l.contains("scan complete"))
        .filter_map(|l| l.split("bytes_hashed=").nth(1))
        .filter_map(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Every media file with its size, to prove none was changed.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let data = std::fs::read(&p).unwrap();
                let digest =
                    sha1::Digest::finalize(<sha1::Sha1 as sha1::Digest>::new_with_prefix(&data))
                        .to_vec();
                out.push((p, data.len() as u64, digest));
            }
        }
    }
    out.sort();
    out
}

/// The info-hashes the server holds for this member (sync with an empty list), sorted.
pub async fn server_hashes(server: &crate::server::Server, key: &str) -> Vec<String> {
    let resp: serde_json::Value = crate::server::client()
        .post(server.url("/api/v1/sync"))
        .header("X-Api-Key", key)
        .json(&serde_json::json!({"info_hashes": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut v: Vec<String> = resp["orphaned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}
