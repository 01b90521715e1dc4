//! The client's qBittorrent Web API v2 and its librqbit downloads, with real
//! parts: the real server and tracker, a python3-libtorrent seeder, the
//! `qbittorrent-api` Python library as the *arr apps' stand-in, and raw HTTP
//! for the hostile inputs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::client::{Apps, RunningClient};
use crate::harness::*;

const PYTHON: &str = "/usr/bin/python3";
const USER: &str = "arr";
const PASSWORD: &str = "qbt test password";

fn python_has(module: &str) -> bool {
    Command::new(PYTHON)
        .args(["-c", &format!("import {module}")])
        .env("PYTHONPATH", pydeps())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Where `.ci/run` installs the Python packages the tests drive.
fn pydeps() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/target/pydeps").to_string()
}

/// A server whose announce URLs name 127.0.0.1, with two members.
struct Swarm {
    _dir: tempfile::TempDir,
    root: PathBuf,
    server: Server,
    alice: Keys,
    bob: Keys,
}

async fn swarm() -> Swarm {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let server = Server::start_on(
        std::net::Ipv4Addr::LOCALHOST,
        &root.join("server"),
        &[("FLUSH_INTERVAL", "3600")],
    );
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    Swarm {
        _dir: dir,
        root,
        server,
        alice,
        bob,
    }
}

/// A member's client with its qBittorrent API on a free port.
struct Qbt {
    client: RunningClient,
    port: u16,
    downloads: PathBuf,
    _apps: Apps,
}

/// Bob's client: an empty library, downloads only.
fn start_client(sw: &Swarm, extra: &[(&str, &str)]) -> Qbt {
    start_member(sw, &sw.bob, "bob", extra)
}

/// `who`'s client: its library (the fake *arr apps' media) under
/// `<root>/<who>-media`, its data and downloads beside it; the same folders
/// at every start, so a restart finds its state again.
fn start_member(sw: &Swarm, keys: &Keys, who: &str, extra: &[(&str, &str)]) -> Qbt {
    let apps = Apps::start();
    let port = free_port();
    let downloads = sw.root.join(format!("{who}-downloads"));
    let media = sw.root.join(format!("{who}-media"));
    std::fs::create_dir_all(&media).unwrap();
    let mut env = apps.env(&media);
    for (k, v) in [
        ("CLIENT_BIND", format!("127.0.0.1:{port}")),
        ("DOWNLOADS_DIR", downloads.display().to_string()),
        ("DOWNLOAD_PORT", free_port().to_string()),
        ("API_USERNAME", USER.to_string()),
        ("API_PASSWORD", PASSWORD.to_string()),
        ("NO_WATCH", "true".to_string()),
    ] {
        env.push((k.to_string(), v));
    }
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let client = RunningClient::start(
        &format!("http://{}", sw.server.addr),
        &keys.api_key,
        &sw.root.join(format!("{who}-data")),
        &env,
    );
    client.wait_log("the qBittorrent API", |l| {
        l.contains("qBittorrent API listening")
    });
    Qbt {
        client,
        port,
        downloads,
        _apps: apps,
    }
}

impl Qbt {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v2/{path}", self.port)
    }

    /// Logs in; the SID cookie value.
    async fn login(&self) -> String {
        let resp = client()
            .post(self.url("auth/login"))
            .form(&[("username", USER), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert_eq!(resp.text().await.unwrap(), "Ok.");
        cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("SID="))
            .expect("SID cookie")
            .to_string()
    }
}

/// A torrent alice shares: its bytes, its content and info-hash.
async fn shared_movie(sw: &Swarm, name: &str, seed: u64, len: usize) -> (Vec<u8>, String) {
    let data = content(seed, len);
    let torrent = make_torrent(
        name,
        &[TestFile {
            path: vec![],
            data: data.clone(),
        }],
        64 * 1024,
        true,
    );
    let ih = info_hash_hex(&torrent);
    upload_new(
        &sw.server,
        &sw.alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;
    (data, ih)
}

async fn member_torrent(sw: &Swarm, key: &str, ih: &str) -> Vec<u8> {
    let resp = api_get(&sw.server, &format!("/api/v1/torrents/{ih}/download"), key).await;
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

struct Seeder(Child);

impl Seeder {
    fn start(torrent: &Path, dir: &Path) -> Seeder {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_seeder.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(torrent)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "seeding",
            "the libtorrent seeder did not start"
        );
        Seeder(child)
    }

    /// Closes its stdin; its upload total.
    fn stop(mut self) -> u64 {
        drop(self.0.stdin.take());
        let mut out = String::new();
        BufReader::new(self.0.stdout.take().unwrap())
            .read_line(&mut out)
            .unwrap();
        let _ = self.0.wait();
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        v["uploaded"].as_u64().unwrap()
    }
}

impl Drop for Seeder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn post(sid: Option<&str>, url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut req = client().post(url).form(form);
    if let Some(s) = sid {
        req = req.header("Cookie", format!("SID={s}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn add_file(
    qbt: &Qbt,
    sid: &str,
    torrent: Vec<u8>,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().part(
        "torrents",
        reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let resp = client()
        .post(qbt.url("torrents/add"))
        .header("Cookie", format!("SID={sid}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Files under a folder, for "nothing stored".
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(tree(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

mod arr_flow;
mod checking;
mod hostile;
mod limits;
mod listener;
mod maindata;
mod resume;
mod two_clients;
