//! Rows to records and back: the columns each query selects, and the
//! fixed-size hashes kept as BINARY columns.

use sqlx::mysql::MySqlRow;
use sqlx::Row;

use crate::store::{StoreError, StoreResult, TorrentMeta, TorrentRecord, User};

pub const USER_COLUMNS: &str = "id, label, api_key_hash, passkey_hash, created, last_seen, \
    enabled, uploaded, downloaded, grabs, uploads, popularity, snatches";

pub const TORRENT_COLUMNS: &str = "info_hash, info_hash_v2, name, size, file_count, \
    piece_length, uploader, added, meta, grabs, snatches";

/// A BINARY(N) column as an array; another length is a damaged row.
pub fn hash<const N: usize>(row: &MySqlRow, column: &str) -> StoreResult<[u8; N]> {
    let bytes: Vec<u8> = row.try_get(column)?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{column}: not {N} bytes")))
}

pub fn user(row: &MySqlRow) -> StoreResult<User> {
    Ok(User {
        id: row.try_get("id")?,
        label: row.try_get("label")?,
        api_key_hash: hash(row, "api_key_hash")?,
        passkey_hash: hash(row, "passkey_hash")?,
        created: row.try_get("created")?,
        last_seen: row.try_get("last_seen")?,
        enabled: row.try_get("enabled")?,
        uploaded: row.try_get("uploaded")?,
        downloaded: row.try_get("downloaded")?,
        grabs: row.try_get("grabs")?,
        uploads: row.try_get("uploads")?,
        popularity: row.try_get("popularity")?,
        snatches: row.try_get("snatches")?,
    })
}

pub fn torrent(row: &MySqlRow) -> StoreResult<TorrentRecord> {
    let v2: Option<Vec<u8>> = row.try_get("info_hash_v2")?;
    let meta: String = row.try_get("meta")?;
    Ok(TorrentRecord {
        info_hash: hash(row, "info_hash")?,
        info_hash_v2: v2
            .map(|b| b.try_into())
            .transpose()
            .map_err(|_| StoreError::Corrupt("info_hash_v2: not 32 bytes".into()))?,
        name: row.try_get("name")?,
        size: row.try_get("size")?,
        file_count: row.try_get("file_count")?,
        piece_length: row.try_get("piece_length")?,
        uploader: row.try_get("uploader")?,
        added: row.try_get("added")?,
        meta: serde_json::from_str::<TorrentMeta>(&meta).map_err(StoreError::CorruptRecord)?,
        grabs: row.try_get("grabs")?,
        snatches: row.try_get("snatches")?,
    })
}

/// The columns a torrent's metadata decides: category, parent category,
/// the shown title (ordering) and the lowercase text filter words look in.
pub struct Derived {
    pub meta: String,
    pub category: u32,
    pub parent: u32,
    pub title_key: Vec<u8>,
    pub search: Vec<u8>,
}

pub fn derived(rec: &TorrentRecord) -> StoreResult<Derived> {
    Ok(Derived {
        meta: serde_json::to_string(&rec.meta).map_err(|e| StoreError::Backend(e.into()))?,
        category: rec.meta.category,
        parent: crate::categories::parent(rec.meta.category),
        title_key: rec.title().as_bytes().to_vec(),
        search: crate::store::search_text(rec).into_bytes(),
    })
}
