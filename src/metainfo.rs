//! Validation of uploaded `.torrent` files (BEP 3 v1, BEP 52 hybrid) and
//! re-emission with a member's personal announce URL.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::bencode::{self, BencodeError, Node, Owned};
use crate::display_text::{self, TextError};

/// Largest `.torrent` accepted; a 16 MiB-piece torrent of several TiB stays well under it.
pub const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;

/// Most files one torrent may list: a season or an album holds tens, a discography
/// thousands; the bencode value budget ([`bencode::Limits::DEFAULT`]) is sized for it.
pub const MAX_FILES: usize = 50_000;

/// Piece lengths accepted: powers of two (BEP 52 requires it, every current tool makes
/// them) from 16 KiB to 256 MiB, so `piece length × pieces` bounds the size to 128 TiB.
const MIN_PIECE_LENGTH: u64 = 16 * 1024;
const MAX_PIECE_LENGTH: u64 = 256 * 1024 * 1024;

/// Longest file or folder name file systems take (NAME_MAX), and longest path (PATH_MAX).
const MAX_NAME_BYTES: usize = 255;
const MAX_PATH_BYTES: usize = 4096;

/// Top-level keys kept from an upload; trackers, web seeds and anything unknown are dropped.
const KEPT_TOP_LEVEL: &[&str] = &[
    "comment",
    "created by",
    "creation date",
    "encoding",
    "piece layers",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetainfoError {
    #[error("torrent is larger than {} bytes", MAX_TORRENT_BYTES)]
    TooLarge,
    #[error("not a valid bencoded torrent: {0}")]
    Bencode(#[from] BencodeError),
    #[error("torrent is not a dictionary")]
    NotADict,
    #[error("torrent has no info dictionary")]
    NoInfo,
    #[error("torrent is not private (info.private must be 1)")]
    NotPrivate,
    #[error("info.{0} is missing or invalid")]
    BadField(&'static str),
    #[error("info.piece length must be a power of two from 16 KiB to 256 MiB")]
    BadPieceLength,
    #[error("v2-only torrents are not supported; make a v1 or hybrid torrent")]
    V2Only,
    #[error("info.pieces holds {found} hashes but the size needs {expected}")]
    PieceCount { expected: u64, found: u64 },
    #[error("torrent lists more than {MAX_FILES} files")]
    TooManyFiles,
    #[error("torrent holds no data")]
    Empty,
    #[error("info.{field} {reason}")]
    BadText {
        field: &'static str,
        reason: TextError,
    },
    #[error("info.{0} is longer than {1} bytes")]
    NameTooLong(&'static str, usize),
    #[error("info.{0} is not a safe file name (empty, `.`, `..`, or holding `/` or `\\`)")]
    UnsafeName(&'static str),
}

impl MetainfoError {
    /// The HTTP status this rejection is reported with.
    pub fn status(&self) -> u16 {
        match self {
            MetainfoError::TooLarge | MetainfoError::TooManyFiles => 413,
            MetainfoError::Bencode(_) | MetainfoError::NotADict => 400,
            _ => 422,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// Path inside the torrent, components joined with `/`.
    pub path: String,
    pub length: u64,
}

/// What the server learns from a validated torrent.
#[derive(Debug, Clone)]
pub struct Metainfo {
    pub info_hash: [u8; 20],
    /// SHA-256 of the info dict for v2/hybrid torrents (`meta version` 2).
    pub info_hash_v2: Option<[u8; 32]>,
    pub name: String,
    pub piece_length: u64,
    /// Sum of the real files (BEP 47 padding files excluded).
    pub size: u64,
    pub files: Vec<FileEntry>,
    /// The torrent as stored: kept top-level keys plus the exact info bytes, no announce.
    pub stored: Vec<u8>,
}

/// Parses and checks an uploaded torrent.
pub fn parse(bytes: &[u8]) -> Result<Metainfo, MetainfoError> {
    if bytes.len() > MAX_TORRENT_BYTES {
        return Err(MetainfoError::TooLarge);
    }
    let root = bencode::decode(bytes)?;
    if !root.is_dict() {
        return Err(MetainfoError::NotADict);
    }
    let info = root.get("info").ok_or(MetainfoError::NoInfo)?;
    if !info.is_dict() {
        return Err(MetainfoError::NoInfo);
    }
    let info_bytes = &bytes[info.span.clone()];
    if info.get("private").and_then(Node::as_int) != Some(1) {
        return Err(MetainfoError::NotPrivate);
    }
    let name = info
        .get("name")
        .and_then(Node::as_str)
        .ok_or(MetainfoError::BadField("name"))?;
    check_name("name", name)?;
    let name = name.to_string();
    let piece_length = info
        .get("piece length")
        .and_then(non_negative)
        .filter(|p| p.is_power_of_two() && (MIN_PIECE_LENGTH..=MAX_PIECE_LENGTH).contains(p))
        .ok_or(MetainfoError::BadPieceLength)?;
    let is_v2 = info.get("meta version").and_then(Node::as_int) == Some(2);
    let pieces = match info.get("pieces") {
        Some(p) => p.as_bytes().ok_or(MetainfoError::BadField("pieces"))?,
        None if is_v2 => return Err(MetainfoError::V2Only),
        None => return Err(MetainfoError::BadField("pieces")),
    };
    if pieces.len() % 20 != 0 {
        return Err(MetainfoError::BadField("pieces"));
    }

    let (files, padded_total) = file_list(info, &name)?;
    let size: u64 = files.iter().map(|f| f.length).sum();
    if size == 0 {
        return Err(MetainfoError::Empty);
    }
    let expected = padded_total.div_ceil(piece_length);
    let found = (pieces.len() / 20) as u64;
    if expected != found {
        return Err(MetainfoError::PieceCount { expected, found });
    }

    let info_hash: [u8; 20] = Sha1::digest(info_bytes).into();
    let info_hash_v2 = is_v2.then(|| Sha256::digest(info_bytes).into());

    let mut top = BTreeMap::new();
    for key in KEPT_TOP_LEVEL {
        if let Some(v) = root.get(key) {
            top.insert(
                key.as_bytes().to_vec(),
                Owned::Raw(bytes[v.span.clone()].to_vec()),
            );
        }
    }
    top.insert(b"info".to_vec(), Owned::Raw(info_bytes.to_vec()));
    Ok(Metainfo {
        info_hash,
        info_hash_v2,
        name,
        piece_length,
        size,
        files,
        stored: Owned::Dict(top).encode(),
    })
}

/// Returns the real files and the total length including padding files.
fn file_list(info: &Node<'_>, name: &str) -> Result<(Vec<FileEntry>, u64), MetainfoError> {
    match (info.get("length"), info.get("files")) {
        (Some(len), None) => {
            let length = non_negative(len).ok_or(MetainfoError::BadField("length"))?;
            Ok((
                vec![FileEntry {
                    path: name.to_string(),
                    length,
                }],
                length,
            ))
        }
        (None, Some(list)) => {
            let list = list.as_list().ok_or(MetainfoError::BadField("files"))?;
            if list.is_empty() {
                return Err(MetainfoError::BadField("files"));
            }
            if list.len() > MAX_FILES {
                return Err(MetainfoError::TooManyFiles);
            }
            let mut files = Vec::with_capacity(list.len());
            let mut total: u64 = 0;
            for f in list {
                let length = f
                    .get("length")
                    .and_then(non_negative)
                    .ok_or(MetainfoError::BadField("files.length"))?;
                total = total
                    .checked_add(length)
                    .ok_or(MetainfoError::BadField("files.length"))?;
                let is_pad = f
                    .get("attr")
                    .and_then(Node::as_bytes)
                    .is_some_and(|a| a.contains(&b'p'));
                if is_pad {
                    continue;
                }
                let parts = f
                    .get("path")
                    .and_then(Node::as_list)
                    .ok_or(MetainfoError::BadField("files.path"))?;
                let mut comps = Vec::with_capacity(parts.len());
                for part in parts {
                    let s = part.as_str().ok_or(MetainfoError::BadField("files.path"))?;
                    check_name("files.path", s)?;
                    comps.push(s);
                }
                if comps.is_empty() {
                    return Err(MetainfoError::UnsafeName("files.path"));
                }
                let path = comps.join("/");
                if path.len() > MAX_PATH_BYTES {
                    return Err(MetainfoError::NameTooLong("files.path", MAX_PATH_BYTES));
                }
                files.push(FileEntry { path, length });
            }
            Ok((files, total))
        }
        _ => Err(MetainfoError::BadField("length or files (exactly one)")),
    }
}

fn non_negative(n: &Node<'_>) -> Option<u64> {
    n.as_int().and_then(|i| u64::try_from(i).ok())
}

/// A torrent's name or one part of a file path: shown to people, so one line of
/// honest text; written by clients, so a name that stays inside the download folder.
fn check_name(field: &'static str, s: &str) -> Result<(), MetainfoError> {
    display_text::check(s, MAX_NAME_BYTES)
        .map_err(|reason| MetainfoError::BadText { field, reason })?;
    if s.len() > MAX_NAME_BYTES {
        return Err(MetainfoError::NameTooLong(field, MAX_NAME_BYTES));
    }
    if s == "." || s == ".." || s.contains(['/', '\\']) {
        return Err(MetainfoError::UnsafeName(field));
    }
    Ok(())
}

/// The stored torrent with `announce` set to the member's personal URL.
pub fn with_announce(stored: &[u8], announce_url: &str) -> Result<Vec<u8>, MetainfoError> {
    let mut top = top_level(stored)?;
    top.insert(b"announce".to_vec(), Owned::str(announce_url));
    Ok(Owned::Dict(top).encode())
}

/// The torrent without `announce` and `announce-list` (its `info`, hence its
/// info-hash, unchanged): for an engine told its tracker another way.
pub fn without_trackers(stored: &[u8]) -> Result<Vec<u8>, MetainfoError> {
    let mut top = top_level(stored)?;
    top.remove(b"announce".as_slice());
    top.remove(b"announce-list".as_slice());
    Ok(Owned::Dict(top).encode())
}

/// The top-level entries of a torrent, each kept as its exact bytes.
fn top_level(stored: &[u8]) -> Result<BTreeMap<Vec<u8>, Owned>, MetainfoError> {
    let root = bencode::decode(stored)?;
    let bencode::Value::Dict(entries) = &root.value else {
        return Err(MetainfoError::NotADict);
    };
    Ok(entries
        .iter()
        .map(|(k, v)| (k.to_vec(), Owned::Raw(stored[v.span.clone()].to_vec())))
        .collect())
}

/// Lower-case hex of an info-hash, as the *arr apps and qBittorrent show it.
pub fn hex_hash(h: &[u8]) -> String {
    hex::encode(h)
}

/// Parses a 40-character hex v1 info-hash.
pub fn parse_hex_hash(s: &str) -> Option<[u8; 20]> {
    let mut out = [0u8; 20];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
