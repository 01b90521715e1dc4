//! The MySQL 8 / MariaDB 10.11+ store (cargo feature `mysql`), for groups that
//! run several server instances on one database. The `Store` trait is
//! blocking: every call is a future spawned on this adapter's own small tokio
//! runtime and waited for on the calling thread (the server calls the store
//! from its blocking pool), so the adapter works the same from the server,
//! the admin CLI and plain tests.

mod counters;
mod fallback;
mod rows;
mod schema;
mod settings;
#[cfg(test)]
mod tests;
mod torrents;
mod transfer;
mod users;

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlDatabaseError, MySqlPool, MySqlPoolOptions};
use sqlx::ConnectOptions;

use super::{
    AddedOrder, Entry, KeyHash, PutOutcome, Store, StoreError, StoreResult, StoreUrl,
    TorrentFilter, TorrentPage, TorrentRecord, TorrentTotals, User, UserDelta,
};

/// How long a call waits for a connection before it answers `Unavailable`
/// (a down database must turn into a quick 503, not a hung request).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
const MAX_CONNECTIONS: u32 = 16;

pub struct MySqlStore {
    pool: MySqlPool,
    runtime: Runtime,
    /// Last known members and torrent records, read only while the database is down.
    fallback: fallback::Fallback,
}

/// MySQL error numbers that mean "try again later", not "this call is wrong":
/// too many connections, server shutting down, lock wait timeout, deadlock,
/// query interrupted, read-only (a failover in progress), connection killed
/// (1927 MariaDB), idle connection closed by the server (4031 MySQL 8.0.24+; on
/// MariaDB 4031 is a trigger error our statements cannot raise).
const RETRYABLE: &[u16] = &[1040, 1053, 1205, 1213, 1290, 1317, 1836, 1927, 4031];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let retryable = match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(d) => d
                .try_downcast_ref::<MySqlDatabaseError>()
                .is_some_and(|m| RETRYABLE.contains(&m.number())),
            _ => false,
        };
        if retryable {
            StoreError::Unavailable(e.into())
        } else {
            StoreError::Backend(e.into())
        }
    }
}

impl MySqlStore {
    /// Connects, runs the schema migrations this binary knows (refusing a
    /// newer schema), and keeps a pool of connections.
    pub fn open(url: &StoreUrl) -> StoreResult<Self> {
        let runtime = Runtime(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("mysql-store")
                .enable_all()
                .build()
                .map_err(|e| StoreError::Open {
                    path: url.redacted(),
                    source: e.into(),
                })?,
        ));
        let open_error = |e: sqlx::Error| StoreError::Open {
            path: url.redacted(),
            source: e.into(),
        };
        let options = MySqlConnectOptions::from_url(url.secret())
            .map_err(open_error)?
            .charset("utf8mb4")
            // Statements are logged by our spans, not sqlx's (which would log at info).
            .disable_statement_logging();
        let pool = wait_on(&runtime, async move {
            MySqlPoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(StoreError::from)
        });
        let pool = pool.map_err(|e| match e {
            StoreError::Unavailable(source) | StoreError::Backend(source) => StoreError::Open {
                path: url.redacted(),
                source,
            },
            other => other,
        })?;
        let store = MySqlStore {
            pool,
            runtime,
            fallback: Default::default(),
        };
        store.run(|pool| async move { schema::migrate(&pool).await })?;
        tracing::info!(store = %url, "MySQL store open, schema version {}", schema::VERSION);
        Ok(store)
    }

    /// Runs `f(pool)` on the adapter's runtime and waits for its result.
    fn run<T, F>(&self, f: impl FnOnce(MySqlPool) -> F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = StoreResult<T>> + Send + 'static,
    {
        wait_on(&self.runtime, f(self.pool.clone()))
    }

    /// A read, answered from the last known records while the database is down.
    fn read_or_fallback<T>(
        &self,
        read: StoreResult<T>,
        fallback: impl FnOnce(&fallback::Fallback) -> Option<T>,
    ) -> StoreResult<T> {
        match read {
            Err(e @ StoreError::Unavailable(_)) => match fallback(&self.fallback) {
                Some(v) => {
                    tracing::warn!(
                        error = &e as &dyn std::error::Error,
                        "MySQL unreachable: answered from the last known records"
                    );
                    Ok(v)
                }
                None => Err(e),
            },
            other => other,
        }
    }
}

