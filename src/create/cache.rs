//! The hash cache: re-creating a torrent for unchanged media does no hashing.
//!
//! Two redb tables:
//! - `file_pieces`: the full-size pieces lying inside one file. Key: canonical
//!   path, piece size and the file's alignment on the piece grid; the value
//!   starts with the file's size and mtime, so a changed file misses and its
//!   entry is overwritten when re-hashed.
//! - `span_pieces`: every other piece (one spanning several files, or the short
//!   last piece). Key: SHA-256 of the (canonical path, size, mtime, offset,
//!   length) of each file part the piece covers, so a change to any of those
//!   files misses.
//!
//! [`HashCache::prune`] drops per-file entries that can never hit again.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::{Digest, Sha256};

use super::layout::{Layout, Segment};

const FILE_PIECES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("file_pieces");
const SPAN_PIECES: TableDefinition<&[u8], &[u8; 20]> = TableDefinition::new("span_pieces");

/// File name of the cache inside a data dir.
pub const CACHE_FILE: &str = "hash-cache.redb";

#[derive(Debug, thiserror::Error)]
#[error("hash cache {path}: {message}")]
pub struct CacheError {
    path: String,
    message: String,
}

pub struct HashCache {
    db: Database,
    path: String,
}

/// What [`HashCache::prune`] dropped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub entries: u64,
    /// Key and value bytes of those entries.
    pub bytes: u64,
}

