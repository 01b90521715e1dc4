//! `admin backup` of the redb store: every table copied from one read
//! transaction (one consistent snapshot) into a new file.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::redb_errors::be;
use super::redb_seeded::LAST_SEEDED;
use super::redb_store::{
    SETTINGS, TORRENTS, TORRENT_FILES, UPLOADS, USERS, USER_BY_API_KEY, USER_BY_PASSKEY, V2_TO_V1,
};
use super::{StoreError, StoreResult};

pub(super) fn copy_to(db: &Database, path: &Path) -> StoreResult<()> {
    if path.exists() {
        return Err(StoreError::Invalid(format!(
            "{} already exists",
            path.display()
        )));
    }
    let rtx = db.begin_read().map_err(be)?;
    let out = Database::create(path).map_err(be)?;
    let wtx = out.begin_write().map_err(be)?;
    copy_table(&rtx, &wtx, USERS)?;
    copy_table(&rtx, &wtx, USER_BY_API_KEY)?;
    copy_table(&rtx, &wtx, USER_BY_PASSKEY)?;
    copy_table(&rtx, &wtx, TORRENTS)?;
    copy_table(&rtx, &wtx, TORRENT_FILES)?;
    copy_table(&rtx, &wtx, V2_TO_V1)?;
    copy_table(&rtx, &wtx, UPLOADS)?;
    copy_table(&rtx, &wtx, SETTINGS)?;
    copy_table(&rtx, &wtx, LAST_SEEDED)?;
    wtx.commit().map_err(be)?;
    Ok(())
}

fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    rtx: &redb::ReadTransaction,
    wtx: &redb::WriteTransaction,
    def: TableDefinition<K, V>,
) -> StoreResult<()> {
    let src = rtx.open_table(def).map_err(be)?;
    let mut dst = wtx.open_table(def).map_err(be)?;
    for entry in src.iter().map_err(be)? {
        let (k, v) = entry.map_err(be)?;
        dst.insert(k.value(), v.value()).map_err(be)?;
    }
    Ok(())
}
