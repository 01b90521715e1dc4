//! Opening the redb file without trusting it: only a missing file becomes a new
//! store; an existing one has every page checksum verified by redb and every
//! record decoded by us before the server uses it. A damaged file is refused
//! with what to do, and left exactly as it was.
//!
//! Cost (guides/bench-store.md): redb's check reads the whole file, ~8 s for
//! 100k torrents of 40 KB on a warm cache; our record pass reads only the
//! small tables (users, torrents' records, indexes, settings), ~0.1 s. The
//! `.torrent` bytes are covered by redb's page checksums and were validated at
//! upload, so they are not parsed again at every start.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::redb_by_added::BY_ADDED;
use super::redb_errors::be;
use super::redb_store::{
    from_json, SETTINGS, TORRENTS, TORRENT_FILES, UPLOADS, USERS, USER_BY_API_KEY, USER_BY_PASSKEY,
    V2_TO_V1,
};
use super::{StoreError, StoreResult, TorrentRecord, User};

/// Opens the store at `path`, creating it only when the file does not exist.
pub(super) fn open_checked(path: &Path) -> StoreResult<Database> {
    let damaged = |reason: String| StoreError::Damaged {
        path: path.display().to_string(),
        reason,
    };
    let db = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Database::create(path).map_err(|e| open_error(path, e))?
        }
        Err(e) => {
            return Err(StoreError::Open {
                path: path.display().to_string(),
                source: e.into(),
            })
        }
        // redb would initialise an empty file as a new store: a new server
        // secret, so every member's passkey would silently change.
        Ok(meta) if meta.len() == 0 => {
            return Err(damaged(
                "the file is empty; a new store is made only where no file exists".into(),
            ))
        }
        Ok(_) => redb::Builder::new()
            .set_check_integrity_on_open(true)
            .open(path)
            .map_err(|e| match e {
                redb::DatabaseError::Storage(redb::StorageError::Corrupted(m)) => damaged(m),
                redb::DatabaseError::Storage(redb::StorageError::Io(io))
                    if io.kind() == std::io::ErrorKind::InvalidData =>
                {
                    damaged(io.to_string())
                }
                other => open_error(path, other),
            })?,
    };
    verify_records(&db).map_err(|e| match e {
        StoreError::CorruptRecord(_) | StoreError::Corrupt(_) | StoreError::Backend(_) => {
            damaged(chain(&e))
        }
        other => other,
    })?;
    Ok(db)
}

fn open_error(path: &Path, e: redb::DatabaseError) -> StoreError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(path.display().to_string()),
        other => StoreError::Open {
            path: path.display().to_string(),
            source: other.into(),
        },
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out.replace(['\r', '\n'], " ")
}

/// Reads every record of the small tables and checks it decodes and agrees
/// with its key. Tables a new store has not created yet are skipped.
fn verify_records(db: &Database) -> StoreResult<()> {
    let tx = db.begin_read().map_err(be)?;
    each(&tx, USERS, |id: u64, v: &[u8]| {
        let user: User = from_json(v)?;
        expect(user.id == id, "users: a record under another member's id")
    })?;
    for index in [USER_BY_API_KEY, USER_BY_PASSKEY] {
        each(&tx, index, |k: &[u8], _: u64| {
            expect(k.len() == 32, "member keys: a key hash of the wrong length")
        })?;
    }
    each(&tx, TORRENTS, |k: &[u8], v: &[u8]| {
        let rec: TorrentRecord = from_json(v)?;
        expect(
            k == rec.info_hash,
            "torrents: a record under another info-hash",
        )
    })?;
    each(&tx, V2_TO_V1, |k: &[u8], v: &[u8]| {
        expect(
            k.len() == 32 && v.len() == 20,
            "v2 index: a malformed entry",
        )
    })?;
    each(&tx, UPLOADS, |k: &[u8], _: ()| {
        expect(k.len() == 28, "uploads index: a malformed entry")
    })?;
    each(&tx, TORRENT_FILES, |k: &[u8], _: &[u8]| {
        expect(k.len() == 20, "torrent files: a malformed key")
    })?;
    each(&tx, BY_ADDED, |k: &[u8], _: ()| {
        expect(k.len() >= 29, "upload-time index: a malformed entry")
    })?;
    each(&tx, SETTINGS, |_: &str, _: &[u8]| Ok(()))
}

fn expect(ok: bool, what: &str) -> StoreResult<()> {
    if ok {
        Ok(())
    } else {
        Err(StoreError::Corrupt(what.into()))
    }
}

fn each<K, V>(
    tx: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
    mut check: impl FnMut(K::SelfType<'_>, V::SelfType<'_>) -> StoreResult<()>,
) -> StoreResult<()>
where
    K: redb::Key + 'static,
    V: redb::Value + 'static,
{
    let table = match tx.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(be(e)),
    };
    for entry in table.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        check(k.value(), v.value())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{RedbStore, Store};

    #[test]
    fn only_a_missing_file_becomes_a_new_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let store = RedbStore::open_file(&path).unwrap();
        store.set_setting("k", b"v").unwrap();
        drop(store);
        let store = RedbStore::open_file(&path).unwrap();
        assert_eq!(store.setting("k").unwrap().as_deref(), Some(&b"v"[..]));
        drop(store);

        std::fs::write(&path, b"").unwrap();
        let err = RedbStore::open_file(&path)
            .err()
            .expect("an empty file is refused");
        assert!(
            matches!(&err, StoreError::Damaged { reason, .. } if reason.contains("empty")),
            "{err}"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left as it was");
    }

    #[test]
    fn a_record_that_does_not_decode_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        drop(RedbStore::open_file(&path).unwrap());
        // Written through redb itself: every page checksum is right, the record is not.
        let db = Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(USERS)
            .unwrap()
            .insert(7, &b"{not json"[..])
            .unwrap();
        tx.commit().unwrap();
        drop(db);
        let err = RedbStore::open_file(&path).err().expect("refused");
        let text = err.to_string();
        assert!(matches!(err, StoreError::Damaged { .. }), "{text}");
        assert!(
            text.contains("s.redb") && text.contains("restore"),
            "{text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
    }
}
