//! The embedded store as the server holds it: after an I/O error (a full
//! disk, a failing write) redb refuses every later call ("Previous I/O error
//! occurred") until the file is closed and opened again, so the handle is let
//! go at the first such error and the next call opens the file again (verified
//! as at start). A reopen that fails is tried again at most once a second.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::redb_store::{RedbFile, STORE_FILE};
use super::{
    AddedOrder, Entry, KeyHash, PutOutcome, Store, StoreError, StoreResult, TorrentFilter,
    TorrentPage, TorrentRecord, TorrentTotals, User, UserDelta,
};

const RETRY_EVERY: Duration = Duration::from_secs(1);

pub struct RedbStore {
    path: PathBuf,
    /// `None` after an I/O error, until a reopen succeeds.
    current: RwLock<Option<Arc<RedbFile>>>,
    last_reopen: Mutex<Option<Instant>>,
}

impl RedbStore {
    /// Opens (or creates) the store file inside `dir`.
    pub fn open_dir(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
            path: dir.display().to_string(),
            source: e.into(),
        })?;
        Self::open_file(&dir.join(STORE_FILE))
    }

    pub fn open_file(path: &Path) -> StoreResult<Self> {
        Ok(RedbStore {
            path: path.to_path_buf(),
            current: RwLock::new(Some(Arc::new(RedbFile::open(path)?))),
            last_reopen: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> StoreResult<Arc<RedbFile>> {
        if let Some(f) = &*self.current.read().unwrap_or_else(|p| p.into_inner()) {
            return Ok(f.clone());
        }
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = &*current {
            return Ok(f.clone());
        }
        let mut last = self.last_reopen.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < RETRY_EVERY) {
            return Err(StoreError::Unwritable(
                "the store is being reopened after an I/O error".into(),
            ));
        }
        *last = Some(Instant::now());
        match RedbFile::open(&self.path) {
            Ok(f) => {
                tracing::warn!(path = %self.path.display(), "store reopened after an I/O error");
                let f = Arc::new(f);
                *current = Some(f.clone());
                Ok(f)
            }
            Err(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "cannot reopen the store yet (tried again at the next call)"
                );
                // A handle still finishing a call holds the file's lock for a moment.
                Err(match e {
                    StoreError::InUse(_) => StoreError::Unwritable(e.into()),
                    other => other,
                })
            }
        }
    }

    /// Runs `f` on the open file; an I/O error lets the file go for a reopen.
    fn call<T>(&self, f: impl FnOnce(&RedbFile) -> StoreResult<T>) -> StoreResult<T> {
        let file = self.file()?;
        let result = f(&file);
        if let Err(e @ (StoreError::DiskFull(_) | StoreError::Unwritable(_))) = &result {
            let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
            if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, &file)) {
                tracing::error!(
                    error = e as &dyn std::error::Error,
                    "store I/O error: nothing of this call was stored; reopening the store"
                );
                *current = None;
            }
        }
        result
    }
}

impl Store for RedbStore {
    fn create_user(&self, label: &str, api: KeyHash, pass: KeyHash, now: i64) -> StoreResult<User> {
        self.call(|s| s.create_user(label, api, pass, now))
    }
    fn import_user(&self, user: &User) -> StoreResult<User> {
        self.call(|s| s.import_user(user))
    }
    fn user(&self, id: u64) -> StoreResult<Option<User>> {
        self.call(|s| s.user(id))
    }
    fn user_by_api_key(&self, hash: &KeyHash) -> StoreResult<Option<User>> {
        self.call(|s| s.user_by_api_key(hash))
    }
    fn users(&self) -> StoreResult<Vec<User>> {
        self.call(|s| s.users())
    }
    fn set_user_keys(&self, id: u64, api: KeyHash, pass: KeyHash) -> StoreResult<bool> {
        self.call(|s| s.set_user_keys(id, api, pass))
    }
    fn set_user_enabled(&self, id: u64, enabled: bool) -> StoreResult<bool> {
        self.call(|s| s.set_user_enabled(id, enabled))
    }
    fn delete_user(&self, id: u64) -> StoreResult<bool> {
        self.call(|s| s.delete_user(id))
    }
    fn apply_user_deltas(&self, deltas: &[(u64, UserDelta)]) -> StoreResult<()> {
        self.call(|s| s.apply_user_deltas(deltas))
    }
    fn put_torrent(&self, record: &TorrentRecord, torrent: &[u8]) -> StoreResult<PutOutcome> {
        self.call(|s| s.put_torrent(record, torrent))
    }
    fn torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        self.call(|s| s.torrent(info_hash))
    }
    fn torrents(&self, info_hashes: &[[u8; 20]]) -> StoreResult<Vec<TorrentRecord>> {
        self.call(|s| s.torrents(info_hashes))
    }
    fn torrent_file(&self, info_hash: &[u8; 20]) -> StoreResult<Option<Vec<u8>>> {
        self.call(|s| s.torrent_file(info_hash))
    }
    fn delete_torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        self.call(|s| s.delete_torrent(info_hash))
    }
    fn torrent_count(&self) -> StoreResult<u64> {
        self.call(|s| s.torrent_count())
    }
    fn torrent_totals(&self) -> StoreResult<TorrentTotals> {
        self.call(|s| s.torrent_totals())
    }
    fn torrent_page(
        &self,
        filter: &TorrentFilter,
        order: AddedOrder,
        skip: usize,
        limit: usize,
    ) -> StoreResult<TorrentPage> {
        self.call(|s| s.torrent_page(filter, order, skip, limit))
    }
    fn torrents_of(&self, uploader: u64) -> StoreResult<Vec<[u8; 20]>> {
        self.call(|s| s.torrents_of(uploader))
    }
    fn for_each_torrent(&self, visit: &mut dyn FnMut(TorrentRecord)) -> StoreResult<()> {
        self.call(|s| s.for_each_torrent(visit))
    }
    fn record_grab(&self, info_hash: &[u8; 20], grabber: u64) -> StoreResult<()> {
        self.call(|s| s.record_grab(info_hash, grabber))
    }
    fn add_snatches(&self, counts: &[([u8; 20], u64)]) -> StoreResult<()> {
        self.call(|s| s.add_snatches(counts))
    }
    fn record_seeded(&self, seen: &[([u8; 20], i64)]) -> StoreResult<()> {
        self.call(|s| s.record_seeded(seen))
    }
    fn last_seeded(&self) -> StoreResult<Vec<([u8; 20], i64)>> {
        self.call(|s| s.last_seeded())
    }
    fn setting(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.call(|s| s.setting(key))
    }
    fn set_setting(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.call(|s| s.set_setting(key, value))
    }
    fn backup_to(&self, path: &Path) -> StoreResult<()> {
        self.call(|s| s.backup_to(path))
    }
    fn export(&self, visit: &mut dyn FnMut(Entry) -> StoreResult<()>) -> StoreResult<()> {
        self.call(|s| s.export(visit))
    }
    fn import(&self, batch: &[Entry]) -> StoreResult<()> {
        self.call(|s| s.import(batch))
    }
    fn clear(&self) -> StoreResult<()> {
        self.call(|s| s.clear())
    }
}
