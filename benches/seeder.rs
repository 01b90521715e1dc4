//! Benchmark of the client's library seeder, against a real server (tracker)
//! and a fake Radarr over a synthetic library.
//!
//! 1. Scale: for each size in BENCH_SEED_SIZES (default `10000,20000`) small
//!    movie files of BENCH_FILE_SIZE bytes (default 1 KiB) are shared with
//!    `client --once`, then a seeding client is started: time from start to
//!    every torrent counted as a seeder by the tracker, RSS, descriptors held,
//!    CPU over BENCH_IDLE_SECS (default 60) of idle, and the clean shutdown
//!    (`stopped` for every torrent).
//! 2. Upload: one BENCH_UPLOAD_MIB (default 1024) MiB movie downloaded by a
//!    python3-libtorrent leecher on loopback from our seeder, then from a
//!    python3-libtorrent seeder of the same file (the reference: libtorrent's
//!    high_performance_seed settings, TCP only; see benches/lt_seed.py), in
//!    BENCH_UPLOAD_ROUNDS (default 3) alternating rounds; the median is reported
//!    with the seeder's CPU seconds per GiB sent (utime + stime of the seeding
//!    process over the download, `/proc/PID/stat`; libtorrent's threads run in
//!    the reference's python process) and the leecher's CPU seconds.
//!    BENCH_BASELINE_BIN adds an older `privateindexer` build's seeder to each
//!    round.
//!
//! Run: `cargo bench --bench seeder` (release build; needs python3-libtorrent).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{client, procstat, server, synthetic};

const PYTHON: &str = "/usr/bin/python3";
const KEY: &str = "bench0123456789abcdef0123456789ab";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Swarm {
    server: server::Server,
    alice: server::Keys,
    bob: server::Keys,
}

async fn swarm(dir: &Path) -> Swarm {
    let port = server::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let server = server::Server::start_with(
        &dir.join("server"),
        &[
            ("BIND", bind.as_str()),
            ("EXTERNAL_SERVER_URL", base.as_str()),
            ("MIN_ANNOUNCE_INTERVAL", "1"),
        ],
    );
    let alice = server::add_member(&server, "alice").await;
    let bob = server::add_member(&server, "bob").await;
    Swarm { server, alice, bob }
}

fn client_cmd(s: &Swarm, bin: &Path, data: &Path, radarr: &str, media: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("client")
        .env_clear()
        .env("INDEXER_API_URL", s.server.url(""))
        .env("API_KEY", &s.alice.api_key)
        .env("CLIENT_DATA_DIR", data)
        .env("RADARR_URL", radarr)
        .env("RADARR_API_KEY", KEY)
        .env("PATH_MAPPINGS", format!("/media={}", media.display()))
        .env("TORRENTING_PORT", server::free_port().to_string())
        .env("NO_WATCH", "true")
        .env("SCAN_INTERVAL", "24h")
        .env("LOG_LEVEL", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Shares the library with `client --once` (not measured).
fn share(s: &Swarm, data: &Path, radarr: &str, media: &Path) {
    let out = client_cmd(s, Path::new(server::bin()), data, radarr, media)
        .arg("--once")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "client --once failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts a seeding client; its log is drained (and kept) by a thread.
fn seed(
    s: &Swarm,
    bin: &Path,
    data: &Path,
    radarr: &str,
    media: &Path,
) -> (Child, std::sync::Arc<std::sync::Mutex<String>>) {
    let mut child = client_cmd(s, bin, data, radarr, media).spawn().unwrap();
    let err = child.stderr.take().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let l2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut g = l2.lock().unwrap();
            g.push_str(&line);
            g.push('\n');
        }
    });
    (child, log)
}

async fn wait_seeders(s: &Swarm, n: u64, log: &std::sync::Mutex<String>) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let st = server::admin_stats(&s.server).await;
        if st["seeders"].as_u64() == Some(n) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{st}; log:\n{}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Seconds from SIGTERM to exit.
fn stop_timed(child: &mut Child) -> f64 {
    let t = Instant::now();
    server::sigterm_and_wait(child, "client");
    t.elapsed().as_secs_f64()
}

