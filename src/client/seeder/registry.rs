//! The torrents being served: built from a `.torrent` and the stamps (path,
//! size, mtime) of its files as they were hashed. Building one reads no media,
//! only `stat`s it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::bencode::{self, Node};
use crate::client::queue::FileStamp;
use crate::create::layout::Layout;
use crate::create::walk::SourceFile;
use crate::metainfo;

use super::files;
use super::peers::PeerList;
use super::wire::{Block, MAX_BLOCK};
use crate::client::announces::history::History;
use crate::client::announces::TrackerStatus;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TorrentError {
    #[error("unreadable .torrent: {0}")]
    Metainfo(#[from] metainfo::MetainfoError),
    #[error("the torrent's files do not match the recorded files")]
    FilesMismatch,
    #[error("padding files are not served")]
    Padded,
    #[error("more than 2^32 pieces")]
    TooManyPieces,
}

/// Where a torrent came from: the scanner owns library seeds, the download
/// engine hands over finished downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Library,
    Download,
}

/// Why a request is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BadRequest {
    /// Outside the torrent or over [`MAX_BLOCK`]: a protocol violation.
    OutOfRange,
    /// A piece this seeder withholds (it failed its SHA-1 check).
    Withheld,
}

pub struct Torrent {
    pub info_hash: [u8; 20],
    pub name: String,
    pub origin: Origin,
    pub layout: Layout,
    hashes: Vec<[u8; 20]>,
    /// `None` while served; else why not.
    not_served: Mutex<Option<String>>,
    /// Pieces that failed their SHA-1 check, sorted.
    withheld: Mutex<Vec<u32>>,
    /// Cumulative bytes uploaded (what was persisted plus this run).
    pub uploaded: AtomicU64,
    pub peers: AtomicUsize,
    /// Who is connected, for the dashboard.
    pub peer_list: PeerList,
    pub tracker: Mutex<TrackerStatus>,
    pub history: History,
}

impl Torrent {
    /// Builds a torrent from its `.torrent` bytes and its files' stamps, in torrent order.
    pub fn new(
        bytes: &[u8],
        stamps: &[FileStamp],
        origin: Origin,
        uploaded: u64,
    ) -> Result<Torrent, TorrentError> {
        let m = metainfo::parse(bytes)?;
        let root = bencode::decode(bytes).map_err(metainfo::MetainfoError::from)?;
        let pieces = root
            .get("info")
            .and_then(|i| i.get("pieces"))
            .and_then(Node::as_bytes)
            .ok_or(metainfo::MetainfoError::BadField("pieces"))?;
        let hashes: Vec<[u8; 20]> = pieces
            .chunks_exact(20)
            .map(|c| c.try_into().expect("chunks of 20"))
            .collect();
        if m.size.div_ceil(m.piece_length) != hashes.len() as u64 {
            return Err(TorrentError::Padded);
        }
        if u32::try_from(hashes.len()).is_err() {
            return Err(TorrentError::TooManyPieces);
        }
        if stamps.len() != m.files.len()
            || stamps.iter().zip(&m.files).any(|(s, f)| s.size != f.length)
        {
            return Err(TorrentError::FilesMismatch);
        }
        let files = stamps
            .iter()
            .map(|s| SourceFile {
                components: Vec::new(),
                path: PathBuf::from(&s.path),
                canonical: PathBuf::from(&s.path),
                len: s.size,
                mtime_ns: s.mtime_ns,
            })
            .collect();
        Ok(Torrent {
            info_hash: m.info_hash,
            name: m.name,
            origin,
            layout: Layout::new(files, m.piece_length),
            hashes,
            not_served: Mutex::new(None),
            withheld: Mutex::new(Vec::new()),
            uploaded: AtomicU64::new(uploaded),
            peers: AtomicUsize::new(0),
            peer_list: PeerList::default(),
            tracker: Mutex::new(TrackerStatus::default()),
            history: History::default(),
        })
    }

    pub fn hex(&self) -> String {
        hex::encode(self.info_hash)
    }

    pub fn piece_count(&self) -> usize {
        self.hashes.len()
    }

    pub fn piece_hash(&self, index: u32) -> Option<&[u8; 20]> {
        self.hashes.get(index as usize)
    }

    pub fn piece_len(&self, index: u32) -> u64 {
        let (s, e) = self.layout.piece_range(index as usize);
        e - s
    }

    /// Whether this torrent serves exactly these files as stamped.
    pub fn has_stamps(&self, stamps: &[FileStamp]) -> bool {
        self.layout.files.len() == stamps.len()
            && self.layout.files.iter().zip(stamps).all(|(f, s)| {
                f.path.as_os_str() == s.path.as_str() && f.len == s.size && f.mtime_ns == s.mtime_ns
            })
    }

    /// `stat`s every file against its stamp; the first mismatch stops serving.
    pub fn check_files(&self) -> Result<(), files::FileError> {
        let r = self
            .layout
            .files
            .iter()
            .try_for_each(|f| files::stat(&f.path, f.len, f.mtime_ns));
        if let Err(e) = &r {
            self.stop_serving(e.to_string());
        }
        r
    }

    pub fn not_served(&self) -> Option<String> {
        self.not_served.lock().ok().and_then(|g| g.clone())
    }

    pub fn serving(&self) -> bool {
        self.not_served().is_none()
    }

    /// Stops serving for good (until the scanner re-shares the files).
    pub fn stop_serving(&self, reason: String) {
        if let Ok(mut g) = self.not_served.lock() {
            if g.is_none() {
                tracing::warn!(info_hash = %self.hex(), "not serving {:?}: {reason}", self.name);
                *g = Some(reason);
            }
        }
    }

