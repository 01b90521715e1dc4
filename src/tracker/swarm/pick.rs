//! Which peers an announce gets back.

use std::net::IpAddr;

use super::{PeerUpdate, Picked, Swarm};

/// A peer as the pick sees it, this instance's or another's.
struct Candidate {
    ip: IpAddr,
    port: u16,
    peer_id: [u8; 20],
    seeder: bool,
    live: bool,
}

impl Swarm {
    fn candidate(&self, k: usize) -> Candidate {
        match self.peers.get(k) {
            Some(p) => Candidate {
                ip: p.ip,
                port: p.port,
                peer_id: p.peer_id,
                seeder: p.seeder(),
                live: !p.stale,
            },
            None => {
                let r = &self.remote[k - self.peers.len()];
                Candidate {
                    ip: r.ad.ip,
                    port: r.ad.port,
                    peer_id: r.peer_id,
                    seeder: r.ad.left == 0,
                    live: true,
                }
            }
        }
    }

    /// Picks up to `numwant` live peers other than the announcer: a leecher gets
    /// seeders first, a seeder gets only leechers (seeders have nothing to gain
    /// from each other). The walk starts at a random place so everyone gets a turn.
    pub(super) fn pick(&self, up: &PeerUpdate, compact: bool, out: &mut Picked) {
        let n = self.peers.len() + self.remote.len();
        if n <= 1 || up.numwant == 0 {
            return;
        }
        let start = rand::random_range(0..n);
        let mut taken = 0;
        let passes: &[bool] = if up.left == 0 {
            &[false]
        } else {
            &[true, false]
        };
        for &want_seeders in passes {
            for k in 0..n {
                if taken == up.numwant {
                    return;
                }
                let p = self.candidate((start + k) % n);
                // Also skip the announcer's own address: a restarted client under a new
                // peer_id must not be told to connect to itself.
                if !p.live
                    || p.seeder != want_seeders
                    || p.peer_id == up.peer_id
                    || (p.port == up.port && p.ip == up.ip)
                {
                    continue;
                }
                if compact {
                    match p.ip {
                        IpAddr::V4(a) => {
                            out.compact4.extend_from_slice(&a.octets());
                            out.compact4.extend_from_slice(&p.port.to_be_bytes());
                        }
                        IpAddr::V6(a) => {
                            out.compact6.extend_from_slice(&a.octets());
                            out.compact6.extend_from_slice(&p.port.to_be_bytes());
                        }
                    }
                } else {
                    out.dicts.push((p.ip, p.port, p.peer_id));
                }
                taken += 1;
            }
        }
    }
}