async fn scale(n: u64, size: u64, idle: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    eprintln!("scale: laying out and sharing {n} files of {size} bytes…");
    let radarr = synthetic::synthetic_radarr(&media, n, size, KEY);
    let s = swarm(tmp.path()).await;
    let data = tmp.path().join("client");
    share(&s, &data, &radarr.url(), &media);

    let t0 = Instant::now();
    let (mut child, log) = seed(&s, Path::new(server::bin()), &data, &radarr.url(), &media);
    wait_seeders(&s, n, &log).await;
    let announced = t0.elapsed().as_secs_f64();
    let pid = child.id();
    // Let the start-up scan finish before the idle window.
    let deadline = Instant::now() + Duration::from_secs(600);
    while !log.lock().unwrap().contains("scan complete") {
        assert!(Instant::now() < deadline, "no scan");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu0 = procstat::cpu_secs(pid);
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let idle_cpu = procstat::cpu_secs(pid) - cpu0;
    let rss = procstat::status_kib(pid, "VmRSS:");
    let hwm = procstat::status_kib(pid, "VmHWM:");
    let held = fds(pid);
    let stop = stop_timed(&mut child);
    let text = log.lock().unwrap().clone();
    let stopped = text
        .lines()
        .find(|l| l.contains("event=stopped sent for"))
        .map(|l| l.split("seeder stopped: ").nth(1).unwrap_or(l).to_string())
        .unwrap_or_else(|| "no stopped line".into());
    println!(
        "| {n} | {announced:.2} s | {:.1} MiB (peak {:.1}) | {:.3}% of a core ({idle_cpu:.2} s CPU in {idle} s) | {held} | {stop:.2} s: {stopped} |",
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        idle_cpu / idle as f64 * 100.0,
    );
}

/// One download by the python3-libtorrent leecher: seconds to its last piece
/// and the CPU seconds the leecher itself used.
fn leech(torrent: &Path, dir: &Path) -> (f64, f64) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/seeder_leech.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .arg(torrent)
        .arg(dir)
        .env("LEECH_DEADLINE", "1800")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "leecher failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["failed_bytes"], 0, "{r}");
    let _ = std::fs::remove_dir_all(dir);
    (
        r["seconds"].as_f64().unwrap(),
        r["cpu_seconds"].as_f64().unwrap_or(0.0),
    )
}

async fn bob_torrent(s: &Swarm, dir: &Path) -> PathBuf {
    let ih = client::server_hashes(&s.server, &s.alice.api_key).await[0].clone();
    let bytes = server::api_get(
        &s.server,
        &format!("/api/v1/torrents/{ih}/download"),
        &s.bob.api_key,
    )
    .await
    .bytes()
    .await
    .unwrap();
    let p = dir.join("bob.torrent");
    std::fs::write(&p, &bytes).unwrap();
    p
}

/// One timed download: seconds, the seeder's CPU seconds, the leecher's.
#[derive(Clone, Copy)]
struct Run {
    secs: f64,
    seeder_cpu: f64,
    leecher_cpu: f64,
}

/// The leecher's download from a seeder already running as `pid`.
fn timed_leech(pid: u32, torrent: &Path, dir: &Path) -> Run {
    let cpu0 = procstat::cpu_secs(pid);
    let (secs, leecher_cpu) = leech(torrent, dir);
    Run {
        secs,
        seeder_cpu: procstat::cpu_secs(pid) - cpu0,
        leecher_cpu,
    }
}

