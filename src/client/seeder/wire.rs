//! Peer wire messages (BEP 3, BEP 6 fast extension, BEP 10 extension
//! handshake), parsed from and encoded into byte buffers. No socket I/O here:
//! `peer.rs` feeds bytes in and writes what comes out.

use crate::bencode::{self, dict, Owned};

/// The 19-byte protocol name of the handshake.
pub const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";
pub const HANDSHAKE_LEN: usize = 68;
/// Largest message a leecher has any reason to send a seeder (a bitfield of a
/// 2^23-piece torrent, an extension handshake); anything longer is hostile.
pub const MAX_FRAME: u32 = 1 << 20;
/// Largest block we serve; clients ask 16 KiB, a few up to 128 KiB.
pub const MAX_BLOCK: u32 = 128 * 1024;
/// Header of a `piece` message: length (4), id (1), index (4), begin (4).
pub const PIECE_HEADER: usize = 13;

/// Reserved-bit flags of the handshake.
const EXT_BYTE: usize = 5;
const EXT_BIT: u8 = 0x10;
const FAST_BYTE: usize = 7;
const FAST_BIT: u8 = 0x04;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("handshake is not BitTorrent protocol")]
    BadHandshake,
    #[error("message length {0} is over the limit")]
    TooLong(u32),
    #[error("message id {id} has a wrong length {len}")]
    BadLength { id: u8, len: u32 },
    #[error("bitfield of {got} bytes, torrent needs {want}")]
    BadBitfield { got: usize, want: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake {
    pub info_hash: [u8; 20],
    pub peer_id: [u8; 20],
    pub extensions: bool,
    pub fast: bool,
}

impl Handshake {
    /// Parses the fixed 68-byte handshake.
    pub fn parse(b: &[u8; HANDSHAKE_LEN]) -> Result<Handshake, WireError> {
        if b[0] != 19 || &b[1..20] != PROTOCOL {
            return Err(WireError::BadHandshake);
        }
        let reserved = &b[20..28];
        let mut info_hash = [0u8; 20];
        info_hash.copy_from_slice(&b[28..48]);
        let mut peer_id = [0u8; 20];
        peer_id.copy_from_slice(&b[48..68]);
        Ok(Handshake {
            info_hash,
            peer_id,
            extensions: reserved[EXT_BYTE] & EXT_BIT != 0,
            fast: reserved[FAST_BYTE] & FAST_BIT != 0,
        })
    }

    /// Ours: extension protocol and fast extension on.
    pub fn encode(info_hash: &[u8; 20], peer_id: &[u8; 20]) -> [u8; HANDSHAKE_LEN] {
        let mut b = [0u8; HANDSHAKE_LEN];
        b[0] = 19;
        b[1..20].copy_from_slice(PROTOCOL);
        b[20 + EXT_BYTE] |= EXT_BIT;
        b[20 + FAST_BYTE] |= FAST_BIT;
        b[28..48].copy_from_slice(info_hash);
        b[48..68].copy_from_slice(peer_id);
        b
    }
}

/// A block: piece index, offset inside the piece, length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Block {
    pub index: u32,
    pub begin: u32,
    pub len: u32,
}

