//! One announce scheduler for every torrent: a heap of due times walked by a
//! single task (no task or timer per torrent). First announces go out as soon
//! as a torrent is added (a few dozen at once); the next one of each torrent is
//! put at a random point between the tracker's `min interval` and `interval`,
//! so thousands of torrents added together do not come back together.
//! Failures back off per torrent; the outcome is kept for the dashboard, with
//! the last few in each torrent's history. The member may ask for a torrent's
//! turn now: it comes at once, or when the tracker's `min interval` allows.
//! On shutdown every started torrent gets `event=stopped`, bounded in time.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::client::queue::ClientDb;

use crate::client::announces::history::{AnnounceRecord, Outcome};
use crate::client::announces::protocol::{seed_announce_url, AnnounceError, Answer, Event};
use crate::client::announces::{
    allowed_at, backoff, fetch_answer, floor, regular_wait, unix_now, Reannounce, TrackerStatus,
};

use super::registry::{Registry, Torrent};

/// Announces in flight at once.
const CONCURRENT: usize = 32;
/// When no announce URL is known yet (the server was unreachable at start).
const NO_URL_RETRY: Duration = Duration::from_secs(30);
/// Every `stopped` of a clean shutdown is sent within this.
pub const STOP_DEADLINE: Duration = Duration::from_secs(10);
/// Cumulative `uploaded` is written to client.redb this often (and at shutdown).
const SAVE_EVERY: Duration = Duration::from_secs(60);

pub enum Cmd {
    /// Announce this torrent (`completed` first when a download finished).
    Add {
        torrent: Arc<Torrent>,
        completed: bool,
    },
    /// The torrent left: `stopped` if it was started.
    Remove(Arc<Torrent>),
    /// The announce URL changed (a rotated passkey): every torrent's turn is now.
    Reannounce,
    /// The member asks for this torrent's turn now.
    AnnounceNow {
        info_hash: [u8; 20],
        reply: oneshot::Sender<Reannounce>,
    },
}

/// Per-torrent schedule state, owned by the scheduler task.
struct Sched {
    torrent: Arc<Torrent>,
    started: bool,
    first: Event,
    failures: u32,
    /// Its turn: a heap entry at another time is stale and skipped.
    next: Instant,
    /// When it last announced, and the tracker's `min interval` then.
    last: Option<Instant>,
    min_interval: Option<Duration>,
    /// The member asked for the coming turn.
    asked: bool,
}

pub struct Announcer {
    pub registry: Arc<Registry>,
    pub db: Arc<ClientDb>,
    pub url: Arc<RwLock<Option<String>>>,
    pub peer_id: [u8; 20],
    pub port: u16,
    pub http: reqwest::Client,
}

impl Announcer {
    async fn announce(&self, t: &Torrent, key: u32, event: Event) -> Result<Answer, AnnounceError> {
        let base = self
            .url
            .read()
            .ok()
            .and_then(|u| u.clone())
            .ok_or(AnnounceError::NoUrl)?;
        let uploaded = t.uploaded.load(std::sync::atomic::Ordering::Relaxed);
        let url = seed_announce_url(
            &base,
            &t.info_hash,
            uploaded,
            &self.peer_id,
            self.port,
            key,
            event,
        );
        fetch_answer(&self.http, &url).await
    }

