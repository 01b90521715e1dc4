//! Torznab search benchmark: fills a store with synthetic torrents of realistic
//! names, starts the real server binary over it, and measures start-up time,
//! memory, and HTTP latency of q-searches, id-searches and RSS; then runs the
//! same kinds of query against the reference system's naive baseline (an
//! SQLite table searched with `LIKE '%word%'`) through the `sqlite3` CLI.
//!
//! cargo bench --bench torznab -- [--torrents 1000000] [--queries 300] [--sqlite sqlite3]
//!
//! Results are printed as a Markdown table (see guides/bench-torznab.md).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

mod sqlite;

use privateindexer::store::{RedbStore, TorrentRecord};
use testkit::procstat;

use sqlite::{run_sqlite, sqlite_version};
use testkit::catalog::{catalog, fill_store, record, Rng, COMMON};

const ADMIN_PASSWORD: &str = "bench admin password";

struct Args {
    torrents: usize,
    queries: usize,
    sqlite: String,
}

fn args() -> Args {
    let mut a = Args {
        torrents: 1_000_000,
        queries: 300,
        sqlite: "sqlite3".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--torrents" => {
                a.torrents = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.torrents)
            }
            "--queries" => a.queries = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.queries),
            "--sqlite" => a.sqlite = it.next().unwrap_or(a.sqlite),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

struct Row {
    class: &'static str,
    example: String,
    queries: Vec<String>,
    /// The index alone, in-process (µs), sorted.
    index_only: Vec<f64>,
    ours: Vec<f64>,
    totals: Vec<usize>,
    baseline: Vec<f64>,
}

