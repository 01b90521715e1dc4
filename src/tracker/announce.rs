//! Announce and scrape parameters, read straight from the raw query string.
//!
//! `info_hash` and `peer_id` are URL-encoded binary, so a UTF-8 form parser
//! would mangle them; this reader percent-decodes bytes itself.

use std::net::IpAddr;

use super::config::{DEFAULT_NUMWANT, MAX_NUMWANT};

/// At most this many info-hashes per scrape.
pub const MAX_SCRAPE_HASHES: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A regular announce (also BEP 21 `paused`, and an empty `event=`).
    None,
    Started,
    Completed,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announce {
    pub info_hash: [u8; 20],
    pub peer_id: [u8; 20],
    pub port: u16,
    pub uploaded: u64,
    pub downloaded: u64,
    pub left: u64,
    pub event: Event,
    pub numwant: usize,
    pub compact: bool,
    pub no_peer_id: bool,
    /// Hash of the client's `key`, which proves a peer's identity across address changes.
    pub key: Option<u64>,
    /// The `ip` parameter; honoured only from trusted proxies.
    pub ip: Option<IpAddr>,
    /// The `passkey` parameter (the `?passkey=` form of the announce URL).
    pub passkey: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("invalid port")]
    BadPort,
    #[error("too many info_hash values in one scrape (max {MAX_SCRAPE_HASHES})")]
    TooManyHashes,
}

/// Percent-decodes one query component into `out`; `+` is a space as in forms.
fn decode_into(raw: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
    out.clear();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hi = raw.get(i + 1).and_then(|&c| hex_val(c)).ok_or(())?;
                let lo = raw.get(i + 2).and_then(|&c| hex_val(c)).ok_or(())?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(())
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The `(name, raw value)` pairs of a query string.
fn pairs(query: &str) -> impl Iterator<Item = (&[u8], &[u8])> {
    query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (&p[..i], &p[i + 1..]),
            None => (p, &p[p.len()..]),
        })
}

fn hash20(raw: &[u8], buf: &mut Vec<u8>, name: &'static str) -> Result<[u8; 20], ParamError> {
    decode_into(raw, buf).map_err(|_| ParamError::Malformed(name))?;
    <[u8; 20]>::try_from(buf.as_slice()).map_err(|_| ParamError::Malformed(name))
}

