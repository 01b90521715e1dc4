//! Grabs, snatches and "last seen seeded" times, added in place (never read,
//! changed and written back) so instances sharing the database add up.

use sqlx::mysql::MySqlPool;

use super::rows;
use crate::store::StoreResult;

pub async fn grab(pool: &MySqlPool, ih: [u8; 20], grabber: u64) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let uploader: Option<u64> =
        sqlx::query_scalar("SELECT uploader FROM torrents WHERE info_hash = ? FOR UPDATE")
            .bind(&ih[..])
            .fetch_optional(&mut *tx)
            .await?;
    let Some(uploader) = uploader else {
        return Ok(()); // an unknown torrent: nothing counted
    };
    sqlx::query("UPDATE torrents SET grabs = grabs + 1 WHERE info_hash = ?")
        .bind(&ih[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET grabs = grabs + 1 WHERE id = ?")
        .bind(grabber)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET popularity = popularity + 1 WHERE id = ?")
        .bind(uploader)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn snatches(pool: &MySqlPool, counts: Vec<([u8; 20], u64)>) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for (ih, n) in counts {
        sqlx::query(
            "UPDATE torrents SET snatches = IF(snatches > 18446744073709551615 - ?, \
             18446744073709551615, snatches + ?) WHERE info_hash = ?",
        )
        .bind(n)
        .bind(n)
        .bind(&ih[..])
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn seeded(pool: &MySqlPool, seen: Vec<([u8; 20], i64)>) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    for (ih, at) in seen {
        // An older time (a late write from another instance) never moves it back.
        // The value is bound twice: VALUES(at) is deprecated in MySQL 8.0.20+ and
        // its replacement (a row alias) is not in MariaDB.
        sqlx::query(
            "INSERT INTO last_seeded (info_hash, at) VALUES (?, ?) \
             ON DUPLICATE KEY UPDATE at = GREATEST(at, ?)",
        )
        .bind(&ih[..])
        .bind(at)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn last_seeded(pool: &MySqlPool) -> StoreResult<Vec<([u8; 20], i64)>> {
    use sqlx::Row;
    sqlx::query("SELECT info_hash, at FROM last_seeded ORDER BY info_hash")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((rows::hash(r, "info_hash")?, r.try_get("at")?)))
        .collect()
}
