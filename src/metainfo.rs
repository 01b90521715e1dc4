//! Validation of uploaded `.torrent` files (BEP 3 v1, BEP 52 hybrid) and
//! re-emission with a member's personal announce URL.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::bencode::{self, BencodeError, Node, Owned};

/// Largest `.torrent` accepted; a 16 MiB-piece torrent of several TiB stays well under it.
pub const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;

/// Most files one torrent may list: a season or an album holds tens, a discography
/// thousands; the bencode value budget ([`bencode::Limits::DEFAULT`]) is sized for it.
pub const MAX_FILES: usize = 50_000;

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
    #[error("info.piece length must be a positive number")]
    BadPieceLength,
    #[error("v2-only torrents are not supported; make a v1 or hybrid torrent")]
    V2Only,
    #[error("info.pieces holds {found} hashes but the size needs {expected}")]
    PieceCount { expected: u64, found: u64 },
    #[error("torrent lists more than {MAX_FILES} files")]
    TooManyFiles,
    #[error("torrent holds no data")]
    Empty,
    #[error("file path is unsafe or empty: {0}")]
    BadPath(String),
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
        .filter(|n| safe_component(n))
        .ok_or(MetainfoError::BadField("name"))?
        .to_string();
    let piece_length = info
        .get("piece length")
        .and_then(Node::as_int)
        .filter(|&p| p > 0)
        .ok_or(MetainfoError::BadPieceLength)? as u64;
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
                    match part.as_str() {
                        Some(s) if safe_component(s) => comps.push(s),
                        _ => {
                            return Err(MetainfoError::BadPath(
                                String::from_utf8_lossy(part.as_bytes().unwrap_or(b""))
                                    .into_owned(),
                            ))
                        }
                    }
                }
                if comps.is_empty() {
                    return Err(MetainfoError::BadPath(String::new()));
                }
                files.push(FileEntry {
                    path: comps.join("/"),
                    length,
                });
            }
            Ok((files, total))
        }
        _ => Err(MetainfoError::BadField("length or files (exactly one)")),
    }
}

fn non_negative(n: &Node<'_>) -> Option<u64> {
    n.as_int().and_then(|i| u64::try_from(i).ok())
}

/// A path component a client could write without escaping its download folder.
fn safe_component(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0'])
}

