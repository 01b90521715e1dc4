//! The embedded store: one redb file, ACID, crash-safe.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{de::DeserializeOwned, Serialize};

use super::redb_errors::be;
use super::{
    redb_by_added, redb_seeded, redb_transfer, AddedOrder, Entry, KeyHash, PutOutcome, Store,
    StoreError, StoreResult,
};
use super::{TorrentFilter, TorrentPage, TorrentRecord, TorrentTotals, User, UserDelta};

pub(super) const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
pub(super) const USER_BY_API_KEY: TableDefinition<&[u8], u64> =
    TableDefinition::new("user_by_api_key");
pub(super) const USER_BY_PASSKEY: TableDefinition<&[u8], u64> =
    TableDefinition::new("user_by_passkey");
pub(super) const TORRENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("torrents");
pub(super) const TORRENT_FILES: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("torrent_files");
pub(super) const V2_TO_V1: TableDefinition<&[u8], &[u8]> = TableDefinition::new("v2_to_v1");
/// Key: uploader id (big-endian) ++ v1 info-hash, so one member's uploads are one range.
pub(super) const UPLOADS: TableDefinition<&[u8], ()> = TableDefinition::new("uploads");
pub(super) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");

pub(super) const NEXT_USER_ID: &str = "next_user_id";
pub const STORE_FILE: &str = "privateindexer.redb";

/// One open redb file. `RedbStore` holds it and opens the file again after an
/// I/O error (redb refuses every call after one until it is reopened).
pub(super) struct RedbFile {
    db: Database,
}

fn to_json<T: Serialize>(v: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(be)
}

pub(super) fn from_json<T: DeserializeOwned>(b: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(b).map_err(StoreError::CorruptRecord)
}

pub(super) fn upload_key(uploader: u64, ih: &[u8; 20]) -> [u8; 28] {
    let mut k = [0u8; 28];
    k[..8].copy_from_slice(&uploader.to_be_bytes());
    k[8..].copy_from_slice(ih);
    k
}

impl RedbFile {
    /// Opens the file (verified, see `redb_open`), creating it only when missing.
    pub(super) fn open(path: &Path) -> StoreResult<Self> {
        let file = RedbFile {
            db: super::redb_open::open_checked(path)?,
        };
        file.create_tables()?;
        Ok(file)
    }

    fn create_tables(&self) -> StoreResult<()> {
        let tx = self.db.begin_write().map_err(be)?;
        tx.open_table(USERS).map_err(be)?;
        tx.open_table(USER_BY_API_KEY).map_err(be)?;
        tx.open_table(USER_BY_PASSKEY).map_err(be)?;
        tx.open_table(TORRENTS).map_err(be)?;
        tx.open_table(TORRENT_FILES).map_err(be)?;
        tx.open_table(V2_TO_V1).map_err(be)?;
        tx.open_table(UPLOADS).map_err(be)?;
        tx.open_table(SETTINGS).map_err(be)?;
        tx.open_table(redb_seeded::LAST_SEEDED).map_err(be)?;
        redb_by_added::rebuild_if_stale(&tx)?;
        tx.commit().map_err(be)
    }

    fn user_by_index(
        &self,
        table: TableDefinition<&[u8], u64>,
        hash: &KeyHash,
    ) -> StoreResult<Option<User>> {
        let tx = self.db.begin_read().map_err(be)?;
        let idx = tx.open_table(table).map_err(be)?;
        let Some(id) = idx.get(&hash[..]).map_err(be)?.map(|v| v.value()) else {
            return Ok(None);
        };
        let users = tx.open_table(USERS).map_err(be)?;
        let user = users.get(id).map_err(be)?;
        user.map(|u| from_json(u.value())).transpose()
    }

