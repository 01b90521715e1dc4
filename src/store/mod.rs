//! Persistent state behind one trait, so the embedded redb store and the
//! optional MySQL adapter can serve the same server code.

#[cfg(test)]
mod conformance;
mod redb_store;
mod types;

pub use redb_store::{RedbStore, STORE_FILE};
pub use types::{
    transfer_totals, KeyHash, PutOutcome, TorrentMeta, TorrentRecord, User, UserDelta,
};

use std::path::PathBuf;
use std::sync::Arc;

/// Which store to open. The embedded redb file is the one adapter today; others
/// (MySQL for the multi-container stack) join as variants behind cargo features.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// `privateindexer.redb` in this folder (created when missing).
    Redb { data_dir: PathBuf },
}

/// Opens the configured store.
pub fn open(config: &StoreConfig) -> StoreResult<Arc<dyn Store>> {
    match config {
        StoreConfig::Redb { data_dir } => Ok(Arc::new(RedbStore::open_dir(data_dir)?)),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store is in use by another process (is the server running?): {0}")]
    InUse(String),
    #[error("store error: {0}")]
    Backend(String),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the server persists. Calls are blocking: async callers run them
/// on the blocking pool (see `app::state::AppState::store_call`).
pub trait Store: Send + Sync + 'static {
    // --- members
    fn create_user(
        &self,
        label: &str,
        api_key_hash: KeyHash,
        passkey_hash: KeyHash,
        now: i64,
    ) -> StoreResult<User>;
    fn user(&self, id: u64) -> StoreResult<Option<User>>;
    fn user_by_api_key(&self, hash: &KeyHash) -> StoreResult<Option<User>>;
    fn users(&self) -> StoreResult<Vec<User>>;
    /// Replaces both keys at once; the old hashes stop resolving in the same transaction.
    fn set_user_keys(
        &self,
        id: u64,
        api_key_hash: KeyHash,
        passkey_hash: KeyHash,
    ) -> StoreResult<bool>;
    fn set_user_enabled(&self, id: u64, enabled: bool) -> StoreResult<bool>;
    fn delete_user(&self, id: u64) -> StoreResult<bool>;
    /// Adds counter deltas for many members in one transaction.
    fn apply_user_deltas(&self, deltas: &[(u64, UserDelta)]) -> StoreResult<()>;

    // --- torrents
    /// Stores a new torrent, or updates the metadata when the same uploader re-sends it.
    fn put_torrent(&self, record: &TorrentRecord, torrent: &[u8]) -> StoreResult<PutOutcome>;
    fn torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>>;
    /// Several torrents in one read transaction, in the given order; unknown hashes are skipped.
    fn torrents(&self, info_hashes: &[[u8; 20]]) -> StoreResult<Vec<TorrentRecord>>;
    fn torrent_file(&self, info_hash: &[u8; 20]) -> StoreResult<Option<Vec<u8>>>;
    fn delete_torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>>;
    fn torrent_count(&self) -> StoreResult<u64>;
    fn torrents_of(&self, uploader: u64) -> StoreResult<Vec<[u8; 20]>>;
    /// Visits every torrent (used to build in-memory indexes at start-up).
    fn for_each_torrent(&self, visit: &mut dyn FnMut(TorrentRecord)) -> StoreResult<()>;
    /// Counts a grab: the torrent's grabs, the grabber's grabs, the uploader's popularity.
    fn record_grab(&self, info_hash: &[u8; 20], grabber: u64) -> StoreResult<()>;
    fn add_snatches(&self, counts: &[([u8; 20], u64)]) -> StoreResult<()>;

    // --- settings (admin password hash, server secret, …)
    fn setting(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set_setting(&self, key: &str, value: &[u8]) -> StoreResult<()>;

    /// Writes a consistent copy of the whole store to `path` (a new file).
    fn backup_to(&self, path: &std::path::Path) -> StoreResult<()>;
}
