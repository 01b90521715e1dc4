//! Settings (admin password hash, server secret, …) as named byte values.

use sqlx::mysql::MySqlPool;

use crate::store::StoreResult;

pub async fn get(pool: &MySqlPool, name: String) -> StoreResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name.into_bytes())
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn set(pool: &MySqlPool, name: String, value: Vec<u8>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)",
    )
    .bind(name.into_bytes())
    .bind(value)
    .execute(pool)
    .await?;
    Ok(())
}
