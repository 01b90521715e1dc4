//! Dead torrents: nobody has seeded them for STALE_THRESHOLD. The sweep marks
//! them and tells the watchers (search index, panel); a seeder's announce brings
//! one back at once. Last-seeded times reach the store with the counter flush.

use std::sync::{Arc, RwLock};

use super::Tracker;
use crate::core::catalog::CatalogListener;
use crate::store::{Store, StoreResult};

/// The parts told when a torrent dies or comes back.
#[derive(Default)]
pub struct Watchers(RwLock<Vec<Arc<dyn CatalogListener>>>);

impl Watchers {
    pub fn tell(&self, info_hash: &[u8; 20], dead: bool) {
        let watchers = self.0.read().unwrap_or_else(|p| p.into_inner());
        for w in watchers.iter() {
            w.torrent_liveness(info_hash, dead);
        }
    }
}

impl Tracker {
    /// Adds a part to tell when torrents die or come back.
    pub fn watch_liveness(&self, watcher: Arc<dyn CatalogListener>) {
        let mut w = self
            .liveness_watchers
            .0
            .write()
            .unwrap_or_else(|p| p.into_inner());
        w.push(watcher);
    }

    /// Marks torrents with no seeder for STALE_THRESHOLD dead (and those seeded
    /// again alive), tells the watchers; returns how many changed.
    pub fn sweep_dead(&self) -> usize {
        let now = crate::core::clock::now();
        let after = i64::try_from(self.config.dead_after.as_secs()).unwrap_or(i64::MAX);
        let torrents = self.registry.torrents();
        let changed = self.swarms.mark_dead(&torrents, |l| {
            l.seeders == 0 && now.saturating_sub(l.last_seeded) > after
        });
        for (ih, dead) in &changed {
            tracing::info!(
                info_hash = %hex::encode(ih),
                dead,
                "torrent {}",
                if *dead { "has had no seeder for STALE_THRESHOLD: dead" } else { "seeded again" }
            );
            self.liveness_watchers.tell(ih, *dead);
        }
        changed.len()
    }

    pub fn is_dead(&self, info_hash: &[u8; 20]) -> bool {
        self.registry
            .torrent(info_hash)
            .is_some_and(|r| self.swarms.is_dead(&r.swarm))
    }

    /// Writes the last-seeded times that changed since the last flush, in one transaction.
    pub(super) fn flush_seeded(&self, store: &dyn Store) -> StoreResult<usize> {
        let seen = self.swarms.unflushed_seeded();
        if seen.is_empty() {
            return Ok(0);
        }
        store.record_seeded(&seen)?;
        self.swarms.seeded_flushed(&seen);
        Ok(seen.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counters::Counters;
    use crate::store::{RedbStore, TorrentMeta, TorrentRecord};
    use crate::tracker::announce::{Announce, Event};
    use crate::tracker::swarm::Picked;
    use crate::tracker::TrackerConfig;
    use std::time::Duration;

    fn rec(n: u8, added: i64) -> TorrentRecord {
        TorrentRecord {
            info_hash: [n; 20],
            info_hash_v2: None,
            name: format!("t{n}"),
            size: 100,
            file_count: 1,
            piece_length: 16384,
            uploader: 1,
            added,
            meta: TorrentMeta::default(),
            grabs: 0,
            snatches: 0,
        }
    }

    #[derive(Default)]
    struct Heard(std::sync::Mutex<Vec<([u8; 20], bool)>>);
    impl CatalogListener for Heard {
        fn torrent_liveness(&self, ih: &[u8; 20], dead: bool) {
            self.0.lock().unwrap().push((*ih, dead));
        }
    }

    #[test]
    fn last_seeded_times_survive_a_restart_and_a_seeder_revives_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(RedbStore::open_dir(dir.path()).unwrap());
        let now = crate::core::clock::now();
        // Both uploaded long ago; the first was seeded a minute ago (as stored).
        store.put_torrent(&rec(1, now - 10_000), b"x").unwrap();
        store.put_torrent(&rec(2, now - 10_000), b"x").unwrap();
        store.record_seeded(&[([1; 20], now - 60)]).unwrap();
        let config = TrackerConfig {
            dead_after: Duration::from_secs(3600),
            ..TrackerConfig::default()
        };
        let tracker = Tracker::new(store.clone(), config).unwrap();
        let heard = Arc::new(Heard::default());
        tracker.watch_liveness(heard.clone());
        assert_eq!(tracker.sweep_dead(), 1);
        assert!(!tracker.is_dead(&[1; 20]) && tracker.is_dead(&[2; 20]));
        assert_eq!(*heard.0.lock().unwrap(), [([2; 20], true)]);

        // A seeder's announce revives it at once and is written at the next flush.
        let seed = Announce {
            info_hash: [2; 20],
            peer_id: [9; 20],
            port: 7000,
            uploaded: 0,
            downloaded: 0,
            left: 0,
            event: Event::Started,
            numwant: 0,
            compact: true,
            no_peer_id: false,
            key: None,
            ip: None,
            passkey: None,
        };
        let ip = std::net::IpAddr::from([127, 0, 0, 1]);
        tracker
            .announce(1, &seed, ip, &Counters::default(), &mut Picked::default())
            .unwrap();
        assert!(!tracker.is_dead(&[2; 20]));
        assert_eq!(heard.0.lock().unwrap().last(), Some(&([2; 20], false)));
        assert_eq!(tracker.flush(&*store).unwrap(), 1);
        assert_eq!(tracker.flush(&*store).unwrap(), 0, "written once");
        let stored: Vec<_> = store.last_seeded().unwrap();
        assert!(stored.iter().any(|(ih, at)| *ih == [2; 20] && *at >= now));
    }
}
