//! Whole-store copies on MySQL: an export reads one consistent snapshot (a
//! REPEATABLE READ transaction on a connection of its own, in steps), an
//! import writes each batch in one transaction.

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::{Executor, Row};

use super::rows::{self, TORRENT_COLUMNS, USER_COLUMNS};
use super::users::{self, NEXT_USER_ID};
use super::MySqlStore;
use crate::store::transfer::DERIVED_SETTINGS;
use crate::store::{Entry, StoreError, StoreResult};

/// Torrents (with their `.torrent` bytes) read per step of an export.
const STEP: u32 = 100;

/// What one step of an export reads, with the connection handed back.
type Step = (MySqlConnection, Vec<Entry>);

async fn torrents_after(mut conn: MySqlConnection, after: Vec<u8>) -> StoreResult<Step> {
    let cols = TORRENT_COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, f.bytes FROM torrents t JOIN torrent_files f ON f.info_hash = t.info_hash \
         WHERE t.info_hash > ? ORDER BY t.info_hash LIMIT {STEP}"
    ))
    .bind(after)
    .fetch_all(&mut conn)
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(Entry::Torrent {
                record: rows::torrent(r)?,
                file: r.try_get("bytes")?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((conn, entries))
}

async fn the_rest(mut conn: MySqlConnection) -> StoreResult<Step> {
    let mut out = Vec::new();
    for r in sqlx::query("SELECT info_hash, at FROM last_seeded ORDER BY info_hash")
        .fetch_all(&mut conn)
        .await?
    {
        out.push(Entry::Seeded {
            info_hash: rows::hash(&r, "info_hash")?,
            at: r.try_get("at")?,
        });
    }
    for r in sqlx::query("SELECT name, value FROM settings ORDER BY name")
        .fetch_all(&mut conn)
        .await?
    {
        let name = String::from_utf8(r.try_get("name")?)
            .map_err(|_| StoreError::Corrupt("settings: a name that is not UTF-8".into()))?;
        if !DERIVED_SETTINGS.contains(&name.as_str()) {
            out.push(Entry::Setting {
                name,
                value: r.try_get("value")?,
            });
        }
    }
    Ok((conn, out))
}

pub fn export(
    store: &MySqlStore,
    visit: &mut dyn FnMut(Entry) -> StoreResult<()>,
) -> StoreResult<()> {
    // A connection out of the pool: it is closed (and its snapshot ended)
    // when dropped, however the export ends.
    let (mut conn, members) = store.run(|p| async move {
        let mut conn = p.acquire().await?.detach();
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .await?;
        conn.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .await?;
        let members = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(|r| rows::user(r).map(Entry::User))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((conn, members))
    })?;
    members.into_iter().try_for_each(&mut *visit)?;
    let mut after = Vec::new();
    loop {
        let from = std::mem::take(&mut after);
        let (back, batch) = store.run(|_| torrents_after(conn, from))?;
        conn = back;
        let Some(Entry::Torrent { record, .. }) = batch.last() else {
            break;
        };
        after = record.info_hash.to_vec();
        batch.into_iter().try_for_each(&mut *visit)?;
    }
    let (_conn, rest) = store.run(|_| the_rest(conn))?;
    rest.into_iter().try_for_each(visit)
}

pub async fn import(pool: &MySqlPool, batch: Vec<Entry>) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for entry in &batch {
        match entry {
            Entry::User(u) => {
                users::insert(&mut tx, u).await?;
                // New ids go on after the copied ones (the copied setting, when it comes, says the same or more).
                let next: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT value FROM settings WHERE name = ? FOR UPDATE")
                        .bind(NEXT_USER_ID)
                        .fetch_optional(&mut *tx)
                        .await?;
                let next = next
                    .and_then(|v| v.try_into().ok().map(u64::from_be_bytes))
                    .unwrap_or(1);
                users::set_next_id(&mut tx, next.max(u.id.saturating_add(1))).await?;
            }
            Entry::Torrent { record, file } => {
                super::torrents::insert(&mut tx, record, file).await?;
            }
            Entry::Seeded { info_hash, at } => {
                sqlx::query(
                    "INSERT INTO last_seeded (info_hash, at) VALUES (?, ?) \
                     ON DUPLICATE KEY UPDATE at = ?",
                )
                .bind(&info_hash[..])
                .bind(*at)
                .bind(*at)
                .execute(&mut *tx)
                .await?;
            }
            Entry::Setting { name, value } if !DERIVED_SETTINGS.contains(&name.as_str()) => {
                super::settings::put(&mut *tx, name.as_bytes(), value).await?;
            }
            Entry::Setting { .. } => {}
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn clear(pool: &MySqlPool) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for table in [
        "users",
        "torrents",
        "torrent_files",
        "last_seeded",
        "settings",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
