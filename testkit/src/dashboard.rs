//! A member's client with its dashboard, for the dashboard tests: a real
//! server (two members), bob's client seeding the fixture library from real
//! files, and downloads added the way the *arr apps add them (the
//! qBittorrent API, with bob's copy of a torrent alice shared).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::client::{Apps, RunningClient};
use crate::fake_arr::lay_out_library;
use crate::panel::{location, Visitor};
use crate::server::*;

pub const USER: &str = "member";
pub const PASSWORD: &str = "dashboard test password";
/// Torrents the fixture library makes (10 single files, a season pack, an album).
pub const LIBRARY_TORRENTS: usize = 12;
/// The server's METRICS_TOKEN (its announce counter).
const METRICS_TOKEN: &str = "dashboard-metrics-0123456789";

pub struct Dash {
    _tmp: tempfile::TempDir,
    pub server: Server,
    pub client: RunningClient,
    pub port: u16,
    /// bob's TORRENTING_PORT.
    pub seed_port: u16,
    pub media: PathBuf,
    pub downloads: PathBuf,
    pub alice: Keys,
    pub bob: Keys,
    _apps: Apps,
}

/// Starts everything and waits until bob's client seeds its whole library.
pub async fn start(extra: &[(&str, &str)]) -> Dash {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let server = Server::start_on(
        Ipv4Addr::LOCALHOST,
        &root.join("server"),
        &[("METRICS_TOKEN", METRICS_TOKEN)],
    );
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob <b>").await;
    let media = root.join("media");
    lay_out_library(&media);
    let apps = Apps::start();
    let dash_port = free_port();
    let seed_port = free_port();
    let downloads = root.join("downloads");
    let mut env = apps.env(&media);
    for (k, v) in [
        ("CLIENT_BIND", format!("127.0.0.1:{dash_port}")),
        ("DOWNLOADS_DIR", downloads.display().to_string()),
        ("API_USERNAME", USER.to_string()),
        ("API_PASSWORD", PASSWORD.to_string()),
        ("NO_WATCH", "true".to_string()),
        ("TORRENTING_PORT", seed_port.to_string()),
    ] {
        env.push((k.to_string(), v));
    }
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let client = RunningClient::start(&server.url(""), &bob.api_key, &root.join("bob"), &env);
    client.wait_log("the library seeded", |l| {
        l.contains(&format!("seeding={LIBRARY_TORRENTS}"))
    });
    Dash {
        _tmp: tmp,
        server,
        client,
        port: dash_port,
        seed_port,
        media,
        downloads,
        alice,
        bob,
        _apps: apps,
    }
}

impl Dash {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A visitor logged in to the dashboard.
    pub async fn member(&self) -> Visitor {
        let mut v = Visitor::at(&self.base());
        let resp = v
            .submit(
                "/dashboard/login",
                "/dashboard/login",
                &[("username", USER), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(resp.status(), 303, "dashboard login");
        assert_eq!(location(&resp), "/dashboard");
        v
    }

    /// Alice shares a torrent of `files`; bob's client adds bob's copy
    /// through its qBittorrent API (as Radarr would). Its info-hash.
    pub async fn add_download(&self, name: &str, files: &[TestFile], category: &str) -> String {
        let torrent = make_torrent(name, files, 16 * 1024, true);
        let ih = info_hash_hex(&torrent);
        upload_new(
            &self.server,
            &self.alice.api_key,
            torrent,
            serde_json::json!({"category": 2040}),
        )
        .await;
        let resp = api_get(
            &self.server,
            &format!("/api/v1/torrents/{ih}/download"),
            &self.bob.api_key,
        )
        .await;
        assert_eq!(resp.status(), 200);
        let bobs = resp.bytes().await.unwrap().to_vec();
        let sid = self.qbt_login().await;
        let form = reqwest::multipart::Form::new()
            .part(
                "torrents",
                reqwest::multipart::Part::bytes(bobs).file_name("x.torrent"),
            )
            .text("category", category.to_string());
        let resp = client()
            .post(self.qbt("torrents/add"))
            .header("cookie", sid)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "Ok.", "torrents/add");
        ih
    }
}

/// Reads `path` until `pred` holds for its body (generous deadline); the body.
pub async fn wait_page(
    v: &mut Visitor,
    path: &str,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = v.page(path).await;
        if status == 200 && pred(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} on {path} (HTTP {status}):\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

impl Dash {
    fn qbt(&self, path: &str) -> String {
        format!("{}/api/v2/{path}", self.base())
    }

    /// A qBittorrent API session: its `SID=…` cookie.
    async fn qbt_login(&self) -> String {
        let login = client()
            .post(self.qbt("auth/login"))
            .form(&[("username", USER), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_string()
    }

    /// A form POSTed to the qBittorrent API, logged in.
    pub async fn qbt_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let sid = self.qbt_login().await;
        client()
            .post(self.qbt(path))
            .header("cookie", sid)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Announces the server's tracker answered, from its `/metrics`.
    pub async fn server_announces(&self) -> u64 {
        let resp = client()
            .get(self.server.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("privateindexer_announces_total{outcome=\"ok\"} "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no announce counter in:\n{text}")) as u64
    }

    /// A slow libtorrent leecher of bob's library seed `info_hash`, connected
    /// straight to his seeder, whose client name is `<script>alert(1)</script>`.
    pub async fn hostile_leecher(&self, info_hash: &str) -> Leecher {
        let resp = api_get(
            &self.server,
            &format!("/api/v1/torrents/{info_hash}/download"),
            &self.alice.api_key,
        )
        .await;
        assert_eq!(resp.status(), 200);
        let dir = tempfile::tempdir().unwrap();
        let torrent = dir.path().join("t.torrent");
        std::fs::write(&torrent, resp.bytes().await.unwrap()).unwrap();
        let script = repo_root().join("tests/it/dash_peer.py");
        let mut child = std::process::Command::new("/usr/bin/python3")
            .arg(script)
            .arg(&torrent)
            .arg(dir.path().join("data"))
            .arg(self.seed_port.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let line = tokio::task::spawn_blocking(move || {
            let mut l = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut l).map(|_| l)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            line.trim(),
            "connected",
            "the leecher never reached the seeder"
        );
        Leecher { child, _dir: dir }
    }
}

/// The leecher process; it ends with this.
pub struct Leecher {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Leecher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
