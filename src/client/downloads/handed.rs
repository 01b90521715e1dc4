//! Finished downloads handed to the library seeder: the hand-over, their
//! upload and seeding time while the seeder serves them, their share limits,
//! stop and start (the seeder lets them go, announcing `stopped` and refusing
//! their peers, and takes them again), and deleting their files.

use std::collections::BTreeSet;
use std::path::Path;

use librqbit::api::TorrentIdOrHash;

use super::store::{Download, Prefs};
use super::ticks::{grow, TICK};
use super::{limits, Downloads};
use crate::client::announces::protocol::Event;

impl Downloads {
    /// Hands a finished download to the library seeder, which announces it
    /// `completed` as it starts seeding; when the seeder cannot take it (or
    /// the app deleted it already), the client announces `completed` itself.
    pub(super) async fn on_complete(&self, rec: Download) {
        // Handed over, the engine's peer leaves the swarm with its download
        // totals (`stopped`); the seeder's own announce is the `completed` one.
        let event = if self.hand_over(&rec).await {
            tracing::info!(info_hash = %rec.info_hash, "handed to the library seeder, which announces it completed");
            Event::Stopped
        } else {
            Event::Completed
        };
        let (up, down) = self
            .lock()
            .get(&rec.info_hash)
            .map_or((rec.uploaded, rec.downloaded), |e| {
                (e.rec.uploaded, e.rec.downloaded)
            });
        if self.announce_totals(&rec.info_hash, event, up, down).await {
            tracing::info!(info_hash = %rec.info_hash, event = event.word(), "download totals announced");
            let _ = self.edit(&BTreeSet::from([rec.info_hash.clone()]), |r| {
                r.completed_announced = true
            });
        } else {
            tracing::warn!(info_hash = %rec.info_hash, "announce of the download totals failed (see its announce history)")
        }
    }

    /// True when the seeder took the download and the engine let it go.
    async fn hand_over(&self, rec: &Download) -> bool {
        let _one_at_a_time = self.handover.lock().await;
        // Deleted meanwhile (the app imported it at once): nothing to hand over.
        let Some(h) = self.handle(&rec.info_hash) else {
            return false;
        };
        // Stopped meanwhile (a share limit met at once, or the app): it stays
        // paused in the engine, which announces the completion itself.
        if self
            .lock()
            .get(&rec.info_hash)
            .is_none_or(|e| e.rec.stopped)
        {
            return false;
        }
        let Some(bytes) = self.store.torrent(&rec.info_hash).ok().flatten() else {
            return false;
        };
        if !self.library.adopt(&bytes, &rec.save_path) {
            return false;
        }
        // The engine's last figures, then the seeder's counter from here on.
        if let Some(live) = h.stats().live {
            if let Some(e) = self.lock().get_mut(&rec.info_hash) {
                e.rec.uploaded += grow(live.snapshot.uploaded_bytes, &mut e.seen_up);
                e.rec.downloaded += grow(live.snapshot.fetched_bytes, &mut e.seen_down);
            }
        }
        self.seeder_counts_from_now(&rec.info_hash);
        // Recorded before the engine lets go, so the API never sees it in neither.
        let _ = self.edit(&BTreeSet::from([rec.info_hash.clone()]), |r| {
            r.handed_off = true
        });
        if let Err(e) = self
            .session
            .delete(TorrentIdOrHash::Hash(h.info_hash()), false)
            .await
        {
            tracing::warn!(info_hash = %rec.info_hash, "engine: {e:#}");
        }
        true
    }

    /// The seeder's upload counter of `ih` is where the record's total
    /// counts on from (it starts at the seeder's saved total, not at 0).
    fn seeder_counts_from_now(&self, ih: &str) {
        if let Some(up) = self.library.uploaded(ih) {
            if let Some(e) = self.lock().get_mut(ih) {
                e.seen_up = up;
            }
        }
    }

    /// Adds what the seeder sent since last looked at to the record's total.
    fn count_seeder_upload(&self, ih: &str) {
        if let Some(up) = self.library.uploaded(ih) {
            if let Some(e) = self.lock().get_mut(ih) {
                e.rec.uploaded += grow(up, &mut e.seen_up);
            }
        }
    }

    /// The seeder takes a handed-over download again (start, restart); false
    /// when it cannot (its files changed or went away).
    pub(super) fn readopt(&self, rec: &Download) -> bool {
        let Some(bytes) = self.store.torrent(&rec.info_hash).ok().flatten() else {
            return false;
        };
        if !self.library.adopt(&bytes, &rec.save_path) {
            return false;
        }
        self.seeder_counts_from_now(&rec.info_hash);
        true
    }

    /// Stops or starts handed-over downloads: the seeder lets them go or
    /// takes them again. Their records are already edited.
    pub(super) fn stop_start_handed(&self, recs: &[Download], stop: bool) {
        for rec in recs {
            if stop {
                self.count_seeder_upload(&rec.info_hash);
                self.library.release(&rec.info_hash);
                tracing::info!(info_hash = %rec.info_hash, "stopped: the seeder let it go");
            } else if self.readopt(rec) {
                tracing::info!(info_hash = %rec.info_hash, "started: seeded again");
            } else {
                tracing::warn!(info_hash = %rec.info_hash, "cannot seed it again: its files changed");
            }
        }
    }

    /// One tick of a handed-over download: the seeder's upload, its seeding
    /// time and share limits. The record, when it is to be saved.
    pub(super) fn tick_handed(&self, ih: &str, prefs: &Prefs, flush: bool) -> Option<Download> {
        let up = self.library.uploaded(ih);
        let (rec, stop_now) = {
            let mut entries = self.lock();
            let e = entries.get_mut(ih)?;
            if !e.rec.handed_off || e.rec.stopped {
                return None;
            }
            let before = e.rec.clone();
            if let Some(up) = up {
                e.rec.uploaded += grow(up, &mut e.seen_up);
                e.rec.seeding_secs += TICK.as_secs();
            }
            let stop_now = limits::reached(&e.rec, prefs);
            if stop_now {
                e.rec.stopped = true;
                e.rec.limit_reached = true;
            }
            (
                (stop_now || (flush && e.rec != before)).then(|| e.rec.clone()),
                stop_now,
            )
        };
        if stop_now {
            tracing::info!(info_hash = %ih, "share limit reached: stopped");
            self.library.release(ih);
        }
        rec
    }

    /// Deletes the files of a download the engine no longer holds (handed to
    /// the seeder): exactly the torrent's files under its folder, then the
    /// folders they leave empty.
    pub(super) fn remove_files(&self, rec: &Download) {
        let meta = match self
            .store
            .torrent(&rec.info_hash)
            .ok()
            .flatten()
            .map(|b| crate::metainfo::parse(&b))
        {
            Some(Ok(m)) => m,
            _ => return,
        };
        let folder = Self::output_folder(rec);
        for f in &meta.files {
            let path = if rec.multi {
                folder.join(&f.path)
            } else {
                rec.save_path.join(&rec.name)
            };
            if path.starts_with(&self.dir) {
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(info_hash = %rec.info_hash, "cannot delete {}: {e}", path.display());
                }
            }
        }
        if rec.multi {
            for d in meta
                .files
                .iter()
                .filter_map(|f| folder.join(&f.path).parent().map(Path::to_path_buf))
            {
                let mut d = d;
                while d.starts_with(&folder) && std::fs::remove_dir(&d).is_ok() {
                    if !d.pop() {
                        break;
                    }
                }
            }
        }
    }
}
