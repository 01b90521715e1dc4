//! Peers in memory: swarms sharded by info-hash behind plain mutexes, so
//! announces on different torrents rarely meet on a lock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::announce::Event;

mod hash_key;
mod pick;
mod remote;

pub use hash_key::{HashKeyHasher, HashKeyMap};
pub use remote::{Ad, Change, RemotePeer};

const SHARDS: usize = 64;
const MEMBER_SHARDS: usize = 16;

/// Everything the tracker keeps about one peer.
#[derive(Debug, Clone)]
pub struct Peer {
    pub peer_id: [u8; 20],
    pub user: u64,
    pub ip: IpAddr,
    pub port: u16,
    /// Totals the client reported last, the base of the next delta.
    pub uploaded: u64,
    pub downloaded: u64,
    pub left: u64,
    pub key: Option<u64>,
    /// Tracker clock (seconds) of the last announce.
    pub last: u32,
    pub stale: bool,
    /// A completion was already counted for this session.
    pub completed: bool,
    /// Wall-clock (Unix seconds) start of this session, and since when it seeds (0: leeching).
    pub started: i64,
    pub seeding_since: i64,
}

impl Peer {
    fn seeder(&self) -> bool {
        self.left == 0
    }
}

/// One announce as the swarm sees it.
#[derive(Debug, Clone)]
pub struct PeerUpdate {
    pub peer_id: [u8; 20],
    pub user: u64,
    pub ip: IpAddr,
    pub port: u16,
    pub uploaded: u64,
    pub downloaded: u64,
    pub left: u64,
    pub key: Option<u64>,
    pub event: Event,
    pub numwant: usize,
    /// Wall-clock time of the announce (Unix seconds): when a seeder was last seen.
    pub wall: i64,
}

/// What a swarm seen for the first time starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Base {
    /// Completions stored.
    pub downloaded: u64,
    /// Last seen seeded (Unix seconds) as stored, or the upload time.
    pub last_seeded: i64,
}

/// What an announce changed, for accounting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Deltas the client reported since its last announce, not yet bounded.
    pub credit_uploaded: u64,
    pub credit_downloaded: u64,
    /// Seconds since this peer's previous announce (0 for a new session).
    pub elapsed: u32,
    pub snatched: bool,
    /// A seeder announced on a torrent listed as dead: it is alive again.
    pub revived: bool,
    pub complete: u32,
    pub incomplete: u32,
    pub downloaded: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SwarmError {
    #[error("this peer_id belongs to another member's client")]
    PeerIdTaken,
    #[error("key does not match this peer's session")]
    KeyMismatch,
}

/// Peers picked for an answer.
#[derive(Debug, Default)]
pub struct Picked {
    /// BEP 23: 4-byte address + 2-byte port, network order.
    pub compact4: Vec<u8>,
    /// BEP 7: 16-byte address + 2-byte port.
    pub compact6: Vec<u8>,
    /// The dictionary model (compact=0).
    pub dicts: Vec<(IpAddr, u16, [u8; 20])>,
}

#[derive(Default)]
pub struct Swarm {
    peers: Vec<Peer>,
    index: HashMap<[u8; 20], usize>,
    /// Non-stale counts.
    seeders: u32,
    leechers: u32,
    /// Completions ever (stored ones plus those seen since start).
    downloaded: u64,
    /// Last time a seeder announced (Unix seconds), and the value last written to the store.
    last_seeded: i64,
    flushed_seeded: i64,
    /// Listed as dead (no seeder for STALE_THRESHOLD).
    dead: bool,
    /// Other instances' peers (a shared peer store), with their counts.
    remote: Vec<RemotePeer>,
    remote_seeders: u32,
    remote_leechers: u32,
    /// This instance's peer changes not yet taken for the shared store.
    changes: Vec<([u8; 20], Option<Ad>)>,
}

/// A swarm as the dead-torrent sweep sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    pub seeders: u32,
    pub last_seeded: i64,
    pub dead: bool,
}

/// Live seeding/leeching peers of one member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberPeers {
    pub seeding: u32,
    pub leeching: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub torrents: u64,
    pub peers: u64,
    pub seeders: u64,
    pub leechers: u64,
}

