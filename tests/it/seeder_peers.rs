//! The client's library seeder against real BitTorrent peers: a real server
//! (tracker included), the fake *arr apps over the shared fixtures, a real
//! `privateindexer client`, and Debian's python3-libtorrent and aria2 as
//! leechers. Media is checked byte for byte (and mtime) after every run.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::harness::client::{self as harness, bytes_hashed, server_hashes, Apps, RunningClient};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::{add_member, admin_stats, api_get, client, free_port, Keys, Server};

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
    let tmp = tempfile::tempdir().unwrap();
    // The announce URL in the .torrent must name 127.0.0.1 (localhost may resolve to ::1 first).
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        &tmp.path().join("server"),
        &[
            ("BIND", bind.as_str()),
            ("EXTERNAL_SERVER_URL", base.as_str()),
            ("MIN_ANNOUNCE_INTERVAL", "1"),
        ],
    );
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

/// A read-only bind mount of `src` (root with mount rights only); None with the reason.
struct RoMount(PathBuf);

impl RoMount {
    fn try_new(src: &Path, at: &Path) -> Result<RoMount, String> {
        std::fs::create_dir_all(at).unwrap();
        let run = |args: &[&str]| {
            Command::new("mount")
                .args(args)
                .output()
                .map_err(|e| e.to_string())
                .and_then(|o| {
                    o.status
                        .success()
                        .then_some(())
                        .ok_or_else(|| String::from_utf8_lossy(&o.stderr).trim().to_string())
                })
        };
        run(&["--bind", src.to_str().unwrap(), at.to_str().unwrap()])?;
        let m = RoMount(at.to_path_buf());
        run(&["-o", "remount,bind,ro", at.to_str().unwrap()])?;
        Ok(m)
    }
}

impl Drop for RoMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn chmod_read_only(root: &Path) {
    for (p, ..) in harness::snapshot(root) {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            }
        }
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
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

#[tokio::test(flavor = "multi_thread")]
async fn libtorrent_and_aria2_download_a_movie_and_a_season_pack_from_a_read_only_library() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    chmod_read_only(&s.media);
    let before = snapshot(&s.media);
    let ro_at = s.tmp.path().join("ro-media");
    let mount = match RoMount::try_new(&s.media, &ro_at) {
        Ok(m) => Some(m),
        Err(why) => {
            eprintln!(
                "NOTICE: no read-only bind mount here ({why}); the library is chmod a-w only"
            );
            None
        }
    };
    let library = if mount.is_some() {
        ro_at.clone()
    } else {
        s.media.clone()
    };
    let c = s.start_client(&library, &[]);
    s.wait_seeders(12, &c).await;
    c.wait_log("the reachability line", |l| {
        l.contains(&format!(
            "port {} is reachable from the server",
            s.seed_port
        ))
    });
    let me: serde_json::Value = api_get(&s.server, "/api/v1/me", &s.alice.api_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["reachable"]["reachable"], true, "{me}");

    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv") && t.0.contains("(20"))
        .expect("a single-file movie");
    let pack = torrents.iter().find(|t| t.1).expect("a season pack");
    let mut expect_uploaded = 0u64;
    for (i, t) in [movie, pack].into_iter().enumerate() {
        let dir = s.tmp.path().join(format!("lt-{i}"));
        let r = libtorrent_leech(&t.2, &dir, 0);
        assert_eq!(r["failed_bytes"], 0, "{r}");
        assert_eq!(r["hash_fails"], 0, "{r}");
        let files = assert_same_bytes(&dir, &before);
        assert!(!t.1 || files > 1, "a pack has several files");
        let dir = s.tmp.path().join(format!("aria2-{i}"));
        aria2_leech(&t.2, &dir);
        assert_same_bytes(&dir, &before);
        expect_uploaded += 2 * harness::snapshot(&dir).iter().map(|f| f.1).sum::<u64>();
    }

    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("event=stopped sent for 12 of 12 torrent(s)"),
        "clean shutdown announces stopped for every torrent:\n{log}"
    );
    assert!(
        !log.contains(&s.alice.api_key),
        "the API key is never logged"
    );
    assert!(
        !log.contains(&s.alice.passkey),
        "the passkey is never logged"
    );
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched (bytes, sizes, mtimes)"
    );
    {
        let db = privateindexer::client::queue::ClientDb::open_in(&s.client_dir).unwrap();
        let total: u64 = db.uploaded_totals().unwrap().values().sum();
        assert!(
            total >= expect_uploaded,
            "uploaded persisted: {total} < {expect_uploaded}"
        );
    }

    // A restart seeds again with nothing hashed: libtorrent downloads once more.
    let c = s.start_client(&library, &[]);
    c.wait_log("the seeder's library", |l| {
        l.matches("scan complete").count() >= 3 && l.contains("seeder library updated")
    });
    assert_eq!(bytes_hashed(&c.log_text()), 0, "{}", c.log_text());
    let dir = s.tmp.path().join("lt-again");
    let r = libtorrent_leech(&movie.2, &dir, 0);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_same_bytes(&dir, &before);
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched after the restart"
    );
    drop(mount);
}

