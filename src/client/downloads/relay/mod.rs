//! The download engine's tracker, on loopback. librqbit can neither say what
//! a tracker answered nor be asked to announce now, so it announces to this
//! relay instead (its torrents carry no tracker of their own; the session has
//! the relay's URL, with a token of this run). The relay asks the member's
//! tracker when a turn is due (the tracker's interval), on an event, or when
//! the member asks; in between it answers from what the tracker last said,
//! and tells librqbit to come back in [`POLL`]. So a download has the same
//! announce history, tracker status and "announce now" as a library seed,
//! and the passkey never reaches librqbit.

mod listener;
pub mod query;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::client::announces::history::{AnnounceRecord, History, Outcome};
use crate::client::announces::protocol::{AnnounceError, Answer, Event};
use crate::client::announces::{self as timing, Reannounce, TrackerStatus};
use crate::client::seeder::STOP_DEADLINE;

/// How often the engine comes back for peers: an asked-for announce's peers
/// reach it within this.
pub const POLL: Duration = Duration::from_secs(10);

struct Track {
    /// The member's announce URL (its passkey: never logged).
    upstream: String,
    /// The engine's last query, without its `event`; none before its first
    /// announce and after a `stopped`.
    regular: Option<String>,
    /// The next regular announce is due then.
    next: Instant,
    last: Option<Instant>,
    min_interval: Option<Duration>,
    failures: u32,
    /// The member asked for the coming announce.
    asked: bool,
    /// An announce is on its way to the tracker.
    busy: bool,
    peers4: Vec<u8>,
    status: TrackerStatus,
    history: History,
}

pub struct Relay {
    url: String,
    token: String,
    tracks: Mutex<HashMap<[u8; 20], Track>>,
    http: reqwest::Client,
    /// Ends its listener.
    stop: watch::Sender<bool>,
}

impl Relay {
    /// The URL every engine torrent announces to (the token is in it).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<[u8; 20], Track>> {
        self.tracks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Announces of this torrent go to `upstream` from now on; its history
    /// stays when it was known already.
    pub fn track(&self, info_hash: [u8; 20], upstream: &str) {
        let mut tracks = self.lock();
        match tracks.get_mut(&info_hash) {
            Some(t) => t.upstream = upstream.to_string(),
            None => {
                tracks.insert(
                    info_hash,
                    Track {
                        upstream: upstream.to_string(),
                        regular: None,
                        next: Instant::now(),
                        last: None,
                        min_interval: None,
                        failures: 0,
                        asked: false,
                        busy: false,
                        peers4: Vec::new(),
                        status: TrackerStatus::default(),
                        history: History::default(),
                    },
                );
            }
        }
    }

    /// Newest first; empty for a torrent the relay does not announce.
    pub fn history(&self, info_hash: &[u8; 20]) -> Vec<AnnounceRecord> {
        self.lock()
            .get(info_hash)
            .map(|t| t.history.list())
            .unwrap_or_default()
    }

    pub fn status(&self, info_hash: &[u8; 20]) -> Option<TrackerStatus> {
        self.lock().get(info_hash).map(|t| t.status.clone())
    }

