//! The redb store's whole-store copies (`Store::export`, `import`, `clear`):
//! records in key order from one read transaction, and records written back
//! with the indexes and totals the store keeps beside them.

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::redb_by_added::{self, BY_ADDED};
use super::redb_errors::be;
use super::redb_seeded::LAST_SEEDED;
use super::redb_store::{
    from_json, upload_key, NEXT_USER_ID, SETTINGS, TORRENTS, TORRENT_FILES, UPLOADS, USERS,
    USER_BY_API_KEY, USER_BY_PASSKEY, V2_TO_V1,
};
use super::transfer::DERIVED_SETTINGS;
use super::{Entry, StoreError, StoreResult, TorrentRecord, User};

pub(super) fn export(
    db: &Database,
    visit: &mut dyn FnMut(Entry) -> StoreResult<()>,
) -> StoreResult<()> {
    let tx = db.begin_read().map_err(be)?;
    for entry in tx.open_table(USERS).map_err(be)?.iter().map_err(be)? {
        let (_, v) = entry.map_err(be)?;
        visit(Entry::User(from_json::<User>(v.value())?))?;
    }
    let files = tx.open_table(TORRENT_FILES).map_err(be)?;
    for entry in tx.open_table(TORRENTS).map_err(be)?.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        let record: TorrentRecord = from_json(v.value())?;
        let file = files
            .get(k.value())
            .map_err(be)?
            .ok_or_else(|| StoreError::Corrupt("a torrent without its .torrent file".into()))?
            .value()
            .to_vec();
        visit(Entry::Torrent { record, file })?;
    }
    for entry in tx.open_table(LAST_SEEDED).map_err(be)?.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        if let Ok(info_hash) = <[u8; 20]>::try_from(k.value()) {
            visit(Entry::Seeded {
                info_hash,
                at: v.value(),
            })?;
        }
    }
    for entry in tx.open_table(SETTINGS).map_err(be)?.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        if !DERIVED_SETTINGS.contains(&k.value()) {
            visit(Entry::Setting {
                name: k.value().to_string(),
                value: v.value().to_vec(),
            })?;
        }
    }
    Ok(())
}

pub(super) fn import(db: &Database, batch: &[Entry]) -> StoreResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let tx = db.begin_write().map_err(be)?;
    for entry in batch {
        match entry {
            Entry::User(u) => {
                let json = serde_json::to_vec(u).map_err(be)?;
                tx.open_table(USERS)
                    .map_err(be)?
                    .insert(u.id, json.as_slice())
                    .map_err(be)?;
                tx.open_table(USER_BY_API_KEY)
                    .map_err(be)?
                    .insert(&u.api_key_hash[..], u.id)
                    .map_err(be)?;
                tx.open_table(USER_BY_PASSKEY)
                    .map_err(be)?
                    .insert(&u.passkey_hash[..], u.id)
                    .map_err(be)?;
                // New ids go on after the copied ones (the copied setting, when it comes, says the same or more).
                let mut settings = tx.open_table(SETTINGS).map_err(be)?;
                let next = settings
                    .get(NEXT_USER_ID)
                    .map_err(be)?
                    .and_then(|v| v.value().try_into().ok().map(u64::from_be_bytes))
                    .unwrap_or(1);
                let next = next.max(u.id.saturating_add(1));
                settings
                    .insert(NEXT_USER_ID, &next.to_be_bytes()[..])
                    .map_err(be)?;
            }
            Entry::Torrent { record, file } => {
                let ih = &record.info_hash[..];
                let json = serde_json::to_vec(record).map_err(be)?;
                tx.open_table(TORRENTS)
                    .map_err(be)?
                    .insert(ih, json.as_slice())
                    .map_err(be)?;
                tx.open_table(TORRENT_FILES)
                    .map_err(be)?
                    .insert(ih, file.as_slice())
                    .map_err(be)?;
                if let Some(v2) = &record.info_hash_v2 {
                    tx.open_table(V2_TO_V1)
                        .map_err(be)?
                        .insert(&v2[..], ih)
                        .map_err(be)?;
                }
                tx.open_table(UPLOADS)
                    .map_err(be)?
                    .insert(&upload_key(record.uploader, &record.info_hash)[..], ())
                    .map_err(be)?;
                redb_by_added::added(&tx, record)?;
            }
            Entry::Seeded { info_hash, at } => {
                tx.open_table(LAST_SEEDED)
                    .map_err(be)?
                    .insert(&info_hash[..], *at)
                    .map_err(be)?;
            }
            Entry::Setting { name, value } => {
                if !DERIVED_SETTINGS.contains(&name.as_str()) {
                    tx.open_table(SETTINGS)
                        .map_err(be)?
                        .insert(name.as_str(), value.as_slice())
                        .map_err(be)?;
                }
            }
        }
    }
    tx.commit().map_err(be)
}

fn wipe<K: redb::Key + 'static, V: redb::Value + 'static>(
    tx: &redb::WriteTransaction,
    def: TableDefinition<K, V>,
) -> StoreResult<()> {
    tx.delete_table(def).map_err(be)?;
    tx.open_table(def).map_err(be)?;
    Ok(())
}

pub(super) fn clear(db: &Database) -> StoreResult<()> {
    let tx = db.begin_write().map_err(be)?;
    wipe(&tx, USERS)?;
    wipe(&tx, USER_BY_API_KEY)?;
    wipe(&tx, USER_BY_PASSKEY)?;
    wipe(&tx, TORRENTS)?;
    wipe(&tx, TORRENT_FILES)?;
    wipe(&tx, V2_TO_V1)?;
    wipe(&tx, UPLOADS)?;
    wipe(&tx, SETTINGS)?;
    wipe(&tx, LAST_SEEDED)?;
    wipe(&tx, BY_ADDED)?;
    redb_by_added::rebuild_if_stale(&tx)?;
    tx.commit().map_err(be)
}
