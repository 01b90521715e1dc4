//! Member counter deltas gathered in memory and flushed to the store in batches,
//! so hot paths (announces, API calls) never write to disk.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::{Store, StoreResult, UserDelta};

const SHARDS: usize = 16;

#[derive(Default)]
pub struct Counters {
    shards: [Mutex<HashMap<u64, UserDelta>>; SHARDS],
}

impl Counters {
    pub fn add(&self, user: u64, delta: UserDelta) {
        let mut shard = self.shards[user as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let d = shard.entry(user).or_default();
        d.uploaded = d.uploaded.saturating_add(delta.uploaded);
        d.downloaded = d.downloaded.saturating_add(delta.downloaded);
        d.snatches = d.snatches.saturating_add(delta.snatches);
        d.last_seen = d.last_seen.max(delta.last_seen);
    }

    /// Marks a member as active now.
    pub fn touch(&self, user: u64, now: i64) {
        self.add(
            user,
            UserDelta {
                last_seen: now,
                ..UserDelta::default()
            },
        );
    }

    /// Writes every pending delta in one transaction; on failure they are put back.
    pub fn flush(&self, store: &dyn Store) -> StoreResult<usize> {
        let mut batch = Vec::new();
        for shard in &self.shards {
            let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
            batch.extend(s.drain());
        }
        if let Err(e) = store.apply_user_deltas(&batch) {
            for (user, d) in batch {
                self.add(user, d);
            }
            return Err(e);
        }
        Ok(batch.len())
    }
}