    /// Runs until `stop` turns true, then announces `stopped` for every started torrent.
    pub async fn run(
        self,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
        mut stop: watch::Receiver<bool>,
    ) {
        let key: u32 = rand::rng().random();
        let mut heap: BinaryHeap<Reverse<(Instant, [u8; 20])>> = BinaryHeap::new();
        let mut sched: HashMap<[u8; 20], Sched> = HashMap::new();
        let mut saved: HashMap<[u8; 20], u64> = HashMap::new();
        let mut next_save = Instant::now() + SAVE_EVERY;
        let mut leaving: Vec<Arc<Torrent>> = Vec::new();
        loop {
            let next = heap
                .peek()
                .map(|r| r.0 .0)
                .unwrap_or(next_save)
                .min(next_save);
            tokio::select! {
                _ = stop.changed() => break,
                cmd = cmds.recv() => match cmd {
                    None => break,
                    Some(Cmd::Add { torrent, completed }) => {
                        let ih = torrent.info_hash;
                        saved.entry(ih).or_insert(torrent.uploaded.load(std::sync::atomic::Ordering::Relaxed));
                        let first = if completed { Event::Completed } else { Event::Started };
                        // Already scheduled (added again): its turn in the heap stays.
                        let old = sched.get(&ih).map(|s| (s.next, s.last, s.min_interval));
                        let (next, last, min_interval) = old.unwrap_or((Instant::now(), None, None));
                        let new = Sched { torrent, started: false, first, failures: 0, next, last, min_interval, asked: false };
                        if sched.insert(ih, new).is_none() {
                            heap.push(Reverse((next, ih)));
                        }
                    }
                    Some(Cmd::AnnounceNow { info_hash, reply }) => {
                        let _ = reply.send(announce_now(&mut sched, &mut heap, info_hash));
                    }
                    Some(Cmd::Remove(t)) => {
                        if sched.remove(&t.info_hash).is_some_and(|s| s.started) {
                            leaving.push(t);
                        }
                    }
                    Some(Cmd::Reannounce) => {
                        // One turn per torrent: the heap is rebuilt, not added to.
                        let now = Instant::now();
                        heap = sched.keys().map(|ih| Reverse((now, *ih))).collect();
                        for s in sched.values_mut() {
                            s.failures = 0;
                            s.next = now;
                        }
                        if !sched.is_empty() {
                            tracing::info!(torrents = sched.len(), "new announce URL: re-announcing every torrent");
                        }
                    }
                },
                // Removed torrents leave together, a few at once, bounded in time.
                _ = std::future::ready(()), if !leaving.is_empty() => {
                    let (ok, n) = self.stop_many(std::mem::take(&mut leaving), key).await;
                    tracing::debug!("event=stopped sent for {ok} of {n} removed torrent(s)");
                }
                _ = tokio::time::sleep_until(next) => {
                    let now = Instant::now();
                    if now >= next_save {
                        self.save(&mut saved).await;
                        next_save = now + SAVE_EVERY;
                    }
                    let mut due = Vec::new();
                    while due.len() < CONCURRENT * 4 {
                        match heap.peek() {
                            Some(Reverse((at, _))) if *at <= now => {
                                let Reverse((at, ih)) = heap.pop().expect("peeked");
                                if sched.get(&ih).is_some_and(|s| s.next == at) {
                                    due.push(ih);
                                }
                            }
                            _ => break,
                        }
                    }
                    self.round(&mut sched, &mut heap, due, key).await;
                }
            }
        }
        self.save(&mut saved).await;
        let started: Vec<Arc<Torrent>> = sched
            .values()
            .filter(|s| s.started)
            .map(|s| s.torrent.clone())
            .chain(leaving)
            .collect();
        if !started.is_empty() {
            let (ok, n) = self.stop_many(started, key).await;
            tracing::info!("seeder stopped: event=stopped sent for {ok} of {n} torrent(s)");
        }
    }

