//! Whether a member's torrent port can be reached from the server: after an
//! announce, the server tries a BitTorrent handshake to the announced
//! ip:port (one member at most every [`REPROBE`] for the same address, a few
//! probes at once, each bounded by [`TIMEOUT`]). Behind NAT an unforwarded
//! port is the first thing members get wrong; `/api/v1/me`, the panel's
//! member list and the client's start-up log show the answer.
//!
//! The announce path only does a map look-up and a non-blocking channel send.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The same member and address are probed again only after this.
pub const REPROBE: Duration = Duration::from_secs(600);
/// A member whose address changed waits at least this long for a new probe.
const MIN_GAP: Duration = Duration::from_secs(30);
/// Connect + handshake must finish within this.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const CONCURRENT: usize = 8;
const QUEUE: usize = 256;

/// A probe's outcome, as `/api/v1/me` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The ip:port probed (the member's own address, shown only to them and the admin).
    pub address: String,
    pub reachable: bool,
    /// Unix seconds.
    pub checked: i64,
    /// What happened, in a few words.
    pub detail: String,
}

struct Entry {
    addr: SocketAddr,
    asked: Instant,
    result: Option<Probe>,
}

type Job = (u64, SocketAddr, [u8; 20]);

pub struct Reachability {
    seen: Mutex<HashMap<u64, Entry>>,
    tx: mpsc::Sender<Job>,
    rx: Mutex<Option<mpsc::Receiver<Job>>>,
    peer_id: [u8; 20],
}

impl Default for Reachability {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let mut peer_id = *b"-PIprobe-00000000000";
        rand::Rng::fill(&mut rand::rng(), &mut peer_id[9..]);
        Reachability {
            seen: Mutex::new(HashMap::new()),
            tx,
            rx: Mutex::new(Some(rx)),
            peer_id,
        }
    }
}

impl Reachability {
    /// Called for every accepted announce (not `stopped`); queues a probe when due.
    pub fn observe(&self, user: u64, ip: IpAddr, port: u16, info_hash: [u8; 20]) {
        if port == 0 {
            return;
        }
        let addr = SocketAddr::new(ip, port);
        let now = Instant::now();
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if let Some(e) = seen.get(&user) {
            let age = now.duration_since(e.asked);
            if age < MIN_GAP || (e.addr == addr && age < REPROBE) {
                return;
            }
        }
        // A full queue drops the probe; the next announce asks again.
        if self.tx.try_send((user, addr, info_hash)).is_ok() {
            let result = seen.remove(&user).and_then(|e| e.result);
            seen.insert(
                user,
                Entry {
                    addr,
                    asked: now,
                    result,
                },
            );
        }
    }

    /// The last probe of a member, if any.
    pub fn result(&self, user: u64) -> Option<Probe> {
        self.seen.lock().ok()?.get(&user)?.result.clone()
    }

    /// Runs the probes until the process ends (the first call only).
    pub fn spawn(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let mut rx = self.rx.lock().ok()?.take()?;
        let me = self.clone();
        Some(tokio::spawn(async move {
            let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
            while let Some((user, addr, ih)) = rx.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let me = me.clone();
                tokio::spawn(async move {
                    let outcome = probe(addr, &ih, &me.peer_id).await;
                    drop(permit);
                    me.record(user, addr, outcome);
                });
            }
        }))
    }

    fn record(&self, user: u64, addr: SocketAddr, outcome: Result<(), String>) {
        let probe = Probe {
            address: addr.to_string(),
            reachable: outcome.is_ok(),
            checked: crate::server::state::now(),
            detail: outcome
                .err()
                .unwrap_or_else(|| "answered a BitTorrent handshake".into()),
        };
        tracing::debug!(
            member = user,
            reachable = probe.reachable,
            "reachability: {}",
            probe.detail
        );
        if let Ok(mut seen) = self.seen.lock() {
            if let Some(e) = seen.get_mut(&user).filter(|e| e.addr == addr) {
                e.result = Some(probe);
            }
        }
    }
}

/// Connects and exchanges handshakes; Ok when the peer answers for `ih`.
pub async fn probe(addr: SocketAddr, ih: &[u8; 20], peer_id: &[u8; 20]) -> Result<(), String> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect: {}", e.kind()))?;
        let mut hs = Vec::with_capacity(68);
        hs.push(19u8);
        hs.extend_from_slice(b"BitTorrent protocol");
        hs.extend_from_slice(&[0; 8]);
        hs.extend_from_slice(ih);
        hs.extend_from_slice(peer_id);
        s.write_all(&hs)
            .await
            .map_err(|e| format!("connection dropped: {}", e.kind()))?;
        let mut answer = [0u8; 48];
        s.read_exact(&mut answer)
            .await
            .map_err(|_| "connected, but no BitTorrent handshake came back".to_string())?;
        if answer[0] != 19 || &answer[1..20] != b"BitTorrent protocol" || &answer[28..48] != ih {
            return Err("connected, but the answer is not a BitTorrent handshake".into());
        }
        Ok(())
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probes_a_handshake_and_reports_a_closed_port() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let ih = [7u8; 20];
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut hs = [0u8; 68];
            s.read_exact(&mut hs).await.unwrap();
            s.write_all(&hs).await.unwrap();
        });
        assert_eq!(probe(addr, &ih, &[1; 20]).await, Ok(()));
        server.await.unwrap();
        // Nobody listens there any more.
        let err = probe(addr, &ih, &[1; 20]).await.unwrap_err();
        assert!(err.contains("cannot connect"), "{err}");
    }

    #[tokio::test]
    async fn probes_are_rate_limited_per_member() {
        let r = Arc::new(Reachability::default());
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        r.observe(1, ip, 6881, [0; 20]);
        r.observe(1, ip, 6881, [0; 20]);
        r.observe(1, ip, 6882, [0; 20]);
        r.observe(2, ip, 0, [0; 20]);
        let mut rx = r.rx.lock().unwrap().take().unwrap();
        assert!(rx.try_recv().is_ok());
        assert!(
            rx.try_recv().is_err(),
            "one probe per member within the gap"
        );
    }
}
