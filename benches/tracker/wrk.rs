//! One wrk run of the announce mix (benches/announce.lua) against a tracker,
//! and the median of several.

use std::path::Path;
use std::process::Command;

use crate::procs::{children_cpu_secs, cpu_secs, env_num};

#[derive(Debug, Clone, Copy, Default)]
pub struct Run {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub failures: u64,
    /// The tracker process's CPU time per answered announce.
    pub cpu_us: f64,
    /// wrk's CPU time per answered announce.
    pub wrk_cpu_us: f64,
    /// CPU time per answered announce of the process the tracker relies on
    /// (its redis-server), 0 without one.
    pub side_cpu_us: f64,
}

/// One wrk run against `port`; `pid` is the tracker process whose CPU time is measured,
/// `side` the process it relies on (its redis-server), measured apart.
pub fn wrk(dir: &Path, port: u16, pid: u32, side: Option<u32>, close: bool, secs: u64) -> Run {
    let side_cpu = || side.map_or(0.0, cpu_secs);
    let side_before = side_cpu();
    let cpu_before = cpu_secs(pid);
    let wrk_before = children_cpu_secs();
    let threads = env_num("BENCH_THREADS", 1);
    let conns = env_num("BENCH_CONNS", 64);
    let out = Command::new("wrk")
        .args([
            &format!("-t{threads}"),
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(dir.join("announce.lua"))
        .arg(format!("http://127.0.0.1:{port}"))
        .env("BENCH_DATA", dir.join("bench-data.lua"))
        .env("BENCH_CLOSE", if close { "1" } else { "0" })
        .env("BENCH_PEERS", env_num("BENCH_PEERS", 20_000).to_string())
        .output()
        .expect("run wrk");
    let cpu = cpu_secs(pid) - cpu_before;
    let side_cpu = side_cpu() - side_before;
    let wrk_cpu = children_cpu_secs() - wrk_before;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("RESULT"))
        .unwrap_or_else(|| panic!("wrk said: {text}{}", String::from_utf8_lossy(&out.stderr)));
    let get = |k: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Run {
        rps: get("requests") as f64 / (get("duration_us") as f64 / 1e6),
        cpu_us: cpu * 1e6 / get("requests").max(1) as f64,
        wrk_cpu_us: wrk_cpu * 1e6 / get("requests").max(1) as f64,
        side_cpu_us: side_cpu * 1e6 / get("requests").max(1) as f64,
        p50_ms: get("p50_us") as f64 / 1e3,
        p99_ms: get("p99_us") as f64 / 1e3,
        errors: get("errors") + get("non2xx"),
        failures: get("failures"),
    }
}

pub fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let mut m = runs[runs.len() / 2];
    m.errors = runs.iter().map(|r| r.errors).sum();
    m.failures = runs.iter().map(|r| r.failures).sum();
    m
}
