//! Each member's last announces and last refused announces (with the reason),
//! in a small ring per member, for the panel's member page. Recording is one
//! sharded lock and a push; the rings are bounded, so a noisy client costs
//! no more memory than a quiet one.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Announces and refusals kept per member, each.
pub const KEPT: usize = 20;
const SHARDS: usize = 16;

pub use crate::core::swarm::AnnounceNote as Note;

#[derive(Default)]
struct Rings {
    announces: VecDeque<Note>,
    refusals: VecDeque<Note>,
}

fn push(ring: &mut VecDeque<Note>, note: Note) {
    if ring.len() == KEPT {
        ring.pop_front();
    }
    ring.push_back(note);
}

pub struct MemberLog {
    shards: Box<[Mutex<HashMap<u64, Rings>>]>,
}

impl Default for MemberLog {
    fn default() -> Self {
        MemberLog {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl MemberLog {
    fn shard(&self, user: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Rings>> {
        self.shards[user as usize % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn record(&self, user: u64, note: Note) {
        let mut shard = self.shard(user);
        let rings = shard.entry(user).or_default();
        if note.refused.is_some() {
            push(&mut rings.refusals, note);
        } else {
            push(&mut rings.announces, note);
        }
    }

    /// (last announces, last refusals), newest first.
    pub fn of(&self, user: u64) -> (Vec<Note>, Vec<Note>) {
        let shard = self.shard(user);
        match shard.get(&user) {
            Some(r) => (
                r.announces.iter().rev().cloned().collect(),
                r.refusals.iter().rev().cloned().collect(),
            ),
            None => (Vec::new(), Vec::new()),
        }
    }

    /// A deleted member's rings go with them.
    pub fn forget(&self, user: u64) {
        self.shard(user).remove(&user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(n: u8, refused: Option<&str>) -> Note {
        Note {
            at: i64::from(n),
            info_hash: [n; 20],
            event: "",
            left: 0,
            refused: refused.map(String::from),
        }
    }

    #[test]
    fn rings_keep_the_newest_and_are_bounded() {
        let log = MemberLog::default();
        for n in 0..(KEPT as u8 + 5) {
            log.record(1, note(n, None));
        }
        log.record(
            1,
            note(99, Some("torrent not registered with this tracker")),
        );
        let (announces, refusals) = log.of(1);
        assert_eq!(announces.len(), KEPT);
        assert_eq!(announces[0].at, KEPT as i64 + 4, "newest first");
        assert_eq!(refusals.len(), 1);
        assert_eq!(log.of(2), (vec![], vec![]));
        log.forget(1);
        assert_eq!(log.of(1).0.len(), 0);
    }
}
