//! The client's `/metrics` on CLIENT_BIND: torrents by state (downloads and
//! the library seeder), bytes up and down, peers, scan progress, upload queue.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::downloads::Downloads;
use super::queue::ClientDb;
use super::seeder::Seeder;
use crate::metrics::{Exposition, Kind};

/// What a scrape reads; all of it lives in memory or in `client.redb`.
#[derive(Clone)]
pub struct Sources {
    pub downloads: Arc<Downloads>,
    pub seeder: Option<Arc<Seeder>>,
    pub db: Arc<ClientDb>,
    /// Bytes of media hashed by scans since start.
    pub hashed: Arc<AtomicU64>,
}

pub async fn render(src: Sources) -> String {
    let mut e = Exposition::default();
    let snaps = src.downloads.snapshots(None);
    let mut states: BTreeMap<&str, f64> = BTreeMap::new();
    let (mut up, mut down, mut peers) = (0u64, 0u64, 0u64);
    for s in snaps.iter().filter(|s| !s.library) {
        *states.entry(s.state).or_default() += 1.0;
        up += s.rec.uploaded;
        down += s.rec.downloaded;
        peers += u64::from(s.peers);
    }
    let samples: Vec<(Vec<(&str, &str)>, f64)> = states
        .iter()
        .map(|(state, n)| (vec![("state", *state)], *n))
        .collect();
    let samples: Vec<(&[(&str, &str)], f64)> =
        samples.iter().map(|(l, n)| (l.as_slice(), *n)).collect();
    e.family(
        "privateindexer_client_downloads",
        "Torrents the *arr apps added, by qBittorrent state.",
        Kind::Gauge,
        &samples,
    );
    let (mut seeding, mut not_served, mut seed_up, mut seed_peers) = (0.0, 0.0, 0u64, 0u64);
    if let Some(seeder) = &src.seeder {
        for t in seeder.stats() {
            if t.state == "seeding" {
                seeding += 1.0;
            } else {
                not_served += 1.0;
            }
            seed_up += t.uploaded;
            seed_peers += t.peers as u64;
        }
    }
    e.family(
        "privateindexer_client_library_torrents",
        "Torrents of the library seeder, by state (not_served: files changed or unreadable).",
        Kind::Gauge,
        &[
            (&[("state", "seeding")], seeding),
            (&[("state", "not_served")], not_served),
        ],
    );
    e.family(
        "privateindexer_client_uploaded_bytes_total",
        "Bytes uploaded to peers, by engine.",
        Kind::Counter,
        &[
            (&[("engine", "seeder")], seed_up as f64),
            (&[("engine", "downloads")], up as f64),
        ],
    );
    e.one(
        "privateindexer_client_downloaded_bytes_total",
        "Bytes downloaded by the download engine.",
        Kind::Counter,
        down as f64,
    );
    e.family(
        "privateindexer_client_peers",
        "Connected peers, by engine.",
        Kind::Gauge,
        &[
            (&[("engine", "seeder")], seed_peers as f64),
            (&[("engine", "downloads")], peers as f64),
        ],
    );
    e.one(
        "privateindexer_client_scan_hashed_bytes_total",
        "Bytes of media hashed by scans since start (cached pieces are not re-read).",
        Kind::Counter,
        src.hashed.load(Ordering::Relaxed) as f64,
    );
    let db = src.db.clone();
    let queued = tokio::task::spawn_blocking(move || db.pending_jobs()).await;
    match queued {
        Ok(Ok(n)) => e.one(
            "privateindexer_client_queue_jobs",
            "Uploads and withdrawals waiting for the server.",
            Kind::Gauge,
            n as f64,
        ),
        _ => tracing::warn!("metrics: cannot read the upload queue"),
    }
    e.finish()
}