pub struct Swarms {
    shards: Box<[Mutex<HashKeyMap<Swarm>>]>,
    members: Box<[Mutex<HashMap<u64, MemberPeers>>]>,
    /// Whether announces note their changes for a shared peer store.
    shared: bool,
    /// Seconds another instance counts a peer after its announce (PEER_STALE_SECONDS).
    ad_ttl: i64,
    /// Swarms new here whose other-instance peers the next sync reads (`want_remote`).
    wanted: Mutex<Vec<[u8; 20]>>,
}

impl Default for Swarms {
    fn default() -> Self {
        Swarms {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            members: (0..MEMBER_SHARDS).map(|_| Mutex::default()).collect(),
            shared: false,
            ad_ttl: 0,
            wanted: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere must not take the tracker down with it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Swarms {
    fn shard(&self, ih: &[u8; 20]) -> &Mutex<HashKeyMap<Swarm>> {
        &self.shards[ih[19] as usize % SHARDS]
    }

    /// Adds `d` (seeding, leeching) to a member's live peer counts.
    fn member_add(&self, user: u64, seeding: i32, leeching: i32) {
        if seeding == 0 && leeching == 0 {
            return;
        }
        let mut m = lock(&self.members[user as usize % MEMBER_SHARDS]);
        let e = m.entry(user).or_default();
        e.seeding = e.seeding.saturating_add_signed(seeding);
        e.leeching = e.leeching.saturating_add_signed(leeching);
        if *e == MemberPeers::default() {
            m.remove(&user);
        }
    }

    pub fn member_peers(&self, user: u64) -> MemberPeers {
        lock(&self.members[user as usize % MEMBER_SHARDS])
            .get(&user)
            .copied()
            .unwrap_or_default()
    }

    /// Records an announce on the swarm `ih` and picks peers for the answer.
    /// `base` seeds a swarm seen for the first time.
    pub fn announce(
        &self,
        ih: &[u8; 20],
        base: Base,
        up: &PeerUpdate,
        now: u32,
        compact: bool,
        picked: &mut Picked,
    ) -> Result<Outcome, SwarmError> {
        let mut shard = lock(self.shard(ih));
        let swarm = shard.entry(*ih).or_insert_with(|| Swarm::new(base));
        let mut out = Outcome::default();
        let mut member = (0i32, 0i32);
        let existing = swarm.index.get(&up.peer_id).copied();
        if let Some(i) = existing {
            let old = &swarm.peers[i];
            if old.user != up.user {
                return Err(SwarmError::PeerIdTaken);
            }
            if old.ip != up.ip && old.key.is_some() && up.key != old.key {
                return Err(SwarmError::KeyMismatch);
            }
        }
        match existing {
            Some(i) => {
                let old = swarm.peers[i].clone();
                if !old.stale {
                    swarm.uncount(&old, &mut member);
                }
                let new_session = up.event == Event::Started;
                if !new_session {
                    // Deltas since the last announce; a counter that went backwards
                    // (client restart without `started`) is a new base, never a debit.
                    out.credit_uploaded = up.uploaded.saturating_sub(old.uploaded);
                    out.credit_downloaded = up.downloaded.saturating_sub(old.downloaded);
                    out.elapsed = now.saturating_sub(old.last);
                }
                if up.event == Event::Completed && !old.completed && old.left > 0 {
                    out.snatched = true;
                }
                if up.event == Event::Stopped {
                    swarm.remove_at(i);
                    if self.shared {
                        swarm.changes.push((up.peer_id, None));
                    }
                } else {
                    let p = &mut swarm.peers[i];
                    p.ip = up.ip;
                    p.port = up.port;
                    p.uploaded = up.uploaded;
                    p.downloaded = up.downloaded;
                    p.left = up.left;
                    if up.key.is_some() {
                        p.key = up.key;
                    }
                    p.last = now;
                    p.stale = false;
                    if new_session {
                        p.started = up.wall;
                    }
                    p.seeding_since = match (up.left, old.left, old.seeding_since) {
                        (0, 0, since) if since != 0 && !new_session => since,
                        (0, _, _) => up.wall,
                        _ => 0,
                    };
                    p.completed = (p.completed && !new_session) || out.snatched;
                    let p = p.clone();
                    swarm.count(&p, &mut member);
                }
            }
            // Behind a load balancer the stop may come here for a peer another instance has.
            None if up.event == Event::Stopped => {
                if self.shared {
                    swarm.forget_remote(&up.peer_id);
                    swarm.changes.push((up.peer_id, None));
                }
            }
            None => {
                out.snatched = up.event == Event::Completed;
                let p = Peer {
                    peer_id: up.peer_id,
                    user: up.user,
                    ip: up.ip,
                    port: up.port,
                    uploaded: up.uploaded,
                    downloaded: up.downloaded,
                    left: up.left,
                    key: up.key,
                    last: now,
                    stale: false,
                    completed: out.snatched,
                    started: up.wall,
                    seeding_since: if up.left == 0 { up.wall } else { 0 },
                };
                swarm.count(&p, &mut member);
                swarm.forget_remote(&p.peer_id);
                swarm.index.insert(p.peer_id, swarm.peers.len());
                swarm.peers.push(p);
            }
        }
        if out.snatched {
            swarm.downloaded += 1;
        }
        if up.left == 0 && up.event != Event::Stopped {
            swarm.last_seeded = swarm.last_seeded.max(up.wall);
            out.revived = std::mem::take(&mut swarm.dead);
        }
        if up.event != Event::Stopped {
            if self.shared {
                let ad = Ad {
                    ip: up.ip,
                    port: up.port,
                    left: up.left,
                    expires: up.wall + self.ad_ttl,
                };
                swarm.changes.push((up.peer_id, Some(ad)));
            }
            swarm.pick(up, compact, picked);
        }
        (out.complete, out.incomplete) = swarm.counts();
        out.downloaded = swarm.downloaded;
        drop(shard);
        self.member_add(up.user, member.0, member.1);
        Ok(out)
    }

    /// (complete, incomplete, downloaded) of a swarm, if it has been announced to.
    pub fn scrape(&self, ih: &[u8; 20]) -> Option<(u32, u32, u64)> {
        lock(self.shard(ih)).get(ih).map(|s| {
            let (c, i) = s.counts();
            (c, i, s.downloaded)
        })
    }

    /// Drops a withdrawn torrent's swarm.
    pub fn remove(&self, ih: &[u8; 20]) {
        let removed = lock(self.shard(ih)).remove(ih);
        if let Some(s) = removed {
            for p in s.peers.iter().filter(|p| !p.stale) {
                let (s, l) = if p.seeder() { (-1, 0) } else { (0, -1) };
                self.member_add(p.user, s, l);
            }
        }
    }

    /// Drops every peer of a member (disabled or deleted).
    pub fn remove_member(&self, user: u64) {
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            for swarm in shard.values_mut() {
                swarm.retain(|p| p.user != user, &mut (0, 0));
            }
        }
        lock(&self.members[user as usize % MEMBER_SHARDS]).remove(&user);
    }

    /// Marks peers silent for `stale` seconds stale and drops those silent for `timeout`.
    /// Returns how many peers were dropped.
    pub fn sweep(&self, now: u32, stale: u32, timeout: u32) -> usize {
        let mut dropped = 0;
        let mut member: HashMap<u64, (i32, i32)> = HashMap::new();
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            for swarm in shard.values_mut() {
                let before = swarm.peers.len();
                let mut i = 0;
                while i < swarm.peers.len() {
                    let p = &swarm.peers[i];
                    let age = now.saturating_sub(p.last);
                    if age >= timeout {
                        let p = p.clone();
                        if !p.stale {
                            let m = member.entry(p.user).or_default();
                            swarm.uncount(&p, m);
                        }
                        swarm.remove_at(i);
                        continue;
                    }
                    if age >= stale && !p.stale {
                        let p = p.clone();
                        let m = member.entry(p.user).or_default();
                        swarm.uncount(&p, m);
                        swarm.peers[i].stale = true;
                    }
                    i += 1;
                }
                dropped += before - swarm.peers.len();
            }
        }
        for (user, (s, l)) in member {
            self.member_add(user, s, l);
        }
        dropped
    }

    /// Marks each torrent dead or alive by `dead(liveness)`, creating the swarm of a
    /// torrent never announced to; returns the torrents whose mark changed.
    pub fn mark_dead(
        &self,
        torrents: &[([u8; 20], Base)],
        dead: impl Fn(Liveness) -> bool,
    ) -> Vec<([u8; 20], bool)> {
        let mut changed = Vec::new();
        for (ih, base) in torrents {
            let mut shard = lock(self.shard(ih));
            let now_dead = match shard.get_mut(ih) {
                Some(s) => {
                    let d = dead(s.liveness());
                    if d == s.dead {
                        continue;
                    }
                    s.dead = d;
                    d
                }
                None => {
                    let mut s = Swarm::new(*base);
                    if !dead(s.liveness()) {
                        continue;
                    }
                    s.dead = true;
                    shard.insert(*ih, s);
                    true
                }
            };
            changed.push((*ih, now_dead));
        }
        changed
    }

    /// A copy of a swarm's peers (for the panel's pages).
    pub fn peers(&self, ih: &[u8; 20]) -> Vec<Peer> {
        lock(self.shard(ih))
            .get(ih)
            .map(|s| s.peers.clone())
            .unwrap_or_default()
    }

    /// The swarms member `user` is in: (info-hash, the peer). Walks every swarm,
    /// which a member page can afford and an announce never does.
    pub fn of_member(&self, user: u64) -> Vec<([u8; 20], Peer)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            for (ih, s) in shard.iter() {
                out.extend(
                    s.peers
                        .iter()
                        .filter(|p| p.user == user)
                        .map(|p| (*ih, p.clone())),
                );
            }
        }
        out
    }

    /// Whether a torrent is listed as dead.
    pub fn is_dead(&self, ih: &[u8; 20]) -> bool {
        lock(self.shard(ih)).get(ih).is_some_and(|s| s.dead)
    }

    /// Times seen seeded since they were last written: (info-hash, Unix seconds).
    pub fn unflushed_seeded(&self) -> Vec<([u8; 20], i64)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            out.extend(
                shard
                    .iter()
                    .filter(|(_, s)| s.last_seeded > s.flushed_seeded)
                    .map(|(ih, s)| (*ih, s.last_seeded)),
            );
        }
        out
    }

    /// Notes that these times are in the store now.
    pub fn seeded_flushed(&self, written: &[([u8; 20], i64)]) {
        for (ih, at) in written {
            if let Some(s) = lock(self.shard(ih)).get_mut(ih) {
                s.flushed_seeded = s.flushed_seeded.max(*at);
            }
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            t.torrents += shard.len() as u64;
            for s in shard.values() {
                let (seeders, leechers) = s.counts();
                t.peers += (s.peers.len() + s.remote.len()) as u64;
                t.seeders += u64::from(seeders);
                t.leechers += u64::from(leechers);
            }
        }
        t
    }
}

