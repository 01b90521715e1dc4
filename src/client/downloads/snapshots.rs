//! What the API shows of each torrent: the engine's figures for a download
//! it holds, the record alone for one handed to the library seeder, and the
//! library's own seeds.

use std::collections::BTreeSet;
use std::path::Path;

use librqbit::{TorrentStats, TorrentStatsState};

use super::library::{LibraryTorrent, LIBRARY_CATEGORY};
use super::state::{self, Activity, Engine};
use super::store::{self, Download};
use super::ticks::grow;
use super::{Downloads, Snapshot};

impl Downloads {
    /// Every torrent (downloads, then library seeds), optionally only some hashes.
    pub fn snapshots(&self, only: Option<&BTreeSet<String>>) -> Vec<Snapshot> {
        let recs: Vec<(Download, u64, u64)> = self
            .lock()
            .values()
            .filter(|e| only.is_none_or(|o| o.contains(&e.rec.info_hash)))
            .map(|e| (e.rec.clone(), e.seen_up, e.seen_down))
            .collect();
        let mut out: Vec<Snapshot> = recs
            .into_iter()
            .map(|(r, up, down)| self.snapshot(r, up, down))
            .collect();
        for l in self.library.library() {
            if only.is_none_or(|o| o.contains(&l.info_hash))
                && !out.iter().any(|s| s.rec.info_hash == l.info_hash)
            {
                out.push(library_snapshot(l));
            }
        }
        out
    }

    /// `seen_*`: the engine's counters when last added to the record's totals.
    fn snapshot(&self, rec: Download, mut seen_up: u64, mut seen_down: u64) -> Snapshot {
        let mut s = Snapshot {
            state: "stalledUP",
            done_bytes: rec.size,
            dl_speed: 0,
            up_speed: 0,
            peers: 0,
            seeds: 0,
            eta: None,
            library: false,
            files: Vec::new(),
            error: None,
            tracker: None,
            rec,
        };
        let Some(h) = self.handle(&s.rec.info_hash) else {
            if !s.rec.handed_off {
                s.state = "error";
                s.error = Some("not in the download engine".into());
                s.done_bytes = 0;
                return s;
            }
            // Seeded by the library seeder now (or stopped, released by it):
            // the files from the .torrent, all present.
            if s.rec.stopped {
                s.state = "stoppedUP";
            }
            let meta = self.store.torrent(&s.rec.info_hash).ok().flatten();
            if let Some(Ok(m)) = meta.map(|b| crate::metainfo::parse(&b)) {
                s.files = m
                    .files
                    .into_iter()
                    .map(|f| (f.path, f.length, f.length))
                    .collect();
            }
            return s;
        };
        s.tracker = self.tracker_status(&s.rec.info_hash);
        let st = h.stats();
        let engine = match st.state {
            // A stopped torrent's first check is quick and shown as stopped, as qBittorrent does.
            TorrentStatsState::Initializing { paused: true } => Engine::Paused,
            TorrentStatsState::Initializing { paused: false } => Engine::Checking,
            TorrentStatsState::Live => Engine::Live,
            TorrentStatsState::Paused => Engine::Paused,
            TorrentStatsState::Error => Engine::Error,
        };
        s.done_bytes = verified_bytes(&st);
        if let Some(live) = &st.live {
            // Totals as of now, not of the last tick.
            s.rec.uploaded += grow(live.snapshot.uploaded_bytes, &mut seen_up);
            s.rec.downloaded += grow(live.snapshot.fetched_bytes, &mut seen_down);
            s.dl_speed = live.download_speed.as_bytes();
            s.up_speed = live.upload_speed.as_bytes();
            s.peers = live.snapshot.peer_stats.live;
            s.seeds = live.snapshot.peer_stats.live_seeders;
            let left = st.total_bytes.saturating_sub(s.done_bytes);
            // Rounded up: 0 means done.
            s.eta = (s.dl_speed > 0).then(|| left.div_ceil(s.dl_speed));
        }
        if st.finished {
            s.eta = Some(0);
        }
        s.files = h
            .with_metadata(|m| {
                m.file_infos
                    .iter()
                    .filter(|f| !f.attrs.padding)
                    .enumerate()
                    .map(|(i, f)| {
                        let have = st.file_progress.get(i).copied().unwrap_or(0);
                        (
                            f.relative_filename.to_string_lossy().into_owned(),
                            f.len,
                            have,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if st.finished && s.rec.completion_on == 0 {
            s.rec.completion_on = self.mark_finished(&s.rec.info_hash);
        }
        let missing = st.finished
            && !s.files.is_empty()
            && !Self::output_folder(&s.rec).join(&s.files[0].0).exists();
        s.state = state::qbt_state(
            engine,
            Activity {
                finished: st.finished,
                dl_speed: s.dl_speed,
                up_speed: s.up_speed,
                files_missing: missing,
            },
        );
        s.error = st.error;
        s
    }
}

/// Bytes of pieces whose hash the engine has verified. While librqbit checks
/// a torrent, its `progress_bytes` is how far the check has got, not what it
/// found: absent files are passed over at once, so a new torrent would show
/// every byte done until the check ends. Nothing counts as done before then.
fn verified_bytes(st: &TorrentStats) -> u64 {
    match st.state {
        TorrentStatsState::Initializing { .. } => 0,
        _ => st.progress_bytes,
    }
}

fn library_snapshot(l: LibraryTorrent) -> Snapshot {
    let save_path = l
        .content_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let name = l
        .content_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(l.name);
    Snapshot {
        rec: Download {
            info_hash: l.info_hash,
            name,
            size: l.size,
            multi: true,
            category: LIBRARY_CATEGORY.to_string(),
            tags: BTreeSet::new(),
            save_path,
            tracker: String::new(),
            ratio_limit: store::NO_LIMIT,
            seeding_time_limit: -1,
            added_on: 0,
            completion_on: 0,
            uploaded: 0,
            downloaded: 0,
            seeding_secs: 0,
            stopped: false,
            limit_reached: false,
            completed_announced: true,
            handed_off: true,
        },
        state: "stalledUP",
        done_bytes: l.size,
        dl_speed: 0,
        up_speed: 0,
        peers: 0,
        seeds: 0,
        eta: Some(0),
        library: true,
        files: Vec::new(),
        error: None,
        tracker: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(state: TorrentStatsState, progress_bytes: u64) -> TorrentStats {
        TorrentStats {
            state,
            file_progress: Vec::new(),
            error: None,
            progress_bytes,
            uploaded_bytes: 0,
            total_bytes: 1 << 20,
            finished: false,
            live: None,
        }
    }

    #[test]
    fn a_check_in_progress_counts_nothing_as_done() {
        // What librqbit reports while checking a new torrent whose files are absent.
        for paused in [false, true] {
            let checking = stats(TorrentStatsState::Initializing { paused }, 1 << 20);
            assert_eq!(verified_bytes(&checking), 0);
        }
        // Once checked, its figure is of verified pieces.
        assert_eq!(
            verified_bytes(&stats(TorrentStatsState::Paused, 4096)),
            4096
        );
        assert_eq!(verified_bytes(&stats(TorrentStatsState::Live, 8192)), 8192);
    }
}
