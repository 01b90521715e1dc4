//! Media files opened read-only, on demand, kept in an LRU bounded by
//! `SEED_OPEN_FILES`, so 20,000 torrents never need 20,000 descriptors.
//!
//! Files are only ever opened with [`File::open`] (read-only: no write, no
//! create, no truncate). Each open checks the file's size and mtime against
//! what was hashed; a file that changed is refused, never "repaired".

use std::fs::File;
use std::num::NonZeroUsize;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::create::walk::mtime_ns;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0} is missing")]
    Missing(PathBuf),
    #[error("{path} cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} changed since it was hashed (size {was} → {now} bytes)")]
    Size { path: PathBuf, was: u64, now: u64 },
    #[error("{0} was modified since it was hashed (mtime differs)")]
    Modified(PathBuf),
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
}

/// Compares a file's metadata with what was hashed.
pub fn check_stamp(
    path: &Path,
    meta: &std::fs::Metadata,
    len: u64,
    mtime: i64,
) -> Result<(), FileError> {
    if !meta.is_file() {
        return Err(FileError::NotAFile(path.to_path_buf()));
    }
    if meta.len() != len {
        return Err(FileError::Size {
            path: path.to_path_buf(),
            was: len,
            now: meta.len(),
        });
    }
    if mtime_ns(meta) != mtime {
        return Err(FileError::Modified(path.to_path_buf()));
    }
    Ok(())
}

/// `stat` of one file against its stamp: the only thing start-up does to media.
pub fn stat(path: &Path, len: u64, mtime: i64) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    check_stamp(path, &meta, len, mtime)
}

fn io_error(path: &Path, e: std::io::Error) -> FileError {
    if e.kind() == std::io::ErrorKind::NotFound {
        FileError::Missing(path.to_path_buf())
    } else {
        FileError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

pub struct OpenFiles {
    open: Mutex<LruCache<PathBuf, Arc<File>>>,
}

impl OpenFiles {
    pub fn new(cap: NonZeroUsize) -> OpenFiles {
        OpenFiles {
            open: Mutex::new(LruCache::new(cap)),
        }
    }

    /// How many descriptors are held now.
    pub fn held(&self) -> usize {
        self.open.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// The open handle of `path`, opening it read-only (and checking its stamp) when needed.
    fn get(&self, path: &Path, len: u64, mtime: i64) -> Result<Arc<File>, FileError> {
        if let Some(f) = self.open.lock().ok().and_then(|mut l| l.get(path).cloned()) {
            return Ok(f);
        }
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let meta = file.metadata().map_err(|e| io_error(path, e))?;
        check_stamp(path, &meta, len, mtime)?;
        let file = Arc::new(file);
        if let Ok(mut l) = self.open.lock() {
            // The least recently used handle is closed when the cache is full.
            l.put(path.to_path_buf(), file.clone());
        }
        Ok(file)
    }

    /// Forgets a handle (after an error, or when its torrent leaves).
    pub fn close(&self, path: &Path) {
        if let Ok(mut l) = self.open.lock() {
            l.pop(path);
        }
    }

    /// Appends exactly `n` bytes read at `offset` to `buf` (pread: no shared
    /// file position). On an error `buf` may hold part of them.
    pub fn read_at(
        &self,
        path: &Path,
        len: u64,
        mtime: i64,
        offset: u64,
        n: usize,
        buf: &mut Vec<u8>,
    ) -> Result<(), FileError> {
        let file = self.get(path, len, mtime)?;
        pread_append(&file, offset, n, buf).map_err(|e| {
            self.close(path);
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                // Shrunk under us since it was opened.
                FileError::Size {
                    path: path.to_path_buf(),
                    was: len,
                    now: file.metadata().map_or(0, |m| m.len()),
                }
            } else {
                io_error(path, e)
            }
        })
    }
}

/// `read_exact_at` straight into the spare capacity of `buf`: a piece's
/// buffer is not zero-filled first only to be overwritten (that memset cost
/// about 0.1 s of CPU per GiB sent).
fn pread_append(file: &File, mut offset: u64, n: usize, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.reserve_exact(n);
    let end = buf.len() + n;
    while buf.len() < end {
        let want = end - buf.len();
        let spare = &mut buf.spare_capacity_mut()[..want];
        let at = libc::off_t::try_from(offset).map_err(|_| std::io::ErrorKind::InvalidInput)?;
        // SAFETY: `spare` is writable memory owned by `buf`, and pread writes
        // at most `spare.len()` bytes into it.
        let r =
            unsafe { libc::pread(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len(), at) };
        let got = match usize::try_from(r) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(got) => got,
            Err(_) => {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
        };
        // SAFETY: pread initialised these `got` bytes (got <= spare.len()).
        unsafe { buf.set_len(buf.len() + got) };
        offset += got as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_bounds_the_descriptors_and_checks_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let mut stamps = Vec::new();
        for i in 0..5 {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, vec![i as u8; 100]).unwrap();
            let m = std::fs::metadata(&p).unwrap();
            stamps.push((p, mtime_ns(&m)));
        }
        let files = OpenFiles::new(NonZeroUsize::new(2).unwrap());
        let mut buf = Vec::new();
        for (p, mt) in &stamps {
            buf.clear();
            files.read_at(p, 100, *mt, 90, 10, &mut buf).unwrap();
        }
        assert_eq!(files.held(), 2);
        assert_eq!(buf, [4u8; 10]);
        // Reads append: a piece spanning two files is two reads into one buffer.
        files
            .read_at(&stamps[3].0, 100, stamps[3].1, 0, 5, &mut buf)
            .unwrap();
        assert_eq!(buf, [[4u8; 10].as_slice(), &[3; 5]].concat());
        // Past the end: an error, not a short read.
        let (p, mt) = &stamps[0];
        assert!(matches!(
            files.read_at(p, 100, *mt, 95, 10, &mut Vec::new()),
            Err(FileError::Size {
                was: 100,
                now: 100,
                ..
            })
        ));
        assert!(files
            .read_at(p, 100, *mt, u64::MAX, 1, &mut Vec::new())
            .is_err());
        // Wrong size or mtime: refused before any read.
        assert!(matches!(
            files.read_at(p, 101, *mt, 0, 1, &mut buf),
            Err(FileError::Size { .. })
        ));
        assert!(matches!(
            files.read_at(p, 100, mt + 1, 0, 1, &mut buf),
            Err(FileError::Modified(_))
        ));
        assert!(matches!(
            stat(&dir.path().join("nope"), 1, 0),
            Err(FileError::Missing(_))
        ));
        assert!(matches!(
            stat(dir.path(), 1, 0),
            Err(FileError::NotAFile(_))
        ));
    }
}
