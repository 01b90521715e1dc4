//! Settings (admin password hash, server secret, …) as named byte values.

use sqlx::mysql::MySqlPool;
use sqlx::MySql;

use crate::store::StoreResult;

pub async fn get(pool: &MySqlPool, name: String) -> StoreResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name.into_bytes())
            .fetch_optional(pool)
            .await?,
    )
}

/// Writes a setting with `executor` (the pool, or a transaction's connection). The
/// value is bound twice: `VALUES(value)` is deprecated in MySQL 8.0.20+, and its
/// replacement (a row alias) is not in MariaDB.
pub async fn put<'e, E>(executor: E, name: &[u8], value: &[u8]) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = MySql>,
{
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = ?",
    )
    .bind(name)
    .bind(value)
    .bind(value)
    .execute(executor)
    .await?;
    Ok(())
}