impl Swarm {
    fn new(base: Base) -> Swarm {
        Swarm {
            downloaded: base.downloaded,
            last_seeded: base.last_seeded,
            flushed_seeded: base.last_seeded,
            ..Swarm::default()
        }
    }

    fn liveness(&self) -> Liveness {
        Liveness {
            seeders: self.counts().0,
            last_seeded: self.last_seeded,
            dead: self.dead,
        }
    }

    fn count(&mut self, p: &Peer, member: &mut (i32, i32)) {
        if p.seeder() {
            self.seeders += 1;
            member.0 += 1;
        } else {
            self.leechers += 1;
            member.1 += 1;
        }
    }

    fn uncount(&mut self, p: &Peer, member: &mut (i32, i32)) {
        if p.seeder() {
            self.seeders = self.seeders.saturating_sub(1);
            member.0 -= 1;
        } else {
            self.leechers = self.leechers.saturating_sub(1);
            member.1 -= 1;
        }
    }

    /// Removes peer `i` (already uncounted) by swapping the last one into its place.
    fn remove_at(&mut self, i: usize) {
        let p = self.peers.swap_remove(i);
        self.index.remove(&p.peer_id);
        if let Some(moved) = self.peers.get(i) {
            self.index.insert(moved.peer_id, i);
        }
    }

    fn retain(&mut self, keep: impl Fn(&Peer) -> bool, member: &mut (i32, i32)) {
        let mut i = 0;
        while i < self.peers.len() {
            if keep(&self.peers[i]) {
                i += 1;
                continue;
            }
            let p = self.peers[i].clone();
            if !p.stale {
                self.uncount(&p, member);
            }
            self.remove_at(i);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
