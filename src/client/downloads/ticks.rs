//! The engine's periodic work: every tick, counters grow, finished downloads
//! are recorded (and queued for their completed announce and hand-off), and
//! share limits stop what reached them; counters are saved every few ticks
//! and at stop.

use std::sync::Arc;
use std::time::Duration;

use librqbit::TorrentStatsState;

use super::{limits, now, Downloads};

/// How often counters, completion and share limits are looked at.
pub(super) const TICK: Duration = Duration::from_secs(2);
/// Counters are written to client.redb at most this often (and at stop).
const FLUSH_EVERY: u32 = 15;

impl Downloads {
    /// Runs until the process stops: counters, completion, share limits.
    pub async fn run(self: Arc<Self>) {
        let mut ticks: u32 = 0;
        let mut interval = tokio::time::interval(TICK);
        let taken = self
            .finished_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(mut finished) = taken else { return };
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    ticks = ticks.wrapping_add(1);
                    self.tick(ticks.is_multiple_of(FLUSH_EVERY)).await;
                }
                Some(rec) = finished.recv() => self.on_complete(rec).await,
            }
        }
    }

    /// Saves counters; called at stop.
    pub async fn flush(&self) {
        self.tick(true).await;
        self.session.stop().await;
        self.announce_all_stopped().await;
        self.run.clean_stop();
    }

    async fn tick(&self, flush: bool) {
        let prefs = self.store.prefs().unwrap_or_default();
        let hashes: Vec<String> = self.lock().keys().cloned().collect();
        let mut dirty = Vec::new();
        for ih in hashes {
            let Some(h) = self.handle(&ih) else {
                dirty.extend(self.tick_handed(&ih, &prefs, flush));
                continue;
            };
            let st = h.stats();
            let (run_up, run_down) = st.live.as_ref().map_or((0, 0), |l| {
                (l.snapshot.uploaded_bytes, l.snapshot.fetched_bytes)
            });
            if st.finished {
                self.mark_finished(&ih);
            }
            let mut stop_now = false;
            {
                let mut entries = self.lock();
                let Some(e) = entries.get_mut(&ih) else {
                    continue;
                };
                let before = e.rec.clone();
                e.rec.uploaded += grow(run_up, &mut e.seen_up);
                e.rec.downloaded += grow(run_down, &mut e.seen_down);
                if st.finished {
                    if matches!(st.state, TorrentStatsState::Live) {
                        e.rec.seeding_secs += TICK.as_secs();
                    }
                    if !e.rec.stopped && limits::reached(&e.rec, &prefs) {
                        e.rec.stopped = true;
                        e.rec.limit_reached = true;
                        stop_now = true;
                    }
                }
                if stop_now || (flush && e.rec != before) {
                    dirty.push(e.rec.clone());
                }
            }
            if stop_now {
                tracing::info!(info_hash = %ih, "share limit reached: stopped");
                let _ = self.session.pause(&h).await;
            }
        }
        if !dirty.is_empty() {
            if let Err(e) = self.store.put(&dirty.iter().collect::<Vec<_>>(), None) {
                tracing::warn!("saving download counters: {e:#}");
            }
        }
    }

    /// Records that a download finished (once; seen by a tick or by the
    /// API, whichever is first) and queues its completed announce and
    /// hand-off; its completion time.
    pub(super) fn mark_finished(&self, ih: &str) -> i64 {
        let run = self.handle(ih).and_then(|h| {
            h.stats()
                .live
                .map(|l| (l.snapshot.uploaded_bytes, l.snapshot.fetched_bytes))
        });
        let rec = {
            let mut entries = self.lock();
            let Some(e) = entries.get_mut(ih) else {
                return 0;
            };
            if e.rec.completion_on != 0 {
                return e.rec.completion_on;
            }
            // The announce reports totals as of now.
            if let Some((up, down)) = run {
                e.rec.uploaded += grow(up, &mut e.seen_up);
                e.rec.downloaded += grow(down, &mut e.seen_down);
            }
            e.rec.completion_on = now();
            e.rec.clone()
        };
        tracing::info!(info_hash = %ih, name = %rec.name, "download complete and verified");
        if let Err(e) = self.store.put(&[&rec], None) {
            tracing::warn!(info_hash = %ih, "saving the completion: {e:#}");
        }
        let at = rec.completion_on;
        let _ = self.finished_tx.send(rec);
        at
    }
}

/// What a per-run counter grew by since last seen (a restart of the
/// torrent's live state starts it at 0 again).
pub(super) fn grow(current: u64, seen: &mut u64) -> u64 {
    let d = if current >= *seen {
        current - *seen
    } else {
        current
    };
    *seen = current;
    d
}
