//! Torrents: records with the columns searches and pages filter and order on,
//! `.torrent` bytes in their own table, and the duplicate rules of uploads.

use sqlx::mysql::MySqlPool;
use sqlx::{MySql, QueryBuilder, Row, Transaction};

use super::rows::{self, TORRENT_COLUMNS};
use crate::store::{
    AddedOrder, PutOutcome, StoreError, StoreResult, TorrentFilter, TorrentPage, TorrentRecord,
    TorrentTotals,
};

/// MySQL's duplicate-key error: another instance stored the same torrent first.
const DUPLICATE_KEY: u16 = 1062;

/// Rows per batch of a full scan (start-up, exports).
pub const BATCH: u32 = 1000;

pub async fn insert(
    tx: &mut Transaction<'static, MySql>,
    rec: &TorrentRecord,
    file: &[u8],
) -> StoreResult<()> {
    let d = rows::derived(rec)?;
    sqlx::query(
        "INSERT INTO torrents (info_hash, info_hash_v2, name, size, file_count, piece_length, \
         uploader, added, category, parent_category, title_key, search, meta, grabs, snatches) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&rec.info_hash[..])
    .bind(rec.info_hash_v2.as_ref().map(|h| &h[..]))
    .bind(&rec.name)
    .bind(rec.size)
    .bind(rec.file_count)
    .bind(rec.piece_length)
    .bind(rec.uploader)
    .bind(rec.added)
    .bind(d.category)
    .bind(d.parent)
    .bind(d.title_key)
    .bind(d.search)
    .bind(d.meta)
    .bind(rec.grabs)
    .bind(rec.snatches)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO torrent_files (info_hash, bytes) VALUES (?, ?)")
        .bind(&rec.info_hash[..])
        .bind(file)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn locked(
    tx: &mut Transaction<'static, MySql>,
    ih: &[u8; 20],
) -> StoreResult<Option<TorrentRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {TORRENT_COLUMNS} FROM torrents WHERE info_hash = ? FOR UPDATE"
    ))
    .bind(&ih[..])
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(rows::torrent).transpose()
}

async fn put_once(pool: &MySqlPool, rec: &TorrentRecord, file: &[u8]) -> StoreResult<PutOutcome> {
    let mut tx = pool.begin().await?;
    let outcome = match locked(&mut tx, &rec.info_hash).await? {
        Some(old) if old.uploader != rec.uploader => return Ok(PutOutcome::Conflict),
        Some(old) => {
            // The same uploader re-sent it: metadata replaced, the rest kept.
            let d = rows::derived(&TorrentRecord {
                meta: rec.meta.clone(),
                ..old
            })?;
            sqlx::query(
                "UPDATE torrents SET meta = ?, category = ?, parent_category = ?, title_key = ?, \
                 search = ? WHERE info_hash = ?",
            )
            .bind(d.meta)
            .bind(d.category)
            .bind(d.parent)
            .bind(d.title_key)
            .bind(d.search)
            .bind(&rec.info_hash[..])
            .execute(&mut *tx)
            .await?;
            PutOutcome::Updated
        }
        None => {
            if let Some(v2) = &rec.info_hash_v2 {
                let twin: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT info_hash FROM torrents WHERE info_hash_v2 = ?")
                        .bind(&v2[..])
                        .fetch_optional(&mut *tx)
                        .await?;
                if twin.is_some() {
                    return Ok(PutOutcome::Conflict);
                }
            }
            let fresh = TorrentRecord {
                grabs: 0,
                snatches: 0,
                ..rec.clone()
            };
            insert(&mut tx, &fresh, file).await?;
            sqlx::query("UPDATE users SET uploads = uploads + 1 WHERE id = ?")
                .bind(rec.uploader)
                .execute(&mut *tx)
                .await?;
            PutOutcome::Created
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

pub(super) fn is_duplicate(e: &StoreError) -> bool {
    let StoreError::Backend(cause) = e else {
        return false;
    };
    cause
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|d| d.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .is_some_and(|m| m.number() == DUPLICATE_KEY)
}

pub async fn put(pool: &MySqlPool, rec: TorrentRecord, file: Vec<u8>) -> StoreResult<PutOutcome> {
    match put_once(pool, &rec, &file).await {
        // Another instance inserted it between our check and insert: decide again.
        Err(e) if is_duplicate(&e) => put_once(pool, &rec, &file).await,
        other => other,
    }
}

pub async fn by_hash(pool: &MySqlPool, ih: [u8; 20]) -> StoreResult<Option<TorrentRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {TORRENT_COLUMNS} FROM torrents WHERE info_hash = ?"
    ))
    .bind(&ih[..])
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(rows::torrent).transpose()
}

