//! Optional UDP tracker (BEP 15), the passkey carried in the URL data option of
//! BEP 41 (`/announce/{passkey}` or `?passkey=`), same swarms and accounting.

use std::hash::{BuildHasher, Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::net::UdpSocket;

use super::announce::{Announce, Event, ParamError};
use super::config::{DEFAULT_NUMWANT, MAX_NUMWANT};
use super::swarm::Picked;
use super::{Refusal, Tracker};
use crate::core::counters::Counters;
use crate::web::limits::RateLimit;

const PROTOCOL_ID: u64 = 0x0417_2710_1980;
const CONNECT: u32 = 0;
const ANNOUNCE: u32 = 1;
const SCRAPE: u32 = 2;
const ERROR: u32 = 3;
/// Connection ids are good for this many seconds (BEP 15 says a minute; one bucket of grace).
const ID_BUCKET_SECS: u64 = 60;

/// Connection ids: a keyed hash of the client address and a time bucket, so
/// nothing is stored per client and spoofed sources cannot announce.
pub struct ConnectionIds {
    key: std::collections::hash_map::RandomState,
}

impl Default for ConnectionIds {
    fn default() -> Self {
        ConnectionIds {
            key: std::collections::hash_map::RandomState::new(),
        }
    }
}

fn bucket() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / ID_BUCKET_SECS)
        .unwrap_or(0)
}

impl ConnectionIds {
    fn id_at(&self, addr: &SocketAddr, bucket: u64) -> u64 {
        let mut h = self.key.build_hasher();
        addr.hash(&mut h);
        bucket.hash(&mut h);
        h.finish()
    }

    pub fn issue(&self, addr: &SocketAddr) -> u64 {
        self.id_at(addr, bucket())
    }

    pub fn valid(&self, addr: &SocketAddr, id: u64) -> bool {
        let b = bucket();
        id == self.id_at(addr, b) || id == self.id_at(addr, b.saturating_sub(1))
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn error(txid: u32, msg: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + msg.len());
    out.extend_from_slice(&ERROR.to_be_bytes());
    out.extend_from_slice(&txid.to_be_bytes());
    out.extend_from_slice(msg.as_bytes());
    out
}

/// The URL data of BEP 41 options following a 98-byte announce.
fn url_data(options: &[u8]) -> String {
    let mut data = Vec::new();
    let mut i = 0;
    while i < options.len() {
        match options[i] {
            0 => break,
            1 => i += 1,
            2 => {
                let Some(&len) = options.get(i + 1) else {
                    break;
                };
                let end = (i + 2 + len as usize).min(options.len());
                data.extend_from_slice(&options[i + 2..end]);
                i = end;
            }
            // Unknown options carry a length byte too.
            _ => {
                let Some(&len) = options.get(i + 1) else {
                    break;
                };
                i += 2 + len as usize;
            }
        }
    }
    String::from_utf8_lossy(&data).into_owned()
}

/// The passkey in `/announce/{passkey}` or `…?passkey=…`.
fn passkey_of(url: &str) -> Option<String> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if let Some(k) = path.strip_prefix("/announce/") {
        return Some(k.trim_end_matches('/').to_string());
    }
    super::announce::param(query, "passkey")
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_string)
}

/// The 16 bytes every BEP 15 request starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub conn: u64,
    pub action: u32,
    pub txid: u32,
}

/// The header of a datagram; `None` when it is too short to answer.
pub fn decode_header(packet: &[u8]) -> Option<Header> {
    Some(Header {
        conn: u64_at(packet, 0)?,
        action: u32_at(packet, 8)?,
        txid: u32_at(packet, 12)?,
    })
}

/// The body of an announce datagram (BEP 15 offsets), the passkey from its URL data.
pub fn decode_announce(p: &[u8]) -> Result<Announce, ParamError> {
    if p.len() < 98 {
        return Err(ParamError::Malformed("announce packet"));
    }
    let mut info_hash = [0u8; 20];
    info_hash.copy_from_slice(&p[16..36]);
    let mut peer_id = [0u8; 20];
    peer_id.copy_from_slice(&p[36..56]);
    let event = match u32_at(p, 80).unwrap_or(0) {
        1 => Event::Completed,
        2 => Event::Started,
        3 => Event::Stopped,
        _ => Event::None,
    };
    let numwant = match u32_at(p, 92).unwrap_or(0) as i32 {
        n if n < 0 => DEFAULT_NUMWANT,
        n => (n as usize).min(MAX_NUMWANT),
    };
    let port = u16::from_be_bytes([p[96], p[97]]);
    if port == 0 {
        return Err(ParamError::BadPort);
    }
    Ok(Announce {
        info_hash,
        peer_id,
        port,
        downloaded: u64_at(p, 56).unwrap_or(0),
        left: u64_at(p, 64).unwrap_or(0),
        uploaded: u64_at(p, 72).unwrap_or(0),
        event,
        numwant,
        compact: true,
        no_peer_id: true,
        key: u32_at(p, 88).map(u64::from),
        ip: None,
        passkey: passkey_of(&url_data(&p[98..])),
    })
}

