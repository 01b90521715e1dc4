//! Whole-store copies between adapters (`admin migrate`, MySQL's portable
//! backup): records stream out of one store's `export` in batches into the
//! other's `import`, and both sides are summed up (counts and a SHA-256 of the
//! records in export order) so a copy is checked, not trusted.

use sha2::{Digest, Sha256};

use super::{Store, StoreError, StoreResult, TorrentRecord, User};

/// One stored record, as `Store::export` hands it out and `import` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    User(User),
    Torrent {
        record: TorrentRecord,
        file: Vec<u8>,
    },
    Seeded {
        info_hash: [u8; 20],
        at: i64,
    },
    Setting {
        name: String,
        value: Vec<u8>,
    },
}

/// Settings a store derives from its records, never copied.
pub const DERIVED_SETTINGS: &[&str] = &["torrent_bytes"];

/// What a store holds: counts per kind and a hash of every record in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub users: u64,
    pub torrents: u64,
    pub seeded: u64,
    pub settings: u64,
    pub sha256: String,
}

#[derive(Default)]
struct Tally {
    users: u64,
    torrents: u64,
    seeded: u64,
    settings: u64,
    hash: Sha256,
}

impl Tally {
    fn add(&mut self, e: &Entry) -> StoreResult<()> {
        let part = |h: &mut Sha256, tag: u8, bytes: &[u8]| {
            h.update([tag]);
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        match e {
            Entry::User(u) => {
                self.users += 1;
                part(&mut self.hash, b'u', &json(u)?);
            }
            Entry::Torrent { record, file } => {
                self.torrents += 1;
                part(&mut self.hash, b't', &json(record)?);
                part(&mut self.hash, b'f', file);
            }
            Entry::Seeded { info_hash, at } => {
                self.seeded += 1;
                part(&mut self.hash, b's', info_hash);
                part(&mut self.hash, b'a', &at.to_be_bytes());
            }
            Entry::Setting { name, value } => {
                self.settings += 1;
                part(&mut self.hash, b'k', name.as_bytes());
                part(&mut self.hash, b'v', value);
            }
        }
        Ok(())
    }

    fn summary(self) -> Summary {
        Summary {
            users: self.users,
            torrents: self.torrents,
            seeded: self.seeded,
            settings: self.settings,
            sha256: hex::encode(self.hash.finalize()),
        }
    }
}

/// A record's canonical bytes (serde_json keeps the struct's field order).
fn json<T: serde::Serialize>(v: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| StoreError::Backend(e.into()))
}

/// Sums up what `store` holds.
pub fn summarize(store: &dyn Store) -> StoreResult<Summary> {
    let mut tally = Tally::default();
    store.export(&mut |e| tally.add(&e))?;
    Ok(tally.summary())
}

/// Entries are handed to `import` in batches of about this many bytes.
const BATCH_BYTES: usize = 16 << 20;
const BATCH_ENTRIES: usize = 1000;

fn weight(e: &Entry) -> usize {
    match e {
        Entry::Torrent { file, .. } => file.len() + 512,
        Entry::Setting { value, .. } => value.len() + 64,
        _ => 256,
    }
}

/// Copies every record of `from` into `to` and returns the source's summary.
/// `to` should be empty; callers check (`admin migrate` refuses otherwise).
pub fn copy(from: &dyn Store, to: &dyn Store) -> StoreResult<Summary> {
    let mut tally = Tally::default();
    let mut batch = Vec::new();
    let mut bytes = 0;
    from.export(&mut |e| {
        tally.add(&e)?;
        bytes += weight(&e);
        batch.push(e);
        if bytes >= BATCH_BYTES || batch.len() >= BATCH_ENTRIES {
            to.import(&batch)?;
            batch.clear();
            bytes = 0;
        }
        Ok(())
    })?;
    to.import(&batch)?;
    Ok(tally.summary())
}

/// Ends an export at its first record.
#[derive(Debug, thiserror::Error)]
#[error("a record was found")]
struct Found;

/// Whether a store holds nothing: no member, torrent, seeded time or setting.
pub fn is_empty(store: &dyn Store) -> StoreResult<bool> {
    match store.export(&mut |_| Err(StoreError::Backend(Box::new(Found)))) {
        Ok(()) => Ok(true),
        Err(StoreError::Backend(e)) if e.is::<Found>() => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RedbStore;

    #[test]
    fn a_copy_between_redb_stores_is_whole_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let from = RedbStore::open_dir(&dir.path().join("a")).unwrap();
        crate::store::conformance::fill(&from);
        let to = RedbStore::open_dir(&dir.path().join("b")).unwrap();
        assert!(!is_empty(&from).unwrap());
        assert!(is_empty(&to).unwrap());
        let copied = copy(&from, &to).unwrap();
        assert_eq!(
            (copied.users, copied.torrents, copied.seeded),
            (2, 2, 1),
            "{copied:?}"
        );
        assert_eq!(summarize(&to).unwrap(), copied);
        // Indexes and totals follow the imported records; ids go on where they stopped.
        let alice = to.user_by_api_key(&[5; 32]).unwrap().unwrap();
        assert_eq!((alice.uploaded, alice.popularity), (20, 1));
        assert_eq!(to.torrents_of(alice.id).unwrap(), [[1; 20]]);
        assert_eq!(to.torrent_totals().unwrap().bytes, 1001 + 1002);
        assert_eq!(to.torrent_file(&[1; 20]).unwrap().unwrap(), b"bytes-1");
        let next_from = from.create_user("dan", [50; 32], [51; 32], 0).unwrap().id;
        assert_eq!(
            to.create_user("dan", [50; 32], [51; 32], 0).unwrap().id,
            next_from
        );
        // A changed record changes the hash.
        to.set_user_enabled(alice.id, false).unwrap();
        assert_ne!(summarize(&to).unwrap().sha256, copied.sha256);
        to.clear().unwrap();
        assert!(is_empty(&to).unwrap());
        assert_eq!(to.torrent_totals().unwrap().count, 0);
    }
}