pub async fn by_hashes(pool: &MySqlPool, hashes: Vec<[u8; 20]>) -> StoreResult<Vec<TorrentRecord>> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<MySql>::new(format!(
        "SELECT {TORRENT_COLUMNS} FROM torrents WHERE info_hash IN ("
    ));
    let mut list = q.separated(", ");
    for ih in &hashes {
        list.push_bind(ih.to_vec());
    }
    q.push(")");
    let found: std::collections::HashMap<[u8; 20], TorrentRecord> = q
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| rows::torrent(r).map(|t| (t.info_hash, t)))
        .collect::<StoreResult<_>>()?;
    // In the asked order, unknown hashes skipped.
    Ok(hashes
        .iter()
        .filter_map(|ih| found.get(ih).cloned())
        .collect())
}

pub async fn file(pool: &MySqlPool, ih: [u8; 20]) -> StoreResult<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT bytes FROM torrent_files WHERE info_hash = ?")
            .bind(&ih[..])
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn delete(pool: &MySqlPool, ih: [u8; 20]) -> StoreResult<Option<TorrentRecord>> {
    let mut tx = pool.begin().await?;
    let Some(rec) = locked(&mut tx, &ih).await? else {
        return Ok(None);
    };
    for sql in [
        "DELETE FROM torrents WHERE info_hash = ?",
        "DELETE FROM torrent_files WHERE info_hash = ?",
        "DELETE FROM last_seeded WHERE info_hash = ?",
    ] {
        sqlx::query(sql).bind(&ih[..]).execute(&mut *tx).await?;
    }
    sqlx::query("UPDATE users SET uploads = IF(uploads > 0, uploads - 1, 0) WHERE id = ?")
        .bind(rec.uploader)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(rec))
}

pub async fn totals(pool: &MySqlPool) -> StoreResult<TorrentTotals> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS UNSIGNED) AS n, CAST(COALESCE(SUM(size), 0) AS UNSIGNED) AS b \
         FROM torrents",
    )
    .fetch_one(pool)
    .await?;
    Ok(TorrentTotals {
        count: row.try_get("n")?,
        bytes: row.try_get("b")?,
    })
}

/// `WHERE …` of a filter: every word a bytewise substring of the lowercase
/// text (LIKE on a binary column), and the category or its parent.
fn push_filter(q: &mut QueryBuilder<'_, MySql>, filter: &TorrentFilter) {
    q.push(" WHERE 1 = 1");
    for w in &filter.words {
        let escaped = w.replace('!', "!!").replace('%', "!%").replace('_', "!_");
        q.push(" AND search LIKE ")
            .push_bind(format!("%{escaped}%").into_bytes())
            .push(" ESCAPE '!'");
    }
    if let Some(c) = filter.category {
        let column = if crate::categories::is_parent(c) {
            "parent_category"
        } else {
            "category"
        };
        q.push(format!(" AND {column} = ")).push_bind(c);
    }
}

pub async fn page(
    pool: &MySqlPool,
    filter: TorrentFilter,
    order: AddedOrder,
    skip: usize,
    limit: usize,
) -> StoreResult<TorrentPage> {
    let mut count = QueryBuilder::<MySql>::new("SELECT CAST(COUNT(*) AS UNSIGNED) FROM torrents");
    push_filter(&mut count, &filter);
    let matching: u64 = count.build_query_scalar().fetch_one(pool).await?;
    let mut q = QueryBuilder::<MySql>::new(format!("SELECT {TORRENT_COLUMNS} FROM torrents"));
    push_filter(&mut q, &filter);
    // As the redb index: by time, uploads of one second by title, then info-hash.
    q.push(match order {
        AddedOrder::NewestFirst => " ORDER BY added DESC, title_key ASC, info_hash ASC",
        AddedOrder::OldestFirst => " ORDER BY added ASC, title_key DESC, info_hash DESC",
    });
    q.push(" LIMIT ")
        .push_bind(limit as u64)
        .push(" OFFSET ")
        .push_bind(skip as u64);
    let torrents = q
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(rows::torrent)
        .collect::<StoreResult<_>>()?;
    Ok(TorrentPage { torrents, matching })
}

pub async fn of_uploader(pool: &MySqlPool, uploader: u64) -> StoreResult<Vec<[u8; 20]>> {
    sqlx::query("SELECT info_hash FROM torrents WHERE uploader = ? ORDER BY info_hash")
        .bind(uploader)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| rows::hash(r, "info_hash"))
        .collect()
}

/// The next `BATCH` torrents by info-hash after `after` (a scan in steps).
pub async fn batch_after(
    pool: &MySqlPool,
    after: Option<[u8; 20]>,
) -> StoreResult<Vec<TorrentRecord>> {
    let after = after.map(|a| a.to_vec()).unwrap_or_default();
    sqlx::query(&format!(
        "SELECT {TORRENT_COLUMNS} FROM torrents WHERE info_hash > ? ORDER BY info_hash LIMIT {BATCH}"
    ))
    .bind(after)
    .fetch_all(pool)
    .await?
    .iter()
    .map(rows::torrent)
    .collect()
}
