//! A torrent page's connected peers and announce history, as text. Peer
//! speeds come from the change of each peer's byte counters between two
//! looks (before a second look: the average since it connected, where known);
//! the counters kept for that are bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::announces::history::{AnnounceRecord, Outcome};
use crate::client::seeder::peers::PeerSnapshot;
use crate::web::format;

use super::torrents::speed;

/// Peers whose counters are remembered, over all torrents.
const REMEMBERED: usize = 4096;
/// A speed is measured over at least this long (else the last one is shown).
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// Counters not looked at for this long are forgotten.
const FORGET: Duration = Duration::from_secs(600);

pub struct PeerLine {
    pub addr: String,
    pub client: String,
    pub up: String,
    pub down: String,
    pub progress: String,
}

struct Seen {
    at: Instant,
    sent: u64,
    received: u64,
    /// Bytes per second (up, down), when measured.
    rate: Option<(u64, u64)>,
}

/// The counters of the peers last shown, by (info-hash, address).
#[derive(Default)]
pub struct PeerRates(Mutex<HashMap<(String, String), Seen>>);

fn per_sec(bytes: u64, secs: f64) -> u64 {
    if secs > 0.0 {
        (bytes as f64 / secs) as u64
    } else {
        0
    }
}

impl PeerRates {
    /// The lines for `peers` of `info_hash`, measuring their speeds.
    pub fn lines(&self, info_hash: &str, peers: Vec<PeerSnapshot>) -> Vec<PeerLine> {
        let now = Instant::now();
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|_, s| now.duration_since(s.at) < FORGET);
        peers
            .into_iter()
            .map(|p| {
                let key = (info_hash.to_string(), p.addr.clone());
                let rate = match seen.get(&key) {
                    Some(s) if now.duration_since(s.at) < MIN_WINDOW => s.rate,
                    Some(s) => {
                        let secs = now.duration_since(s.at).as_secs_f64();
                        Some((
                            per_sec(p.sent.saturating_sub(s.sent), secs),
                            per_sec(p.received.saturating_sub(s.received), secs),
                        ))
                    }
                    None => p
                        .connected_secs
                        .map(|secs| (per_sec(p.sent, secs), per_sec(p.received, secs))),
                };
                let keep = seen
                    .get(&key)
                    .is_some_and(|s| now.duration_since(s.at) < MIN_WINDOW);
                if !keep && (seen.len() < REMEMBERED || seen.contains_key(&key)) {
                    seen.insert(
                        key,
                        Seen {
                            at: now,
                            sent: p.sent,
                            received: p.received,
                            rate,
                        },
                    );
                }
                PeerLine {
                    addr: p.addr,
                    client: p.client.unwrap_or_else(|| "—".into()),
                    up: rate.map_or_else(|| "—".into(), |r| speed(r.0)),
                    down: rate.map_or_else(|| "—".into(), |r| speed(r.1)),
                    progress: p
                        .progress
                        .map_or_else(|| "—".into(), |f| format!("{:.1} %", f * 100.0)),
                }
            })
            .collect()
    }
}

pub struct AnnounceLine {
    pub at: String,
    pub event: &'static str,
    pub asked: bool,
    pub failed: bool,
    pub result: String,
}

impl AnnounceLine {
    pub fn of(r: AnnounceRecord) -> AnnounceLine {
        let (failed, result) = match r.outcome {
            Outcome::Answered {
                interval_secs,
                min_interval_secs,
                seeders,
                leechers,
                peers,
                warning,
            } => {
                let mut t = format!("ok: next in {interval_secs} s");
                if let Some(m) = min_interval_secs {
                    t.push_str(&format!(" (at least {m} s)"));
                }
                let n = |v: Option<u64>| v.map_or_else(|| "?".into(), |v| v.to_string());
                t.push_str(&format!(
                    ", {} seeders, {} leechers, {peers} peers given",
                    n(seeders),
                    n(leechers)
                ));
                if let Some(w) = warning {
                    t.push_str(&format!(", says: {w}"));
                }
                (false, t)
            }
            Outcome::Failed(e) => (true, e),
        };
        AnnounceLine {
            at: format::date(r.at),
            event: if r.event.is_empty() {
                "regular"
            } else {
                r.event
            },
            asked: r.asked,
            failed,
            result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(sent: u64, secs: Option<f64>) -> PeerSnapshot {
        PeerSnapshot {
            addr: "127.0.0.1:1".into(),
            client: None,
            progress: Some(0.5),
            sent,
            received: 0,
            connected_secs: secs,
        }
    }

    #[test]
    fn speeds_are_averaged_until_a_second_look() {
        let r = PeerRates::default();
        let l = r.lines("a", vec![peer(10_000, Some(10.0))]);
        assert_eq!((l[0].up.as_str(), l[0].down.as_str()), ("1000 B/s", "—"));
        assert_eq!(
            (l[0].client.as_str(), l[0].progress.as_str()),
            ("—", "50.0 %")
        );
        // Looked at again at once: the same figure, not a zero-length window.
        let l = r.lines("a", vec![peer(20_000, Some(10.1))]);
        assert_eq!(l[0].up, "1000 B/s");
        let l = r.lines("b", vec![peer(5, None)]);
        assert_eq!(l[0].up, "—", "unknown before a second look");
    }
}