fn main() {
    let args = args();
    let n = args.torrents;
    let load_before = loadavg();
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let started = Instant::now();
    let cat = catalog(&mut rng, n);
    let base_time = 1_600_000_000;
    let records: Vec<TorrentRecord> = (0..n)
        .map(|i| record(&mut rng, &cat, i, base_time))
        .collect();
    eprintln!("generated {n} records in {:.1?}", started.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    fill_store(dir.path(), &records);
    eprintln!("filled the store in {:.1?}", t.elapsed());

    // --- our server
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_privateindexer"))
        .arg("server")
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", dir.path())
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("LOG_LEVEL", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut addr = None;
    let mut index_line = String::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if line.contains("search index:") {
            index_line = line.clone();
        }
        if let Some(rest) = line.split("listening on http://").nth(1) {
            addr = rest.split_whitespace().next().map(str::to_string);
            break;
        }
    }
    let startup = t.elapsed();
    std::thread::spawn(move || for _ in lines {});
    let addr = addr.expect("server did not start");
    let pid = child.id();
    eprintln!("server up in {startup:.2?}: {index_line}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let key: String = rt.block_on(async {
        let v: serde_json::Value = http
            .post(format!("{base}/admin/api/users"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .json(&serde_json::json!({"label": "bench"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["api_key"].as_str().unwrap().to_string()
    });

    // --- queries: (class, torznab query, SQL of the naive baseline)
    let mut qrng = Rng(0xBEEF_0000_0000_0042);
    let word_of = |r: &TorrentRecord, rng: &mut Rng| -> Vec<String> {
        privateindexer::torznab::normalize::words(r.title())
            .into_iter()
            .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
            .take(1 + rng.below(3) as usize)
            .collect()
    };
    type Gen<'a> = Box<dyn FnMut(&mut Rng) -> (String, String) + 'a>;
    let like = |words: &[String]| -> String {
        words
            .iter()
            .map(|w| format!("name LIKE '%{}%'", w.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let sel = "SELECT info_hash, name, size, added FROM torrents";
    let classes: Vec<(&'static str, Gen)> = vec![
        (
            "q: 1–3 words of a stored title",
            Box::new(|rng: &mut Rng| {
                let r = &records[rng.below(n as u64) as usize];
                let w = word_of(r, rng);
                (
                    format!("t=search&q={}", w.join("+")),
                    format!("{sel} WHERE {} ORDER BY added DESC LIMIT 100;", like(&w)),
                )
            }),
        ),
        (
            "q: common word + resolution",
            Box::new(|rng: &mut Rng| {
                let w = vec![
                    COMMON[rng.below(8) as usize].to_lowercase(),
                    ["720p", "1080p", "2160p"][rng.below(3) as usize].to_string(),
                ];
                (
                    format!("t=search&q={}", w.join("+")),
                    format!("{sel} WHERE {} ORDER BY added DESC LIMIT 100;", like(&w)),
                )
            }),
        ),
        (
            "q: no match",
            Box::new(|rng: &mut Rng| {
                let w = vec![format!("zz{}qx", rng.below(1_000_000))];
                (
                    format!("t=search&q={}", w.join("+")),
                    format!("{sel} WHERE {} ORDER BY added DESC LIMIT 100;", like(&w)),
                )
            }),
        ),
        (
            "movie: imdbid",
            Box::new(|rng: &mut Rng| {
                let (_, imdb, _) = &cat.movies[rng.skewed(cat.movies.len() as u64) as usize];
                (
                    format!("t=movie&imdbid=tt{imdb:07}"),
                    format!("{sel} WHERE imdb_id = {imdb} ORDER BY added DESC LIMIT 100;"),
                )
            }),
        ),
        (
            "tv: tvdbid + season",
            Box::new(|rng: &mut Rng| {
                let (_, tvdb, _) = &cat.shows[rng.skewed(cat.shows.len() as u64) as usize];
                let s = 1 + rng.below(5);
                (
                    format!("t=tvsearch&tvdbid={tvdb}&season={s}&cat=5000"),
                    format!(
                        "{sel} WHERE tvdb_id = {tvdb} AND season = {s} ORDER BY added DESC LIMIT 100;"
                    ),
                )
            }),
        ),
        (
            "tv: q + season + ep",
            Box::new(|rng: &mut Rng| {
                let (show, _, _) = &cat.shows[rng.skewed(cat.shows.len() as u64) as usize];
                let w = privateindexer::torznab::normalize::words(show);
                let (s, e) = (1 + rng.below(5), 1 + rng.below(10));
                (
                    format!("t=tvsearch&q={}&season={s}&ep={e}", w.join("+")),
                    format!(
                        "{sel} WHERE {} AND season = {s} AND episode = {e} ORDER BY added DESC LIMIT 100;",
                        like(&w)
                    ),
                )
            }),
        ),
        (
            "music: artist + album",
            Box::new(|rng: &mut Rng| {
                let (artist, albums) = &cat.artists[rng.below(cat.artists.len() as u64) as usize];
                let album = &albums[rng.below(albums.len() as u64) as usize];
                (
                    format!("t=music&artist={artist}&album={}", album.replace(' ', "+")),
                    format!(
                        "{sel} WHERE artist LIKE '%{artist}%' AND album LIKE '%{album}%' ORDER BY added DESC LIMIT 100;"
                    ),
                )
            }),
        ),
        (
            "RSS: Prowlarr test (no q, no cat)",
            Box::new(|_: &mut Rng| {
                (
                    "t=search&extended=1".to_string(),
                    format!("{sel} ORDER BY added DESC LIMIT 100;"),
                )
            }),
        ),
        (
            "RSS: Sonarr test (cat=5030,5040)",
            Box::new(|_: &mut Rng| {
                (
                    "t=tvsearch&cat=5030,5040&extended=1&offset=0&limit=100".to_string(),
                    format!("{sel} WHERE category IN (5030, 5040) ORDER BY added DESC LIMIT 100;"),
                )
            }),
        ),
        (
            "RSS: Lidarr test (cat=3000), page 5",
            Box::new(|_: &mut Rng| {
                (
                    "t=music&cat=3000&offset=400&limit=100".to_string(),
                    format!(
                        "{sel} WHERE category BETWEEN 3000 AND 3999 ORDER BY added DESC LIMIT 100 OFFSET 400;"
                    ),
                )
            }),
        ),
    ];

    let mut rows = Vec::new();
    let mut baseline_sql: Vec<Vec<String>> = Vec::new();
    for (class, mut gen) in classes {
        let mut ours = Vec::new();
        let mut totals = Vec::new();
        let mut sqls = Vec::new();
        let mut queries = Vec::new();
        let mut example = String::new();
        // Warm-up: the first requests open connections and fault pages in.
        for _ in 0..5 {
            let (q, _) = gen(&mut qrng);
            rt.block_on(http.get(format!("{base}/api?apikey={key}&{q}")).send())
                .unwrap();
        }
        for i in 0..args.queries {
            let (q, sql) = gen(&mut qrng);
            if i == 0 {
                example = q.clone();
            }
            let url = format!("{base}/api?apikey={key}&{q}");
            let t = Instant::now();
            let body = rt.block_on(async { http.get(&url).send().await?.text().await });
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let body = body.unwrap();
            let total = body
                .split("total=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no total in answer to {q}: {body:.300}"));
            ours.push(ms);
            totals.push(total);
            queries.push(q);
            if sqls.len() < 30 {
                sqls.push(sql);
            }
        }
        ours.sort_by(f64::total_cmp);
        baseline_sql.push(sqls);
        rows.push(Row {
            class,
            example,
            queries,
            index_only: Vec::new(),
            ours,
            totals,
            baseline: Vec::new(),
        });
    }
    let rss = procstat::status_kib(pid, "VmRSS:");
    let hwm = procstat::status_kib(pid, "VmHWM:");
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    let _ = child.wait();

    // --- the index alone, in this process, over the same store and queries
    let store = RedbStore::open_dir(dir.path()).expect("reopen the store");
    let t = Instant::now();
    let index = privateindexer::torznab::SearchIndex::build(&store).expect("build the index");
    let index_build = t.elapsed();
    drop(store);
    for row in &mut rows {
        for q in &row.queries {
            let params = privateindexer::torznab::query::Params::parse(q);
            let Ok(privateindexer::torznab::query::Function::Search(p)) =
                privateindexer::torznab::query::parse(&params)
            else {
                panic!("bad query {q}")
            };
            let t = Instant::now();
            let hits = index.search(&p, 0);
            row.index_only.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(hits);
        }
        row.index_only.sort_by(f64::total_cmp);
    }
    drop(index);

    // --- the naive baseline
    let sqlite_ok = Command::new(&args.sqlite)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut baseline_load = None;
    if sqlite_ok {
        let db = dir.path().join("baseline.sqlite");
        let csv = dir.path().join("torrents.csv");
        {
            let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
            for r in &records {
                let m = &r.meta;
                let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                let num = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
                writeln!(
                    f,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    hex::encode(r.info_hash),
                    field(r.title()),
                    r.size,
                    r.added,
                    m.category,
                    num(m.imdb_id),
                    num(m.tvdb_id),
                    num(m.season),
                    num(m.episode),
                    field(m.artist.as_deref().unwrap_or("")),
                    field(m.album.as_deref().unwrap_or("")),
                    r.uploader,
                )
                .unwrap();
            }
        }
        let t = Instant::now();
        let setup = format!(
            "CREATE TABLE torrents(info_hash TEXT PRIMARY KEY, name TEXT, size INT, added INT, category INT, imdb_id INT, tvdb_id INT, season INT, episode INT, artist TEXT, album TEXT, uploader INT);\n\
             .import --csv {} torrents\n\
             CREATE INDEX by_added ON torrents(added);\n\
             CREATE INDEX by_imdb ON torrents(imdb_id);\n\
             CREATE INDEX by_tvdb ON torrents(tvdb_id);\n",
            csv.display()
        );
        run_sqlite(&args.sqlite, &db, &setup);
        baseline_load = Some(t.elapsed());
        for (row, sqls) in rows.iter_mut().zip(&baseline_sql) {
            let script = format!(".timer on\n.output /dev/null\n{}\n", sqls.join("\n"));
            let out = run_sqlite(&args.sqlite, &db, &script);
            let mut times: Vec<f64> = out
                .lines()
                .filter_map(|l| l.strip_prefix("Run Time: real "))
                .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
                .map(|s| s * 1000.0)
                .collect();
            times.sort_by(f64::total_cmp);
            row.baseline = times;
        }
    }

    // --- report
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        .unwrap_or_default();
    println!(
        "\n{n} torrents; {} queries per kind over HTTP keep-alive, one at a time; {} cores ({cpu}); load average {load_before} before, {} after\n",
        args.queries,
        std::thread::available_parallelism().map_or(0, |p| p.get()),
        loadavg()
    );
    println!("| query | example | matches (median) | index only p50 µs | index only p99 µs | HTTP p50 ms | HTTP p99 ms | HTTP max ms | LIKE baseline p50 ms | LIKE baseline p99 ms |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let mut totals = r.totals.clone();
        totals.sort_unstable();
        // The CLI's timer has 1 ms resolution.
        let fmt = |v: f64| {
            if v.is_nan() {
                "–".to_string()
            } else if v < 1.0 {
                "<1".to_string()
            } else {
                format!("{v:.0}")
            }
        };
        println!(
            "| {} | `{}` | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} |",
            r.class,
            r.example,
            totals[totals.len() / 2],
            percentile(&r.index_only, 0.5),
            percentile(&r.index_only, 0.99),
            percentile(&r.ours, 0.5),
            percentile(&r.ours, 0.99),
            r.ours.last().copied().unwrap_or(f64::NAN),
            fmt(percentile(&r.baseline, 0.5)),
            fmt(percentile(&r.baseline, 0.99)),
        );
    }
    println!();
    println!("- server start-up over the {n}-torrent store (process start → listening): {startup:.2?} ({index_line})");
    println!("- the same index built in the benchmark's own process: {index_build:.2?}");
    println!("- server memory after the run: VmRSS {rss} kB, peak VmHWM {hwm} kB (the index's own share is in the start-up line; the rest is mostly the store's page cache)");
    if let Some(t) = baseline_load {
        println!(
            "- baseline: SQLite {} via `{}` (CLI `.timer`, in-process, no HTTP; 30 queries per kind; 1 ms resolution); import + indexes took {t:.1?}",
            sqlite_version(&args.sqlite),
            args.sqlite
        );
    } else {
        println!("- baseline: skipped (`{}` not found)", args.sqlite);
    }
}

/// The 1-minute load average: other work on the machine inflates every figure.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}