    /// Stores `user` under the next id with its keys indexed, in one transaction;
    /// refused when either key hash already belongs to a member.
    fn insert_user(&self, mut user: User) -> StoreResult<User> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut by_api = tx.open_table(USER_BY_API_KEY).map_err(be)?;
            let mut by_pass = tx.open_table(USER_BY_PASSKEY).map_err(be)?;
            if by_api.get(&user.api_key_hash[..]).map_err(be)?.is_some()
                || by_pass.get(&user.passkey_hash[..]).map_err(be)?.is_some()
            {
                return Err(StoreError::Invalid(
                    "that key already belongs to a member".into(),
                ));
            }
            let mut settings = tx.open_table(SETTINGS).map_err(be)?;
            let id = match settings.get(NEXT_USER_ID).map_err(be)? {
                Some(v) => u64::from_be_bytes(
                    v.value()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt(NEXT_USER_ID.into()))?,
                ),
                None => 1,
            };
            settings
                .insert(NEXT_USER_ID, &(id + 1).to_be_bytes()[..])
                .map_err(be)?;
            user.id = id;
            tx.open_table(USERS)
                .map_err(be)?
                .insert(id, to_json(&user)?.as_slice())
                .map_err(be)?;
            by_api.insert(&user.api_key_hash[..], id).map_err(be)?;
            by_pass.insert(&user.passkey_hash[..], id).map_err(be)?;
        }
        tx.commit().map_err(be)?;
        Ok(user)
    }

    /// Reads a user, lets `change` edit it, writes it back; false when absent.
    fn update_user(
        &self,
        id: u64,
        change: impl FnOnce(&mut User, &redb::WriteTransaction) -> StoreResult<()>,
    ) -> StoreResult<bool> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut users = tx.open_table(USERS).map_err(be)?;
            let Some(mut user) = users
                .get(id)
                .map_err(be)?
                .map(|v| from_json::<User>(v.value()))
                .transpose()?
            else {
                return Ok(false);
            };
            change(&mut user, &tx)?;
            users.insert(id, to_json(&user)?.as_slice()).map_err(be)?;
        }
        tx.commit().map_err(be)?;
        Ok(true)
    }
}

impl Store for RedbFile {
    fn create_user(
        &self,
        label: &str,
        api_key_hash: KeyHash,
        passkey_hash: KeyHash,
        now: i64,
    ) -> StoreResult<User> {
        self.insert_user(User::new(
            0,
            label.to_string(),
            api_key_hash,
            passkey_hash,
            now,
        ))
    }

    fn import_user(&self, user: &User) -> StoreResult<User> {
        self.insert_user(user.clone())
    }

    fn user(&self, id: u64) -> StoreResult<Option<User>> {
        let tx = self.db.begin_read().map_err(be)?;
        let users = tx.open_table(USERS).map_err(be)?;
        let u = users.get(id).map_err(be)?;
        u.map(|v| from_json(v.value())).transpose()
    }

    fn user_by_api_key(&self, hash: &KeyHash) -> StoreResult<Option<User>> {
        self.user_by_index(USER_BY_API_KEY, hash)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        let tx = self.db.begin_read().map_err(be)?;
        let users = tx.open_table(USERS).map_err(be)?;
        let mut out = Vec::with_capacity(users.len().map_err(be)? as usize);
        for entry in users.iter().map_err(be)? {
            let (_, v) = entry.map_err(be)?;
            out.push(from_json(v.value())?);
        }
        Ok(out)
    }

    fn set_user_keys(
        &self,
        id: u64,
        api_key_hash: KeyHash,
        passkey_hash: KeyHash,
    ) -> StoreResult<bool> {
        self.update_user(id, |user, tx| {
            let mut by_api = tx.open_table(USER_BY_API_KEY).map_err(be)?;
            by_api.remove(&user.api_key_hash[..]).map_err(be)?;
            by_api.insert(&api_key_hash[..], id).map_err(be)?;
            let mut by_pass = tx.open_table(USER_BY_PASSKEY).map_err(be)?;
            by_pass.remove(&user.passkey_hash[..]).map_err(be)?;
            by_pass.insert(&passkey_hash[..], id).map_err(be)?;
            user.api_key_hash = api_key_hash;
            user.passkey_hash = passkey_hash;
            Ok(())
        })
    }

