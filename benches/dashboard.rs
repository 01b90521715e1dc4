//! Benchmark of the dashboard's torrents page at BENCH_TORRENTS (default
//! 20 000) torrents: filter, sort and cut out one page on the server, then
//! render it with askama — what `GET /dashboard/torrents?…` costs after the
//! sampler's snapshot. Goal: under 50 ms a page.
//!
//! Reference, same run: the straightforward way, every row cloned and fully
//! sorted before the page is cut (what the page would cost without the
//! partial selection), and serialising every row to JSON (what a page that
//! sorts in the browser would have to send, as qBittorrent's `torrents/info`).
//!
//! Run: `cargo bench --bench dashboard` (release build).

use std::time::{Duration, Instant};

use askama::Template;
use privateindexer::client::dashboard::torrents::list_page;
use privateindexer::client::status::{Row, State};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Rows like a member's: mostly library seeds of films, series and albums,
/// some downloads, names of realistic length.
fn rows(n: usize) -> Vec<Row> {
    let kinds = ["Movie", "Series", "Artist"];
    (0..n)
        .map(|i| {
            let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let library = i % 10 != 0;
            let state = match (library, x % 97) {
                (_, 0) => State::Withheld,
                (true, _) => State::Seeding,
                (false, k) if k % 3 == 0 => State::Stopped,
                (false, _) => State::Downloading,
            };
            Row {
                info_hash: format!("{:040x}", x as u128 * 31 + i as u128),
                name: format!(
                    "{} Title {} ({}) - S{:02}E{:02} [Bluray-1080p x264 DTS]-GROUP",
                    kinds[i % 3],
                    x % 5000,
                    1970 + x % 55,
                    x % 12,
                    x % 24
                ),
                category: if library {
                    "privateindexer".into()
                } else {
                    ["radarr", "sonarr", "lidarr"][i % 3].into()
                },
                library,
                size: (x % (40 << 30)) + 1,
                state,
                progress: if library {
                    1.0
                } else {
                    (x % 1000) as f64 / 1000.0
                },
                up_speed: x % 200_000,
                dl_speed: if library { 0 } else { x % 2_000_000 },
                uploaded: x % (100 << 30),
                downloaded: if library { 0 } else { x % (40 << 30) },
                seeds: x % 40,
                peers: x % 7,
                added: 1_700_000_000 + (x % 50_000_000) as i64,
                reason: (state == State::Withheld)
                    .then(|| "1 piece(s) failed their SHA-1 check".to_string()),
                tracker_message: None,
                tracker_error: None,
                announced: true,
            }
        })
        .collect()
}

/// Median and worst of `runs` timings of `f`.
fn time(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, Duration, usize) {
    let mut out = 0;
    for _ in 0..3 {
        out = f();
    }
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            out = std::hint::black_box(f());
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[runs / 2], t[runs - 1], out)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n = env_num("BENCH_TORRENTS", 20_000) as usize;
    let runs = env_num("BENCH_RUNS", 30) as usize;
    let all = rows(n);
    println!("dashboard torrents page, {n} torrents, {runs} runs each (median / worst)");
    let queries = [
        ("default (name, page 1)", ""),
        ("sort by size, descending", "sort=size&dir=desc"),
        ("sort by ratio, page 200", "sort=ratio&page=200"),
        (
            "text + state filter",
            "q=title+1&state=seeding&sort=uploaded&dir=desc",
        ),
        (
            "category filter, by added",
            "category=radarr&sort=added&dir=desc",
        ),
    ];
    for (what, q) in queries {
        let (med, worst, bytes) = time(runs, || {
            list_page(&all, q, "csrf")
                .render()
                .map(|s| s.len())
                .unwrap_or(0)
        });
        println!(
            "  ours       {what:<28} {:>10} / {:>10}  ({bytes} bytes of HTML)",
            ms(med),
            ms(worst)
        );
    }
    let (med, worst, _) = time(runs, || {
        let mut v: Vec<Row> = all.clone();
        v.sort_by_key(|r| std::cmp::Reverse(r.size));
        let page: Vec<Row> = v.into_iter().take(50).collect();
        page.len()
    });
    println!(
        "  reference  clone + full sort by size (no render) {:>10} / {:>10}",
        ms(med),
        ms(worst)
    );
    let (med, worst, bytes) = time(runs, || {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|r| {
                serde_json::json!({
                    "hash": r.info_hash, "name": r.name, "category": r.category,
                    "size": r.size, "state": r.state.word(), "progress": r.progress,
                    "upspeed": r.up_speed, "dlspeed": r.dl_speed, "uploaded": r.uploaded,
                    "ratio": r.ratio(), "num_seeds": r.seeds, "num_leechs": r.peers,
                    "added_on": r.added,
                })
            })
            .collect();
        serde_json::to_string(&v).map(|s| s.len()).unwrap_or(0)
    });
    println!(
        "  reference  every row as JSON (torrents/info style) {:>10} / {:>10}  ({bytes} bytes)",
        ms(med),
        ms(worst)
    );
}
