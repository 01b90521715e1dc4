//! Which peers an announce gets back.

use std::net::IpAddr;

use super::{PeerUpdate, Picked, Swarm};

impl Swarm {
    /// Picks up to `numwant` live peers other than the announcer: a leecher gets
    /// seeders first, a seeder gets only leechers (seeders have nothing to gain
    /// from each other). The walk starts at a random place so everyone gets a turn.
    pub(super) fn pick(&self, up: &PeerUpdate, compact: bool, out: &mut Picked) {
        let n = self.peers.len();
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
                let p = &self.peers[(start + k) % n];
                // Also skip the announcer's own address: a restarted client under a new
                // peer_id must not be told to connect to itself.
                if p.stale
                    || p.seeder() != want_seeders
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
