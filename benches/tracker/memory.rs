//! 100k peers across 10k torrents, announced in-process: what they take in
//! the tracker's memory.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use privateindexer::core::catalog::CatalogListener;
use privateindexer::core::counters::Counters;
use privateindexer::store::{RedbStore, Store};
use privateindexer::tracker::announce::{Announce, Event};
use privateindexer::tracker::swarm::Picked;
use privateindexer::tracker::{Tracker, TrackerConfig};

use crate::procs::rss_kib;
use crate::{bench_hash, record};

/// 100k peers across 10k torrents, announced in-process; RSS of this process before and after.
pub fn memory_of_100k_peers() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(dir.path()).unwrap());
    let tracker = Tracker::new(store, TrackerConfig::default()).unwrap();
    let me = std::process::id();
    let before = rss_kib(me);
    for t in 0..10_000 {
        tracker.torrent_stored(&record(bench_hash(t), 1));
    }
    let registered = rss_kib(me);
    let counters = Counters::default();
    let start = Instant::now();
    let mut picked = Picked::default();
    for p in 0u32..100_000 {
        let mut peer_id = *b"-MB0001-000000000000";
        peer_id[8..20].copy_from_slice(format!("{p:012}").as_bytes());
        let req = Announce {
            info_hash: bench_hash(u64::from(p % 10_000)),
            peer_id,
            port: 1024 + (p / 10_000) as u16,
            uploaded: 0,
            downloaded: 0,
            left: if p % 3 == 0 { 0 } else { 1000 },
            event: Event::Started,
            numwant: 50,
            compact: true,
            no_peer_id: false,
            key: None,
            ip: None,
            passkey: None,
        };
        let ip = IpAddr::from(p.to_be_bytes().map(|b| b.max(1)));
        picked.compact4.clear();
        picked.compact6.clear();
        tracker
            .announce(u64::from(p % 50), &req, ip, &counters, &mut picked)
            .unwrap();
    }
    let took = start.elapsed();
    let after = rss_kib(me);
    println!("\n## Memory: 100k peers across 10k torrents (in-process, RSS delta)\n");
    println!("| what | RSS delta |");
    println!("|---|---:|");
    println!(
        "| 10k registered torrents | {:.1} MiB |",
        (registered - before) as f64 / 1024.0
    );
    println!(
        "| 100k peers in 10k swarms | {:.1} MiB ({:.0} bytes/peer) |",
        (after - registered) as f64 / 1024.0,
        (after - registered) as f64 * 1024.0 / 100_000.0
    );
    println!(
        "\n(100k in-process announces took {:.0?}: {:.0} announces/s on one thread, without HTTP)",
        took,
        100_000.0 / took.as_secs_f64()
    );
}