/// Rewrites one byte in the middle of a file, keeping its size and mtime: bit rot.
fn rot_one_byte(p: &Path) {
    let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(p)
        .unwrap();
    let len = f.metadata().unwrap().len();
    let mut data = Vec::new();
    f.read_to_end(&mut data).unwrap();
    data[len as usize / 2] ^= 0xff;
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0)).unwrap();
    f.write_all(&data).unwrap();
    f.set_modified(mtime).unwrap();
}

fn set_len_keep_mtime(p: &Path, len: u64) {
    let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.set_len(len).unwrap();
    f.set_modified(mtime).unwrap();
}

/// Sends a handshake for `ih`; true when the seeder answers with its own.
pub(crate) fn handshake_answered(port: u16, ih: &str, then: &[u8]) -> bool {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut hs = vec![19u8];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend_from_slice(&[0, 0, 0, 0, 0, 0x10, 0, 0x04]);
    hs.extend_from_slice(&hex::decode(ih).unwrap());
    hs.extend_from_slice(b"-XX0000-hostilepeer1");
    s.write_all(&hs).unwrap();
    let mut answer = [0u8; 68];
    if s.read_exact(&mut answer).is_err() {
        return false;
    }
    s.write_all(then).unwrap();
    true
}

/// Reads until the peer closes; what came before is returned.
fn read_to_close(port: u16, ih: &str, then: &[u8]) -> Option<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut hs = vec![19u8];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend_from_slice(&[0; 8]);
    hs.extend_from_slice(&hex::decode(ih).unwrap());
    hs.extend_from_slice(b"-XX0000-hostilepeer2");
    s.write_all(&hs).unwrap();
    s.write_all(then).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).ok().map(|_| all)
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_missing_resized_and_changed_files_are_never_served_nor_touched() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    // Told to the tracker as a port nobody forwards: the server says so.
    let c = s.start_client(&s.media, &[("ANNOUNCE_PORT", free_port().to_string())]);
    s.wait_seeders(12, &c).await;
    c.wait_log("the reachability warning", |l| {
        l.contains("is not reachable from the server: forward it")
    });
    let torrents = s.torrents().await;
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");

    let file = |name: &str| {
        harness::snapshot(&s.media)
            .into_iter()
            .map(|f| f.0)
            .find(|p| p.to_str().unwrap().contains(name))
            .unwrap()
    };
    let by_name = |name: &str| {
        torrents
            .iter()
            .find(|t| t.0.contains(name))
            .unwrap_or_else(|| panic!("no torrent {name}"))
            .clone()
    };
    let rotten = by_name("Glass Harbor");
    rot_one_byte(&file("Glass Harbor"));
    let missing = by_name("Paper Moons");
    std::fs::remove_file(file("Paper Moons")).unwrap();
    let shorter = by_name("Quiet Orchard");
    let p = file("Quiet Orchard");
    set_len_keep_mtime(&p, std::fs::metadata(&p).unwrap().len() - 1000);
    // One episode of a season pack grows by 1000 bytes.
    let pack = torrents.iter().find(|t| t.1).unwrap().clone();
    let pack_file = harness::snapshot(&s.media)
        .into_iter()
        .map(|f| f.0)
        .find(|p| p.parent().unwrap().file_name().unwrap().to_str() == Some(pack.0.as_str()))
        .or_else(|| {
            harness::snapshot(&s.media)
                .into_iter()
                .map(|f| f.0)
                .find(|p| p.to_str().unwrap().contains(&pack.0))
        })
        .expect("a file of the pack");
    set_len_keep_mtime(
        &pack_file,
        std::fs::metadata(&pack_file).unwrap().len() + 1000,
    );
    // A file rewritten with the same size and a new mtime.
    let p = file("S02E01");
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(f);
    let before = snapshot(&s.media);

    let c = s.start_client(&s.media, &[]);
    c.wait_log("why each torrent is not served", |l| {
        l.contains("is missing")
            && l.matches("changed since it was hashed (size").count() >= 2
            && l.contains("was modified since it was hashed")
    });
    // Not served: the handshake gets no answer. (The touched file is served
    // again once the scan finds its content unchanged.)
    for t in [&missing, &shorter, &pack] {
        assert!(
            !handshake_answered(s.seed_port, &t.3, &[]),
            "{} must not be served",
            t.0
        );
    }
    // A peer breaking the protocol is dropped; the seeder goes on.
    let mut hostile = Vec::new();
    hostile.extend_from_slice(&u32::MAX.to_be_bytes());
    hostile.push(6);
    let answer = read_to_close(s.seed_port, &rotten.3, &hostile).expect("closed, not hung");
    assert!(answer.len() >= 68, "handshake answered before the drop");
    let mut past_end = vec![0, 0, 0, 1, 2, 0, 0, 0, 13, 6];
    past_end.extend_from_slice(&9999u32.to_be_bytes());
    past_end.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x40, 0]);
    read_to_close(s.seed_port, &rotten.3, &past_end).expect("closed, not hung");

    // Bit rot: every piece but the damaged one arrives; no bad byte is sent.
    let r = libtorrent_leech(&rotten.2, &s.tmp.path().join("lt-rot"), 1);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_eq!(r["hash_fails"], 0, "{r}");
    assert_eq!(
        r["pieces"].as_u64().unwrap() + 1,
        r["total"].as_u64().unwrap()
    );
    c.wait_log("the withheld piece", |l| {
        l.contains("does not match its SHA-1") && l.contains("withheld")
    });
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched (bytes, sizes, mtimes)"
    );
    assert!(
        !file_exists_named(&s.media, "Paper Moons"),
        "a missing file is never re-created"
    );
}