    /// Announces the due torrents, a few at once, and schedules their next turn.
    async fn round(
        &self,
        sched: &mut HashMap<[u8; 20], Sched>,
        heap: &mut BinaryHeap<Reverse<(Instant, [u8; 20])>>,
        due: Vec<[u8; 20]>,
        key: u32,
    ) {
        let jobs: Vec<_> = due
            .into_iter()
            .filter_map(|ih| {
                let s = sched.get(&ih)?;
                let event = if s.started { Event::None } else { s.first };
                let serving = s.torrent.serving();
                Some((ih, s.torrent.clone(), event, serving))
            })
            .collect();
        let results: Vec<_> = futures_util::stream::iter(jobs)
            .map(|(ih, t, event, serving)| async move {
                if !serving {
                    // Damaged or changed since: leave the swarm, not scheduled again.
                    let r = self.announce(&t, key, Event::Stopped).await;
                    return (ih, event, false, r);
                }
                (ih, event, true, self.announce(&t, key, event).await)
            })
            .buffer_unordered(CONCURRENT)
            .collect()
            .await;
        let now = Instant::now();
        for (ih, event, serving, r) in results {
            if !serving {
                sched.remove(&ih);
                continue;
            }
            let Some(s) = sched.get_mut(&ih) else {
                continue;
            };
            let status = TrackerStatus::after(&r, s.started);
            if !matches!(r, Err(AnnounceError::NoUrl)) {
                s.last = Some(now);
                s.torrent.history.push(AnnounceRecord {
                    at: unix_now(),
                    event: event.word(),
                    asked: std::mem::take(&mut s.asked),
                    outcome: Outcome::of(&r),
                });
            }
            let wait = match r {
                Ok(a) => {
                    s.started = true;
                    s.failures = 0;
                    s.min_interval = a.min_interval;
                    let interval = regular_wait(&a);
                    if event == Event::None {
                        interval
                    } else {
                        // Spread the second announce of torrents started together.
                        let lo = floor(&a).max(interval / 2);
                        rand::rng().random_range(lo..=interval.max(lo))
                    }
                }
                Err(AnnounceError::NoUrl) => NO_URL_RETRY,
                Err(e) => {
                    s.failures += 1;
                    tracing::debug!(info_hash = %s.torrent.hex(), "announce failed: {e}");
                    backoff(s.failures)
                }
            };
            if let Ok(mut g) = s.torrent.tracker.lock() {
                *g = status;
            }
            s.next = now + wait;
            heap.push(Reverse((s.next, ih)));
        }
    }

    /// Announces `stopped` for these torrents, a few at once, all within
    /// [`STOP_DEADLINE`]; (answered, asked).
    async fn stop_many(&self, torrents: Vec<Arc<Torrent>>, key: u32) -> (usize, usize) {
        let n = torrents.len();
        let sent = futures_util::stream::iter(torrents)
            .map(|t| async move { self.announce(&t, key, Event::Stopped).await.is_ok() })
            .buffer_unordered(CONCURRENT);
        let mut ok = 0usize;
        let all = async {
            let mut sent = std::pin::pin!(sent);
            while let Some(r) = sent.next().await {
                ok += usize::from(r);
            }
        };
        if tokio::time::timeout(STOP_DEADLINE, all).await.is_err() {
            tracing::warn!(
                "event=stopped: deadline of {} s reached",
                STOP_DEADLINE.as_secs()
            );
        }
        (ok, n)
    }

    /// Writes the cumulative `uploaded` of torrents that moved since the last save.
    async fn save(&self, saved: &mut HashMap<[u8; 20], u64>) {
        let changed: Vec<(String, u64)> = self
            .registry
            .all()
            .iter()
            .filter_map(|t| {
                let now = t.uploaded.load(std::sync::atomic::Ordering::Relaxed);
                (saved.get(&t.info_hash) != Some(&now)).then(|| {
                    saved.insert(t.info_hash, now);
                    (t.hex(), now)
                })
            })
            .collect();
        if changed.is_empty() {
            return;
        }
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || db.save_uploaded(&changed)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("cannot save upload totals: {e:#}"),
            Err(e) => tracing::warn!("upload totals task failed: {e}"),
        }
    }
}

/// Moves a torrent's turn to now, or to when the tracker's `min interval`
/// allows (never later than the turn it had).
fn announce_now(
    sched: &mut HashMap<[u8; 20], Sched>,
    heap: &mut BinaryHeap<Reverse<(Instant, [u8; 20])>>,
    ih: [u8; 20],
) -> Reannounce {
    let Some(s) = sched.get_mut(&ih) else {
        return Reannounce::NotSeeded;
    };
    let now = Instant::now();
    let at = allowed_at(s.last, s.min_interval, now);
    s.asked = true;
    if at < s.next {
        s.next = at;
        heap.push(Reverse((at, ih)));
    }
    match s.next.saturating_duration_since(now) {
        d if d.is_zero() => Reannounce::Now,
        d => Reannounce::Deferred(d),
    }
}