/// Runs `fut` on `runtime` and blocks this thread until it ends. Spawned,
/// not `block_on`: that panics when the caller is itself async code (the
/// server reads its secret at start on a worker thread).
fn wait_on<T, F>(runtime: &Runtime, fut: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: Future<Output = StoreResult<T>> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.handle().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| StoreError::Unavailable("the MySQL store's task ended".into()))?
}

/// The adapter's runtime, always present until dropped.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("kept until drop").handle()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which tokio refuses inside async code
        // (the server drops its store there): let it end in the background.
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Store for MySqlStore {
    fn create_user(&self, label: &str, api: KeyHash, pass: KeyHash, now: i64) -> StoreResult<User> {
        self.import_user(&User::new(0, label.to_string(), api, pass, now))
    }
    fn import_user(&self, user: &User) -> StoreResult<User> {
        let user = user.clone();
        let user = self.run(|p| async move { users::create(&p, user).await })?;
        self.fallback.member(&user);
        Ok(user)
    }
    fn user(&self, id: u64) -> StoreResult<Option<User>> {
        let read = self.run(|p| async move { users::by_id(&p, id).await });
        let read = self.read_or_fallback(read, |f| f.user(id).map(Some));
        if let Ok(found) = &read {
            self.fallback.member_read(id, found.as_ref());
        }
        read
    }
    fn user_by_api_key(&self, hash: &KeyHash) -> StoreResult<Option<User>> {
        let h = *hash;
        let read = self.run(|p| async move { users::by_api_key(&p, h).await });
        let read = self.read_or_fallback(read, |f| f.user_by_api_key(&h).map(Some));
        match &read {
            Ok(Some(u)) => self.fallback.member(u),
            Ok(None) => self.fallback.key_gone(&h),
            Err(_) => {}
        }
        read
    }
    fn users(&self) -> StoreResult<Vec<User>> {
        let read = self.run(|p| async move { users::all(&p).await });
        if let Ok(all) = &read {
            self.fallback.all_members(all);
        }
        self.read_or_fallback(read, |f| f.users())
    }
    fn set_user_keys(&self, id: u64, api: KeyHash, pass: KeyHash) -> StoreResult<bool> {
        let done = self.run(|p| async move { users::set_keys(&p, id, api, pass).await })?;
        self.fallback.forget_member(id);
        Ok(done)
    }
    fn set_user_enabled(&self, id: u64, enabled: bool) -> StoreResult<bool> {
        let done = self.run(|p| async move { users::set_enabled(&p, id, enabled).await })?;
        self.fallback.forget_member(id);
        Ok(done)
    }
    fn delete_user(&self, id: u64) -> StoreResult<bool> {
        let done = self.run(|p| async move { users::delete(&p, id).await })?;
        self.fallback.forget_member(id);
        Ok(done)
    }
    fn apply_user_deltas(&self, deltas: &[(u64, UserDelta)]) -> StoreResult<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        let deltas = deltas.to_vec();
        self.run(|p| async move { users::apply_deltas(&p, deltas).await })
    }
    fn put_torrent(&self, record: &TorrentRecord, torrent: &[u8]) -> StoreResult<PutOutcome> {
        let (rec, bytes) = (record.clone(), torrent.to_vec());
        let outcome = self.run(|p| async move { torrents::put(&p, rec, bytes).await })?;
        if outcome != PutOutcome::Conflict {
            self.fallback.forget_torrent(&record.info_hash);
        }
        Ok(outcome)
    }
    fn torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        let ih = *info_hash;
        let read = self.run(|p| async move { torrents::by_hash(&p, ih).await });
        if let Ok(Some(r)) = &read {
            self.fallback.torrent(r);
        }
        self.read_or_fallback(read, |f| f.record(&ih).map(Some))
    }
    fn torrents(&self, info_hashes: &[[u8; 20]]) -> StoreResult<Vec<TorrentRecord>> {
        let hashes = info_hashes.to_vec();
        let read = self.run(|p| async move { torrents::by_hashes(&p, hashes).await });
        if let Ok(found) = &read {
            found.iter().for_each(|r| self.fallback.torrent(r));
        }
        self.read_or_fallback(read, |f| {
            Some(info_hashes.iter().filter_map(|ih| f.record(ih)).collect())
        })
    }
    fn torrent_file(&self, info_hash: &[u8; 20]) -> StoreResult<Option<Vec<u8>>> {
        let ih = *info_hash;
        self.run(|p| async move { torrents::file(&p, ih).await })
    }
    fn delete_torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        let ih = *info_hash;
        let gone = self.run(|p| async move { torrents::delete(&p, ih).await })?;
        self.fallback.forget_torrent(&ih);
        Ok(gone)
    }
    fn torrent_count(&self) -> StoreResult<u64> {
        self.torrent_totals().map(|t| t.count)
    }
    fn torrent_totals(&self) -> StoreResult<TorrentTotals> {
        self.run(|p| async move { torrents::totals(&p).await })
    }
    fn torrent_page(
        &self,
        filter: &TorrentFilter,
        order: AddedOrder,
        skip: usize,
        limit: usize,
    ) -> StoreResult<TorrentPage> {
        let filter = filter.clone();
        self.run(move |p| async move { torrents::page(&p, filter, order, skip, limit).await })
    }
    fn torrents_of(&self, uploader: u64) -> StoreResult<Vec<[u8; 20]>> {
        self.run(|p| async move { torrents::of_uploader(&p, uploader).await })
    }
    fn for_each_torrent(&self, visit: &mut dyn FnMut(TorrentRecord)) -> StoreResult<()> {
        let mut after = None;
        loop {
            let from = after;
            let batch = self.run(|p| async move { torrents::batch_after(&p, from).await })?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = Some(last.info_hash);
            for rec in batch {
                self.fallback.torrent(&rec);
                visit(rec);
            }
        }
    }
    fn record_grab(&self, info_hash: &[u8; 20], grabber: u64) -> StoreResult<()> {
        let ih = *info_hash;
        self.run(|p| async move { counters::grab(&p, ih, grabber).await })
    }
    fn add_snatches(&self, counts: &[([u8; 20], u64)]) -> StoreResult<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let counts = counts.to_vec();
        self.run(|p| async move { counters::snatches(&p, counts).await })
    }
    fn record_seeded(&self, seen: &[([u8; 20], i64)]) -> StoreResult<()> {
        if seen.is_empty() {
            return Ok(());
        }
        let seen = seen.to_vec();
        self.run(|p| async move { counters::seeded(&p, seen).await })
    }
    fn last_seeded(&self) -> StoreResult<Vec<([u8; 20], i64)>> {
        self.run(|p| async move { counters::last_seeded(&p).await })
    }
    fn setting(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let key = key.to_string();
        self.run(|p| async move { settings::get(&p, key).await })
    }
    fn set_setting(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_vec());
        self.run(|p| async move { settings::put(&p, key.as_bytes(), &value).await })
    }
    fn backup_to(&self, path: &Path) -> StoreResult<()> {
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists",
                path.display()
            )));
        }
        let out = super::RedbStore::open_file(path)?;
        super::transfer::copy(self, &out).map(drop)
    }
    fn export(&self, visit: &mut dyn FnMut(Entry) -> StoreResult<()>) -> StoreResult<()> {
        transfer::export(self, visit)
    }
    fn import(&self, batch: &[Entry]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let batch = batch.to_vec();
        self.run(|p| async move { transfer::import(&p, batch).await })
    }
    fn clear(&self) -> StoreResult<()> {
        self.fallback.clear();
        self.run(|p| async move { transfer::clear(&p).await })
    }
}