impl HashCache {
    /// Opens (or creates) `hash-cache.redb` inside `dir`.
    pub fn open_in(dir: &Path) -> Result<HashCache, CacheError> {
        let path = dir.join(CACHE_FILE);
        let err = |message: String| CacheError {
            path: path.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => err("in use by another process".into()),
            other => err(other.to_string()),
        })?;
        let tx = db.begin_write().map_err(|e| err(e.to_string()))?;
        tx.open_table(FILE_PIECES).map_err(|e| err(e.to_string()))?;
        tx.open_table(SPAN_PIECES).map_err(|e| err(e.to_string()))?;
        tx.commit().map_err(|e| err(e.to_string()))?;
        Ok(HashCache {
            db,
            path: path.display().to_string(),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> CacheError {
        CacheError {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    /// Fills `hashes` with what the cache knows for `layout`.
    pub(crate) fn lookup(
        &self,
        layout: &Layout,
        hashes: &mut [Option<[u8; 20]>],
    ) -> Result<(), CacheError> {
        let in_file = whole_mask(layout);
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let files = tx.open_table(FILE_PIECES).map_err(|e| self.err(e))?;
        let spans = tx.open_table(SPAN_PIECES).map_err(|e| self.err(e))?;
        for (i, f) in layout.files.iter().enumerate() {
            let whole = layout.whole_pieces(i);
            if whole.count == 0 {
                continue;
            }
            let Some(v) = files
                .get(file_key(layout, i).as_slice())
                .map_err(|e| self.err(e))?
            else {
                continue;
            };
            let v = v.value();
            if v.len() != 16 + 20 * whole.count || v[..16] != file_stamp(f.len, f.mtime_ns) {
                continue;
            }
            for (j, h) in v[16..].chunks_exact(20).enumerate() {
                hashes[whole.first + j] = h.try_into().ok();
            }
        }
        for (k, slot) in hashes.iter_mut().enumerate() {
            if !in_file[k] {
                if let Some(h) = spans
                    .get(&span_key(layout, k)[..])
                    .map_err(|e| self.err(e))?
                {
                    *slot = Some(*h.value());
                }
            }
        }
        Ok(())
    }

    /// Stores the pieces of `layout` that were hashed this time (`fresh[k]`).
    pub(crate) fn store(
        &self,
        layout: &Layout,
        hashes: &[[u8; 20]],
        fresh: &[bool],
    ) -> Result<(), CacheError> {
        let in_file = whole_mask(layout);
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut files = tx.open_table(FILE_PIECES).map_err(|e| self.err(e))?;
            let mut spans = tx.open_table(SPAN_PIECES).map_err(|e| self.err(e))?;
            for (i, f) in layout.files.iter().enumerate() {
                let whole = layout.whole_pieces(i);
                let range = whole.first..whole.first + whole.count;
                if whole.count == 0 || !fresh[range.clone()].iter().any(|&b| b) {
                    continue;
                }
                let mut v = file_stamp(f.len, f.mtime_ns).to_vec();
                for h in &hashes[range] {
                    v.extend_from_slice(h);
                }
                files
                    .insert(file_key(layout, i).as_slice(), v.as_slice())
                    .map_err(|e| self.err(e))?;
            }
            for (k, h) in hashes.iter().enumerate() {
                if fresh[k] && !in_file[k] {
                    spans
                        .insert(&span_key(layout, k)[..], h)
                        .map_err(|e| self.err(e))?;
                }
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }

    /// Drops the per-file entries that can never be used again: the file's
    /// size or mtime changed, or it is gone from a folder that is still there.
    /// An entry whose folder is gone too is kept: an unmounted disk is more
    /// likely than a deleted library, and re-hashing it all would be the cost.
    /// (Pieces spanning files are keyed by a digest and stay; there is one per
    /// file boundary at most.)
    pub fn prune(&self) -> Result<Pruned, CacheError> {
        let mut stale = Vec::new();
        let mut pruned = Pruned::default();
        {
            let tx = self.db.begin_read().map_err(|e| self.err(e))?;
            let files = tx.open_table(FILE_PIECES).map_err(|e| self.err(e))?;
            for row in files.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                let (key, value) = (k.value(), v.value());
                let path_len = key.iter().position(|&b| b == 0).unwrap_or(key.len());
                if is_stale(&key[..path_len], value.get(..16).unwrap_or_default()) {
                    pruned.entries += 1;
                    pruned.bytes += (key.len() + value.len()) as u64;
                    stale.push(key.to_vec());
                }
            }
        }
        if stale.is_empty() {
            return Ok(pruned);
        }
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut files = tx.open_table(FILE_PIECES).map_err(|e| self.err(e))?;
            for key in &stale {
                files.remove(key.as_slice()).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(pruned)
    }
}

/// Whether the file at `path` (as the cache key stores it) no longer matches `stamp`.
fn is_stale(path: &[u8], stamp: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let path = Path::new(std::ffi::OsStr::from_bytes(path));
    match std::fs::metadata(path) {
        Ok(m) => stamp != file_stamp(m.len(), super::walk::mtime_ns(&m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            path.parent().is_some_and(Path::is_dir)
        }
        Err(_) => false,
    }
}

/// Marks the pieces kept per file; the others are span pieces.
fn whole_mask(layout: &Layout) -> Vec<bool> {
    let mut whole = vec![false; layout.piece_count()];
    for i in 0..layout.files.len() {
        let w = layout.whole_pieces(i);
        whole[w.first..w.first + w.count].fill(true);
    }
    whole
}

fn file_stamp(len: u64, mtime_ns: i64) -> [u8; 16] {
    let mut s = [0u8; 16];
    s[..8].copy_from_slice(&len.to_be_bytes());
    s[8..].copy_from_slice(&mtime_ns.to_be_bytes());
    s
}

/// Canonical path, NUL (never inside a path), piece size, alignment.
fn file_key(layout: &Layout, file: usize) -> Vec<u8> {
    let mut k = layout.files[file]
        .canonical
        .as_os_str()
        .as_encoded_bytes()
        .to_vec();
    k.push(0);
    k.extend_from_slice(&layout.piece_size.to_be_bytes());
    k.extend_from_slice(&layout.whole_pieces(file).align.to_be_bytes());
    k
}

fn span_key(layout: &Layout, k: usize) -> [u8; 32] {
    let (s, e) = layout.piece_range(k);
    let mut h = Sha256::new();
    for Segment { file, offset, len } in layout.segments(s, e) {
        let f = &layout.files[file];
        let path = f.canonical.as_os_str().as_encoded_bytes();
        h.update((path.len() as u64).to_be_bytes());
        h.update(path);
        h.update(file_stamp(f.len, f.mtime_ns));
        h.update(offset.to_be_bytes());
        h.update(len.to_be_bytes());
    }
    h.finalize().into()
}
