//! The database's tables, as numbered migrations recorded in `schema_version`.
//! They run at start, under a named lock so two instances starting at once do
//! not both run them; a database whose version is newer than this binary's is
//! refused (an older binary would misread or damage its records).

use sqlx::mysql::MySqlPool;
use sqlx::Row;

use super::StoreError;
use crate::store::StoreResult;

/// Migration `n` (1-based) brings the schema from version n-1 to n. Append
/// only: a released migration is never edited.
const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE users (
        id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        label VARCHAR(255) NOT NULL,
        api_key_hash BINARY(32) NOT NULL,
        passkey_hash BINARY(32) NOT NULL,
        created BIGINT NOT NULL,
        last_seen BIGINT NOT NULL,
        enabled BOOLEAN NOT NULL,
        uploaded BIGINT UNSIGNED NOT NULL,
        downloaded BIGINT UNSIGNED NOT NULL,
        grabs BIGINT UNSIGNED NOT NULL,
        uploads BIGINT UNSIGNED NOT NULL,
        popularity BIGINT UNSIGNED NOT NULL,
        snatches BIGINT UNSIGNED NOT NULL,
        UNIQUE KEY users_api_key (api_key_hash),
        UNIQUE KEY users_passkey (passkey_hash)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    // title_key (the title shown) and search (lowercase title and name) are
    // bytes, so order and substring tests are bytewise as in the redb store;
    // texts are only stored and read (a _bin collation would make sqlx see bytes).
    "CREATE TABLE torrents (
        info_hash BINARY(20) NOT NULL PRIMARY KEY,
        info_hash_v2 BINARY(32) NULL,
        name TEXT NOT NULL,
        size BIGINT UNSIGNED NOT NULL,
        file_count INT UNSIGNED NOT NULL,
        piece_length BIGINT UNSIGNED NOT NULL,
        uploader BIGINT UNSIGNED NOT NULL,
        added BIGINT NOT NULL,
        category INT UNSIGNED NOT NULL,
        parent_category INT UNSIGNED NOT NULL,
        title_key VARBINARY(2048) NOT NULL,
        search BLOB NOT NULL,
        meta TEXT NOT NULL,
        grabs BIGINT UNSIGNED NOT NULL,
        snatches BIGINT UNSIGNED NOT NULL,
        UNIQUE KEY torrents_v2 (info_hash_v2),
        KEY torrents_uploader (uploader),
        KEY torrents_added (added)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
    "CREATE TABLE torrent_files (
        info_hash BINARY(20) NOT NULL PRIMARY KEY,
        bytes LONGBLOB NOT NULL
    ) ENGINE=InnoDB",
    "CREATE TABLE last_seeded (
        info_hash BINARY(20) NOT NULL PRIMARY KEY,
        at BIGINT NOT NULL
    ) ENGINE=InnoDB",
    "CREATE TABLE settings (
        name VARBINARY(255) NOT NULL PRIMARY KEY,
        value LONGBLOB NOT NULL
    ) ENGINE=InnoDB",
]];

/// The schema version this binary writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

const LOCK: &str = "privateindexer_schema";

pub async fn migrate(pool: &MySqlPool) -> StoreResult<()> {
    // GET_LOCK belongs to a connection: hold one for the whole run.
    let mut conn = pool.acquire().await?;
    let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 60)")
        .bind(LOCK)
        .fetch_one(&mut *conn)
        .await?;
    if locked != Some(1) {
        return Err(StoreError::Unavailable(
            "another instance holds the schema lock for over 60 s".into(),
        ));
    }
    let result = async {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_version (
                version INT UNSIGNED NOT NULL PRIMARY KEY,
                applied BIGINT NOT NULL
            ) ENGINE=InnoDB",
        )
        .execute(&mut *conn)
        .await?;
        let found: u64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(version), 0) AS UNSIGNED) AS v FROM schema_version",
        )
        .fetch_one(&mut *conn)
        .await?
        .try_get("v")?;
        let found = u32::try_from(found).unwrap_or(u32::MAX);
        if found > VERSION {
            return Err(StoreError::SchemaNewer {
                found,
                known: VERSION,
            });
        }
        for (n, steps) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            // MySQL commits DDL at once: each step is one statement, and the
            // version row is written after the last, so a crash mid-way is
            // seen as the step not run (its CREATEs then fail loudly, not silently).
            for step in *steps {
                sqlx::query(step).execute(&mut *conn).await?;
            }
            sqlx::query("INSERT INTO schema_version (version, applied) VALUES (?, ?)")
                .bind(n as u32 + 1)
                .bind(crate::core::clock::now())
                .execute(&mut *conn)
                .await?;
            tracing::info!(version = n + 1, "MySQL store: schema migrated");
        }
        Ok(())
    }
    .await;
    let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(LOCK)
        .execute(&mut *conn)
        .await;
    result
}
