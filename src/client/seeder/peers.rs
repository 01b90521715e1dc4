//! The peers connected to a served torrent, for the dashboard: address, the
//! client name of their BEP 10 handshake, how much of the torrent they hold
//! (their bitfield and `have`s), and what was sent to them. Each connection's
//! task updates its own entry; the list is bounded by `SEED_PEERS_PER_TORRENT`
//! and each entry by the torrent's piece count.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Characters of a peer's client name kept; longer ones are cut.
const CLIENT_CHARS: usize = 64;

/// A peer as the dashboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerSnapshot {
    /// `ip:port`.
    pub addr: String,
    /// Their client's name, when it was readable one-line text.
    pub client: Option<String>,
    /// 0.0 ..= 1.0 of the torrent they hold, when known.
    pub progress: Option<f64>,
    /// Payload bytes sent to them / received from them on this connection.
    pub sent: u64,
    pub received: u64,
    /// Seconds connected, when known (the average speed before a second look).
    pub connected_secs: Option<f64>,
}

/// A peer's client name as it may be shown: hostile text from the network, so
/// cut to [`CLIENT_CHARS`] and refused when it holds controls or bidi marks
/// (escaping for HTML is the page's job).
pub fn client_name(raw: &str) -> Option<String> {
    let cut: String = raw.trim().chars().take(CLIENT_CHARS).collect();
    crate::display_text::check(&cut, CLIENT_CHARS)
        .is_ok()
        .then_some(cut)
}

/// The `v` of a BEP 10 extension handshake, if it is readable text.
pub fn handshake_client(payload: &[u8]) -> Option<String> {
    let root = crate::bencode::decode(payload).ok()?;
    let v = root.get("v")?.as_bytes()?;
    client_name(std::str::from_utf8(v).ok()?)
}

#[derive(Default)]
struct Have {
    bits: Vec<u8>,
    count: u32,
}

/// One connection's entry, updated by its task.
pub struct PeerInfo {
    addr: SocketAddr,
    since: Instant,
    client: OnceLock<Option<String>>,
    have: Mutex<Have>,
    sent: AtomicU64,
}

impl PeerInfo {
    /// Their extension handshake: only the first one names the client.
    pub fn extension_handshake(&self, payload: &[u8]) {
        let _ = self.client.set(handshake_client(payload));
    }

    /// Their bitfield (already checked to be `pieces` bits long).
    pub fn bitfield(&self, bits: &[u8]) {
        if let Ok(mut h) = self.have.lock() {
            h.bits = bits.to_vec();
            h.count = bits.iter().map(|b| b.count_ones()).sum();
        }
    }

    /// A `have` of piece `index` of `pieces`; repeated ones count once.
    pub fn have(&self, index: u32, pieces: usize) {
        let Ok(mut h) = self.have.lock() else {
            return;
        };
        if index as usize >= pieces {
            return;
        }
        if h.bits.len() != pieces.div_ceil(8) {
            h.bits = vec![0; pieces.div_ceil(8)];
            h.count = 0;
        }
        let (byte, mask) = (index as usize / 8, 0x80u8 >> (index % 8));
        if h.bits[byte] & mask == 0 {
            h.bits[byte] |= mask;
            h.count += 1;
        }
    }

    pub fn add_sent(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self, pieces: usize) -> PeerSnapshot {
        let count = self.have.lock().map(|h| h.count).unwrap_or(0);
        PeerSnapshot {
            addr: self.addr.to_string(),
            client: self.client.get().cloned().flatten(),
            progress: (pieces > 0).then(|| (f64::from(count) / pieces as f64).min(1.0)),
            sent: self.sent.load(Ordering::Relaxed),
            received: 0,
            connected_secs: Some(self.since.elapsed().as_secs_f64()),
        }
    }
}

/// The connections of one torrent, by connection id.
#[derive(Default)]
pub struct PeerList {
    map: Mutex<HashMap<u64, Arc<PeerInfo>>>,
}

impl PeerList {
    pub fn join(&self, id: u64, addr: SocketAddr) -> Arc<PeerInfo> {
        let p = Arc::new(PeerInfo {
            addr,
            since: Instant::now(),
            client: OnceLock::new(),
            have: Mutex::default(),
            sent: AtomicU64::new(0),
        });
        if let Ok(mut m) = self.map.lock() {
            m.insert(id, p.clone());
        }
        p
    }

    pub fn leave(&self, id: u64) {
        if let Ok(mut m) = self.map.lock() {
            m.remove(&id);
        }
    }

    pub fn snapshot(&self, pieces: usize) -> Vec<PeerSnapshot> {
        let peers: Vec<Arc<PeerInfo>> = self
            .map
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        let mut out: Vec<PeerSnapshot> = peers.iter().map(|p| p.snapshot(pieces)).collect();
        out.sort_by(|a, b| a.addr.cmp(&b.addr));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{dict, Owned};

    #[test]
    fn hostile_client_names_are_cut_or_refused() {
        assert_eq!(
            client_name("<script>alert(1)</script>").as_deref(),
            Some("<script>alert(1)</script>"),
            "kept as text: the page escapes it"
        );
        assert_eq!(client_name(&"x".repeat(500)).unwrap().len(), CLIENT_CHARS);
        assert_eq!(client_name("evil\u{202E}vkm"), None);
        assert_eq!(client_name("two\nlines"), None);
        assert_eq!(client_name("   "), None);
        let hs = dict([("v", Owned::str("libtorrent/2.0"))]).encode();
        assert_eq!(handshake_client(&hs).as_deref(), Some("libtorrent/2.0"));
        assert_eq!(handshake_client(b"d1:vi3ee"), None, "not a string");
        assert_eq!(handshake_client(b"garbage"), None);
    }

    #[test]
    fn progress_counts_each_piece_once() {
        let list = PeerList::default();
        let p = list.join(1, "127.0.0.1:6881".parse().unwrap());
        p.extension_handshake(&dict([("v", Owned::str("first"))]).encode());
        p.extension_handshake(&dict([("v", Owned::str("second"))]).encode());
        p.bitfield(&[0b1100_0000, 0]);
        p.have(2, 10);
        p.have(2, 10);
        p.have(99, 10);
        p.add_sent(1000);
        let s = list.snapshot(10);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].client.as_deref(), Some("first"));
        assert_eq!(s[0].progress, Some(0.3));
        assert_eq!((s[0].sent, s[0].addr.as_str()), (1000, "127.0.0.1:6881"));
        list.leave(1);
        assert!(list.snapshot(10).is_empty());
    }
}
