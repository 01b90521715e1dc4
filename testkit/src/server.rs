//! Shared integration-test harness: runs the real `privateindexer server`
//! binary on a free 127.0.0.1 port and builds real `.torrent` files.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use privateindexer::bencode::{dict, Owned};
use sha1::{Digest, Sha1};

pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process's resident memory (VmRSS in /proc/PID/status), in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// The repository's root (testkit/ is one of its directories): where the
/// tests' Python peers and `../shared/fixtures` are found.
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The `privateindexer` binary under test. Only the root package's tests and
/// benches know `CARGO_BIN_EXE_privateindexer`, so it is found at run time:
/// `PRIVATEINDEXER_BIN` if set, else beside the running test or bench
/// (target/<profile>/deps/NAME-HASH → target/<profile>/privateindexer).
pub fn bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let path = match std::env::var_os("PRIVATEINDEXER_BIN") {
            Some(p) => PathBuf::from(p),
            None => {
                let exe = std::env::current_exe().expect("current_exe");
                let profile_dir = exe
                    .parent()
                    .and_then(Path::parent)
                    .expect("the test runs from target/<profile>/deps");
                profile_dir.join("privateindexer")
            }
        };
        assert!(
            path.is_file(),
            "privateindexer binary not found at {} (build it with `cargo build`, \
             or set PRIVATEINDEXER_BIN)",
            path.display()
        );
        path
    })
}

/// Sends SIGTERM to a child and waits (generous deadline) for its exit.
pub fn sigterm_and_wait(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{what} did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running server process; killed (SIGKILL) on drop unless stopped cleanly.
pub struct Server {
    pub child: Option<Child>,
    pub addr: SocketAddr,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server on a free port over `data_dir` with extra `env` settings.
    pub fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::spawn(data_dir, env, true)
    }

    /// A server on `host` at a free port whose public URL (and so every
    /// announce URL it hands out) names that address, so peers on this machine
    /// reach its tracker; a re-announce is allowed every second.
    pub fn start_on(host: Ipv4Addr, data_dir: &Path, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let base = format!("http://{host}:{port}");
        let bind = format!("{host}:{port}");
        let mut env = vec![
            ("BIND", bind.as_str()),
            ("EXTERNAL_SERVER_URL", base.as_str()),
            ("MIN_ANNOUNCE_INTERVAL", "1"),
        ];
        env.extend_from_slice(extra);
        Server::start_with(data_dir, &env)
    }

    /// A first run: no ADMIN_PASSWORD, so the server prints a one-time setup token.
    pub fn start_first_run(data_dir: &Path) -> Server {
        Server::spawn(data_dir, &[], false)
    }

    fn spawn(data_dir: &Path, env: &[(&str, &str)], with_password: bool) -> Server {
        let mut cmd = Command::new(bin());
        if with_password {
            cmd.env("ADMIN_PASSWORD", ADMIN_PASSWORD);
        } else {
            cmd.env_remove("ADMIN_PASSWORD")
                .env_remove("ADMIN_PASSWORD_FILE");
        }
        cmd.arg("server")
            .env("BIND", "127.0.0.1:0")
            .env("DATA_DIR", data_dir)
            .env("LOG_LEVEL", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn server");
        let stderr = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
                    let _ = tx.send(addr);
                }
                log2.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("server did not start: {:?}", log.lock().unwrap()));
        Server {
            child: Some(child),
            addr,
            log,
        }
    }

    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        sigterm_and_wait(&mut self.child.take().unwrap(), "server")
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until `pred` holds for the log (its reader thread may lag behind).
    pub fn wait_log(&self, what: &str, pred: impl Fn(&str) -> bool) {
        wait_for_log(|| self.log_text(), what, pred)
    }
}

/// Waits (generous deadline) until `pred` holds for a process's log.
pub fn wait_for_log(text: impl Fn() -> String, what: &str, pred: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !pred(&text()) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; log:\n{}",
            text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// `%XX` for every byte: an info-hash or a peer id in a tracker query.
pub fn url_bytes(b: &[u8]) -> String {
    b.iter().map(|c| format!("%{c:02X}")).collect()
}

/// The body of a plain GET (a tracker's bencoded answer, a .torrent).
pub async fn get_bytes(url: impl reqwest::IntoUrl) -> Vec<u8> {
    let resp = client().get(url).send().await.unwrap();
    resp.bytes().await.unwrap().to_vec()
}

/// Keys as the admin API hands them out.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Keys {
    pub id: u64,
    pub label: String,
    pub api_key: String,
    pub passkey: String,
    pub announce_url: String,
}

