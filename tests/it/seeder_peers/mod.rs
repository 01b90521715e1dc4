//! The client's library seeder against real BitTorrent peers: a real server
//! (tracker included), the fake *arr apps over the shared fixtures, a real
//! `privateindexer client`, and Debian's python3-libtorrent and aria2 as
//! leechers. Media is checked byte for byte (and mtime) after every run.
//!
//! One module per concern: `read_only` (libtorrent and aria2 from a read-only
//! library, restart), `damaged` (files that must not be served), `limits`
//! (garbage, slow handshakes, silent peers and connection caps), `rotation`
//! (a rotated key picked up without a restart), `transmission`.

mod damaged;
mod limits;
mod read_only;
mod rotation;
mod transmission;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::harness::client::{self as harness, server_hashes, Apps, RunningClient};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::{add_member, admin_stats, client, free_port, Keys, Server};

const PYTHON: &str = "/usr/bin/python3";

fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every file under `root` with size, SHA-1 and mtime.
fn snapshot(root: &Path) -> Vec<(PathBuf, u64, Vec<u8>, SystemTime)> {
    harness::snapshot(root)
        .into_iter()
        .map(|(p, size, digest)| {
            let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
            (p, size, digest, mtime)
        })
        .collect()
}

struct Swarm {
    tmp: tempfile::TempDir,
    server: Server,
    alice: Keys,
    bob: Keys,
    apps: Apps,
    media: PathBuf,
    client_dir: PathBuf,
    seed_port: u16,
}

async fn swarm() -> Swarm {
    // The announce URL in the .torrent must name 127.0.0.1 (localhost may resolve to ::1 first).
    swarm_on(std::net::Ipv4Addr::LOCALHOST).await
}

/// A swarm whose server (tracker) listens on `host`: peers that announce to
/// it from this machine are told to each other under that address.
async fn swarm_on(host: std::net::Ipv4Addr) -> Swarm {
    let tmp = tempfile::tempdir().unwrap();
    // Member counters reach the admin API within a second.
    let server = Server::start_on(host, &tmp.path().join("server"), &[("FLUSH_INTERVAL", "1")]);
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let media = tmp.path().join("media");
    lay_out_library(&media);
    Swarm {
        client_dir: tmp.path().join("client"),
        tmp,
        server,
        alice,
        bob,
        apps: Apps::start(),
        media,
        seed_port: free_port(),
    }
}

impl Swarm {
    fn start_client(&self, media: &Path, extra: &[(&str, String)]) -> RunningClient {
        let mut env = self.apps.env(media);
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        env.push(("TORRENTING_PORT".into(), self.seed_port.to_string()));
        env.push(("NO_WATCH".into(), "true".into()));
        RunningClient::start(
            &self.server.url(""),
            &self.alice.api_key,
            &self.client_dir,
            &env,
        )
    }

    /// Waits until the tracker counts `n` seeders in all.
    async fn wait_seeders(&self, n: u64, c: &RunningClient) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = admin_stats(&self.server).await;
            if s["seeders"].as_u64() == Some(n) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "tracker shows {s}, want {n} seeders; client log:\n{}",
                c.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Bob's copy of each of alice's torrents (his passkey written in): (name, multi, path).
    async fn torrents(&self) -> Vec<(String, bool, PathBuf, String)> {
        let mut out = Vec::new();
        for ih in server_hashes(&self.server, &self.alice.api_key).await {
            let resp = client()
                .get(self.server.url(&format!("/api/v1/torrents/{ih}/download")))
                .header("X-Api-Key", &self.bob.api_key)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let bytes = resp.bytes().await.unwrap().to_vec();
            let root = privateindexer::bencode::decode(&bytes).unwrap();
            let info = root.get("info").unwrap();
            let name = info.get("name").unwrap().as_str().unwrap().to_string();
            let multi = info.get("files").is_some();
            let path = self.tmp.path().join(format!("{ih}.torrent"));
            std::fs::write(&path, &bytes).unwrap();
            out.push((name, multi, path, ih));
        }
        out
    }
}

/// The media file named `name` (file names are unique in the fixtures).
fn media_file(media: &[(PathBuf, u64, Vec<u8>, SystemTime)], name: &str) -> Vec<u8> {
    let (p, ..) = media
        .iter()
        .find(|m| m.0.file_name().unwrap() == name)
        .unwrap_or_else(|| panic!("no media file {name}"));
    std::fs::read(p).unwrap()
}

/// Every file a leecher wrote equals the media file of the same name.
fn assert_same_bytes(dir: &Path, media: &[(PathBuf, u64, Vec<u8>, SystemTime)]) -> usize {
    let got = harness::snapshot(dir);
    assert!(!got.is_empty(), "nothing downloaded into {}", dir.display());
    for (p, ..) in &got {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(
            std::fs::read(p).unwrap() == media_file(media, name),
            "{} differs from the media",
            p.display()
        );
    }
    got.len()
}

pub(crate) fn libtorrent_leech(torrent: &Path, dir: &Path, missing: u32) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/seeder_leech.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .arg(torrent)
        .arg(dir)
        .arg(missing.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "libtorrent leecher failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn aria2_leech(torrent: &Path, dir: &Path) {
    let out = Command::new("aria2c")
        .arg(format!("--dir={}", dir.display()))
        .args([
            "--seed-time=0",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--check-integrity=true",
            "--bt-stop-timeout=120",
            "--summary-interval=0",
            "--console-log-level=warn",
            "--file-allocation=none",
        ])
        .arg(format!("--listen-port={}", free_port()))
        .arg(torrent)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "aria2c failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn peers_available() -> bool {
    let ok = have(PYTHON, &["-c", "import libtorrent"]) && have("aria2c", &["--version"]);
    if !ok {
        eprintln!(
            "NOTICE: skipping the seeder's real-peer tests: needs {PYTHON} with libtorrent and \
             aria2c (apt-get install python3-libtorrent aria2)"
        );
    }
    ok
}

/// Sends a handshake for `ih` as peer `peer_id`; the connection once the
/// seeder answered with its own, None when it closed instead.
pub(crate) fn handshake(port: u16, ih: &str, peer_id: &[u8; 20]) -> Option<std::net::TcpStream> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut hs = vec![19u8];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x04]);
    hs.extend_from_slice(&hex::decode(ih).unwrap());
    hs.extend_from_slice(peer_id);
    // Refused at accept, the write may already meet a closed connection.
    s.write_all(&hs).ok()?;
    let mut answer = [0u8; 68];
    s.read_exact(&mut answer).ok()?;
    Some(s)
}

/// Sends a handshake for `ih`, then `then`; true when the seeder answers with its own.
pub(crate) fn handshake_answered(port: u16, ih: &str, then: &[u8]) -> bool {
    use std::io::Write;
    let Some(mut s) = handshake(port, ih, b"-XX0000-hostilepeer1") else {
        return false;
    };
    s.write_all(then).unwrap();
    true
}