/// A message from a peer, borrowed from the read buffer where it carries bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Message<'a> {
    KeepAlive,
    Choke,
    Unchoke,
    Interested,
    NotInterested,
    Have(u32),
    Bitfield(&'a [u8]),
    Request(Block),
    /// A piece sent to us: a seeder never asks for one.
    Piece {
        index: u32,
        begin: u32,
    },
    Cancel(Block),
    Port(u16),
    Suggest(u32),
    HaveAll,
    HaveNone,
    Reject(Block),
    AllowedFast(u32),
    Extended {
        id: u8,
        payload: &'a [u8],
    },
    /// Ids this seeder does not know are skipped (BEP 3 says ignore them).
    Unknown(u8),
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Cuts one message off the front of `buf`: `Ok(None)` when more bytes are
/// needed, else the message and how many bytes it took. The length prefix is
/// checked against [`MAX_FRAME`] before waiting for the body, so a hostile
/// length never makes the caller buffer it.
pub fn parse(buf: &[u8]) -> Result<Option<(Message<'_>, usize)>, WireError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = be32(buf);
    if len > MAX_FRAME {
        return Err(WireError::TooLong(len));
    }
    let total = 4 + len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    if len == 0 {
        return Ok(Some((Message::KeepAlive, 4)));
    }
    let id = buf[4];
    let p = &buf[5..total];
    let fixed = |want: usize| {
        if p.len() == want {
            Ok(())
        } else {
            Err(WireError::BadLength { id, len })
        }
    };
    let block = |p: &[u8]| Block {
        index: be32(&p[0..]),
        begin: be32(&p[4..]),
        len: be32(&p[8..]),
    };
    let msg = match id {
        0 => fixed(0).map(|_| Message::Choke)?,
        1 => fixed(0).map(|_| Message::Unchoke)?,
        2 => fixed(0).map(|_| Message::Interested)?,
        3 => fixed(0).map(|_| Message::NotInterested)?,
        4 => fixed(4).map(|_| Message::Have(be32(p)))?,
        5 => Message::Bitfield(p),
        6 => fixed(12).map(|_| Message::Request(block(p)))?,
        7 if p.len() >= 8 => Message::Piece {
            index: be32(p),
            begin: be32(&p[4..]),
        },
        7 => return Err(WireError::BadLength { id, len }),
        8 => fixed(12).map(|_| Message::Cancel(block(p)))?,
        9 => fixed(2).map(|_| Message::Port(u16::from_be_bytes([p[0], p[1]])))?,
        0x0d => fixed(4).map(|_| Message::Suggest(be32(p)))?,
        0x0e => fixed(0).map(|_| Message::HaveAll)?,
        0x0f => fixed(0).map(|_| Message::HaveNone)?,
        0x10 => fixed(12).map(|_| Message::Reject(block(p)))?,
        0x11 => fixed(4).map(|_| Message::AllowedFast(be32(p)))?,
        20 if !p.is_empty() => Message::Extended {
            id: p[0],
            payload: &p[1..],
        },
        20 => return Err(WireError::BadLength { id, len }),
        other => Message::Unknown(other),
    };
    Ok(Some((msg, total)))
}

/// Whether a peer's bitfield says it holds every piece (it is a seeder too).
pub fn bitfield_is_full(bits: &[u8], pieces: usize) -> Result<bool, WireError> {
    let want = pieces.div_ceil(8);
    if bits.len() != want {
        return Err(WireError::BadBitfield {
            got: bits.len(),
            want,
        });
    }
    let full_bytes = pieces / 8;
    let rest = pieces % 8;
    let head_full = bits[..full_bytes].iter().all(|&b| b == 0xff);
    let tail_full = rest == 0 || bits[full_bytes] >> (8 - rest) == (1u8 << rest) - 1;
    Ok(head_full && tail_full)
}

fn push_header(out: &mut Vec<u8>, len: u32, id: u8) {
    out.extend_from_slice(&len.to_be_bytes());
    out.push(id);
}

pub fn keep_alive(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 0]);
}

pub fn choke(out: &mut Vec<u8>) {
    push_header(out, 1, 0);
}

pub fn unchoke(out: &mut Vec<u8>) {
    push_header(out, 1, 1);
}

pub fn have_all(out: &mut Vec<u8>) {
    push_header(out, 1, 0x0e);
}

pub fn have_none(out: &mut Vec<u8>) {
    push_header(out, 1, 0x0f);
}

pub fn bitfield(out: &mut Vec<u8>, bits: &[u8]) {
    push_header(out, 1 + bits.len() as u32, 5);
    out.extend_from_slice(bits);
}

pub fn reject(out: &mut Vec<u8>, b: Block) {
    push_header(out, 13, 0x10);
    out.extend_from_slice(&b.index.to_be_bytes());
    out.extend_from_slice(&b.begin.to_be_bytes());
    out.extend_from_slice(&b.len.to_be_bytes());
}

/// The header of a `piece` message carrying block `b`; its `b.len` bytes follow.
pub fn piece_header(b: Block) -> [u8; PIECE_HEADER] {
    let mut h = [0u8; PIECE_HEADER];
    h[..4].copy_from_slice(&(9 + b.len).to_be_bytes());
    h[4] = 7;
    h[5..9].copy_from_slice(&b.index.to_be_bytes());
    h[9..].copy_from_slice(&b.begin.to_be_bytes());
    h
}

/// Our BEP 10 extension handshake: client name and request queue size; `m`
/// empty: no PEX, no metadata exchange (private torrents forbid both).
pub fn extended_handshake(out: &mut Vec<u8>, client: &str, reqq: u32) {
    let body = dict([
        ("m", Owned::Dict(Default::default())),
        ("reqq", Owned::Int(i64::from(reqq))),
        ("v", Owned::str(client)),
    ])
    .encode();
    push_header(out, 2 + body.len() as u32, 20);
    out.push(0);
    out.extend_from_slice(&body);
}

