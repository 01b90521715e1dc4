//! The redb store's "last seen seeded" table: per torrent, the last time the
//! tracker saw a seeder, written in batches with the counter flush and read
//! once at start-up, so a torrent nobody seeds can be listed as dead.

use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use super::redb_errors::be;
use super::StoreResult;

/// Key: v1 info-hash; value: Unix seconds.
pub(super) const LAST_SEEDED: TableDefinition<&[u8], i64> = TableDefinition::new("last_seeded");

/// Keeps the newest time of each torrent (a late, older write never moves it back).
pub(super) fn record(db: &redb::Database, seen: &[([u8; 20], i64)]) -> StoreResult<()> {
    if seen.is_empty() {
        return Ok(());
    }
    let tx = db.begin_write().map_err(be)?;
    {
        let mut t = tx.open_table(LAST_SEEDED).map_err(be)?;
        for (ih, at) in seen {
            let old = t.get(&ih[..]).map_err(be)?.map(|v| v.value());
            if old.is_none_or(|old| *at > old) {
                t.insert(&ih[..], *at).map_err(be)?;
            }
        }
    }
    tx.commit().map_err(be)
}

pub(super) fn all(db: &redb::Database) -> StoreResult<Vec<([u8; 20], i64)>> {
    let tx = db.begin_read().map_err(be)?;
    let t = tx.open_table(LAST_SEEDED).map_err(be)?;
    let mut out = Vec::new();
    for entry in t.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        // A key of another length is not ours to read; skip it rather than fail start-up.
        if let Ok(ih) = <[u8; 20]>::try_from(k.value()) {
            out.push((ih, v.value()));
        }
    }
    Ok(out)
}

/// A torrent was deleted: its time goes with it.
pub(super) fn removed(tx: &WriteTransaction, ih: &[u8; 20]) -> StoreResult<()> {
    tx.open_table(LAST_SEEDED)
        .map_err(be)?
        .remove(&ih[..])
        .map_err(be)?;
    Ok(())
}