/// The reference: python3-libtorrent seeding the same file.
fn reference_run(torrent: &Path, movie_dir: &Path, dir: &Path) -> Run {
    let mut reference = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/lt_seed.py"))
        .arg(torrent)
        .arg(movie_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(reference.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "seeding", "reference seeder did not start");
    let run = timed_leech(reference.id(), torrent, dir);
    server::sigterm_and_wait(&mut reference, "reference seeder");
    run
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// BENCH_UPLOAD_ROUNDS rounds, each: our seeder, the BENCH_BASELINE_BIN build's
/// seeder if set (an older `privateindexer`, for before/after in one run), then
/// the reference; the seeders alternate so load from outside hits them alike.
async fn upload(mib: u64, rounds: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    eprintln!("upload: writing and sharing a {mib} MiB movie…");
    let radarr = synthetic::synthetic_radarr(&media, 1, mib << 20, KEY);
    let s = swarm(tmp.path()).await;
    let data = tmp.path().join("client");
    share(&s, &data, &radarr.url(), &media);
    let torrent = bob_torrent(&s, tmp.path()).await;
    let movie_dir = std::fs::read_dir(media.join("movies"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    let mut seeders: Vec<(String, PathBuf)> =
        vec![("ours (privateindexer client)".into(), server::bin().into())];
    if let Some(b) = std::env::var_os("BENCH_BASELINE_BIN") {
        let b = PathBuf::from(b);
        seeders.push((format!("baseline ({})", b.display()), b));
    }
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); seeders.len() + 1];
    for round in 0..rounds {
        for (i, (_, bin)) in seeders.iter().enumerate() {
            let (mut child, log) = seed(&s, bin, &data, &radarr.url(), &media);
            wait_seeders(&s, 1, &log).await;
            let dir = tmp.path().join(format!("leech-{i}"));
            runs[i].push(timed_leech(child.id(), &torrent, &dir));
            stop_timed(&mut child);
        }
        let dir = tmp.path().join("leech-ref");
        runs[seeders.len()].push(reference_run(&torrent, &movie_dir, &dir));
        // Its `stopped` counted: the next round's seeder is the only one named.
        wait_seeders(&s, 0, &Default::default()).await;
        let secs: Vec<String> = runs
            .iter()
            .map(|r| format!("{:.2} s", r[round as usize].secs))
            .collect();
        eprintln!("round {}: {}", round + 1, secs.join(", "));
    }

    let names = seeders
        .into_iter()
        .map(|(n, _)| n)
        .chain(["python3-libtorrent seeder (high_performance_seed, TCP)".to_string()]);
    let bytes = mib << 20;
    let per_gib = |r: &[Run]| {
        median(
            r.iter()
                .map(|r| procstat::per_gib(r.seeder_cpu, bytes))
                .collect(),
        )
    };
    let reference = &runs[runs.len() - 1];
    let (ref_secs, ref_cpu) = (
        median(reference.iter().map(|r| r.secs).collect()),
        per_gib(reference),
    );
    for (name, r) in names.zip(&runs) {
        let secs = median(r.iter().map(|r| r.secs).collect());
        let each: Vec<String> = r.iter().map(|r| format!("{:.2}", r.secs)).collect();
        let cpu = per_gib(r);
        println!(
            "| {name} | {secs:.2} s ({}) | {:.0} MiB/s | {:.2}x | {cpu:.2} s/GiB | {:.2}x | {:.2} s |",
            each.join(", "),
            mib as f64 / secs,
            ref_secs / secs,
            cpu / ref_cpu,
            median(r.iter().map(|r| r.leecher_cpu).collect()),
        );
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sizes: Vec<u64> = std::env::var("BENCH_SEED_SIZES")
        .unwrap_or_else(|_| "10000,20000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let size = env_num("BENCH_FILE_SIZE", 1024);
    let idle = env_num("BENCH_IDLE_SECS", 60);
    let mib = env_num("BENCH_UPLOAD_MIB", 1024);
    let rounds = env_num("BENCH_UPLOAD_ROUNDS", 3).max(1);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("seeder bench, {cores} cores");
    if !sizes.is_empty() {
        println!("| torrents | start to all announced | RSS idle | CPU idle | fds held | SIGTERM to exit |");
        println!("|---|---|---|---|---|---|");
        for n in sizes {
            scale(n, size, idle).await;
        }
    }
    if mib > 0 {
        println!(
            "| {mib} MiB to a python3-libtorrent leecher | median time (each of {rounds} rounds) | rate | speed vs reference | seeder CPU per GiB sent | CPU vs reference | leecher CPU |"
        );
        println!("|---|---|---|---|---|---|---|");
        upload(mib, rounds).await;
    }
}