fn number(raw: &[u8], name: &'static str) -> Result<u64, ParamError> {
    // Plain decimal only; some clients send negatives or floats, which are refused.
    if raw.is_empty() || raw.len() > 20 || !raw.iter().all(u8::is_ascii_digit) {
        return Err(ParamError::Malformed(name));
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(ParamError::Malformed(name))
}

fn flag(raw: &[u8]) -> bool {
    !matches!(raw, b"0" | b"" | b"false")
}

/// FNV-1a: a cheap, stable fingerprint of the client's `key`.
fn fingerprint(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
        (h ^ u64::from(c)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn text(raw: &[u8], buf: &mut Vec<u8>, name: &'static str) -> Result<String, ParamError> {
    decode_into(raw, buf).map_err(|_| ParamError::Malformed(name))?;
    String::from_utf8(buf.clone()).map_err(|_| ParamError::Malformed(name))
}

pub fn parse_announce(query: &str) -> Result<Announce, ParamError> {
    let mut buf = Vec::with_capacity(32);
    let mut info_hash = None;
    let mut peer_id = None;
    let mut port = None;
    let (mut uploaded, mut downloaded, mut left) = (None, None, None);
    let mut event = Event::None;
    let mut numwant = DEFAULT_NUMWANT;
    let mut compact = true;
    let mut no_peer_id = false;
    let mut key = None;
    let mut ip = None;
    let mut passkey = None;
    for (name, raw) in pairs(query) {
        match name {
            b"info_hash" => info_hash = Some(hash20(raw, &mut buf, "info_hash")?),
            b"peer_id" => peer_id = Some(hash20(raw, &mut buf, "peer_id")?),
            b"port" => {
                let p = number(raw, "port").map_err(|_| ParamError::BadPort)?;
                port = Some(
                    u16::try_from(p)
                        .ok()
                        .filter(|&p| p != 0)
                        .ok_or(ParamError::BadPort)?,
                );
            }
            b"uploaded" => uploaded = Some(number(raw, "uploaded")?),
            b"downloaded" => downloaded = Some(number(raw, "downloaded")?),
            b"left" => left = Some(number(raw, "left")?),
            b"event" => {
                event = match raw {
                    b"started" => Event::Started,
                    b"completed" => Event::Completed,
                    b"stopped" => Event::Stopped,
                    b"" | b"empty" | b"paused" => Event::None,
                    _ => return Err(ParamError::Malformed("event")),
                }
            }
            b"numwant" => {
                // Some clients send -1 for "default".
                numwant = match number(raw, "numwant") {
                    Ok(n) => (n as usize).min(MAX_NUMWANT),
                    Err(_) if raw.starts_with(b"-") => DEFAULT_NUMWANT,
                    Err(e) => return Err(e),
                }
            }
            b"compact" => compact = flag(raw),
            b"no_peer_id" => no_peer_id = flag(raw),
            b"key" => {
                decode_into(raw, &mut buf).map_err(|_| ParamError::Malformed("key"))?;
                if buf.len() > 64 {
                    return Err(ParamError::Malformed("key"));
                }
                key = Some(fingerprint(&buf));
            }
            b"ip" => {
                let t = text(raw, &mut buf, "ip")?;
                ip = Some(t.parse().map_err(|_| ParamError::Malformed("ip"))?);
            }
            b"passkey" => passkey = Some(text(raw, &mut buf, "passkey")?),
            _ => {}
        }
    }
    Ok(Announce {
        info_hash: info_hash.ok_or(ParamError::Missing("info_hash"))?,
        peer_id: peer_id.ok_or(ParamError::Missing("peer_id"))?,
        port: port.ok_or(ParamError::Missing("port"))?,
        uploaded: uploaded.ok_or(ParamError::Missing("uploaded"))?,
        downloaded: downloaded.ok_or(ParamError::Missing("downloaded"))?,
        left: left.ok_or(ParamError::Missing("left"))?,
        event,
        numwant,
        compact,
        no_peer_id,
        key,
        ip,
        passkey,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrape {
    pub info_hashes: Vec<[u8; 20]>,
    pub passkey: Option<String>,
}

pub fn parse_scrape(query: &str) -> Result<Scrape, ParamError> {
    let mut buf = Vec::with_capacity(32);
    let mut info_hashes = Vec::new();
    let mut passkey = None;
    for (name, raw) in pairs(query) {
        match name {
            b"info_hash" => {
                if info_hashes.len() == MAX_SCRAPE_HASHES {
                    return Err(ParamError::TooManyHashes);
                }
                info_hashes.push(hash20(raw, &mut buf, "info_hash")?);
            }
            b"passkey" => passkey = Some(text(raw, &mut buf, "passkey")?),
            _ => {}
        }
    }
    Ok(Scrape {
        info_hashes,
        passkey,
    })
}

/// The value of one plain parameter (used for `passkey` before full parsing).
pub fn param<'q>(query: &'q str, name: &str) -> Option<&'q [u8]> {
    pairs(query)
        .find(|(n, _)| *n == name.as_bytes())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IH: &str = "%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A";

    fn base() -> String {
        format!("info_hash={IH}&peer_id=-qB4650-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=100")
    }

    #[test]
    fn parses_binary_hashes_and_defaults() {
        let a = parse_announce(&base()).unwrap();
        assert_eq!(
            a.info_hash,
            [
                0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf1, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
                0xef, 0x12, 0x34, 0x56, 0x78, 0x9a
            ]
        );
        assert_eq!(&a.peer_id, b"-qB4650-abcdefghijkl");
        assert_eq!(a.port, 6881);
        assert_eq!(a.left, 100);
        assert_eq!(a.event, Event::None);
        assert_eq!(a.numwant, DEFAULT_NUMWANT);
        assert!(a.compact);
        assert_eq!(a.ip, None);
    }

    #[test]
    fn parses_options() {
        let q = format!(
            "{}&event=started&numwant=100000&compact=0&no_peer_id=1&key=abc&ip=10.0.0.1&passkey=k",
            base()
        );
        let a = parse_announce(&q).unwrap();
        assert_eq!(a.event, Event::Started);
        assert_eq!(a.numwant, MAX_NUMWANT);
        assert!(!a.compact && a.no_peer_id);
        assert!(a.key.is_some());
        assert_eq!(a.ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(a.passkey.as_deref(), Some("k"));
        let a = parse_announce(&format!("{}&numwant=-1", base())).unwrap();
        assert_eq!(a.numwant, DEFAULT_NUMWANT);
    }

    #[test]
    fn refuses_bad_input() {
        let cases = [
            (base().replace("port=6881", "port=0"), ParamError::BadPort),
            (
                base().replace("port=6881", "port=70000"),
                ParamError::BadPort,
            ),
            (base().replace("port=6881", "port=x"), ParamError::BadPort),
            (
                base().replace("%9A&peer", "&peer"),
                ParamError::Malformed("info_hash"),
            ),
            (
                base().replace("-qB4650-abcdefghijkl", "short"),
                ParamError::Malformed("peer_id"),
            ),
            (
                base().replace("%12", "%1"),
                ParamError::Malformed("info_hash"),
            ),
            (
                base().replace("left=100", "left=-5"),
                ParamError::Malformed("left"),
            ),
            (
                base().replace("&uploaded=0", ""),
                ParamError::Missing("uploaded"),
            ),
            (
                format!("{}&event=bogus", base()),
                ParamError::Malformed("event"),
            ),
            (format!("{}&ip=nope", base()), ParamError::Malformed("ip")),
            (String::new(), ParamError::Missing("info_hash")),
        ];
        for (q, want) in cases {
            assert_eq!(parse_announce(&q), Err(want), "{q}");
        }
    }

    #[test]
    fn scrape_takes_many_hashes() {
        let s = parse_scrape(&format!("info_hash={IH}&info_hash={IH}&passkey=p")).unwrap();
        assert_eq!(s.info_hashes.len(), 2);
        assert_eq!(s.passkey.as_deref(), Some("p"));
        let many = vec![format!("info_hash={IH}"); MAX_SCRAPE_HASHES + 1].join("&");
        assert_eq!(parse_scrape(&many), Err(ParamError::TooManyHashes));
    }
}
