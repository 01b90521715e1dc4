//! The Redis peer store (`PEERS_URL=redis://…`, feature `redis`): several server
//! instances share their swarms. Each keeps answering from its own [`Swarms`]; a
//! background task writes this instance's peer changes in batches and merges the
//! swarms other instances changed (a change feed, never a full reload).

mod sync;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

pub use sync::{SyncError, Syncer, Tick};

use super::Tracker;

/// How often changes go out and come in: what another instance lags behind by.
pub const EVERY: Duration = Duration::from_secs(1);

/// Runs the syncer of `tracker` against the Redis at `url` until the process ends.
pub fn spawn(
    tracker: Arc<Tracker>,
    url: &super::peers_url::PeersUrl,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = redis::Client::open(url.secret())
        .map_err(|e| anyhow::anyhow!("PEERS_URL {url}: {}", e.category()))?;
    let mut syncer = Syncer::new(client, tracker.config.peer_timeout.as_secs() as i64)
        .map_err(|e| anyhow::anyhow!("PEERS_URL {url}: {e}"))?;
    tracing::info!(peers = %url, "peers shared through Redis");
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = crate::core::clock::now();
            let t = syncer
                .tick(tracker.swarms(), |ih| tracker.base_of(ih), now)
                .await;
            if t != Tick::default() {
                tracing::trace!(?t, "peer store sync");
            }
        }
    }))
}

#[cfg(test)]
pub(crate) mod tests;
