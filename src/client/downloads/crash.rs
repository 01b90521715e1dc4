//! After a crash (`kill -9`, power loss) librqbit's fastresume bitfields are
//! stale: it writes them every 16 MiB of pieces and at a clean stop, so a
//! download killed half-way would start again from where its bitfield was
//! last written, often nothing, and fetch again what is already on disk.
//! A marker file says a run is under way; found at start, the previous run
//! did not stop cleanly, and the bitfields are dropped, so librqbit hashes
//! what is on disk (its "initial checksum validation") and keeps every piece
//! that is whole.

use std::path::{Path, PathBuf};

use anyhow::Context;

const MARKER: &str = "running";

/// The marker of this run, removed by [`RunMarker::clean_stop`].
#[derive(Debug)]
pub struct RunMarker(PathBuf);

impl RunMarker {
    /// Drops the bitfields under `state_dir` when the last run crashed, then marks this one.
    pub fn begin(state_dir: &Path) -> anyhow::Result<RunMarker> {
        let marker = state_dir.join(MARKER);
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("cannot create {}", state_dir.display()))?;
        if marker.exists() {
            let mut dropped = 0;
            for e in std::fs::read_dir(state_dir)?.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "bitv") && std::fs::remove_file(&p).is_ok() {
                    dropped += 1;
                }
            }
            tracing::warn!(
                dropped,
                "the last run did not stop cleanly: downloads are checked against the disk"
            );
        }
        std::fs::write(&marker, b"")
            .with_context(|| format!("cannot write {}", marker.display()))?;
        Ok(RunMarker(marker))
    }

    /// The engine stopped and wrote its bitfields: the next start trusts them.
    pub fn clean_stop(&self) {
        if let Err(e) = std::fs::remove_file(&self.0) {
            tracing::warn!(path = %self.0.display(), error = %e, "cannot remove the run marker");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitfields_are_dropped_only_after_a_run_that_did_not_stop_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let bitv = dir.path().join("ab.bitv");
        let session = dir.path().join("session.json");
        std::fs::write(&bitv, [1]).unwrap();
        std::fs::write(&session, "{}").unwrap();
        // A first start, then a clean stop: kept.
        RunMarker::begin(dir.path()).unwrap().clean_stop();
        let crashed = RunMarker::begin(dir.path()).unwrap();
        assert!(bitv.exists());
        // That run ended without clean_stop: dropped, the rest kept.
        drop(crashed);
        RunMarker::begin(dir.path()).unwrap();
        assert!(!bitv.exists());
        assert!(session.exists());
    }
}
