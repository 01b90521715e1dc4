//! The server's `/metrics`: members, torrents, swarm, announces and searches by
//! outcome, transfer totals, request latencies, store size.

use std::sync::Arc;

use crate::app::state::AppState;
use crate::metrics::{Exposition, Kind};
use crate::store::StoreResult;
use crate::tracker::Tracker;

/// One scrape's exposition text. A store failure leaves its families out
/// (Prometheus then sees them go stale) rather than failing the scrape.
pub async fn render(state: Arc<AppState>, tracker: Arc<Tracker>) -> String {
    let mut e = Exposition::default();
    let loaded = state
        .store_call(|s| -> StoreResult<_> { Ok((s.users()?, s.torrent_totals()?)) })
        .await;
    match loaded {
        Ok((users, totals)) => {
            let enabled = users.iter().filter(|u| u.enabled).count() as f64;
            e.family(
                "privateindexer_members",
                "Members by state.",
                Kind::Gauge,
                &[
                    (&[("state", "enabled")], enabled),
                    (&[("state", "disabled")], users.len() as f64 - enabled),
                ],
            );
            e.one(
                "privateindexer_torrents",
                "Torrents in the index.",
                Kind::Gauge,
                totals.count as f64,
            );
            e.one(
                "privateindexer_torrents_bytes",
                "Total size of the indexed torrents' content.",
                Kind::Gauge,
                totals.bytes as f64,
            );
            let (up, down) = crate::store::transfer_totals(&users);
            e.one(
                "privateindexer_uploaded_bytes_total",
                "Bytes members reported uploaded (flushed every FLUSH_INTERVAL).",
                Kind::Counter,
                up as f64,
            );
            e.one(
                "privateindexer_downloaded_bytes_total",
                "Bytes members reported downloaded (flushed every FLUSH_INTERVAL).",
                Kind::Counter,
                down as f64,
            );
        }
        Err(err) => tracing::warn!(
            error = &err as &dyn std::error::Error,
            "metrics: store read failed"
        ),
    }
    let swarm = state.swarm_figures();
    e.one(
        "privateindexer_peers",
        "Live peers in all swarms.",
        Kind::Gauge,
        swarm.peers as f64,
    );
    e.one(
        "privateindexer_seeders",
        "Live seeders.",
        Kind::Gauge,
        swarm.seeders as f64,
    );
    e.one(
        "privateindexer_leechers",
        "Live leechers.",
        Kind::Gauge,
        swarm.leechers as f64,
    );
    let (ok, refused) = tracker.announces.get();
    e.family(
        "privateindexer_announces_total",
        "Announces (HTTP and UDP) by outcome.",
        Kind::Counter,
        &[
            (&[("outcome", "ok")], ok as f64),
            (&[("outcome", "refused")], refused as f64),
        ],
    );
    let (ok, failed) = state.searches.get();
    e.family(
        "privateindexer_searches_total",
        "Torznab requests other than caps by outcome (error: bad key, bad parameters, failure).",
        Kind::Counter,
        &[
            (&[("outcome", "ok")], ok as f64),
            (&[("outcome", "error")], failed as f64),
        ],
    );
    state.latency.write(
        &mut e,
        "privateindexer_http_request_duration_seconds",
        "Time to answer a request on the main port, by surface.",
    );
    // The redb file's size; a MySQL store's size is the database server's to report.
    if let crate::store::StoreConfig::Redb { data_dir } = &state.config.store {
        if let Ok(meta) = tokio::fs::metadata(data_dir.join(crate::store::STORE_FILE)).await {
            e.one(
                "privateindexer_store_bytes",
                "Size of the store file.",
                Kind::Gauge,
                meta.len() as f64,
            );
        }
    }
    e.finish()
}