    fn set_user_enabled(&self, id: u64, enabled: bool) -> StoreResult<bool> {
        self.update_user(id, |user, _| {
            user.enabled = enabled;
            Ok(())
        })
    }

    fn delete_user(&self, id: u64) -> StoreResult<bool> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut users = tx.open_table(USERS).map_err(be)?;
            let Some(user) = users
                .remove(id)
                .map_err(be)?
                .map(|v| from_json::<User>(v.value()))
                .transpose()?
            else {
                return Ok(false);
            };
            tx.open_table(USER_BY_API_KEY)
                .map_err(be)?
                .remove(&user.api_key_hash[..])
                .map_err(be)?;
            tx.open_table(USER_BY_PASSKEY)
                .map_err(be)?
                .remove(&user.passkey_hash[..])
                .map_err(be)?;
        }
        tx.commit().map_err(be)?;
        Ok(true)
    }

    fn apply_user_deltas(&self, deltas: &[(u64, UserDelta)]) -> StoreResult<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut users = tx.open_table(USERS).map_err(be)?;
            for (id, d) in deltas {
                // A member deleted since the delta was counted is skipped, not an error.
                let Some(mut user) = users
                    .get(*id)
                    .map_err(be)?
                    .map(|v| from_json::<User>(v.value()))
                    .transpose()?
                else {
                    continue;
                };
                user.uploaded = user.uploaded.saturating_add(d.uploaded);
                user.downloaded = user.downloaded.saturating_add(d.downloaded);
                user.snatches = user.snatches.saturating_add(d.snatches);
                user.last_seen = user.last_seen.max(d.last_seen);
                users.insert(*id, to_json(&user)?.as_slice()).map_err(be)?;
            }
        }
        tx.commit().map_err(be)
    }

    fn put_torrent(&self, record: &TorrentRecord, torrent: &[u8]) -> StoreResult<PutOutcome> {
        let tx = self.db.begin_write().map_err(be)?;
        let outcome;
        {
            let mut torrents = tx.open_table(TORRENTS).map_err(be)?;
            let existing = torrents
                .get(&record.info_hash[..])
                .map_err(be)?
                .map(|v| from_json::<TorrentRecord>(v.value()))
                .transpose()?;
            match existing {
                Some(old) if old.uploader != record.uploader => return Ok(PutOutcome::Conflict),
                Some(old) => {
                    let updated = TorrentRecord {
                        meta: record.meta.clone(),
                        ..old.clone()
                    };
                    torrents
                        .insert(&record.info_hash[..], to_json(&updated)?.as_slice())
                        .map_err(be)?;
                    redb_by_added::updated(&tx, &old, &updated)?;
                    outcome = PutOutcome::Updated;
                }
                None => {
                    if let Some(v2) = &record.info_hash_v2 {
                        let mut v2_index = tx.open_table(V2_TO_V1).map_err(be)?;
                        if v2_index.get(&v2[..]).map_err(be)?.is_some() {
                            return Ok(PutOutcome::Conflict);
                        }
                        v2_index
                            .insert(&v2[..], &record.info_hash[..])
                            .map_err(be)?;
                    }
                    torrents
                        .insert(&record.info_hash[..], to_json(record)?.as_slice())
                        .map_err(be)?;
                    redb_by_added::added(&tx, record)?;
                    tx.open_table(TORRENT_FILES)
                        .map_err(be)?
                        .insert(&record.info_hash[..], torrent)
                        .map_err(be)?;
                    tx.open_table(UPLOADS)
                        .map_err(be)?
                        .insert(&upload_key(record.uploader, &record.info_hash)[..], ())
                        .map_err(be)?;
                    let mut users = tx.open_table(USERS).map_err(be)?;
                    let uploader = users
                        .get(record.uploader)
                        .map_err(be)?
                        .map(|v| from_json::<User>(v.value()))
                        .transpose()?;
                    if let Some(mut u) = uploader {
                        u.uploads += 1;
                        users.insert(u.id, to_json(&u)?.as_slice()).map_err(be)?;
                    }
                    outcome = PutOutcome::Created;
                }
            }
        }
        tx.commit().map_err(be)?;
        Ok(outcome)
    }

    fn torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TORRENTS).map_err(be)?;
        let v = t.get(&info_hash[..]).map_err(be)?;
        v.map(|v| from_json(v.value())).transpose()
    }

    fn torrents(&self, info_hashes: &[[u8; 20]]) -> StoreResult<Vec<TorrentRecord>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TORRENTS).map_err(be)?;
        let mut out = Vec::with_capacity(info_hashes.len());
        for ih in info_hashes {
            if let Some(v) = t.get(&ih[..]).map_err(be)? {
                out.push(from_json(v.value())?);
            }
        }
        Ok(out)
    }

    fn torrent_file(&self, info_hash: &[u8; 20]) -> StoreResult<Option<Vec<u8>>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TORRENT_FILES).map_err(be)?;
        let v = t.get(&info_hash[..]).map_err(be)?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    fn delete_torrent(&self, info_hash: &[u8; 20]) -> StoreResult<Option<TorrentRecord>> {
        let tx = self.db.begin_write().map_err(be)?;
        let record;
        {
            let mut torrents = tx.open_table(TORRENTS).map_err(be)?;
            let Some(rec) = torrents
                .remove(&info_hash[..])
                .map_err(be)?
                .map(|v| from_json::<TorrentRecord>(v.value()))
                .transpose()?
            else {
                return Ok(None);
            };
            tx.open_table(TORRENT_FILES)
                .map_err(be)?
                .remove(&info_hash[..])
                .map_err(be)?;
            tx.open_table(UPLOADS)
                .map_err(be)?
                .remove(&upload_key(rec.uploader, info_hash)[..])
                .map_err(be)?;
            redb_by_added::removed(&tx, &rec)?;
            redb_seeded::removed(&tx, info_hash)?;
            if let Some(v2) = &rec.info_hash_v2 {
                tx.open_table(V2_TO_V1)
                    .map_err(be)?
                    .remove(&v2[..])
                    .map_err(be)?;
            }
            let mut users = tx.open_table(USERS).map_err(be)?;
            let uploader = users
                .get(rec.uploader)
                .map_err(be)?
                .map(|v| from_json::<User>(v.value()))
                .transpose()?;
            if let Some(mut u) = uploader {
                u.uploads = u.uploads.saturating_sub(1);
                users.insert(u.id, to_json(&u)?.as_slice()).map_err(be)?;
            }
            record = rec;
        }
        tx.commit().map_err(be)?;
        Ok(Some(record))
    }

    fn torrent_count(&self) -> StoreResult<u64> {
        let tx = self.db.begin_read().map_err(be)?;
        tx.open_table(TORRENTS).map_err(be)?.len().map_err(be)
    }

    fn torrent_totals(&self) -> StoreResult<TorrentTotals> {
        redb_by_added::totals(&self.db)
    }

    fn torrent_page(
        &self,
        filter: &TorrentFilter,
        order: AddedOrder,
        skip: usize,
        limit: usize,
    ) -> StoreResult<TorrentPage> {
        let tx = self.db.begin_read().map_err(be)?;
        redb_by_added::page(&tx, filter, order, skip, limit)
    }

    fn torrents_of(&self, uploader: u64) -> StoreResult<Vec<[u8; 20]>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(UPLOADS).map_err(be)?;
        let lo = upload_key(uploader, &[0; 20]);
        let hi = upload_key(uploader, &[0xff; 20]);
        let mut out = Vec::new();
        for entry in t.range(&lo[..]..=&hi[..]).map_err(be)? {
            let (k, _) = entry.map_err(be)?;
            let key = k.value();
            let mut ih = [0u8; 20];
            ih.copy_from_slice(&key[8..28]);
            out.push(ih);
        }
        Ok(out)
    }

    fn for_each_torrent(&self, visit: &mut dyn FnMut(TorrentRecord)) -> StoreResult<()> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(TORRENTS).map_err(be)?;
        for entry in t.iter().map_err(be)? {
            let (_, v) = entry.map_err(be)?;
            visit(from_json(v.value())?);
        }
        Ok(())
    }

    fn record_grab(&self, info_hash: &[u8; 20], grabber: u64) -> StoreResult<()> {
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut torrents = tx.open_table(TORRENTS).map_err(be)?;
            let Some(mut rec) = torrents
                .get(&info_hash[..])
                .map_err(be)?
                .map(|v| from_json::<TorrentRecord>(v.value()))
                .transpose()?
            else {
                return Ok(());
            };
            rec.grabs += 1;
            torrents
                .insert(&info_hash[..], to_json(&rec)?.as_slice())
                .map_err(be)?;
            let mut users = tx.open_table(USERS).map_err(be)?;
            for (id, grab, pop) in [(grabber, 1, 0), (rec.uploader, 0, 1)] {
                let user = users
                    .get(id)
                    .map_err(be)?
                    .map(|v| from_json::<User>(v.value()))
                    .transpose()?;
                if let Some(mut u) = user {
                    u.grabs += grab;
                    u.popularity += pop;
                    users.insert(id, to_json(&u)?.as_slice()).map_err(be)?;
                }
            }
        }
        tx.commit().map_err(be)
    }

    fn add_snatches(&self, counts: &[([u8; 20], u64)]) -> StoreResult<()> {
        if counts.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(be)?;
        {
            let mut torrents = tx.open_table(TORRENTS).map_err(be)?;
            for (ih, n) in counts {
                let rec = torrents
                    .get(&ih[..])
                    .map_err(be)?
                    .map(|v| from_json::<TorrentRecord>(v.value()))
                    .transpose()?;
                if let Some(mut rec) = rec {
                    rec.snatches += n;
                    torrents
                        .insert(&ih[..], to_json(&rec)?.as_slice())
                        .map_err(be)?;
                }
            }
        }
        tx.commit().map_err(be)
    }

    fn setting(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let tx = self.db.begin_read().map_err(be)?;
        let t = tx.open_table(SETTINGS).map_err(be)?;
        let v = t.get(key).map_err(be)?;
        Ok(v.map(|v| v.value().to_vec()))
    }

    fn set_setting(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        let tx = self.db.begin_write().map_err(be)?;
        tx.open_table(SETTINGS)
            .map_err(be)?
            .insert(key, value)
            .map_err(be)?;
        tx.commit().map_err(be)
    }

    fn record_seeded(&self, seen: &[([u8; 20], i64)]) -> StoreResult<()> {
        redb_seeded::record(&self.db, seen)
    }

    fn last_seeded(&self) -> StoreResult<Vec<([u8; 20], i64)>> {
        redb_seeded::all(&self.db)
    }

    fn backup_to(&self, path: &Path) -> StoreResult<()> {
        super::redb_backup::copy_to(&self.db, path)
    }

    fn export(&self, visit: &mut dyn FnMut(Entry) -> StoreResult<()>) -> StoreResult<()> {
        redb_transfer::export(&self.db, visit)
    }

    fn import(&self, batch: &[Entry]) -> StoreResult<()> {
        redb_transfer::import(&self.db, batch)
    }

    fn clear(&self) -> StoreResult<()> {
        redb_transfer::clear(&self.db)
    }
}