/// The stored torrent with `announce` set to the member's personal URL.
pub fn with_announce(stored: &[u8], announce_url: &str) -> Result<Vec<u8>, MetainfoError> {
    let root = bencode::decode(stored)?;
    let bencode::Value::Dict(entries) = &root.value else {
        return Err(MetainfoError::NotADict);
    };
    let mut top: BTreeMap<Vec<u8>, Owned> = entries
        .iter()
        .map(|(k, v)| (k.to_vec(), Owned::Raw(stored[v.span.clone()].to_vec())))
        .collect();
    top.insert(b"announce".to_vec(), Owned::str(announce_url));
    Ok(Owned::Dict(top).encode())
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
mod tests {
    use super::*;
    use crate::bencode::dict;

    fn info(extra: Vec<(&'static str, Owned)>) -> Owned {
        let mut pairs = vec![
            ("name", Owned::str("a.bin")),
            ("piece length", Owned::Int(16384)),
            ("pieces", Owned::Bytes(vec![0; 40])),
            ("length", Owned::Int(20000)),
            ("private", Owned::Int(1)),
        ];
        for (k, v) in extra {
            pairs.retain(|(pk, _)| *pk != k);
            pairs.push((k, v));
        }
        dict(pairs)
    }

    fn torrent(info: Owned) -> Vec<u8> {
        dict([
            ("announce", Owned::str("http://x/announce")),
            ("info", info),
        ])
        .encode()
    }

    #[test]
    fn accepts_a_private_v1_torrent_and_drops_the_announce() {
        let t = torrent(info(vec![]));
        let m = parse(&t).unwrap();
        assert_eq!(m.size, 20000);
        assert_eq!(m.files.len(), 1);
        assert!(m.info_hash_v2.is_none());
        let stored = bencode::decode(&m.stored).unwrap();
        assert!(stored.get("announce").is_none());
        let served = with_announce(&m.stored, "http://t/announce/k").unwrap();
        assert_eq!(parse(&served).unwrap().info_hash, m.info_hash);
    }

    #[test]
    fn info_hash_is_of_the_exact_info_bytes_even_unsorted() {
        // Keys out of order: a re-encoding would change the hash.
        let raw_info =
            b"d6:lengthi20000e4:name5:a.bin7:privatei1e12:piece lengthi16384e6:pieces40:\
\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0e";
        let mut t = b"d4:info".to_vec();
        t.extend_from_slice(raw_info);
        t.push(b'e');
        let m = parse(&t).unwrap();
        let expected: [u8; 20] = Sha1::digest(raw_info).into();
        assert_eq!(m.info_hash, expected);
        let served = with_announce(&m.stored, "http://t/a").unwrap();
        assert_eq!(parse(&served).unwrap().info_hash, expected);
    }

    #[test]
    fn records_the_v2_hash_of_hybrid_torrents() {
        let t = torrent(info(vec![
            ("meta version", Owned::Int(2)),
            ("file tree", dict([])),
        ]));
        let m = parse(&t).unwrap();
        let root = bencode::decode(&t).unwrap();
        let span = root.get("info").unwrap().span.clone();
        let expected: [u8; 32] = Sha256::digest(&t[span]).into();
        assert_eq!(m.info_hash_v2, Some(expected));
    }

    #[test]
    fn rejects_bad_torrents_with_a_named_reason() {
        let cases: Vec<(Vec<u8>, MetainfoError)> = vec![
            (
                b"not bencode".to_vec(),
                MetainfoError::Bencode(BencodeError::Invalid(0, "unknown value type")),
            ),
            (b"i1e".to_vec(), MetainfoError::NotADict),
            (dict([("x", Owned::Int(1))]).encode(), MetainfoError::NoInfo),
            (
                torrent(info(vec![("private", Owned::Int(0))])),
                MetainfoError::NotPrivate,
            ),
            (
                torrent(info(vec![("piece length", Owned::Int(0))])),
                MetainfoError::BadPieceLength,
            ),
            (
                torrent(info(vec![("piece length", Owned::Int(-5))])),
                MetainfoError::BadPieceLength,
            ),
            (
                torrent(info(vec![("length", Owned::Int(-1))])),
                MetainfoError::BadField("length"),
            ),
            (
                torrent(info(vec![("pieces", Owned::Bytes(vec![0; 20]))])),
                MetainfoError::PieceCount {
                    expected: 2,
                    found: 1,
                },
            ),
            (
                torrent(info(vec![("pieces", Owned::Bytes(vec![0; 30]))])),
                MetainfoError::BadField("pieces"),
            ),
            (
                torrent(info(vec![("name", Owned::str(".."))])),
                MetainfoError::BadField("name"),
            ),
            (
                torrent(info(vec![
                    ("length", Owned::Int(0)),
                    ("pieces", Owned::Bytes(vec![])),
                ])),
                MetainfoError::Empty,
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(parse(&bytes).unwrap_err(), expected);
        }
        let mut truncated = torrent(info(vec![]));
        truncated.truncate(truncated.len() - 3);
        assert!(matches!(
            parse(&truncated),
            Err(MetainfoError::Bencode(BencodeError::Truncated(_)))
        ));
        let mut trailing = torrent(info(vec![]));
        trailing.extend_from_slice(b"xx");
        assert!(matches!(
            parse(&trailing),
            Err(MetainfoError::Bencode(BencodeError::Trailing(_)))
        ));
        assert_eq!(
            parse(&vec![b'd'; MAX_TORRENT_BYTES + 1]).unwrap_err(),
            MetainfoError::TooLarge
        );
    }

    #[test]
    fn refuses_more_files_than_the_cap_before_reading_them() {
        let file = dict([
            ("length", Owned::Int(1)),
            ("path", Owned::List(vec![Owned::str("a")])),
        ]);
        let t = torrent(dict([
            ("name", Owned::str("d")),
            ("piece length", Owned::Int(16384)),
            ("pieces", Owned::Bytes(vec![0; 20])),
            ("private", Owned::Int(1)),
            ("files", Owned::List(vec![file; MAX_FILES + 1])),
        ]));
        assert_eq!(parse(&t).unwrap_err(), MetainfoError::TooManyFiles);
        assert_eq!(MetainfoError::TooManyFiles.status(), 413);
    }

    #[test]
    fn rejects_path_traversal_in_multi_file_torrents() {
        let t = torrent(dict([
            ("name", Owned::str("d")),
            ("piece length", Owned::Int(16384)),
            ("pieces", Owned::Bytes(vec![0; 40])),
            ("private", Owned::Int(1)),
            (
                "files",
                Owned::List(vec![dict([
                    ("length", Owned::Int(20000)),
                    (
                        "path",
                        Owned::List(vec![Owned::str(".."), Owned::str("etc")]),
                    ),
                ])]),
            ),
        ]));
        assert!(matches!(parse(&t), Err(MetainfoError::BadPath(_))));
    }
}
