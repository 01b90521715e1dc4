//! Who may announce what: enabled members' passkey hashes and registered
//! info-hashes, held in memory so announces never touch the store.

use std::collections::HashMap;
use std::sync::RwLock;

use super::swarm::{Base, HashKeyMap};
use crate::store::{KeyHash, Store, StoreResult, TorrentRecord, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub enabled: bool,
}

/// A registered torrent as an announce names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The v1 hash: the one swarm every alias of the torrent joins.
    pub swarm: [u8; 20],
    /// Completions stored when the torrent was loaded.
    pub stored_snatches: u64,
    /// Bytes of the torrent's files: what bounds a plausible transfer.
    pub size: u64,
    /// Last seen seeded as stored, or the upload time if later (the uploader seeds it).
    pub last_seeded: i64,
}

impl Registered {
    /// What the torrent's swarm starts from when first announced to.
    pub fn base(&self) -> Base {
        Base {
            downloaded: self.stored_snatches,
            last_seeded: self.last_seeded,
        }
    }
}

#[derive(Default)]
pub struct Registry {
    passkeys: RwLock<HashMap<KeyHash, Member>>,
    /// v1 hashes and truncated v2 hashes, both pointing to the v1 swarm.
    torrents: RwLock<HashKeyMap<Registered>>,
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}

/// The 20 bytes a BitTorrent v2 client announces for a v2 info-hash.
pub fn truncated_v2(v2: &[u8; 32]) -> [u8; 20] {
    let mut t = [0u8; 20];
    t.copy_from_slice(&v2[..20]);
    t
}

impl Registry {
    /// Loads every member and torrent, with when each was last seen seeded, from the store.
    pub fn load(store: &dyn Store) -> StoreResult<Registry> {
        let r = Registry::default();
        for u in store.users()? {
            r.put_member(&u);
        }
        let seeded: HashKeyMap<i64> = store.last_seeded()?.into_iter().collect();
        store.for_each_torrent(&mut |t| {
            let at = seeded.get(&t.info_hash).copied().unwrap_or(0);
            r.insert_torrent(&t, at);
        })?;
        Ok(r)
    }

    pub fn member(&self, passkey_hash: &KeyHash) -> Option<Member> {
        read(&self.passkeys).get(passkey_hash).copied()
    }

    fn put_member(&self, u: &User) {
        write(&self.passkeys).insert(
            u.passkey_hash,
            Member {
                id: u.id,
                enabled: u.enabled,
            },
        );
    }

    /// Replaces what is known of member `id` (`None`: deleted).
    pub fn refresh_member(&self, id: u64, user: Option<&User>) {
        let mut map = write(&self.passkeys);
        map.retain(|_, m| m.id != id);
        if let Some(u) = user {
            map.insert(
                u.passkey_hash,
                Member {
                    id: u.id,
                    enabled: u.enabled,
                },
            );
        }
    }

    pub fn torrent(&self, ih: &[u8; 20]) -> Option<Registered> {
        read(&self.torrents).get(ih).copied()
    }

    /// A torrent stored (or re-sent: its last-seeded time is kept).
    pub fn add_torrent(&self, t: &TorrentRecord) {
        let known = self.torrent(&t.info_hash).map_or(0, |r| r.last_seeded);
        self.insert_torrent(t, known);
    }

    fn insert_torrent(&self, t: &TorrentRecord, last_seeded: i64) {
        let reg = Registered {
            swarm: t.info_hash,
            stored_snatches: t.snatches,
            size: t.size,
            last_seeded: last_seeded.max(t.added),
        };
        let mut map = write(&self.torrents);
        map.insert(t.info_hash, reg);
        if let Some(v2) = &t.info_hash_v2 {
            map.insert(truncated_v2(v2), reg);
        }
    }

    pub fn remove_torrent(&self, info_hash: &[u8; 20], info_hash_v2: Option<&[u8; 32]>) {
        let mut map = write(&self.torrents);
        map.remove(info_hash);
        if let Some(v2) = info_hash_v2 {
            map.remove(&truncated_v2(v2));
        }
    }

    /// Every torrent under its v1 hash, with what its swarm starts from.
    pub fn torrents(&self) -> Vec<([u8; 20], Base)> {
        read(&self.torrents)
            .iter()
            .filter(|(k, v)| **k == v.swarm)
            .map(|(k, v)| (*k, v.base()))
            .collect()
    }

    pub fn torrent_count(&self) -> usize {
        read(&self.torrents)
            .iter()
            .filter(|(k, v)| **k == v.swarm)
            .count()
    }
}