/// The `reqq` a peer's extension handshake announces, if it is readable.
pub fn peer_reqq(payload: &[u8]) -> Option<u32> {
    let root = bencode::decode(payload).ok()?;
    let n = root.get("reqq")?.as_int()?;
    u32::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = (1 + payload.len() as u32).to_be_bytes().to_vec();
        v.push(id);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn handshake_round_trip_and_bad_ones() {
        let b = Handshake::encode(&[1; 20], &[2; 20]);
        let h = Handshake::parse(&b).unwrap();
        assert_eq!(h.info_hash, [1; 20]);
        assert_eq!(h.peer_id, [2; 20]);
        assert!(h.extensions && h.fast);
        let mut bad = b;
        bad[0] = 18;
        assert_eq!(Handshake::parse(&bad), Err(WireError::BadHandshake));
        let mut bad = b;
        bad[5] = b'X';
        assert_eq!(Handshake::parse(&bad), Err(WireError::BadHandshake));
        let http = *b"GET /announce HTTP/1.1\r\nHost: x\r\n\r\n.................................";
        assert_eq!(Handshake::parse(&http), Err(WireError::BadHandshake));
    }

    #[test]
    fn a_hostile_length_is_refused_before_its_body() {
        assert_eq!(
            parse(&[0xff, 0xff, 0xff, 0xff, 6]),
            Err(WireError::TooLong(u32::MAX))
        );
        assert_eq!(
            parse(&(MAX_FRAME + 1).to_be_bytes()),
            Err(WireError::TooLong(MAX_FRAME + 1))
        );
        // At the limit it only waits for more bytes.
        assert_eq!(parse(&MAX_FRAME.to_be_bytes()), Ok(None));
    }

    #[test]
    fn partial_frames_wait() {
        let f = frame(6, &[0; 12]);
        for cut in 0..f.len() {
            assert_eq!(parse(&f[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(&f).unwrap().is_some());
    }

    #[test]
    fn messages_parse() {
        let mut req = Vec::new();
        req.extend_from_slice(&3u32.to_be_bytes());
        req.extend_from_slice(&16384u32.to_be_bytes());
        req.extend_from_slice(&16384u32.to_be_bytes());
        let f = frame(6, &req);
        let (m, n) = parse(&f).unwrap().unwrap();
        assert_eq!(n, f.len());
        assert_eq!(
            m,
            Message::Request(Block {
                index: 3,
                begin: 16384,
                len: 16384
            })
        );
        assert_eq!(
            parse(&[0, 0, 0, 0]).unwrap().unwrap(),
            (Message::KeepAlive, 4)
        );
        assert_eq!(
            parse(&frame(2, &[])).unwrap().unwrap().0,
            Message::Interested
        );
        assert_eq!(
            parse(&frame(0x0e, &[])).unwrap().unwrap().0,
            Message::HaveAll
        );
        assert_eq!(
            parse(&frame(20, &[0, b'd', b'e'])).unwrap().unwrap().0,
            Message::Extended {
                id: 0,
                payload: b"de"
            }
        );
        // Two frames in one buffer: only the first is taken.
        let mut two = frame(2, &[]);
        two.extend(frame(3, &[]));
        assert_eq!(parse(&two).unwrap().unwrap().1, 5);
    }

    #[test]
    fn unknown_ids_are_skipped_not_fatal() {
        for id in [10u8, 11, 12, 19, 21, 99, 255] {
            let f = frame(id, &[1, 2, 3]);
            assert_eq!(parse(&f).unwrap().unwrap(), (Message::Unknown(id), f.len()));
        }
    }

    #[test]
    fn wrong_lengths_are_errors() {
        for (id, len) in [
            (0u8, 1usize),
            (2, 4),
            (4, 3),
            (6, 11),
            (6, 13),
            (8, 0),
            (9, 1),
            (7, 4),
        ] {
            let f = frame(id, &vec![0; len]);
            assert!(
                matches!(parse(&f), Err(WireError::BadLength { .. })),
                "id {id} len {len}"
            );
        }
        assert!(matches!(
            parse(&frame(20, &[])),
            Err(WireError::BadLength { .. })
        ));
    }

    #[test]
    fn bitfields() {
        assert_eq!(bitfield_is_full(&[0xff, 0xe0], 11), Ok(true));
        assert_eq!(bitfield_is_full(&[0xff, 0xc0], 11), Ok(false));
        assert_eq!(bitfield_is_full(&[0xff], 8), Ok(true));
        assert_eq!(
            bitfield_is_full(&[0xff], 11),
            Err(WireError::BadBitfield { got: 1, want: 2 })
        );
        assert_eq!(
            bitfield_is_full(&[0xff; 3], 11),
            Err(WireError::BadBitfield { got: 3, want: 2 })
        );
    }

    #[test]
    fn encoded_messages_parse_back() {
        let b = Block {
            index: 7,
            begin: 32768,
            len: 4,
        };
        let mut out = Vec::new();
        reject(&mut out, b);
        out.extend_from_slice(&piece_header(b));
        out.extend_from_slice(b"data");
        extended_handshake(&mut out, "PrivateIndexer 0.1", 250);
        let (m, n) = parse(&out).unwrap().unwrap();
        assert_eq!(m, Message::Reject(b));
        let (m, k) = parse(&out[n..]).unwrap().unwrap();
        assert_eq!(
            m,
            Message::Piece {
                index: 7,
                begin: 32768
            }
        );
        assert_eq!(k, 4 + 9 + 4);
        let (m, _) = parse(&out[n + k..]).unwrap().unwrap();
        let Message::Extended { id: 0, payload } = m else {
            panic!("{m:?}")
        };
        assert_eq!(peer_reqq(payload), Some(250));
        assert_eq!(peer_reqq(b"garbage"), None);
        assert_eq!(peer_reqq(b"d4:reqqi-1ee"), None);
    }
}
