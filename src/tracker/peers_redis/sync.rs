//! The background half of the Redis peer store: this instance's peer changes go
//! out in one pipeline a tick, the swarms other instances changed come back through
//! the change feed. Announces never wait on Redis; while it is away the changes
//! queue here (bounded, one entry per peer) and go out when it is back.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::wire;
use crate::tracker::swarm::{Ad, Base, Swarms};

/// Peers queued at most while Redis is away; beyond that changes are dropped
/// (they come back with the peers' next announces).
const MAX_QUEUED: usize = 200_000;
/// Info-hashes per feed entry, and feed entries read per round.
const HASHES_PER_ENTRY: usize = 500;
const ENTRIES_PER_READ: usize = 200;
const READS_PER_TICK: usize = 10;
/// Feed entries Redis keeps: enough for an instance that missed a few seconds.
const FEED_LEN: usize = 100_000;
/// Peers of one swarm taken from Redis at most.
const MAX_REMOTE_PEERS: usize = 10_000;

/// XREAD's answer: per stream, its entries as (id, flat field/value list).
type FeedEntry = (String, Vec<Vec<u8>>);
/// A queued change of one swarm: (peer_id, its ad or `None` for a stop).
type PeerChange = ([u8; 20], Option<Ad>);
type Reply = Option<Vec<(Vec<u8>, Vec<FeedEntry>)>>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// What one tick did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Peer changes written to Redis.
    pub written: usize,
    /// Swarms whose other-instance peers were reloaded.
    pub merged: usize,
    /// Changes waiting for Redis after this tick.
    pub queued: usize,
    /// Values in Redis that failed the checks and were skipped.
    pub rejected: usize,
}

pub struct Syncer {
    conn: ConnectionManager,
    instance: u64,
    /// Swarm hashes expire this long after their last write, so an abandoned swarm goes away.
    key_ttl: i64,
    queued: HashMap<([u8; 20], [u8; 20]), Option<Ad>>,
    /// Changes dropped because the queue was full, since Redis went away.
    dropped: usize,
    /// The last feed entry read ("0": from the start of what Redis keeps).
    feed_at: String,
    /// Whether the last tick reached Redis (None before the first).
    reachable: Option<bool>,
}