/// Answers one datagram; `None` for datagrams not worth an answer.
pub fn handle(
    tracker: &Tracker,
    ids: &ConnectionIds,
    limit: &RateLimit,
    counters: &Counters,
    packet: &[u8],
    from: SocketAddr,
) -> Option<Vec<u8>> {
    let Header { conn, action, txid } = decode_header(packet)?;
    if action == CONNECT {
        if conn != PROTOCOL_ID {
            return None;
        }
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&CONNECT.to_be_bytes());
        out.extend_from_slice(&txid.to_be_bytes());
        out.extend_from_slice(&ids.issue(&from).to_be_bytes());
        return Some(out);
    }
    if !ids.valid(&from, conn) {
        return Some(error(txid, "unknown or expired connection id"));
    }
    match action {
        // Over the rate an error is cheaper than an announce and says why.
        ANNOUNCE if !limit.allow(from.ip()) => {
            tracker.announces.record(false);
            Some(error(
                txid,
                "too many announces from your address; slow down",
            ))
        }
        ANNOUNCE => {
            let answer = announce(tracker, counters, packet, from, txid);
            tracker.announces.record(answer.is_ok());
            Some(match answer {
                Ok(out) => out,
                Err(r) => error(txid, &r.to_string()),
            })
        }
        SCRAPE => Some(error(
            txid,
            "scrape over UDP is not offered; use the HTTP scrape URL with your passkey",
        )),
        _ => Some(error(txid, "unknown action")),
    }
}

fn announce(
    tracker: &Tracker,
    counters: &Counters,
    p: &[u8],
    from: SocketAddr,
    txid: u32,
) -> Result<Vec<u8>, Refusal> {
    let mut req = decode_announce(p)?;
    let passkey = req.passkey.take();
    let user = tracker.authenticate_announce(passkey.as_deref(), &req)?;
    let ip = crate::web::client_ip::canonical_ip(from.ip());
    let mut picked = Picked::default();
    let out = tracker.announce(user, &req, ip, counters, &mut picked)?;
    // BEP 15 answers carry peers of the socket's family only.
    let peers = match ip {
        IpAddr::V4(_) => &picked.compact4,
        IpAddr::V6(_) => &picked.compact6,
    };
    let mut resp = Vec::with_capacity(20 + peers.len());
    resp.extend_from_slice(&ANNOUNCE.to_be_bytes());
    resp.extend_from_slice(&txid.to_be_bytes());
    resp.extend_from_slice(&tracker.interval().to_be_bytes());
    resp.extend_from_slice(&out.incomplete.to_be_bytes());
    resp.extend_from_slice(&out.complete.to_be_bytes());
    resp.extend_from_slice(peers);
    Ok(resp)
}

/// Serves UDP announces until the task is aborted; each address may make
/// `rate` announces a second on average, in bursts of ten seconds' worth.
pub async fn run(tracker: Arc<Tracker>, counters: Arc<Counters>, socket: UdpSocket, rate: u32) {
    let ids = ConnectionIds::default();
    let limit = RateLimit::new(rate, rate.saturating_mul(10));
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("udp tracker receive error: {e}");
                continue;
            }
        };
        if let Some(reply) = handle(&tracker, &ids, &limit, &counters, &buf[..n], from) {
            if let Err(e) = socket.send_to(&reply, from).await {
                tracing::debug!("udp tracker send error: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_data_options_join_and_stop() {
        let mut o = vec![1, 2, 5];
        o.extend_from_slice(b"/anno");
        o.extend_from_slice(&[2, 8]);
        o.extend_from_slice(b"unce/abc");
        o.extend_from_slice(&[0, 2, 3, b'x', b'y', b'z']);
        assert_eq!(url_data(&o), "/announce/abc");
        assert_eq!(passkey_of("/announce/abc"), Some("abc".into()));
        assert_eq!(passkey_of("/announce?passkey=k1&x=1"), Some("k1".into()));
        assert_eq!(passkey_of("/other"), None);
        // Truncated options never panic.
        assert_eq!(url_data(&[2, 200, b'a']), "a");
        assert_eq!(url_data(&[2]), "");
    }

    #[test]
    fn announce_fields_come_from_their_bep15_offsets() {
        let mut p = vec![0u8; 98];
        p[16..36].copy_from_slice(&[7; 20]);
        p[36..56].copy_from_slice(&[9; 20]);
        p[56..64].copy_from_slice(&5u64.to_be_bytes());
        p[64..72].copy_from_slice(&6u64.to_be_bytes());
        p[72..80].copy_from_slice(&u64::MAX.to_be_bytes());
        p[80..84].copy_from_slice(&2u32.to_be_bytes());
        p[92..96].copy_from_slice(&(-1i32).to_be_bytes());
        p[96..98].copy_from_slice(&6881u16.to_be_bytes());
        p.extend_from_slice(&[2, 12]);
        p.extend_from_slice(b"/announce/pk");
        let a = decode_announce(&p).unwrap();
        assert_eq!((a.info_hash, a.peer_id), ([7; 20], [9; 20]));
        assert_eq!((a.downloaded, a.left, a.uploaded), (5, 6, u64::MAX));
        assert_eq!(
            (a.event, a.numwant, a.port),
            (Event::Started, DEFAULT_NUMWANT, 6881)
        );
        assert_eq!(a.passkey.as_deref(), Some("pk"));
        p[96..98].copy_from_slice(&[0, 0]);
        assert_eq!(decode_announce(&p).unwrap_err(), ParamError::BadPort);
        assert_eq!(
            decode_announce(&p[..97]).unwrap_err(),
            ParamError::Malformed("announce packet")
        );
        assert_eq!(decode_header(&p[..15]), None);
    }

    #[test]
    fn connection_ids_are_per_address() {
        let ids = ConnectionIds::default();
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let id = ids.issue(&a);
        assert!(ids.valid(&a, id));
        assert!(!ids.valid(&b, id));
    }
}
