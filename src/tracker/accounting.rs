//! Crediting announces: member deltas go to the server's batched counters,
//! per-torrent completions wait here for the next flush.

use std::collections::HashMap;
use std::sync::Mutex;

use super::swarm::Outcome;
use crate::core::counters::Counters;
use crate::store::{Store, StoreResult, UserDelta};

#[derive(Default)]
pub struct Pending {
    snatches: Mutex<HashMap<[u8; 20], u64>>,
}

impl Pending {
    pub fn record(
        &self,
        counters: &Counters,
        user: u64,
        swarm: &[u8; 20],
        out: &Outcome,
        now: i64,
    ) {
        counters.add(
            user,
            UserDelta {
                uploaded: out.credit_uploaded,
                downloaded: out.credit_downloaded,
                snatches: u64::from(out.snatched),
                last_seen: now,
            },
        );
        if out.snatched {
            *self
                .snatches
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(*swarm)
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
