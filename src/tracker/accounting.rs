//! Crediting announces: member deltas, bounded by what is plausible, go to the
//! server's batched counters; per-torrent completions wait here for the next flush.

use std::collections::HashMap;
use std::sync::Mutex;

use super::registry::Registered;
use super::swarm::Outcome;
use crate::core::counters::Counters;
use crate::store::{Store, StoreResult, UserDelta};

/// The fastest transfer credited: 10 Gbit/s, beyond any member's line.
const MAX_BYTES_PER_SEC: u64 = 1_250_000_000;

/// The most one announce may credit in each direction: the torrent's size once per
/// peer of the swarm, and what the fastest line moves in the time since the peer's
/// previous announce. Counters are the client's word; this bounds what a lying or
/// broken client can add (one `uploaded=18446744073709551615` credited 16 EiB).
pub fn plausible_delta(size: u64, peers: u32, elapsed_secs: u32) -> u64 {
    let by_size = size.saturating_mul(u64::from(peers.max(1)));
    let by_time = MAX_BYTES_PER_SEC.saturating_mul(u64::from(elapsed_secs.max(1)));
    by_size.min(by_time)
}

#[derive(Default)]
pub struct Pending {
    snatches: Mutex<HashMap<[u8; 20], u64>>,
}

impl Pending {
    pub fn record(
        &self,
        counters: &Counters,
        user: u64,
        torrent: &Registered,
        out: &Outcome,
        now: i64,
    ) {
        let peers = out.complete.saturating_add(out.incomplete);
        let bound = plausible_delta(torrent.size, peers, out.elapsed);
        let uploaded = out.credit_uploaded.min(bound);
        let downloaded = out.credit_downloaded.min(bound);
        if (uploaded, downloaded) != (out.credit_uploaded, out.credit_downloaded) {
            tracing::warn!(
                member = user,
                info_hash = %hex::encode(torrent.swarm),
                reported_uploaded = out.credit_uploaded,
                reported_downloaded = out.credit_downloaded,
                bound,
                "implausible transfer reported; credited up to the bound"
            );
        }
        counters.add(
            user,
            UserDelta {
                uploaded,
                downloaded,
                snatches: u64::from(out.snatched),
                last_seen: now,
            },
        );
        if out.snatched {
            *self
                .snatches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(torrent.swarm)
                .or_default() += 1;
        }
    }

    /// Writes pending completions in one transaction; on failure they are kept.
    pub fn flush(&self, store: &dyn Store) -> StoreResult<usize> {
        let batch: Vec<([u8; 20], u64)> = self
            .snatches
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(e) = store.add_snatches(&batch) {
            let mut m = self.snatches.lock().unwrap_or_else(|p| p.into_inner());
            for (ih, n) in batch {
                *m.entry(ih).or_default() += n;
            }
            return Err(e);
        }
        Ok(batch.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delta_is_bounded_by_size_times_peers_and_by_time() {
        // 1 GB torrent, 3 peers, 30 minutes: the size bound (3 GB) is the smaller.
        assert_eq!(plausible_delta(1_000_000_000, 3, 1800), 3_000_000_000);
        // One second after the last announce: what 10 Gbit/s moves in a second.
        assert_eq!(plausible_delta(u64::MAX / 2, 40, 1), 1_250_000_000);
        // An immediate re-announce or a lone peer still count as one of each.
        assert_eq!(plausible_delta(50_000, 0, 0), 50_000);
        // Nothing overflows on the way.
        assert_eq!(
            plausible_delta(u64::MAX, u32::MAX, u32::MAX),
            1_250_000_000 * u64::from(u32::MAX)
        );
    }
}
