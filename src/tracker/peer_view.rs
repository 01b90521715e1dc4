//! The tracker's peers as the panel shows them: a torrent's peers, and the
//! swarms and announces of one member.

use super::swarm::Peer;
use super::Tracker;
use crate::core::swarm::{MemberActivity, PeerInfo};

impl Tracker {
    fn peer_info(&self, p: &Peer, size: u64, now_wall: i64) -> PeerInfo {
        let have = size.saturating_sub(p.left.min(size));
        PeerInfo {
            member: p.user,
            client: super::peer_client::name(&p.peer_id),
            progress: if size == 0 {
                1.0
            } else {
                have as f64 / size as f64
            },
            seeding_since: (p.seeding_since != 0).then_some(p.seeding_since),
            started: p.started,
            last_announce: now_wall - i64::from(self.now().saturating_sub(p.last)),
            stale: p.stale,
        }
    }

    /// A torrent's peers, seeders first, then the longest-connected.
    pub fn peers_of(&self, info_hash: &[u8; 20]) -> Vec<PeerInfo> {
        let Some(reg) = self.registry.torrent(info_hash) else {
            return Vec::new();
        };
        let now = crate::core::clock::now();
        let mut peers: Vec<PeerInfo> = self
            .swarms
            .peers(&reg.swarm)
            .iter()
            .map(|p| self.peer_info(p, reg.size, now))
            .collect();
        peers.sort_by_key(|p| (p.seeding_since.is_none(), p.seeding_since, p.started));
        peers
    }

    /// What a member is seeding and downloading now, and their last announces.
    pub fn activity_of(&self, user: u64) -> MemberActivity {
        let now = crate::core::clock::now();
        let mut torrents: Vec<([u8; 20], PeerInfo)> = self
            .swarms
            .of_member(user)
            .into_iter()
            .map(|(ih, p)| {
                let size = self.registry.torrent(&ih).map_or(0, |r| r.size);
                (ih, self.peer_info(&p, size, now))
            })
            .collect();
        torrents.sort_by_key(|(_, p)| {
            (
                p.seeding_since.is_none(),
                std::cmp::Reverse(p.last_announce),
            )
        });
        let (announces, refusals) = self.member_log.of(user);
        MemberActivity {
            torrents,
            announces,
            refusals,
        }
    }
}
