//! Torrent creation: BEP 3 v1 torrents with `private=1` and a `source` tag,
//! hashed on every core, with a hash cache so unchanged media is never re-hashed.
//! The `create` command and the client both use [`create_torrent`].

mod cache;
mod command;
mod hasher;
pub mod layout;
pub mod piece_size;
mod progress;
pub mod walk;

use std::num::NonZeroUsize;
use std::path::PathBuf;

use sha1::{Digest, Sha1};

use crate::bencode::{self, Owned};

pub use cache::{CacheError, HashCache, CACHE_FILE};
pub use command::{run, CreateArgs};
use layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{0}: no such file or folder")]
    NotFound(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is neither a file nor a folder")]
    NotAFileOrFolder(PathBuf),
    #[error("{0}: nothing to share (no files with data; hidden and partial files are skipped)")]
    Empty(PathBuf),
    #[error("name is not valid UTF-8 or not usable in a torrent: {0}")]
    BadName(String),
    #[error("{0} changed while it was being hashed; try again once it is complete")]
    Changed(PathBuf),
    #[error("piece size {0} is not a power of two from 16 KiB to 64 MiB")]
    BadPieceSize(u64),
}

/// What to make a torrent of.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// A file (single-file torrent) or a folder (multi-file torrent).
    pub path: PathBuf,
    /// Torrent name; defaults to the file or folder name.
    pub name: Option<String>,
    /// Piece size in bytes; defaults to [`piece_size::for_total`].
    pub piece_size: Option<u64>,
    /// `info.source`, naming the swarm; `None` or empty leaves it out.
    pub source: Option<String>,
    /// Top-level `announce` (outside the info dict, so it never changes the info-hash).
    pub announce: Option<String>,
    /// Hashing threads; defaults to every core.
    pub threads: Option<NonZeroUsize>,
}

/// A finished torrent.
#[derive(Debug, Clone)]
pub struct CreatedTorrent {
    /// The `.torrent` file.
    pub bytes: Vec<u8>,
    /// SHA-1 of the bencoded info dict.
    pub info_hash: [u8; 20],
    pub name: String,
    pub total_size: u64,
    pub piece_size: u64,
    pub piece_count: usize,
    pub file_count: usize,
    /// Bytes read and hashed this time; 0 when the cache knew every piece.
    pub bytes_hashed: u64,
}

/// Progress reports from [`create_torrent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Sent once before hashing: total data size and the part not found in the cache.
    Planned { total: u64, to_hash: u64 },
    /// Bytes just hashed, sent from the hashing threads.
    Hashed(u64),
}

/// Makes a private v1 torrent of `opts.path`.
///
/// Cache failures are logged and hashing goes on without the cache: the cache
/// only ever saves time.
pub fn create_torrent(
    opts: &CreateOptions,
    cache: Option<&HashCache>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CreatedTorrent, CreateError> {
    let listing = walk::list(&opts.path)?;
    let name = opts.name.clone().unwrap_or(listing.name);
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(CreateError::BadName(name));
    }
    let total: u64 = listing.files.iter().map(|f| f.len).sum();
    if total == 0 {
        return Err(CreateError::Empty(opts.path.clone()));
    }
    let piece_size = match opts.piece_size {
        Some(p) => piece_size::check(p)?,
        None => piece_size::for_total(total),
    };
    let layout = Layout::new(listing.files, piece_size);
    let count = layout.piece_count();

    let mut known: Vec<Option<[u8; 20]>> = vec![None; count];
    if let Some(c) = cache {
        if let Err(e) = c.lookup(&layout, &mut known) {
            tracing::warn!("{e}; hashing everything");
            known.fill(None);
        }
    }
    let wanted: Vec<usize> = (0..count).filter(|&k| known[k].is_none()).collect();
    let to_hash: u64 = wanted
        .iter()
        .map(|&k| {
            let (s, e) = layout.piece_range(k);
            e - s
        })
        .sum();
    progress(Progress::Planned { total, to_hash });

    let threads = opts
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let mut fresh = vec![false; count];
    for (k, h) in hasher::hash_pieces(&layout, &wanted, threads, progress)? {
        known[k] = Some(h);
        fresh[k] = true;
    }
    check_unchanged(&layout)?;
    // Every wanted piece was hashed unless hashing failed, which returned above.
    let hashes: Vec<[u8; 20]> = known
        .into_iter()
        .map(|h| h.ok_or_else(|| CreateError::Changed(opts.path.clone())))
        .collect::<Result<_, _>>()?;
    if let Some(c) = cache {
        if let Err(e) = c.store(&layout, &hashes, &fresh) {
            tracing::warn!("{e}; the next run will hash again");
        }
    }

    let info = info_dict(
        &layout,
        listing.single,
        &name,
        &hashes,
        opts.source.as_deref(),
    );
    let info_bytes = info.encode();
    let info_hash: [u8; 20] = Sha1::digest(&info_bytes).into();
    let mut top = vec![
        (
            "created by",
            Owned::str(concat!("PrivateIndexer ", env!("CARGO_PKG_VERSION"))),
        ),
        ("info", Owned::Raw(info_bytes)),
    ];
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        top.push(("creation date", Owned::Int(d.as_secs() as i64)));
    }
    if let Some(a) = opts.announce.as_deref().filter(|a| !a.is_empty()) {
        top.push(("announce", Owned::str(a)));
    }
    Ok(CreatedTorrent {
        bytes: bencode::dict(top).encode(),
        info_hash,
        name,
        total_size: total,
        piece_size,
        piece_count: count,
        file_count: layout.files.len(),
        bytes_hashed: to_hash,
    })
}

/// Refuses the result if any file's size or mtime moved since it was listed:
/// a file still being written would give a torrent nobody can complete.
fn check_unchanged(layout: &Layout) -> Result<(), CreateError> {
    for f in &layout.files {
        let meta = std::fs::metadata(&f.path).map_err(|e| CreateError::Io {
            path: f.path.clone(),
            source: e,
        })?;
        if meta.len() != f.len || walk::mtime_ns(&meta) != f.mtime_ns {
            return Err(CreateError::Changed(f.path.clone()));
        }
    }
    Ok(())
}

fn info_dict(
    layout: &Layout,
    single: bool,
    name: &str,
    hashes: &[[u8; 20]],
    source: Option<&str>,
) -> Owned {
    let mut info = vec![
        ("name", Owned::str(name)),
        ("piece length", Owned::Int(layout.piece_size as i64)),
        ("pieces", Owned::Bytes(hashes.concat())),
        ("private", Owned::Int(1)),
    ];
    if let Some(s) = source.filter(|s| !s.is_empty()) {
        info.push(("source", Owned::str(s)));
    }
    if single {
        info.push(("length", Owned::Int(layout.total as i64)));
    } else {
        let files = layout
            .files
            .iter()
            .map(|f| {
                bencode::dict([
                    ("length", Owned::Int(f.len as i64)),
                    (
                        "path",
                        Owned::List(f.components.iter().map(|c| Owned::str(c)).collect()),
                    ),
                ])
            })
            .collect();
        info.push(("files", Owned::List(files)));
    }
    bencode::dict(info)
}