fn file_exists_named(root: &Path, name: &str) -> bool {
    harness::snapshot(root)
        .iter()
        .any(|f| f.0.to_str().unwrap().contains(name))
}

/// transmission-cli 3.00 has no "exit when done": `-f` runs a script at
/// completion that ends it. `-et` (encryption tolerated, plaintext first):
/// the seeder speaks plaintext BEP 3 only, not MSE/PE.
fn transmission_leech(torrent: &Path, dir: &Path, config: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::create_dir_all(config).unwrap();
    let done = config.join("done.sh");
    std::fs::write(&done, "#!/bin/sh\nkill $PPID\n").unwrap();
    std::fs::set_permissions(&done, std::fs::Permissions::from_mode(0o755)).unwrap();
    let enc = std::env::var("TR_ENC").unwrap_or_else(|_| "-et".into());
    let mut child = Command::new("transmission-cli")
        .arg(enc)
        .args(["-M", "-D", "-U"])
        .arg("-g")
        .arg(config)
        .arg("-w")
        .arg(dir)
        .arg("-p")
        .arg(free_port().to_string())
        .arg("-f")
        .arg(&done)
        .arg(torrent)
        .stdout(std::fs::File::create(config.join("out")).unwrap())
        .stderr(std::fs::File::create(config.join("log")).unwrap())
        .spawn()
        .unwrap();
    // A hang guard, not a timing assertion: a stuck leecher fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let read = |f: &str| std::fs::read_to_string(config.join(f)).unwrap_or_default();
            let out = read("out");
            let tail: String = out
                .chars()
                .rev()
                .take(600)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            return Err(format!("{}\nstdout tail: {tail}", read("log")));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Fails today (see guides/client.md "Not done yet"): transmission-cli 3.00
/// reports "dl from 0 of 0 peers" for the whole run, so it never learns of
/// the seeder from the tracker; the peer wire is not reached. Run with
/// `cargo test --test it transmission -- --ignored` while fixing it.
#[ignore = "transmission-cli gets no peer from the tracker: not fixed yet"]
#[tokio::test(flavor = "multi_thread")]
async fn transmission_downloads_a_movie_and_a_season_pack() {
    if !have("transmission-cli", &["--version"]) {
        eprintln!("NOTICE: skipping: needs transmission-cli (apt-get install transmission-cli)");
        return;
    }
    let s = swarm().await;
    let before = snapshot(&s.media);
    let c = s.start_client(&s.media, &[]);
    s.wait_seeders(12, &c).await;
    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv") && t.0.contains("(20"))
        .expect("a single-file movie");
    let pack = torrents.iter().find(|t| t.1).expect("a season pack");
    for (i, t) in [movie, pack].into_iter().enumerate() {
        let dir = s.tmp.path().join(format!("tr-{i}"));
        let config = s.tmp.path().join(format!("tr-config-{i}"));
        if let Err(log) = transmission_leech(&t.2, &dir, &config) {
            panic!(
                "transmission-cli did not finish {}:\n{log}\nclient log:\n{}",
                t.0,
                c.log_text()
            );
        }
        let files = assert_same_bytes(&dir, &before);
        assert!(!t.1 || files > 1, "a pack has several files");
    }
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(snapshot(&s.media), before, "media untouched");
}
