//! Tracker load benchmark: our tracker (release build, real server process)
//! against Debian's opentracker, both driven by wrk from a separate process on
//! loopback with the same announce mix (benches/announce.lua), plus the memory
//! that 100k peers across 10k torrents take in the tracker.
//!
//! Run: `cargo bench --bench tracker` (needs `wrk` and `opentracker`:
//! `apt-get install wrk opentracker`). Knobs (env): BENCH_SECS (10),
//! BENCH_CONNS (64), BENCH_THREADS (1), BENCH_ROUNDS (5), BENCH_TORRENTS (1000),
//! BENCH_PEERS (20000). Built with `--features redis` and with `redis-server` installed, a
//! third tracker runs too: ours with PEERS_URL on its own redis-server (`--save ''`), the
//! same store copied, so the cost of the shared peer store shows in the same run.

mod memory;
mod procs;
mod wrk;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use privateindexer::store::{RedbStore, Store, TorrentMeta, TorrentRecord};
use sha1::{Digest, Sha1};
use testkit::server::free_port;

use memory::memory_of_100k_peers;
use procs::{env_num, have, http_get, rss_kib, wait_port, Killed};
use wrk::{median, wrk, Run};

const ADMIN_PASSWORD: &str = "bench password 123";

fn bench_hash(t: u64) -> [u8; 20] {
    Sha1::digest(format!("bench torrent {t}").as_bytes()).into()
}

