//! Persistent state behind one trait, so the embedded redb store and the
//! optional MySQL adapter can serve the same server code.

mod config;
#[cfg(test)]
pub(crate) mod conformance;
#[cfg(feature = "mysql")]
pub mod mysql;
mod redb_backup;
mod redb_by_added;
mod redb_errors;
mod redb_open;
mod redb_reopen;
mod redb_seeded;
mod redb_store;
mod redb_transfer;
pub mod transfer;
mod types;

pub use config::{StoreConfig, StoreUrl};
pub use redb_reopen::RedbStore;
pub use redb_store::STORE_FILE;
pub use transfer::Entry;
pub use types::{
    search_text, transfer_totals, AddedOrder, KeyHash, PutOutcome, TorrentFilter, TorrentMeta,
    TorrentPage, TorrentRecord, TorrentTotals, User, UserDelta,
};

use std::sync::Arc;

/// Opens the configured store.
pub fn open(config: &StoreConfig) -> StoreResult<Arc<dyn Store>> {
    match config {
        StoreConfig::Redb { data_dir } => Ok(Arc::new(RedbStore::open_dir(data_dir)?)),
        #[cfg(feature = "mysql")]
        StoreConfig::Mysql(url) => Ok(Arc::new(mysql::MySqlStore::open(url)?)),
        #[cfg(not(feature = "mysql"))]
        StoreConfig::Mysql(url) => Err(StoreError::Invalid(format!(
            "{url}: this build has no MySQL support (build with `--features mysql`)"
        ))),
    }
}

/// A backend's own error (redb's, I/O, a store task that died), kept as the source.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Store failures with their causes kept as `source()`: a surface maps them
/// once and logs the whole chain (`error = &e as &dyn Error` in tracing, `{:#}`
/// through anyhow).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store is in use by another process (is the server running?): {0}")]
    InUse(String),
    #[error("cannot open the store at {path}")]
    Open {
        path: String,
        #[source]
        source: Cause,
    },
    /// The file exists but is not a store we can trust: refused, left as it is.
    #[error(
        "the store {path} is damaged ({reason}); it was left as it is: stop the server and \
         restore a backup with `privateindexer admin --data-dir DIR restore BACKUP_FILE`"
    )]
    Damaged { path: String, reason: String },
    /// The disk holding the store is full: nothing was written.
    #[error("the store's disk is full")]
    DiskFull(#[source] Cause),
    /// An I/O error: nothing was written, and the store is reopened before the next call.
    #[error("the store cannot write (an I/O error); it is being reopened")]
    Unwritable(#[source] Cause),
    #[error("store backend failed")]
    Backend(#[source] Cause),
    /// The database server cannot be reached (down, restarting, overloaded):
    /// nothing of this call was stored; the next call tries again.
    #[error("the database is unreachable; nothing was stored")]
    Unavailable(#[source] Cause),
    /// The database was set up by a newer version of this program.
    #[error(
        "the database's schema is version {found}, newer than this binary knows ({known}): \
         run the newer privateindexer that upgraded it (or restore a backup)"
    )]
    SchemaNewer { found: u32, known: u32 },
    /// A stored record that no longer decodes.
    #[error("stored record is corrupt")]
    CorruptRecord(#[source] serde_json::Error),
    /// A stored setting (named) that is not what it should be.
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
    /// Stores a member brought over from another system with its counters and
    /// times as given, under a new id (`user.id` is ignored), in one transaction.
    /// Like `create_user`, refused when either key hash already belongs to a member.
    fn import_user(&self, user: &User) -> StoreResult<User>;
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
    /// How many torrents there are and their total size, without reading them.
    fn torrent_totals(&self) -> StoreResult<TorrentTotals>;
    /// The torrents `filter` keeps, in `order`: `skip` of them passed over, then up
    /// to `limit`; and how many it keeps in all.
    fn torrent_page(
        &self,
        filter: &TorrentFilter,
        order: AddedOrder,
        skip: usize,
        limit: usize,
    ) -> StoreResult<TorrentPage>;
    fn torrents_of(&self, uploader: u64) -> StoreResult<Vec<[u8; 20]>>;
    /// Visits every torrent (used to build in-memory indexes at start-up).
    fn for_each_torrent(&self, visit: &mut dyn FnMut(TorrentRecord)) -> StoreResult<()>;
    /// Counts a grab: the torrent's grabs, the grabber's grabs, the uploader's popularity.
    fn record_grab(&self, info_hash: &[u8; 20], grabber: u64) -> StoreResult<()>;
    fn add_snatches(&self, counts: &[([u8; 20], u64)]) -> StoreResult<()>;
    /// Records when torrents were last seen seeded (Unix seconds), in one
    /// transaction; a time older than the stored one is ignored.
    fn record_seeded(&self, seen: &[([u8; 20], i64)]) -> StoreResult<()>;
    /// Every stored "last seen seeded" time (read once at start-up).
    fn last_seeded(&self) -> StoreResult<Vec<([u8; 20], i64)>>;

    // --- settings (admin password hash, server secret, …)
    fn setting(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set_setting(&self, key: &str, value: &[u8]) -> StoreResult<()>;

    /// Writes a consistent copy of the whole store to `path` (a new redb
    /// file, whichever the adapter: a backup any server can open).
    fn backup_to(&self, path: &std::path::Path) -> StoreResult<()>;

    // --- whole-store copies (`admin migrate`, portable backups)
    /// Every record from one consistent snapshot, in key order: members by
    /// id, torrents by info-hash, seeded times by info-hash, settings by name.
    /// Values the store derives (indexes, totals) are left out.
    fn export(&self, visit: &mut dyn FnMut(Entry) -> StoreResult<()>) -> StoreResult<()>;
    /// Writes records as they are (ids, counters and times kept), in one
    /// transaction per batch, keeping the store's own indexes and totals.
    fn import(&self, batch: &[Entry]) -> StoreResult<()>;
    /// Removes every record (`admin migrate --force` onto a used store).
    fn clear(&self) -> StoreResult<()>;
}
