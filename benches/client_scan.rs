//! Benchmark: `privateindexer client --once` over a synthetic Radarr library of
//! BENCH_FILES movie files (default 10,000) of BENCH_FILE_SIZE bytes (default
//! 16 KiB), against a fake Radarr and a real server: first scan (hash + upload
//! everything) and re-scan (nothing changed). Prints wall time, bytes hashed and
//! the client's peak RSS (from GNU time). Run: `cargo bench --bench client_scan`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use testkit::{server, synthetic};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Run {
    wall: f64,
    scan_secs: f64,
    bytes_hashed: u64,
    created: u64,
    max_rss_kib: u64,
}

fn field(line: &str, name: &str) -> u64 {
    line.split(&format!("{name}="))
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Seconds from the log's first line to its "scan complete" line.
fn scan_secs(log: &str) -> f64 {
    let ts = |l: &str| -> Option<f64> {
        // 2026-11-25T13:48:12.468997Z → seconds of the day.
        let t = l
            .split_whitespace()
            .next()?
            .split('T')
            .nth(1)?
            .trim_end_matches('Z');
        let mut p = t.split(':');
        let h: f64 = p.next()?.parse().ok()?;
        let m: f64 = p.next()?.parse().ok()?;
        let s: f64 = p.next()?.parse().ok()?;
        Some(h * 3600.0 + m * 60.0 + s)
    };
    let first = log.lines().find_map(ts);
    let done = log
        .lines()
        .filter(|l| l.contains("scan complete"))
        .find_map(ts);
    match (first, done) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    }
}

fn run_client(server: &str, key: &str, data: &Path, radarr: &str, media: &Path) -> Run {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "MAXRSS_KIB=%M"])
        .arg(server::bin())
        .args(["client", "--once"])
        .env("INDEXER_API_URL", server)
        .env("API_KEY", key)
        .env("CLIENT_DATA_DIR", data)
        .env("RADARR_URL", radarr)
        .env("RADARR_API_KEY", fake_arr_key())
        .env("PATH_MAPPINGS", format!("/media={}", media.display()))
        .env("LOG_LEVEL", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run /usr/bin/time (GNU time) and the client");
    let wall = start.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "client failed:\n{log}");
    let scan = log
        .lines()
        .find(|l| l.contains("scan complete"))
        .unwrap_or_default();
    Run {
        wall,
        scan_secs: scan_secs(&log),
        bytes_hashed: field(scan, "bytes_hashed"),
        created: field(scan, "created"),
        max_rss_kib: log
            .lines()
            .find_map(|l| l.strip_prefix("MAXRSS_KIB="))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    }
}

fn fake_arr_key() -> &'static str {
    "bench0123456789abcdef0123456789ab"
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let n = env_num("BENCH_FILES", 10_000);
    let size = env_num("BENCH_FILE_SIZE", 16 * 1024);
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    eprintln!("laying out {n} files of {size} bytes…");
    let radarr = synthetic::synthetic_radarr(&media, n, size, fake_arr_key());

    let server_dir = tmp.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    let server = server::Server::start(&server_dir);
    let member = server::add_member(&server, "bench").await;
    let data = tmp.path().join("client");

    let first = run_client(
        &server.url(""),
        &member.api_key,
        &data,
        &radarr.url(),
        &media,
    );
    let again = run_client(
        &server.url(""),
        &member.api_key,
        &data,
        &radarr.url(),
        &media,
    );
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("client_scan: {n} files x {size} bytes, {cores} cores");
    println!("| run | wall (scan + upload) | scan only | bytes hashed | torrents made | client peak RSS |");
    println!("|---|---|---|---|---|---|");
    for (name, r) in [("first scan", &first), ("re-scan (unchanged)", &again)] {
        println!(
            "| {name} | {:.2} s | {:.2} s | {} | {} | {:.1} MiB |",
            r.wall,
            r.scan_secs,
            r.bytes_hashed,
            r.created,
            r.max_rss_kib as f64 / 1024.0
        );
    }
    assert_eq!(again.bytes_hashed, 0, "a re-scan must hash nothing");
}