impl Syncer {
    /// A syncer for `client`; connects lazily, so a Redis that is down at start is
    /// only a warning. Peers are kept in Redis `key_ttl` seconds past their last change.
    pub fn new(client: redis::Client, key_ttl: i64) -> Result<Syncer, SyncError> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        Ok(Syncer {
            conn: ConnectionManager::new_lazy_with_config(client, config)?,
            instance: rand::random(),
            key_ttl: key_ttl.max(1),
            queued: HashMap::new(),
            dropped: 0,
            feed_at: "0".into(),
            reachable: None,
        })
    }

    /// Takes the swarms' changes, writes them and merges the other instances' ones.
    /// `base` says what a swarm new to this instance starts from, `None` for a torrent
    /// not registered here. `now` is the wall clock (Unix seconds).
    pub async fn tick(
        &mut self,
        swarms: &Swarms,
        base: impl Fn(&[u8; 20]) -> Option<Base>,
        now: i64,
    ) -> Tick {
        if self.reachable == Some(false) {
            swarms.republish();
        }
        self.queue(swarms);
        swarms.prune_remote(now);
        let result = async {
            let written = self.write().await?;
            let (merged, rejected) = self.merge(swarms, &base, now).await?;
            Ok::<_, SyncError>(Tick {
                written,
                merged,
                queued: 0,
                rejected,
            })
        }
        .await;
        match result {
            Ok(t) => {
                if self.reachable == Some(false) {
                    tracing::info!(
                        replayed = t.written,
                        dropped = self.dropped,
                        "peer store (Redis) reachable again: queued peer changes written"
                    );
                }
                self.reachable = Some(true);
                self.dropped = 0;
                t
            }
            Err(e) => {
                if self.reachable != Some(false) {
                    tracing::warn!(
                        error = %e,
                        queued = self.queued.len(),
                        "peer store (Redis) unreachable: announces are answered from this \
                         instance's peers, changes are queued until it is back"
                    );
                    // Redis may come back empty (no persistence): read its feed afresh.
                    self.feed_at = "0".into();
                }
                self.reachable = Some(false);
                Tick {
                    queued: self.queued.len(),
                    ..Tick::default()
                }
            }
        }
    }

    fn queue(&mut self, swarms: &Swarms) {
        for c in swarms.take_changes() {
            let key = (c.info_hash, c.peer_id);
            if self.queued.len() >= MAX_QUEUED && !self.queued.contains_key(&key) {
                self.dropped += 1;
                continue;
            }
            self.queued.insert(key, c.ad);
        }
    }

    async fn write(&mut self) -> Result<usize, SyncError> {
        if self.queued.is_empty() {
            return Ok(0);
        }
        let mut by_swarm: HashMap<[u8; 20], Vec<PeerChange>> = HashMap::new();
        for ((ih, pid), ad) in &self.queued {
            by_swarm.entry(*ih).or_default().push((*pid, *ad));
        }
        let mut pipe = redis::pipe();
        for (ih, peers) in &by_swarm {
            let key = wire::swarm_key(ih);
            for (pid, ad) in peers {
                match ad {
                    Some(ad) => pipe.hset(&key, &pid[..], wire::encode(self.instance, ad)),
                    None => pipe.hdel(&key, &pid[..]),
                }
                .ignore();
            }
            pipe.expire(&key, self.key_ttl).ignore();
        }
        let hashes: Vec<&[u8; 20]> = by_swarm.keys().collect();
        for chunk in hashes.chunks(HASHES_PER_ENTRY) {
            let joined: Vec<u8> = chunk.iter().flat_map(|h| h.iter().copied()).collect();
            pipe.cmd("XADD")
                .arg(wire::FEED)
                .arg("MAXLEN")
                .arg("~")
                .arg(FEED_LEN)
                .arg("*")
                .arg("i")
                .arg(&self.instance.to_be_bytes()[..])
                .arg("h")
                .arg(joined)
                .ignore();
        }
        pipe.query_async::<()>(&mut self.conn).await?;
        let n = self.queued.len();
        self.queued.clear();
        Ok(n)
    }

    /// Reads the feed past `feed_at` and reloads the swarms other instances changed.
    async fn merge(
        &mut self,
        swarms: &Swarms,
        base: &impl Fn(&[u8; 20]) -> Option<Base>,
        now: i64,
    ) -> Result<(usize, usize), SyncError> {
        let mut changed: Vec<[u8; 20]> = Vec::new();
        let mut rejected = 0;
        for _ in 0..READS_PER_TICK {
            let reply: Reply = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(ENTRIES_PER_READ)
                .arg("STREAMS")
                .arg(wire::FEED)
                .arg(&self.feed_at)
                .query_async(&mut self.conn)
                .await?;
            let entries = reply
                .and_then(|streams| streams.into_iter().next())
                .map(|(_, entries)| entries)
                .unwrap_or_default();
            let full = entries.len() == ENTRIES_PER_READ;
            for (id, fields) in entries {
                match wire::decode_feed_entry(&fields) {
                    Ok((inst, _)) if inst == self.instance => {}
                    Ok((_, hashes)) => changed.extend(hashes),
                    Err(e) => {
                        rejected += 1;
                        tracing::debug!(error = %e, "skipped a peer feed entry");
                    }
                }
                self.feed_at = id;
            }
            if !full {
                break;
            }
        }
        // Swarms new here (a torrent another instance uploaded) may have peers already.
        changed.extend(swarms.take_wanted());
        changed.sort_unstable();
        changed.dedup();
        changed.retain(|ih| base(ih).is_some());
        if changed.is_empty() {
            return Ok((0, rejected));
        }
        let mut pipe = redis::pipe();
        for ih in &changed {
            pipe.hgetall(wire::swarm_key(ih));
        }
        let hashes: Vec<Vec<(Vec<u8>, Vec<u8>)>> = pipe.query_async(&mut self.conn).await?;
        for (ih, fields) in changed.iter().zip(hashes) {
            let mut peers = Vec::new();
            for (f, v) in fields.iter().take(MAX_REMOTE_PEERS) {
                match wire::decode(f, v) {
                    Ok((inst, p)) if inst != self.instance && p.ad.expires > now => peers.push(p),
                    Ok(_) => {}
                    Err(e) => {
                        rejected += 1;
                        tracing::debug!(error = %e, "skipped a peer value");
                    }
                }
            }
            if let Some(b) = base(ih) {
                swarms.set_remote(ih, b, peers);
            }
        }
        Ok((changed.len(), rejected))
    }
}
