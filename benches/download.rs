//! Benchmark of the client's downloads: one BENCH_DOWNLOAD_MIB (default 1024)
//! MiB movie shared by alice's client (its library seeder) and downloaded by
//! bob's client (librqbit, added through its qBittorrent API as the *arr apps
//! do) on loopback, against two python3-libtorrent sessions moving the same
//! file (benches/lt_seed.py seeding, tests/it/seeder_leech.py leeching) in
//! the same run, through the same tracker. Time from the add to the last
//! verified piece (`torrents/info`: a completed state, progress 1 and every
//! byte completed), MiB/s, and the CPU seconds of both ends; both downloads
//! are compared byte for byte with the movie afterwards.
//!
//! Run: `cargo bench --bench download` (release build; needs python3-libtorrent).
//! A quick run: `BENCH_DOWNLOAD_MIB=64 cargo bench --bench download`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{client, procstat, server, synthetic};

use client::RunningClient;

const PYTHON: &str = "/usr/bin/python3";
const KEY: &str = "bench0123456789abcdef0123456789ab";
const USER: &str = "bench";
const PASSWORD: &str = "bench password";

/// The one file under `dir` (a single-file torrent's download).
fn only_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = walk(dir);
    assert_eq!(
        files.len(),
        1,
        "one file under {}: {files:?}",
        dir.display()
    );
    files.remove(0)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether two files hold the same bytes, read in 1 MiB blocks (1 GiB twice
/// would not fit beside the build in memory).
fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if fb.read_exact(&mut bb[..n]).is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// Waits for a child and returns its CPU seconds (user + system), from wait4.
fn wait_cpu(child: &mut std::process::Child) -> (i32, f64) {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter for wait4.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; both pointers are valid for the call.
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (status, secs(ru.ru_utime) + secs(ru.ru_stime))
}

struct Run {
    secs: f64,
    seeder_cpu: f64,
    leecher_cpu: f64,
}

async fn wait_seeders(s: &server::Server, n: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if server::admin_stats(s).await["seeders"].as_u64() >= Some(n) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} never seeded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Alice's client (which shared the movie already) seeds, bob's client downloads.
async fn ours(
    s: &server::Server,
    keys: (&server::Keys, &server::Keys),
    tmp: &Path,
    media: &Path,
    radarr: &str,
    torrent: &[u8],
    size: u64,
) -> Run {
    let alice_env: Vec<(String, String)> = vec![
        ("RADARR_URL".into(), radarr.into()),
        ("RADARR_API_KEY".into(), KEY.into()),
        (
            "PATH_MAPPINGS".into(),
            format!("/media={}", media.display()),
        ),
        ("NO_WATCH".into(), "true".into()),
        ("SCAN_INTERVAL".into(), "24h".into()),
    ];
    let alice_dir = tmp.join("alice");
    let alice = RunningClient::start(&s.url(""), &keys.0.api_key, &alice_dir, &alice_env);
    wait_seeders(s, 1, "alice's client").await;

    std::fs::create_dir_all(tmp.join("bob-media")).unwrap();
    let port = server::free_port();
    let bob_env: Vec<(String, String)> = vec![
        ("CLIENT_BIND".into(), format!("127.0.0.1:{port}")),
        // The client wants an *arr app; bob's library folder is empty.
        ("RADARR_URL".into(), radarr.into()),
        ("RADARR_API_KEY".into(), KEY.into()),
        (
            "PATH_MAPPINGS".into(),
            format!("/media={}", tmp.join("bob-media").display()),
        ),
        (
            "DOWNLOADS_DIR".into(),
            tmp.join("bob-downloads").display().to_string(),
        ),
        ("API_USERNAME".into(), USER.into()),
        ("API_PASSWORD".into(), PASSWORD.into()),
        ("NO_WATCH".into(), "true".into()),
    ];
    let bob = RunningClient::start(&s.url(""), &keys.1.api_key, &tmp.join("bob"), &bob_env);
    bob.wait_log("bob's qBittorrent API", |l| {
        l.contains("qBittorrent API listening")
    });
    let api = |p: &str| format!("http://127.0.0.1:{port}/api/v2/{p}");
    let http = server::client();
    let resp = http
        .post(api("auth/login"))
        .form(&[("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let sid = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let (alice_pid, bob_pid) = (
        alice.child.as_ref().unwrap().id(),
        bob.child.as_ref().unwrap().id(),
    );
    let (a0, b0) = (procstat::cpu_secs(alice_pid), procstat::cpu_secs(bob_pid));
    let t0 = Instant::now();
    let form = reqwest::multipart::Form::new()
        .part(
            "torrents",
            reqwest::multipart::Part::bytes(torrent.to_vec()).file_name("bob.torrent"),
        )
        .text("category", "radarr");
    let answer = http
        .post(api("torrents/add"))
        .header("Cookie", &sid)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer, "Ok.", "{}", bob.log_text());
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let list: serde_json::Value = http
            .post(api("torrents/info"))
            .header("Cookie", &sid)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let done = list.as_array().unwrap().iter().any(|t| {
            t["category"] == "radarr"
                && t["completed"].as_u64() == Some(size)
                && t["progress"] == 1.0
                && ["uploading", "stalledUP", "stoppedUP"]
                    .contains(&t["state"].as_str().unwrap_or(""))
        });
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "bob never finished: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run = Run {
        secs: t0.elapsed().as_secs_f64(),
        seeder_cpu: procstat::cpu_secs(alice_pid) - a0,
        leecher_cpu: procstat::cpu_secs(bob_pid) - b0,
    };
    let (st, log) = bob.stop();
    assert!(st.success(), "{log}");
    let (st, log) = alice.stop();
    assert!(st.success(), "{log}");
    run
}

/// python3-libtorrent at both ends.
fn reference(torrent: &Path, movie_dir: &Path, tmp: &Path) -> Run {
    let mut seeder = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/lt_seed.py"))
        .arg(torrent)
        .arg(movie_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(seeder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "seeding", "reference seeder did not start");
    let s0 = procstat::cpu_secs(seeder.id());
    let mut leecher = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/seeder_leech.py"))
        .arg(torrent)
        .arg(tmp.join("lt-leech"))
        .env("LEECH_DEADLINE", "1800")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    BufReader::new(leecher.stdout.take().unwrap())
        .read_line(&mut out)
        .unwrap();
    let seeder_cpu = procstat::cpu_secs(seeder.id()) - s0;
    let (status, leecher_cpu) = wait_cpu(&mut leecher);
    assert_eq!(status, 0, "reference leecher failed");
    let _ = seeder.kill();
    let _ = seeder.wait();
    let r: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(r["failed_bytes"], 0, "{r}");
    Run {
        secs: r["seconds"].as_f64().unwrap(),
        seeder_cpu,
        leecher_cpu,
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mib: u64 = std::env::var("BENCH_DOWNLOAD_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let size = mib << 20;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    eprintln!("download: writing a {mib} MiB movie…");
    let radarr = synthetic::synthetic_radarr(&media, 1, size, KEY);
    let port = server::free_port();
    let (base, bind) = (
        format!("http://127.0.0.1:{port}"),
        format!("127.0.0.1:{port}"),
    );
    let s = server::Server::start_with(
        &tmp.path().join("server"),
        &[
            ("BIND", bind.as_str()),
            ("EXTERNAL_SERVER_URL", base.as_str()),
            ("MIN_ANNOUNCE_INTERVAL", "1"),
        ],
    );
    let alice = server::add_member(&s, "alice").await;
    let bob = server::add_member(&s, "bob").await;
    let carol = server::add_member(&s, "carol").await;

    // Alice shares it first: the .torrent is the one her client made.
    let run_ours = {
        let env: Vec<(String, String)> = vec![
            ("RADARR_URL".into(), radarr.url()),
            ("RADARR_API_KEY".into(), KEY.into()),
            (
                "PATH_MAPPINGS".into(),
                format!("/media={}", media.display()),
            ),
        ];
        let (st, log) =
            client::run_once(&s.url(""), &alice.api_key, &tmp.path().join("alice"), &env);
        assert!(st.success(), "{log}");
        let ih = client::server_hashes(&s, &alice.api_key).await[0].clone();
        let fetch = |key: String| {
            let s = &s;
            let ih = ih.clone();
            async move {
                server::api_get(s, &format!("/api/v1/torrents/{ih}/download"), &key)
                    .await
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec()
            }
        };
        let bob_torrent = fetch(bob.api_key.clone()).await;
        let carol_torrent: PathBuf = tmp.path().join("carol.torrent");
        std::fs::write(&carol_torrent, fetch(carol.api_key.clone()).await).unwrap();
        let ours_done = ours(
            &s,
            (&alice, &bob),
            tmp.path(),
            &media,
            &radarr.url(),
            &bob_torrent,
            size,
        )
        .await;
        let movie_dir = std::fs::read_dir(media.join("movies"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let theirs = reference(&carol_torrent, &movie_dir, tmp.path());
        // Both ends moved the movie byte for byte.
        let movie = only_file(&movie_dir);
        for got in [
            only_file(&tmp.path().join("bob-downloads/radarr")),
            only_file(&tmp.path().join("lt-leech")),
        ] {
            assert!(same_bytes(&movie, &got), "{} differs", got.display());
        }
        (ours_done, theirs)
    };
    let (ours, theirs) = run_ours;
    println!("download bench, {mib} MiB on loopback, {cores} cores");
    println!("| pair | time | rate | CPU seeder | CPU leecher | vs reference |");
    println!("|---|---|---|---|---|---|");
    let rate = |secs: f64| mib as f64 / secs;
    println!(
        "| alice's client → bob's client (librqbit) | {:.2} s | {:.0} MiB/s | {:.2} s | {:.2} s | {:.2}x |",
        ours.secs,
        rate(ours.secs),
        ours.seeder_cpu,
        ours.leecher_cpu,
        theirs.secs / ours.secs
    );
    println!(
        "| python3-libtorrent → python3-libtorrent | {:.2} s | {:.0} MiB/s | {:.2} s | {:.2} s | 1.00x |",
        theirs.secs,
        rate(theirs.secs),
        theirs.seeder_cpu,
        theirs.leecher_cpu
    );
}