    /// The engine's announce (its raw query): the tracker is asked when a
    /// turn is due, and the engine gets the peers it handed out last.
    async fn answer(&self, raw: &str) -> Vec<u8> {
        let a = match query::parse(raw) {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!("engine announce refused: {e}");
                return query::failure(&e.to_string());
            }
        };
        let due = {
            let mut tracks = self.lock();
            let Some(t) = tracks.get_mut(&a.info_hash) else {
                return query::failure("not a download of this client");
            };
            t.regular = Some(a.regular.clone());
            let due = a.event != Event::None || Instant::now() >= t.next;
            due && !std::mem::replace(&mut t.busy, true)
        };
        if due {
            let asked = a.event == Event::None;
            // The engine's own query, as it came.
            self.forward(a.info_hash, raw.to_string(), a.event, asked)
                .await;
        }
        let tracks = self.lock();
        let Some(t) = tracks.get(&a.info_hash) else {
            return query::failure("not a download of this client");
        };
        query::answer(
            &t.peers4,
            t.status.seeders,
            t.status.leechers,
            POLL.as_secs(),
        )
    }

    /// Sends `query` to the torrent's tracker (marked busy by the caller)
    /// and keeps what it answered. `regular`: a turn that may have been asked for.
    async fn forward(&self, info_hash: [u8; 20], query: String, event: Event, regular: bool) {
        let Some(upstream) = self.lock().get(&info_hash).map(|t| t.upstream.clone()) else {
            return;
        };
        let sep = if upstream.contains('?') { '&' } else { '?' };
        let r = timing::fetch_answer(&self.http, &format!("{upstream}{sep}{query}")).await;
        let mut tracks = self.lock();
        if let Some(t) = tracks.get_mut(&info_hash) {
            let asked = regular && std::mem::take(&mut t.asked);
            record(t, event, asked, &r);
        }
    }

    /// The member's "announce now": at once, or when the tracker's `min
    /// interval` since the last one allows.
    pub async fn announce_now(&self, info_hash: &[u8; 20]) -> Reannounce {
        let regular = {
            let mut tracks = self.lock();
            let Some(t) = tracks.get_mut(info_hash) else {
                return Reannounce::NotSeeded;
            };
            let now = Instant::now();
            let at = timing::allowed_at(t.last, t.min_interval, now);
            t.asked = true;
            if at > now {
                t.next = t.next.min(at);
                return Reannounce::Deferred(at - now);
            }
            t.next = now;
            // Not announced by the engine yet, or already on its way: that
            // announce is the asked one.
            match t.regular.clone() {
                Some(q) if !t.busy => {
                    t.busy = true;
                    q
                }
                _ => return Reannounce::Now,
            }
        };
        self.forward(*info_hash, regular, Event::None, true).await;
        Reannounce::Now
    }

    /// An announce the engine does not send (`completed`, `stopped`), from its
    /// last query with `uploaded`/`downloaded` set (`left=0` when complete).
    /// `leaving`: the torrent is no longer announced after it. Nothing is
    /// sent for a torrent the engine never announced.
    pub async fn event(
        &self,
        info_hash: [u8; 20],
        event: Event,
        totals: Option<(u64, u64)>,
        leaving: bool,
    ) -> bool {
        let regular = {
            let mut tracks = self.lock();
            let Some(t) = tracks.get_mut(&info_hash) else {
                return false;
            };
            t.busy = true;
            t.regular.clone()
        };
        let sent = match regular {
            Some(q) => {
                let (up, down) = totals.map_or((None, None), |(u, d)| {
                    (Some(u.to_string()), Some(d.to_string()))
                });
                let mut with = vec![("event", Some(event.word()))];
                if let (Some(u), Some(d)) = (&up, &down) {
                    with.extend([
                        ("uploaded", Some(u.as_str())),
                        ("downloaded", Some(d.as_str())),
                        ("left", Some("0")),
                    ]);
                }
                self.forward(info_hash, query::replaced(&q, &with), event, false)
                    .await;
                self.status(&info_hash).is_some_and(|s| s.error.is_none())
            }
            None => {
                if let Some(t) = self.lock().get_mut(&info_hash) {
                    t.busy = false;
                }
                false
            }
        };
        if leaving {
            self.lock().remove(&info_hash);
        }
        sent
    }
}

impl Relay {
    /// `stopped` for every download the engine announced, a few at once,
    /// within [`STOP_DEADLINE`]; then the relay stops listening.
    pub async fn stop_all(&self) {
        let started: Vec<[u8; 20]> = self
            .lock()
            .iter()
            .filter(|(_, t)| t.regular.is_some())
            .map(|(ih, _)| *ih)
            .collect();
        let n = started.len();
        let sent = futures_util::stream::iter(started)
            .map(|ih| self.event(ih, Event::Stopped, None, true))
            .buffer_unordered(32)
            .filter(|ok| std::future::ready(*ok))
            .count();
        match tokio::time::timeout(STOP_DEADLINE, sent).await {
            Ok(ok) if n > 0 => {
                tracing::info!(
                    "download engine stopped: event=stopped sent for {ok} of {n} download(s)"
                )
            }
            Ok(_) => {}
            Err(_) => tracing::warn!(
                "download engine's event=stopped: deadline of {} s reached",
                STOP_DEADLINE.as_secs()
            ),
        }
        let _ = self.stop.send(true);
    }
}

/// Keeps an announce's outcome: history, status, the peers, the next turn.
fn record(t: &mut Track, event: Event, asked: bool, r: &Result<Answer, AnnounceError>) {
    let now = Instant::now();
    t.busy = false;
    t.last = Some(now);
    t.history.push(AnnounceRecord {
        at: timing::unix_now(),
        event: event.word(),
        asked,
        outcome: Outcome::of(r),
    });
    t.status = TrackerStatus::after(r, t.status.announced);
    if event == Event::Stopped {
        // Its next announce is the engine's `started`.
        t.regular = None;
    }
    match r {
        Ok(a) => {
            t.failures = 0;
            t.min_interval = a.min_interval;
            t.peers4 = a.peers4.clone();
            t.next = now + timing::regular_wait(a);
        }
        Err(e) => {
            t.failures += 1;
            tracing::debug!("download announce failed: {e}");
            t.next = now + timing::backoff(t.failures);
        }
    }
}

pub use listener::start;

#[cfg(test)]
mod tests;