fn record(ih: [u8; 20], uploader: u64) -> TorrentRecord {
    TorrentRecord {
        info_hash: ih,
        info_hash_v2: None,
        name: format!("bench-{}", hex::encode(ih)),
        size: 1 << 30,
        file_count: 1,
        piece_length: 1 << 20,
        uploader,
        added: 0,
        meta: TorrentMeta {
            category: 2040,
            ..TorrentMeta::default()
        },
        grabs: 0,
        snatches: 0,
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    for tool in ["wrk", "opentracker"] {
        if !have(tool) {
            eprintln!(
                "NOTICE: `{tool}` is missing (apt-get install wrk opentracker); benchmark skipped"
            );
            return;
        }
    }
    let secs = env_num("BENCH_SECS", 10);
    let rounds = env_num("BENCH_ROUNDS", 5).max(1);
    let torrents = env_num("BENCH_TORRENTS", 1000);
    let members = 50u64;
    let dir = tempfile::tempdir().unwrap();
    // opentracker reads its whitelist as `nobody`.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let data = dir.path().join("data");

    // --- a store with members and registered torrents
    let t0 = Instant::now();
    let (passkeys, hashes) = {
        let store = RedbStore::open_dir(&data).unwrap();
        let secret = privateindexer::keys::server_secret(&store).unwrap();
        let mut passkeys = Vec::new();
        let mut first = 0;
        for i in 0..members {
            let k = privateindexer::members::create(
                &store,
                &secret,
                &privateindexer::members::PublicUrls {
                    server: "http://127.0.0.1".into(),
                    tracker: "http://127.0.0.1".into(),
                },
                &format!("m{i}"),
                0,
            )
            .unwrap();
            first = if i == 0 { k.id } else { first };
            passkeys.push(k.passkey);
        }
        let hashes: Vec<[u8; 20]> = (0..torrents).map(bench_hash).collect();
        for ih in &hashes {
            store.put_torrent(&record(*ih, first), b"de").unwrap();
        }
        (passkeys, hashes)
    };
    eprintln!(
        "store ready: {members} members, {torrents} torrents ({:.1?})",
        t0.elapsed()
    );

    let enc = |h: &[u8; 20]| h.iter().map(|b| format!("%{b:02X}")).collect::<String>();
    let mut lua = String::from("hashes = {\n");
    for h in &hashes {
        lua.push_str(&format!("\"{}\",\n", enc(h)));
    }
    lua.push_str("}\npasskeys = {\n");
    for p in &passkeys {
        lua.push_str(&format!("\"{p}\",\n"));
    }
    lua.push_str("}\n");
    std::fs::write(dir.path().join("bench-data.lua"), lua).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/benches/announce.lua"),
        dir.path().join("announce.lua"),
    )
    .unwrap();
    let whitelist: String = hashes.iter().map(|h| hex::encode(h) + "\n").collect();
    std::fs::write(dir.path().join("whitelist"), whitelist).unwrap();

    // --- the trackers
    let redis = start_redis_tracker(dir.path(), &data);
    let ours_port = free_port();
    let ours_tracker_port = free_port();
    let ours = start_ours(&data, ours_port, ours_tracker_port, &[]);
    let ot_port = free_port();
    let ot = Killed(
        Command::new("opentracker")
            .args([
                "-i",
                "127.0.0.1",
                "-p",
                &ot_port.to_string(),
                "-P",
                &free_port().to_string(),
            ])
            // It refuses to run as root: it drops to `nobody`, chrooted to its directory.
            .args(["-d", &dir.path().to_string_lossy(), "-w", "whitelist"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start opentracker"),
    );
    wait_port(ours_port);
    wait_port(ours_tracker_port);
    wait_port(ot_port);

    // Both must really serve the pool, not refuse it.
    let probe = format!(
        "/announce?passkey={}&info_hash={}&peer_id=-PR0001-000000000001&port=7000&uploaded=0&downloaded=0&left=5&compact=1",
        passkeys[0],
        enc(&hashes[0])
    );
    for (name, port) in [
        ("privateindexer", ours_port),
        ("privateindexer TRACKER_BIND", ours_tracker_port),
        ("opentracker", ot_port),
    ] {
        let body = http_get(port, &probe);
        assert!(
            !body.windows(14).any(|w| w == b"failure reason") && body.starts_with(b"d"),
            "{name} refused the probe: {}",
            String::from_utf8_lossy(&body)
        );
    }

    let (ours_pid, ot_pid) = (ours.0.id(), ot.0.id());
    // Warm-up fills the swarms of all.
    wrk(dir.path(), ours_port, ours_pid, None, false, 5);
    wrk(dir.path(), ot_port, ot_pid, None, true, 5);
    if let Some(r) = &redis {
        wait_port(r.port);
        let side = Some(r.redis.0.id());
        wrk(dir.path(), r.port, r.server.0.id(), side, false, 5);
    }

    // Interleaved rounds, so load from elsewhere on the machine hits all alike.
    // opentracker closes every connection after one answer, whatever the client asks.
    const NEW: &str = "new per announce";
    const KEEP: &str = "keep-alive";
    // (name, connection, port, tracker pid, pid of what it relies on, close each)
    type Case<'a> = (&'a str, &'a str, u16, u32, Option<u32>, bool);
    let mut cases: Vec<Case> = vec![
        (
            "privateindexer, TRACKER_BIND port",
            NEW,
            ours_tracker_port,
            ours_pid,
            None,
            true,
        ),
        ("opentracker", NEW, ot_port, ot_pid, None, true),
        (
            "privateindexer, main port",
            NEW,
            ours_port,
            ours_pid,
            None,
            true,
        ),
        (
            "privateindexer, TRACKER_BIND port",
            KEEP,
            ours_tracker_port,
            ours_pid,
            None,
            false,
        ),
        (
            "opentracker (closes each)",
            KEEP,
            ot_port,
            ot_pid,
            None,
            false,
        ),
        (
            "privateindexer, main port",
            KEEP,
            ours_port,
            ours_pid,
            None,
            false,
        ),
    ];
    if let Some(r) = &redis {
        let (pid, side) = (r.server.0.id(), Some(r.redis.0.id()));
        for (conn, close) in [(NEW, true), (KEEP, false)] {
            let name = "privateindexer + Redis peers, TRACKER_BIND";
            cases.push((name, conn, r.port, pid, side, close));
        }
    }
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        let mut line = format!("round {}:", round + 1);
        for (i, (name, conn, port, pid, side, close)) in cases.iter().enumerate() {
            let r = wrk(dir.path(), *port, *pid, *side, *close, secs);
            line.push_str(&format!(" [{name} {conn}: {:.0}/s]", r.rps));
            runs[i].push(r);
        }
        eprintln!("{line}");
    }
    let medians: Vec<Run> = runs.into_iter().map(median).collect();
    let (ours_rss, ot_rss) = (rss_kib(ours_pid), rss_kib(ot_pid));
    let (redis_rss, redis_server_rss) = redis
        .as_ref()
        .map(|r| (rss_kib(r.server.0.id()), rss_kib(r.redis.0.id())))
        .unwrap_or((0, 0));
    drop(redis);
    drop(ours);
    drop(ot);

    println!(
        "\n## Tracker HTTP announces (median of {rounds} rounds of {secs} s, wrk -t{} -c{}, loopback)\n",
        env_num("BENCH_THREADS", 1),
        env_num("BENCH_CONNS", 64)
    );
    println!(
        "| tracker | connection | announces/s | p50 ms | p99 ms | tracker CPU µs/announce \
         | wrk CPU µs/announce | errors | failure replies | RSS after |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ((name, conn, _, pid, _, _), r) in cases.iter().zip(&medians) {
        let rss = match *pid {
            p if p == ot_pid => ot_rss,
            p if p == ours_pid => ours_rss,
            _ => redis_rss,
        };
        println!(
            "| {name} | {conn} | {:.0} | {:.2} | {:.2} | {:.1} | {:.1} | {} | {} | {:.1} MiB |",
            r.rps,
            r.p50_ms,
            r.p99_ms,
            r.cpu_us,
            r.wrk_cpu_us,
            r.errors,
            r.failures,
            rss as f64 / 1024.0
        );
    }
    let ratio = |what: &str, ours: Run, ot: Run| {
        println!(
            "- {what}: {:.2}x throughput, {:.2}x p99, {:.2}x announces per tracker CPU-second",
            ours.rps / ot.rps,
            ours.p99_ms / ot.p99_ms,
            ot.cpu_us / ours.cpu_us
        );
    };
    println!("\nratios privateindexer / opentracker:\n");
    ratio(
        "keep-alive asked, TRACKER_BIND port",
        medians[3],
        medians[4],
    );
    ratio("keep-alive asked, main port", medians[5], medians[4]);
    ratio(
        "new connection per announce, TRACKER_BIND port",
        medians[0],
        medians[1],
    );
    ratio(
        "new connection per announce, main port",
        medians[2],
        medians[1],
    );
    println!("- RSS: {:.2}x", ours_rss as f64 / ot_rss.max(1) as f64);
    if medians.len() == 8 {
        println!("\nratios Redis peer store / in-process (TRACKER_BIND port):\n");
        let vs = |what: &str, redis: Run, local: Run| {
            println!(
                "- {what}: {:.2}x throughput, {:.2}x p99, {:.2}x tracker CPU per announce",
                redis.rps / local.rps,
                redis.p99_ms / local.p99_ms,
                redis.cpu_us / local.cpu_us
            );
        };
        vs("new connection per announce", medians[6], medians[0]);
        vs("keep-alive asked", medians[7], medians[3]);
        println!(
            "- redis-server beside it: {:.1} µs CPU per announce new per announce, {:.1} µs \
             keep-alive; RSS {:.1} MiB (tracker + redis-server {:.1} MiB)",
            medians[6].side_cpu_us,
            medians[7].side_cpu_us,
            redis_server_rss as f64 / 1024.0,
            (redis_rss + redis_server_rss) as f64 / 1024.0
        );
    }

    memory_of_100k_peers();
}

/// Our server over `data` on `port`, its tracker also on `tracker_port`, with `extra` settings.
fn start_ours(data: &Path, port: u16, tracker_port: u16, extra: &[(&str, String)]) -> Killed {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_privateindexer"));
    cmd.arg("server")
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("TRACKER_BIND", format!("127.0.0.1:{tracker_port}"))
        .env("DATA_DIR", data)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("LOG_LEVEL", "warn")
        .envs(extra.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Killed(cmd.spawn().expect("start privateindexer"))
}

/// Our tracker with PEERS_URL on a redis-server of its own, its store a copy of `data`.
struct RedisTracker {
    // Dropped in this order: the server before its Redis.
    server: Killed,
    redis: Killed,
    port: u16,
}

fn start_redis_tracker(dir: &Path, data: &Path) -> Option<RedisTracker> {
    if !cfg!(feature = "redis") || !have("redis-server") {
        eprintln!("NOTICE: no Redis peer store case (needs --features redis and redis-server)");
        return None;
    }
    let redis_port = free_port();
    let redis = Killed(
        Command::new("redis-server")
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server"),
    );
    wait_port(redis_port);
    let copy = dir.join("data-redis");
    let status = Command::new("cp").arg("-a").arg(data).arg(&copy).status();
    assert!(status.is_ok_and(|s| s.success()), "copy the store");
    let port = free_port();
    let peers_url = format!("redis://127.0.0.1:{redis_port}/0");
    let server = start_ours(&copy, free_port(), port, &[("PEERS_URL", peers_url)]);
    Some(RedisTracker {
        server,
        redis,
        port,
    })
}
