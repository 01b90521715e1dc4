//! Pieces read from disk and checked against their SHA-1 before any byte of
//! them is sent; verified pieces stay in an LRU bounded in bytes
//! (`SEED_PIECE_CACHE`), so a piece asked by several peers is read once.
//! A piece is one buffer, read into without a copy and shared ([`Bytes`]) by
//! the cache and every block sent from it.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use bytes::Bytes;
use lru::LruCache;
use sha1::{Digest, Sha1};

use super::files::{FileError, OpenFiles};
use super::registry::Torrent;

#[derive(Debug, thiserror::Error)]
pub enum PieceError {
    /// The bytes on disk do not match the piece's hash: bit rot, or a rewrite
    /// that kept size and mtime.
    #[error("piece {0} does not match its SHA-1")]
    Damaged(u32),
    #[error(transparent)]
    File(#[from] FileError),
}

struct Cached {
    map: LruCache<([u8; 20], u32), Bytes>,
    bytes: usize,
}

pub struct Pieces {
    pub files: OpenFiles,
    cache: Mutex<Cached>,
    budget: usize,
}

impl Pieces {
    pub fn new(open_files: NonZeroUsize, cache_bytes: usize) -> Pieces {
        Pieces {
            files: OpenFiles::new(open_files),
            cache: Mutex::new(Cached {
                map: LruCache::unbounded(),
                bytes: 0,
            }),
            budget: cache_bytes,
        }
    }

    fn cached(&self, key: &([u8; 20], u32)) -> Option<Bytes> {
        self.cache.lock().ok()?.map.get(key).cloned()
    }

    fn remember(&self, key: ([u8; 20], u32), piece: Bytes) {
        let Ok(mut c) = self.cache.lock() else {
            return;
        };
        if piece.len() > self.budget {
            return;
        }
        c.bytes += piece.len();
        if let Some(old) = c.map.put(key, piece) {
            c.bytes -= old.len();
        }
        while c.bytes > self.budget {
            match c.map.pop_lru() {
                Some((_, p)) => c.bytes -= p.len(),
                None => break,
            }
        }
    }

    /// A verified piece (blocking: run it off the async threads).
    pub fn load(&self, t: &Torrent, index: u32) -> Result<Bytes, PieceError> {
        let key = (t.info_hash, index);
        if let Some(p) = self.cached(&key) {
            return Ok(p);
        }
        let (start, end) = t.layout.piece_range(index as usize);
        let mut buf = Vec::with_capacity((end - start) as usize);
        for seg in t.layout.segments(start, end) {
            let f = &t.layout.files[seg.file];
            self.files.read_at(
                &f.path,
                f.len,
                f.mtime_ns,
                seg.offset,
                seg.len as usize,
                &mut buf,
            )?;
        }
        let want = t.piece_hash(index).ok_or(PieceError::Damaged(index))?;
        if buf.len() as u64 != end - start || Sha1::digest(&buf).as_slice() != want {
            return Err(PieceError::Damaged(index));
        }
        // The Vec's own allocation becomes the shared piece: no copy.
        let piece = Bytes::from(buf);
        self.remember(key, piece.clone());
        Ok(piece)
    }

    /// Drops what is held for a torrent that leaves.
    pub fn forget(&self, t: &Torrent) {
        for f in &t.layout.files {
            self.files.close(&f.path);
        }
        if let Ok(mut c) = self.cache.lock() {
            let keys: Vec<_> = c
                .map
                .iter()
                .filter(|(k, _)| k.0 == t.info_hash)
                .map(|(k, _)| *k)
                .collect();
            for k in keys {
                if let Some(p) = c.map.pop(&k) {
                    c.bytes -= p.len();
                }
            }
        }
    }
}
