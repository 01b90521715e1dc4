//! What this instance last read of members and torrent records, kept so
//! searches and API-key checks still answer while the database is down (the
//! search index itself is in memory). Writes never use it: they fail with
//! `Unavailable`, so nothing is acknowledged that the database did not store.
//! A member is dropped from it when a write here changes them; a change made
//! on another instance just before an outage is seen only once the database
//! is back.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use crate::store::{KeyHash, TorrentRecord, User};

/// Records kept at most (~300 bytes each): the newest a start-up scan and
/// the searches since have read.
const RECORDS: usize = 200_000;

pub struct Fallback {
    members: Mutex<Members>,
    records: Mutex<LruCache<[u8; 20], TorrentRecord>>,
}

#[derive(Default)]
struct Members {
    by_id: HashMap<u64, User>,
    by_key: HashMap<KeyHash, u64>,
    /// Whether `by_id` holds every member (a full list was read).
    complete: bool,
}

impl Members {
    fn put(&mut self, u: &User) {
        self.forget(u.id);
        self.by_key.insert(u.api_key_hash, u.id);
        self.by_id.insert(u.id, u.clone());
    }

    fn forget(&mut self, id: u64) {
        if let Some(old) = self.by_id.remove(&id) {
            self.by_key.remove(&old.api_key_hash);
        }
    }
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback {
            members: Default::default(),
            records: Mutex::new(LruCache::new(NonZeroUsize::new(RECORDS).expect("non-zero"))),
        }
    }
}

impl Fallback {
    fn members(&self) -> std::sync::MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn records(&self) -> std::sync::MutexGuard<'_, LruCache<[u8; 20], TorrentRecord>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn member(&self, u: &User) {
        self.members().put(u);
    }

    /// A read by id: the member as found, or gone.
    pub fn member_read(&self, id: u64, found: Option<&User>) {
        match found {
            Some(u) => self.member(u),
            None => self.forget_member(id),
        }
    }

    pub fn all_members(&self, all: &[User]) {
        let mut m = self.members();
        *m = Members::default();
        all.iter().for_each(|u| m.put(u));
        m.complete = true;
    }

    pub fn forget_member(&self, id: u64) {
        let mut m = self.members();
        m.forget(id);
        m.complete = false;
    }

    /// An API key that no longer resolves.
    pub fn key_gone(&self, hash: &KeyHash) {
        let mut m = self.members();
        if let Some(id) = m.by_key.get(hash).copied() {
            m.forget(id);
            m.complete = false;
        }
    }

    pub fn user(&self, id: u64) -> Option<User> {
        self.members().by_id.get(&id).cloned()
    }

    pub fn user_by_api_key(&self, hash: &KeyHash) -> Option<User> {
        let m = self.members();
        m.by_key.get(hash).and_then(|id| m.by_id.get(id)).cloned()
    }

    pub fn users(&self) -> Option<Vec<User>> {
        let m = self.members();
        m.complete.then(|| {
            let mut all: Vec<User> = m.by_id.values().cloned().collect();
            all.sort_by_key(|u| u.id);
            all
        })
    }

    pub fn torrent(&self, rec: &TorrentRecord) {
        self.records().put(rec.info_hash, rec.clone());
    }

    pub fn forget_torrent(&self, ih: &[u8; 20]) {
        self.records().pop(ih);
    }

    pub fn record(&self, ih: &[u8; 20]) -> Option<TorrentRecord> {
        self.records().get(ih).cloned()
    }

    pub fn clear(&self) {
        *self.members() = Members::default();
        self.records().clear();
    }
}