/// A request to the admin API, authenticated with the test admin password.
pub fn admin_request(
    server: &Server,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, server.url(path))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
}

/// An admin API GET as JSON.
pub async fn admin_get<T: serde::de::DeserializeOwned>(server: &Server, path: &str) -> T {
    admin_request(server, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `GET /admin/api/stats` as JSON.
pub async fn admin_stats(server: &Server) -> serde_json::Value {
    admin_get(server, "/admin/api/stats").await
}

pub async fn add_member(server: &Server, label: &str) -> Keys {
    let resp = admin_request(server, reqwest::Method::POST, "/admin/api/users")
        .json(&serde_json::json!({ "label": label }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "create member {label}");
    resp.json().await.unwrap()
}

/// A file of a test torrent.
pub struct TestFile {
    pub path: Vec<&'static str>,
    pub data: Vec<u8>,
}

/// Deterministic pseudo-random content, different per seed.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Builds a real v1 torrent (pieces hashed from `files`), private unless told otherwise.
pub fn make_torrent(name: &str, files: &[TestFile], piece_len: usize, private: bool) -> Vec<u8> {
    let all: Vec<u8> = files.iter().flat_map(|f| f.data.iter().copied()).collect();
    let pieces: Vec<u8> = all
        .chunks(piece_len)
        .flat_map(|c| Sha1::digest(c).to_vec())
        .collect();
    let mut info = vec![
        ("name", Owned::str(name)),
        ("piece length", Owned::Int(piece_len as i64)),
        ("pieces", Owned::Bytes(pieces)),
    ];
    if private {
        info.push(("private", Owned::Int(1)));
    }
    if files.len() == 1 && files[0].path.is_empty() {
        info.push(("length", Owned::Int(files[0].data.len() as i64)));
    } else {
        let list = files
            .iter()
            .map(|f| {
                dict([
                    ("length", Owned::Int(f.data.len() as i64)),
                    (
                        "path",
                        Owned::List(f.path.iter().map(|p| Owned::str(p)).collect()),
                    ),
                ])
            })
            .collect();
        info.push(("files", Owned::List(list)));
    }
    dict([
        ("announce", Owned::str("http://elsewhere.example/announce")),
        ("info", dict(info)),
    ])
    .encode()
}

/// A single-file private torrent of `len` bytes made from `seed`.
pub fn single_file_torrent(name: &str, seed: u64, len: usize) -> Vec<u8> {
    make_torrent(
        name,
        &[TestFile {
            path: vec![],
            data: content(seed, len),
        }],
        16 * 1024,
        true,
    )
}

/// SHA-1 of the exact `info` bytes, lower-case hex.
pub fn info_hash_hex(torrent: &[u8]) -> String {
    let root = privateindexer::bencode::decode(torrent).unwrap();
    let info = root.get("info").unwrap();
    hex::encode(Sha1::digest(&torrent[info.span.clone()]))
}

/// Uploads through the client API; returns status and JSON body.
/// A GET of the client API with the member's key in `X-Api-Key`.
pub async fn api_get(server: &Server, path: &str, key: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap()
}

/// A Torznab `t=search&q=…` by the member with `key`: status and body.
pub async fn torznab_search(server: &Server, key: &str, q: &str) -> (u16, String) {
    let resp = client()
        .get(server.url(&format!("/api?t=search&q={q}&apikey={key}")))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The status of a torrent's download for the member with `key`.
pub async fn download_status(server: &Server, ih: &str, key: &str) -> u16 {
    api_get(server, &format!("/api/v1/torrents/{ih}/download"), key)
        .await
        .status()
        .as_u16()
}

/// Uploads a torrent that must be accepted as new (201); the answer's JSON.
pub async fn upload_new(
    server: &Server,
    api_key: &str,
    torrent: Vec<u8>,
    meta: serde_json::Value,
) -> serde_json::Value {
    let (status, body) = upload(server, api_key, torrent, meta).await;
    assert_eq!(status, 201, "upload refused: {body}");
    body
}

pub async fn upload(
    server: &Server,
    api_key: &str,
    torrent: Vec<u8>,
    meta: serde_json::Value,
) -> (u16, serde_json::Value) {
    let form = reqwest::multipart::Form::new()
        .part(
            "torrent",
            reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
        )
        .text("meta", meta.to_string());
    let resp = client()
        .post(server.url("/api/v1/torrents"))
        .header("X-Api-Key", api_key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}
