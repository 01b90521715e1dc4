//! The peers librqbit is connected to for one download, in the seeder's
//! terms (address, client name, bytes each way). librqbit does not track a
//! peer's pieces, so their progress is unknown.

use super::Downloads;
use crate::client::seeder::peers::{client_name, PeerSnapshot};

impl Downloads {
    /// The live peers of a download the engine holds (none otherwise).
    pub fn peers(&self, info_hash: &str) -> Vec<PeerSnapshot> {
        let Some(live) = self.handle(info_hash).and_then(|h| h.live()) else {
            return Vec::new();
        };
        let mut out: Vec<PeerSnapshot> = live
            // The filter's default: live peers only (its type is not exported
            // without librqbit's HTTP API feature).
            .per_peer_stats_snapshot(Default::default())
            .peers
            .into_iter()
            .map(|(addr, p)| PeerSnapshot {
                addr,
                client: p.client_name.as_deref().and_then(client_name),
                progress: None,
                sent: p.counters.uploaded_bytes,
                received: p.counters.fetched_bytes,
                connected_secs: None,
            })
            .collect();
        out.sort_by(|a, b| a.addr.cmp(&b.addr));
        out
    }
}
