//! Peers other tracker instances announced (through the shared peer store), and this
//! instance's own peer changes waiting to be written there. Both live beside the local
//! peers under the same shard lock, so an announce pays no extra lock for them.

use std::net::IpAddr;

use super::{lock, Base, Swarm, Swarms};

/// What other instances need to know of one peer: where it is, whether it seeds, until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ad {
    pub ip: IpAddr,
    pub port: u16,
    pub left: u64,
    /// Wall clock (Unix seconds) after which the peer is no longer counted or handed out.
    pub expires: i64,
}

/// A peer of another instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePeer {
    pub peer_id: [u8; 20],
    pub ad: Ad,
}

/// One of this instance's peers joined, moved or changed state (`Some`), or stopped (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub info_hash: [u8; 20],
    pub peer_id: [u8; 20],
    pub ad: Option<Ad>,
}

impl Swarms {
    /// Swarms that also note their peer changes for a shared peer store, where the
    /// other instances count a peer for `ad_ttl` seconds after its announce.
    pub fn shared(ad_ttl: i64) -> Swarms {
        Swarms {
            shared: true,
            ad_ttl,
            ..Swarms::default()
        }
    }

    /// The peer changes since the last call, oldest first per swarm.
    pub fn take_changes(&self) -> Vec<Change> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            for (ih, s) in lock(shard).iter_mut() {
                out.extend(s.changes.drain(..).map(|(peer_id, ad)| Change {
                    info_hash: *ih,
                    peer_id,
                    ad,
                }));
            }
        }
        out
    }

    /// Notes every live peer of this instance as changed, for a peer store that may
    /// have lost them (restarted without persistence) to hear of them again.
    pub fn republish(&self) {
        let expires = crate::core::clock::now() + self.ad_ttl;
        for shard in self.shards.iter() {
            for s in lock(shard).values_mut() {
                let ads: Vec<_> = s
                    .peers
                    .iter()
                    .filter(|p| !p.stale)
                    .map(|p| {
                        let ad = Ad {
                            ip: p.ip,
                            port: p.port,
                            left: p.left,
                            expires,
                        };
                        (p.peer_id, Some(ad))
                    })
                    .collect();
                s.changes.extend(ads);
            }
        }
    }

    /// Replaces the other instances' peers of swarm `ih` (`base` if it is new here).
    pub fn set_remote(&self, ih: &[u8; 20], base: Base, peers: Vec<RemotePeer>) {
        let mut shard = lock(self.shard(ih));
        if peers.is_empty() && !shard.contains_key(ih) {
            return;
        }
        let swarm = shard.entry(*ih).or_insert_with(|| Swarm::new(base));
        // Behind a load balancer a client may announce here too: count it once.
        let peers = peers
            .into_iter()
            .filter(|p| !swarm.index.contains_key(&p.peer_id))
            .collect();
        swarm.set_remote_peers(peers);
    }

    /// Asks the next sync for swarm `ih`'s peers in the shared store: a torrent this
    /// instance just heard of (another instance's upload) may have peers there already.
    pub fn want_remote(&self, ih: &[u8; 20]) {
        if self.shared {
            lock(&self.wanted).push(*ih);
        }
    }

    /// The swarms asked for since the last call.
    pub fn take_wanted(&self) -> Vec<[u8; 20]> {
        std::mem::take(&mut *lock(&self.wanted))
    }

    /// Drops other instances' peers whose time ran out by wall clock `now`.
    pub fn prune_remote(&self, now: i64) {
        for shard in self.shards.iter() {
            for s in lock(shard).values_mut() {
                if s.remote.iter().any(|p| p.ad.expires <= now) {
                    let kept = std::mem::take(&mut s.remote)
                        .into_iter()
                        .filter(|p| p.ad.expires > now)
                        .collect();
                    s.set_remote_peers(kept);
                }
            }
        }
    }
}

impl Swarm {
    /// A peer that now announces here is no longer counted as another instance's.
    pub(super) fn forget_remote(&mut self, peer_id: &[u8; 20]) {
        if let Some(i) = self.remote.iter().position(|p| &p.peer_id == peer_id) {
            let mut peers = std::mem::take(&mut self.remote);
            peers.swap_remove(i);
            self.set_remote_peers(peers);
        }
    }

    fn set_remote_peers(&mut self, peers: Vec<RemotePeer>) {
        self.remote_seeders = peers.iter().filter(|p| p.ad.left == 0).count() as u32;
        self.remote_leechers = peers.len() as u32 - self.remote_seeders;
        self.remote = peers;
    }

    /// Seeders and leechers counted in answers: this instance's and the others'.
    pub(super) fn counts(&self) -> (u32, u32) {
        (
            self.seeders + self.remote_seeders,
            self.leechers + self.remote_leechers,
        )
    }
}