    /// Marks a piece as withheld; true the first time.
    pub fn withhold(&self, index: u32) -> bool {
        let Ok(mut w) = self.withheld.lock() else {
            return false;
        };
        match w.binary_search(&index) {
            Ok(_) => false,
            Err(at) => {
                w.insert(at, index);
                true
            }
        }
    }

    pub fn withheld(&self) -> Vec<u32> {
        self.withheld.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn is_withheld(&self, index: u32) -> bool {
        self.withheld
            .lock()
            .is_ok_and(|w| w.binary_search(&index).is_ok())
    }

    /// The pieces this seeder advertises: every one but the withheld.
    pub fn bitfield(&self) -> Vec<u8> {
        let n = self.piece_count();
        let mut bits = vec![0xffu8; n.div_ceil(8)];
        if !n.is_multiple_of(8) {
            if let Some(last) = bits.last_mut() {
                *last = 0xff << (8 - n % 8);
            }
        }
        for i in self.withheld() {
            bits[i as usize / 8] &= !(0x80 >> (i % 8));
        }
        bits
    }

    /// Checks a peer's request against the torrent's geometry.
    pub fn check_request(&self, b: Block) -> Result<(), BadRequest> {
        if b.index as usize >= self.piece_count() || b.len == 0 || b.len > MAX_BLOCK {
            return Err(BadRequest::OutOfRange);
        }
        let end = u64::from(b.begin) + u64::from(b.len);
        if end > self.piece_len(b.index) {
            return Err(BadRequest::OutOfRange);
        }
        if self.is_withheld(b.index) {
            return Err(BadRequest::Withheld);
        }
        Ok(())
    }

    pub fn add_uploaded(&self, n: u64) {
        self.uploaded.fetch_add(n, Ordering::Relaxed);
    }
}

/// Every torrent this client serves, by info-hash.
#[derive(Default)]
pub struct Registry {
    map: RwLock<HashMap<[u8; 20], Arc<Torrent>>>,
}

impl Registry {
    pub fn get(&self, ih: &[u8; 20]) -> Option<Arc<Torrent>> {
        self.map.read().ok()?.get(ih).cloned()
    }

    pub fn insert(&self, t: Arc<Torrent>) -> Option<Arc<Torrent>> {
        self.map.write().ok()?.insert(t.info_hash, t)
    }

    pub fn remove(&self, ih: &[u8; 20]) -> Option<Arc<Torrent>> {
        self.map.write().ok()?.remove(ih)
    }

    pub fn all(&self) -> Vec<Arc<Torrent>> {
        self.map
            .read()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.map.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{dict, Owned};
    use sha1::{Digest, Sha1};

    /// A 3-piece single-file torrent of 40,000 bytes (pieces of 16 KiB).
    fn torrent() -> (Vec<u8>, Vec<FileStamp>) {
        let data = vec![7u8; 40_000];
        let pieces: Vec<u8> = data.chunks(16384).flat_map(Sha1::digest).collect();
        let bytes = dict([(
            "info",
            dict([
                ("length", Owned::Int(40_000)),
                ("name", Owned::str("a.mkv")),
                ("piece length", Owned::Int(16384)),
                ("pieces", Owned::Bytes(pieces)),
                ("private", Owned::Int(1)),
            ]),
        )])
        .encode();
        let stamps = vec![FileStamp {
            path: "/nowhere/a.mkv".into(),
            size: 40_000,
            mtime_ns: 1,
        }];
        (bytes, stamps)
    }

    #[test]
    fn requests_past_the_end_or_too_big_are_out_of_range() {
        let (bytes, stamps) = torrent();
        let t = Torrent::new(&bytes, &stamps, Origin::Library, 0).unwrap();
        assert_eq!(t.piece_count(), 3);
        let b = |index, begin, len| Block { index, begin, len };
        assert_eq!(t.check_request(b(0, 0, 16384)), Ok(()));
        assert_eq!(t.check_request(b(2, 0, 40_000 - 32768)), Ok(()));
        for bad in [
            b(2, 0, 16384),
            b(3, 0, 1),
            b(u32::MAX, 0, 1),
            b(0, 16384, 1),
            b(0, u32::MAX, u32::MAX),
            b(0, 0, 0),
            b(0, 0, MAX_BLOCK + 1),
        ] {
            assert_eq!(t.check_request(bad), Err(BadRequest::OutOfRange), "{bad:?}");
        }
        assert!(t.withhold(1));
        assert!(!t.withhold(1));
        assert_eq!(t.check_request(b(1, 0, 16)), Err(BadRequest::Withheld));
        assert_eq!(t.bitfield(), vec![0b1010_0000]);
    }

    #[test]
    fn stamps_must_match_the_torrent() {
        let (bytes, mut stamps) = torrent();
        stamps[0].size = 1;
        assert_eq!(
            Torrent::new(&bytes, &stamps, Origin::Library, 0).err(),
            Some(TorrentError::FilesMismatch)
        );
        assert!(Torrent::new(b"garbage", &[], Origin::Library, 0).is_err());
    }

    #[test]
    fn a_missing_file_stops_serving() {
        let (bytes, stamps) = torrent();
        let t = Torrent::new(&bytes, &stamps, Origin::Library, 0).unwrap();
        assert!(t.check_files().is_err());
        assert!(t.not_served().unwrap().contains("missing"));
    }
}
