//! Members: ids from a counter row (never reused, as in the redb store), keys
//! as unique hashes, counters added in place so instances never overwrite
//! each other's deltas.

use sqlx::mysql::MySqlPool;
use sqlx::{MySql, Transaction};

use super::rows::{self, USER_COLUMNS};
use crate::store::{KeyHash, StoreError, StoreResult, User, UserDelta};

pub const NEXT_USER_ID: &str = "next_user_id";

/// The next member id, taken under a row lock (so two instances never hand out one id).
async fn next_id(tx: &mut Transaction<'static, MySql>) -> StoreResult<u64> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ? FOR UPDATE")
            .bind(NEXT_USER_ID)
            .fetch_optional(&mut **tx)
            .await?;
    let id = match stored {
        Some(v) => u64::from_be_bytes(
            v.try_into()
                .map_err(|_| crate::store::StoreError::Corrupt(NEXT_USER_ID.into()))?,
        ),
        None => 1,
    };
    set_next_id(tx, id + 1).await?;
    Ok(id)
}

pub async fn set_next_id(tx: &mut Transaction<'static, MySql>, next: u64) -> StoreResult<()> {
    super::settings::put(&mut **tx, NEXT_USER_ID.as_bytes(), &next.to_be_bytes()).await
}

pub async fn insert(tx: &mut Transaction<'static, MySql>, u: &User) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(u.id)
    .bind(&u.label)
    .bind(&u.api_key_hash[..])
    .bind(&u.passkey_hash[..])
    .bind(u.created)
    .bind(u.last_seen)
    .bind(u.enabled)
    .bind(u.uploaded)
    .bind(u.downloaded)
    .bind(u.grabs)
    .bind(u.uploads)
    .bind(u.popularity)
    .bind(u.snatches)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Stores `user` under the next id (its own `id` is ignored); refused when
/// either key hash already belongs to a member.
pub async fn create(pool: &MySqlPool, mut user: User) -> StoreResult<User> {
    let mut tx = pool.begin().await?;
    user.id = next_id(&mut tx).await?;
    match insert(&mut tx, &user).await {
        Err(e) if super::torrents::is_duplicate(&e) => {
            return Err(StoreError::Invalid(
                "that key already belongs to a member".into(),
            ))
        }
        other => other?,
    }
    tx.commit().await?;
    Ok(user)
}

pub async fn by_id(pool: &MySqlPool, id: u64) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(rows::user).transpose()
}

pub async fn by_api_key(pool: &MySqlPool, hash: KeyHash) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE api_key_hash = ?"
    ))
    .bind(&hash[..])
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(rows::user).transpose()
}

pub async fn all(pool: &MySqlPool) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(rows::user).collect()
}

pub async fn set_keys(pool: &MySqlPool, id: u64, api: KeyHash, pass: KeyHash) -> StoreResult<bool> {
    // One statement: the old hashes stop resolving as the new ones start.
    let done = sqlx::query("UPDATE users SET api_key_hash = ?, passkey_hash = ? WHERE id = ?")
        .bind(&api[..])
        .bind(&pass[..])
        .bind(id)
        .execute(pool)
        .await?;
    // sqlx asks for found rows: a row whose values did not change still counts.
    Ok(done.rows_affected() > 0)
}

pub async fn set_enabled(pool: &MySqlPool, id: u64, enabled: bool) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET enabled = ? WHERE id = ?")
        .bind(enabled)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete(pool: &MySqlPool, id: u64) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM users WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// `column + ?`, stopping at u64::MAX as the redb store's saturating_add does.
fn saturating(column: &str) -> String {
    format!(
        "{column} = IF({column} > 18446744073709551615 - ?, 18446744073709551615, {column} + ?)"
    )
}

pub async fn apply_deltas(pool: &MySqlPool, deltas: Vec<(u64, UserDelta)>) -> StoreResult<()> {
    let sql = format!(
        "UPDATE users SET {}, {}, {}, last_seen = GREATEST(last_seen, ?) WHERE id = ?",
        saturating("uploaded"),
        saturating("downloaded"),
        saturating("snatches")
    );
    let mut tx = pool.begin().await?;
    for (id, d) in deltas {
        // A member deleted since the delta was counted matches no row.
        sqlx::query(&sql)
            .bind(d.uploaded)
            .bind(d.uploaded)
            .bind(d.downloaded)
            .bind(d.downloaded)
            .bind(d.snatches)
            .bind(d.snatches)
            .bind(d.last_seen)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
