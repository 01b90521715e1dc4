//! The redb store's index of torrents by upload time (then title), and the
//! catalogue's total size, kept in the same transactions as the torrents table
//! so a panel page or the overview reads only what it shows.

use redb::{
    ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};

use super::redb_errors::be;
use super::redb_store::{from_json, SETTINGS, TORRENTS};
use super::{AddedOrder, StoreResult, TorrentFilter, TorrentPage, TorrentRecord, TorrentTotals};

/// Key: newest-first upload time (8 bytes), title, 0, info-hash (20 bytes).
pub(super) const BY_ADDED: TableDefinition<&[u8], ()> = TableDefinition::new("torrents_by_added");
/// The sum of the torrents' sizes, a big-endian u64 in the settings table.
const BYTES: &str = "torrent_bytes";

fn key(rec: &TorrentRecord) -> Vec<u8> {
    // Flipping the sign bit orders i64 as bytes; inverting makes it newest first.
    let added = !((rec.added as u64) ^ (1 << 63));
    let mut k = Vec::with_capacity(29 + rec.title().len());
    k.extend_from_slice(&added.to_be_bytes());
    k.extend_from_slice(rec.title().as_bytes());
    k.push(0);
    k.extend_from_slice(&rec.info_hash);
    k
}

fn info_hash_of(key: &[u8]) -> [u8; 20] {
    let mut ih = [0u8; 20];
    ih.copy_from_slice(&key[key.len() - 20..]);
    ih
}

fn bytes(tx: &WriteTransaction) -> StoreResult<Option<u64>> {
    let settings = tx.open_table(SETTINGS).map_err(be)?;
    let v = settings.get(BYTES).map_err(be)?;
    Ok(v.and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes)))
}

fn set_bytes(tx: &WriteTransaction, total: u64) -> StoreResult<()> {
    let mut settings = tx.open_table(SETTINGS).map_err(be)?;
    settings
        .insert(BYTES, total.to_be_bytes().as_slice())
        .map_err(be)?;
    Ok(())
}

/// A torrent was stored.
pub(super) fn added(tx: &WriteTransaction, rec: &TorrentRecord) -> StoreResult<()> {
    let mut index = tx.open_table(BY_ADDED).map_err(be)?;
    index.insert(key(rec).as_slice(), ()).map_err(be)?;
    let total = bytes(tx)?.unwrap_or(0).saturating_add(rec.size);
    set_bytes(tx, total)
}

/// A torrent was deleted.
pub(super) fn removed(tx: &WriteTransaction, rec: &TorrentRecord) -> StoreResult<()> {
    let mut index = tx.open_table(BY_ADDED).map_err(be)?;
    index.remove(key(rec).as_slice()).map_err(be)?;
    let total = bytes(tx)?.unwrap_or(0).saturating_sub(rec.size);
    set_bytes(tx, total)
}

/// A torrent's metadata (so maybe its title) was replaced.
pub(super) fn updated(
    tx: &WriteTransaction,
    old: &TorrentRecord,
    new: &TorrentRecord,
) -> StoreResult<()> {
    let mut index = tx.open_table(BY_ADDED).map_err(be)?;
    index.remove(key(old).as_slice()).map_err(be)?;
    index.insert(key(new).as_slice(), ()).map_err(be)?;
    Ok(())
}

/// Builds the index and the total again when they do not match the torrents
/// table (a store written before they existed).
pub(super) fn rebuild_if_stale(tx: &WriteTransaction) -> StoreResult<()> {
    let torrents = tx.open_table(TORRENTS).map_err(be)?;
    let indexed = tx.open_table(BY_ADDED).map_err(be)?.len().map_err(be)?;
    if indexed == torrents.len().map_err(be)? && bytes(tx)?.is_some() {
        return Ok(());
    }
    tx.delete_table(BY_ADDED).map_err(be)?;
    let mut index = tx.open_table(BY_ADDED).map_err(be)?;
    let mut total = 0u64;
    for entry in torrents.iter().map_err(be)? {
        let (_, v) = entry.map_err(be)?;
        let rec: TorrentRecord = from_json(v.value())?;
        index.insert(key(&rec).as_slice(), ()).map_err(be)?;
        total = total.saturating_add(rec.size);
    }
    drop(index);
    set_bytes(tx, total)
}

pub(super) fn totals(db: &redb::Database) -> StoreResult<TorrentTotals> {
    let tx = db.begin_read().map_err(be)?;
    let count = tx.open_table(TORRENTS).map_err(be)?.len().map_err(be)?;
    let settings = tx.open_table(SETTINGS).map_err(be)?;
    let v = settings.get(BYTES).map_err(be)?;
    let bytes = v
        .and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0);
    Ok(TorrentTotals { count, bytes })
}

pub(super) fn page(
    tx: &ReadTransaction,
    filter: &TorrentFilter,
    order: AddedOrder,
    skip: usize,
    limit: usize,
) -> StoreResult<TorrentPage> {
    let torrents = tx.open_table(TORRENTS).map_err(be)?;
    let index = tx.open_table(BY_ADDED).map_err(be)?;
    let keys = index.iter().map_err(be)?;
    let keys: Box<dyn Iterator<Item = _>> = match order {
        AddedOrder::NewestFirst => Box::new(keys),
        AddedOrder::OldestFirst => Box::new(keys.rev()),
    };
    let mut page = TorrentPage::default();
    let mut kept = 0usize;
    let wanted = skip.saturating_add(limit);
    for entry in keys {
        let (k, _) = entry.map_err(be)?;
        // Without a filter only the page's records are read.
        if filter.is_empty() && kept >= wanted {
            break;
        }
        let rec = if filter.is_empty() && kept < skip {
            None
        } else {
            let ih = info_hash_of(k.value());
            let Some(v) = torrents.get(&ih[..]).map_err(be)? else {
                continue;
            };
            let rec: TorrentRecord = from_json(v.value())?;
            if !filter.matches(&rec) {
                continue;
            }
            Some(rec)
        };
        if kept >= skip && kept < wanted {
            page.torrents.extend(rec);
        }
        kept += 1;
    }
    page.matching = if filter.is_empty() {
        torrents.len().map_err(be)?
    } else {
        kept as u64
    };
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RedbStore, Store, TorrentMeta};

    #[test]
    fn a_store_written_before_the_index_gets_it_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.redb");
        let store = RedbStore::open_file(&path).unwrap();
        for n in 1..=3u8 {
            let rec = TorrentRecord {
                info_hash: [n; 20],
                info_hash_v2: None,
                name: format!("t{n}"),
                size: 100 * u64::from(n),
                file_count: 1,
                piece_length: 16384,
                uploader: 1,
                added: i64::from(n),
                meta: TorrentMeta::default(),
                grabs: 0,
                snatches: 0,
            };
            store.put_torrent(&rec, b"x").unwrap();
        }
        drop(store);
        // What an older version left: torrents, no index, no total.
        let db = redb::Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        tx.delete_table(BY_ADDED).unwrap();
        tx.open_table(SETTINGS).unwrap().remove(BYTES).unwrap();
        tx.commit().unwrap();
        drop(db);

        let store = RedbStore::open_file(&path).unwrap();
        let totals = store.torrent_totals().unwrap();
        assert_eq!(
            totals,
            TorrentTotals {
                count: 3,
                bytes: 600
            }
        );
        let page = store
            .torrent_page(&TorrentFilter::default(), AddedOrder::NewestFirst, 0, 9)
            .unwrap();
        let names: Vec<_> = page.torrents.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t3", "t2", "t1"]);
    }
}
