//! The served library: which torrents the seeder holds. Library seeds come
//! from client.redb (what the server holds, uploaded or a friend's identical
//! copy), finished downloads are handed over; each is only `stat`ed here, and
//! announced when it is added and when it leaves.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::announce::Cmd;
use super::registry::{self, Origin, Torrent};
use super::{files, Seeder};
use crate::client::queue::{ClientDb, FileStamp, Status};

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Torrent(#[from] registry::TorrentError),
    #[error(transparent)]
    File(#[from] files::FileError),
}

/// Counts of one library sync.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub added: usize,
    pub removed: usize,
    pub not_served: usize,
}

impl Seeder {
    fn insert(&self, t: Torrent, completed: bool) -> Arc<Torrent> {
        let t = Arc::new(t);
        if let Some(old) = self.shared.registry.insert(t.clone()) {
            self.shared.pieces.forget(&old);
        }
        if t.serving() {
            let _ = self.cmds.send(Cmd::Add {
                torrent: t.clone(),
                completed,
            });
        }
        t
    }

    /// Brings the served library in line with client.redb: records the server
    /// holds (uploaded, or a friend's identical copy) are served, others leave.
    /// Reads no media: new torrents are only `stat`ed.
    pub async fn sync_library(&self) -> anyhow::Result<Synced> {
        let db = self.db.clone();
        let wanted = tokio::task::spawn_blocking(move || library(&db)).await??;
        let mut report = Synced::default();
        let want: HashSet<[u8; 20]> = wanted.iter().map(|w| w.0).collect();
        for t in self.shared.registry.all() {
            if t.origin == Origin::Library && !want.contains(&t.info_hash) {
                self.drop_torrent(&t.info_hash);
                report.removed += 1;
            }
        }
        for (ih, bytes, stamps, uploaded) in wanted {
            // Served as recorded: nothing to do. A record whose stamps moved
            // (touched, then found identical by the scanner) is rebuilt.
            let current = self.shared.registry.get(&ih);
            if current.as_ref().is_some_and(|t| t.has_stamps(&stamps)) {
                continue;
            }
            let uploaded = current.map_or(uploaded, |t| t.uploaded.load(Ordering::Relaxed));
            match Torrent::new(&bytes, &stamps, Origin::Library, uploaded) {
                Ok(t) => {
                    if t.check_files().is_err() {
                        report.not_served += 1;
                    }
                    self.insert(t, false);
                    report.added += 1;
                }
                Err(e) => tracing::warn!(info_hash = %hex::encode(ih), "not seeded: {e}"),
            }
        }
        Ok(report)
    }

    /// Seeds a finished download whose files lie under `root` (read-only).
    pub fn add(&self, torrent: &[u8], root: &Path) -> Result<String, AddError> {
        let m = crate::metainfo::parse(torrent).map_err(registry::TorrentError::from)?;
        let multi = crate::bencode::decode(torrent)
            .ok()
            .and_then(|r| r.get("info").map(|i| i.get("files").is_some()))
            .unwrap_or(false);
        let base = root.join(&m.name);
        let mut stamps = Vec::with_capacity(m.files.len());
        for f in &m.files {
            let path: PathBuf = if multi {
                base.join(&f.path)
            } else {
                base.clone()
            };
            let meta =
                std::fs::metadata(&path).map_err(|_| files::FileError::Missing(path.clone()))?;
            let mtime = crate::create::walk::mtime_ns(&meta);
            files::check_stamp(&path, &meta, f.length, mtime)?;
            stamps.push(FileStamp {
                path: path.to_string_lossy().into_owned(),
                size: f.length,
                mtime_ns: mtime,
            });
        }
        let hex = hex::encode(m.info_hash);
        let uploaded = self
            .db
            .uploaded_totals()
            .ok()
            .and_then(|t| t.get(&hex).copied())
            .unwrap_or(0);
        let t = Torrent::new(torrent, &stamps, Origin::Download, uploaded)?;
        self.insert(t, true);
        Ok(hex)
    }

    fn drop_torrent(&self, ih: &[u8; 20]) -> bool {
        match self.shared.registry.remove(ih) {
            Some(t) => {
                t.stop_serving("removed".into());
                self.shared.pieces.forget(&t);
                let _ = self.cmds.send(Cmd::Remove(t));
                true
            }
            None => false,
        }
    }

    /// Stops seeding a torrent (hex info-hash); false when it was not seeded.
    pub fn remove(&self, info_hash: &str) -> bool {
        crate::metainfo::parse_hex_hash(info_hash).is_some_and(|ih| self.drop_torrent(&ih))
    }
}

type Wanted = ([u8; 20], Vec<u8>, Vec<FileStamp>, u64);

/// The records to seed, with their .torrent bytes and persisted upload totals.
fn library(db: &ClientDb) -> anyhow::Result<Vec<Wanted>> {
    let totals: HashMap<String, u64> = db.uploaded_totals()?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (_, rec) in db.records()? {
        if !matches!(rec.status, Status::Uploaded | Status::Duplicate) {
            continue;
        }
        let Some(ih) = crate::metainfo::parse_hex_hash(&rec.info_hash) else {
            continue;
        };
        if !seen.insert(ih) {
            continue;
        }
        let Some(bytes) = db.torrent(&rec.info_hash)? else {
            continue;
        };
        let up = totals.get(&rec.info_hash).copied().unwrap_or(0);
        out.push((ih, bytes, rec.files, up));
    }
    Ok(out)
}
