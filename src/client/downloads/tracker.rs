//! A download's tracker, as the relay sees it: the last announces, the
//! tracker's status, "announce now", and the announces librqbit does not
//! send (`stopped` when paused, deleted or at a clean stop; the download
//! totals at its completion).

use std::sync::Arc;

use super::Downloads;
use crate::client::announces::history::AnnounceRecord;
use crate::client::announces::protocol::Event;
use crate::client::announces::{Reannounce, TrackerStatus};
use crate::client::seeder::Seeder;

fn hash(info_hash: &str) -> Option<[u8; 20]> {
    crate::metainfo::parse_hex_hash(info_hash)
}

impl Downloads {
    /// A download's last announces, newest first (none once handed to the seeder).
    pub fn announce_history(&self, info_hash: &str) -> Vec<AnnounceRecord> {
        hash(info_hash).map_or_else(Vec::new, |ih| self.relay.history(&ih))
    }

    pub fn tracker_status(&self, info_hash: &str) -> Option<TrackerStatus> {
        self.relay.status(&hash(info_hash)?)
    }

    /// A download the engine holds and has not stopped: it announces.
    pub fn announcing(&self, info_hash: &str) -> bool {
        self.handle(info_hash).is_some()
            && self.lock().get(info_hash).is_some_and(|e| !e.rec.stopped)
    }

    /// The member's "announce now" for any torrent here: the library
    /// seeder's for what it serves, else the engine's through the relay.
    pub async fn reannounce(&self, seeder: Option<&Seeder>, info_hash: &str) -> Reannounce {
        if let Some(s) = seeder {
            match s.reannounce(info_hash).await {
                Reannounce::NotSeeded => {}
                served => return served,
            }
        }
        match hash(info_hash).filter(|_| self.announcing(info_hash)) {
            Some(ih) => self.relay.announce_now(&ih).await,
            None => Reannounce::NotSeeded,
        }
    }

    /// `stopped` for a download the engine lets go of (`leaving`) or pauses,
    /// sent in the background: the member's action does not wait on the tracker.
    pub(super) fn announce_stopped(&self, info_hash: &str, leaving: bool) {
        let Some(ih) = hash(info_hash) else { return };
        let relay = Arc::clone(&self.relay);
        tokio::spawn(async move { relay.event(ih, Event::Stopped, None, leaving).await });
    }

    /// The totals of a finished download, with `event` (`completed`, or
    /// `stopped` when the seeder takes it over); true when the tracker took it.
    pub(super) async fn announce_totals(
        &self,
        info_hash: &str,
        event: Event,
        up: u64,
        down: u64,
    ) -> bool {
        let Some(ih) = hash(info_hash) else {
            return false;
        };
        let leaving = event == Event::Stopped;
        self.relay.event(ih, event, Some((up, down)), leaving).await
    }

    /// `stopped` for every download the engine announced, at a clean stop.
    pub(super) async fn announce_all_stopped(&self) {
        self.relay.stop_all().await;
    }
}
