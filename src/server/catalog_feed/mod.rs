//! The catalogue change feed between server instances (`PEERS_URL=redis://…`,
//! feature `redis`): each instance appends its catalogue changes (ids only) to the
//! Redis stream `pi:catalog` and follows the other instances' entries with a
//! blocking read, so its search index, tracker and panel list apply an upload,
//! removal, grab or member change made elsewhere within about a second, from the
//! record in the shared store. Requests never wait on Redis: changes queue in memory
//! (bounded) and a writer task sends them; while Redis is down they wait there.
//! Grabs of one torrent coalesce while queued (one entry tells "read its count").
//! A clean stop writes what is still queued, for [`AT_STOP`] at most.

pub mod wire;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::app::state::AppState;
use crate::core::catalog::{CatalogChange, ChangeFeed};
use crate::tracker::peers_url::PeersUrl;

/// Changes queued at most while Redis is away; beyond that a change is dropped
/// (the other instances see it at their next start).
pub const MAX_QUEUED: usize = 100_000;
/// Entries the stream keeps (trimmed approximately): minutes of changes.
const STREAM_LEN: usize = 100_000;
/// Changes sent in one pipeline, entries taken by one read.
const BATCH: usize = 500;
/// How long one read waits for new entries, and the retry pace while Redis is down.
const BLOCK: Duration = Duration::from_secs(1);
/// How far back before the views were built from the store the reader starts:
/// changes made elsewhere while this instance was loading are applied too.
const REPLAY: Duration = Duration::from_secs(5);
/// How long a clean stop waits for the queued changes to be written.
pub const AT_STOP: Duration = Duration::from_secs(2);

/// Where the reader starts, taken before the views are built from the store:
/// REPLAY before now, as Unix milliseconds.
pub fn since_ms() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(REPLAY).as_millis() as u64
}

/// XREAD's answer: per stream, its entries as (id, flat field/value list).
type Reply = Option<Vec<(Vec<u8>, Vec<(String, Vec<Vec<u8>>)>)>>;

/// The changes not written yet.
#[derive(Default)]
struct Queue {
    changes: VecDeque<CatalogChange>,
    /// Torrents with a grab in `changes` that the writer has not taken yet: a
    /// grab of one of them is told by that entry (the reader reads the count).
    grabs: HashSet<[u8; 20]>,
}

/// This instance's side of the feed: what requests publish into.
pub struct Feed {
    instance: u64,
    queue: Mutex<Queue>,
    queued: tokio::sync::Notify,
    /// Changes dropped because the queue was full, since the last successful write.
    dropped: AtomicUsize,
    /// Set at a clean stop: the writer ends once the queue is empty.
    stopping: AtomicBool,
}

impl Feed {
    pub fn new() -> Arc<Feed> {
        Arc::new(Feed {
            instance: rand::random(),
            queue: Mutex::new(Queue::default()),
            queued: tokio::sync::Notify::new(),
            dropped: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn queued_len(&self) -> usize {
        self.queue().changes.len()
    }

    /// The next changes to write, from the front; their grabs are no longer
    /// coalesced into (a grab from now on may be counted after the reader's read).
    fn take(&self) -> Vec<CatalogChange> {
        let mut q = self.queue();
        let batch: Vec<CatalogChange> = q.changes.iter().take(BATCH).copied().collect();
        for change in &batch {
            if let CatalogChange::Grab(ih) = change {
                q.grabs.remove(ih);
            }
        }
        batch
    }
}

impl ChangeFeed for Feed {
    fn publish(&self, change: CatalogChange) {
        let mut q = self.queue();
        if matches!(change, CatalogChange::Grab(ih) if q.grabs.contains(&ih)) {
            return;
        }
        if q.changes.len() >= MAX_QUEUED {
            if self.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                tracing::error!(
                    queued = q.changes.len(),
                    "catalog feed queue full: changes are dropped; the other instances see \
                     them when they restart"
                );
            }
            return;
        }
        if let CatalogChange::Grab(ih) = change {
            q.grabs.insert(ih);
        }
        q.changes.push_back(change);
        drop(q);
        self.queued.notify_one();
    }
}

fn connection(url: &PeersUrl) -> anyhow::Result<ConnectionManager> {
    let client = redis::Client::open(url.secret())
        .map_err(|e| anyhow::anyhow!("PEERS_URL {url}: {}", e.category()))?;
    // A read blocks up to BLOCK: the response timeout leaves it room.
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(BLOCK + Duration::from_secs(2)));
    ConnectionManager::new_lazy_with_config(client, config)
        .map_err(|e| anyhow::anyhow!("PEERS_URL {url}: {}", e.category()))
}

/// Logs a change of reachability once, not every retry.
struct Reach {
    what: &'static str,
    down: bool,
}

impl Reach {
    fn failed(&mut self, e: &redis::RedisError, queued: usize) {
        if !self.down {
            tracing::warn!(
                error = %e,
                queued,
                "catalog feed (Redis) unreachable: {}",
                self.what
            );
        }
        self.down = true;
    }

    /// True when it had been down.
    fn ok(&mut self) -> bool {
        std::mem::replace(&mut self.down, false)
    }
}

/// The running writer and reader, until [`Tasks::stop`].
pub struct Tasks {
    feed: Arc<Feed>,
    writer: tokio::task::JoinHandle<()>,
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl Tasks {
    /// Ends the reader, lets the writer send what is queued for `within` at most,
    /// then ends it. Returns (and logs) how many changes were not written: the
    /// other instances see those at their next start.
    pub async fn stop(mut self, within: Duration) -> usize {
        if let Some(reader) = self.reader.take() {
            reader.abort();
        }
        self.feed.stopping.store(true, Ordering::Relaxed);
        self.feed.queued.notify_one();
        if tokio::time::timeout(within, &mut self.writer)
            .await
            .is_err()
        {
            self.writer.abort();
        }
        let left = self.feed.queued_len();
        let dropped = self.feed.dropped.load(Ordering::Relaxed);
        if left > 0 || dropped > 0 {
            tracing::warn!(
                not_written = left,
                dropped,
                within_ms = within.as_millis() as u64,
                "catalog feed: changes not written to Redis at stop; the other instances see \
                 them at their next start"
            );
        }
        left
    }
}

/// Runs the writer and the reader until [`Tasks::stop`]. `since_ms` is the wall
/// clock (Unix milliseconds) from which other instances' entries are applied.
pub fn spawn(
    state: Arc<AppState>,
    feed: Arc<Feed>,
    url: &PeersUrl,
    since_ms: u64,
) -> anyhow::Result<Tasks> {
    let (out, inn) = (connection(url)?, connection(url)?);
    tracing::info!(
        stream = wire::STREAM,
        "catalog changes shared through Redis"
    );
    let reader = tokio::spawn(read_loop(state, feed.instance, inn, since_ms));
    Ok(Tasks {
        writer: tokio::spawn(write_loop(feed.clone(), out)),
        reader: Some(reader),
        feed,
    })
}

async fn write_loop(feed: Arc<Feed>, mut conn: ConnectionManager) {
    let mut reach = Reach {
        what: "catalogue changes are queued for the other instances until it is back",
        down: false,
    };
    let mut replayed = 0usize;
    loop {
        let batch = feed.take();
        if batch.is_empty() {
            if feed.stopping.load(Ordering::Relaxed) {
                return;
            }
            feed.queued.notified().await;
            continue;
        }
        let mut pipe = redis::pipe();
        for change in &batch {
            let cmd = pipe
                .cmd("XADD")
                .arg(wire::STREAM)
                .arg("MAXLEN")
                .arg("~")
                .arg(STREAM_LEN)
                .arg("*");
            for (field, value) in wire::encode(feed.instance, change) {
                cmd.arg(field).arg(value);
            }
            cmd.ignore();
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                let left = {
                    let mut q = feed.queue();
                    q.changes.drain(..batch.len());
                    q.changes.len()
                };
                if reach.down {
                    replayed += batch.len();
                    if left == 0 {
                        reach.ok();
                        tracing::info!(
                            replayed,
                            dropped = feed.dropped.swap(0, Ordering::Relaxed),
                            "catalog feed (Redis) reachable again: queued catalogue changes written"
                        );
                        replayed = 0;
                    }
                }
            }
            Err(e) => {
                reach.failed(&e, feed.queued_len());
                tokio::time::sleep(BLOCK).await;
            }
        }
    }
}

async fn read_loop(state: Arc<AppState>, me: u64, mut conn: ConnectionManager, since_ms: u64) {
    let mut reach = Reach {
        what: "other instances' catalogue changes reach this one when it is back",
        down: false,
    };
    let mut at = format!("{since_ms}-0");
    // Changes whose record could not be read (the store unreachable), applied again.
    let mut retry: Vec<CatalogChange> = Vec::new();
    let mut retry_logged = false;
    loop {
        let reply: Result<Reply, _> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(wire::STREAM)
            .arg(&at)
            .query_async(&mut conn)
            .await;
        let entries = match reply {
            Ok(r) => {
                if reach.ok() {
                    tracing::info!("catalog feed (Redis) reachable again");
                }
                r.and_then(|streams| streams.into_iter().next())
                    .map(|(_, entries)| entries)
                    .unwrap_or_default()
            }
            Err(e) => {
                reach.failed(&e, retry.len());
                tokio::time::sleep(BLOCK).await;
                continue;
            }
        };
        let mut changes = std::mem::take(&mut retry);
        // Grabs of one torrent in one read: a single read of its count tells them all.
        let mut grabbed = HashSet::new();
        for (id, fields) in entries {
            match wire::decode(&fields) {
                Ok((instance, _)) if instance == me => {}
                Ok((_, CatalogChange::Grab(ih))) if !grabbed.insert(ih) => {}
                Ok((_, change)) => changes.push(change),
                Err(e) => tracing::warn!(entry = %id, error = %e, "skipped a catalog feed entry"),
            }
            at = id;
        }
        let mut pending = changes.into_iter();
        while let Some(change) = pending.next() {
            if let Err(e) = state.catalog().apply(change).await {
                // The store is unreachable: this change and the rest wait for the next round.
                if !retry_logged {
                    tracing::warn!(
                        ?change,
                        error = &e as &dyn std::error::Error,
                        "cannot apply other instances' catalogue changes yet (kept for the next read)"
                    );
                    retry_logged = true;
                }
                retry.push(change);
                retry.extend(pending);
                retry.truncate(MAX_QUEUED);
                break;
            }
        }
        if retry.is_empty() && std::mem::take(&mut retry_logged) {
            tracing::info!("other instances' catalogue changes applied again");
        }
    }
}

#[cfg(test)]
mod tests;
