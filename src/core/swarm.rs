//! Swarm figures and per-torrent peer counts, as the tracker reports them to
//! the other parts (search results, pages, stats).

use serde::{Deserialize, Serialize};

/// Swarm figures a live part of the server (the tracker) reports.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct SwarmFigures {
    pub peers: u64,
    pub seeders: u64,
    pub leechers: u64,
}

/// Live peer counts of one torrent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerCounts {
    pub seeders: u32,
    pub leechers: u32,
}

/// One peer of a swarm as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    pub member: u64,
    /// The client named from its peer id (`qBittorrent 4.6.5`), or the id's printable start.
    pub client: String,
    /// Share of the torrent the peer has, 0.0–1.0.
    pub progress: f64,
    /// Unix seconds: since when it seeds (None while it leeches), when its session started,
    /// and its last announce.
    pub seeding_since: Option<i64>,
    pub started: i64,
    pub last_announce: i64,
    /// Silent for PEER_STALE_SECONDS: no longer counted or handed out.
    pub stale: bool,
}

/// One announce of a member as their page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceNote {
    /// Unix seconds.
    pub at: i64,
    pub info_hash: [u8; 20],
    /// `started`, `completed`, `stopped`, or empty for a regular announce.
    pub event: &'static str,
    pub left: u64,
    /// Why it was refused (the `failure reason` sent).
    pub refused: Option<String>,
}

/// What the tracker knows of one member now: the swarms they are in, their
/// last announces and their last refused ones, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberActivity {
    pub torrents: Vec<([u8; 20], PeerInfo)>,
    pub announces: Vec<AnnounceNote>,
    pub refusals: Vec<AnnounceNote>,
}

/// Per-torrent swarm figures for search results and pages; the tracker provides them.
pub trait SwarmView: Send + Sync {
    fn counts(&self, info_hash: &[u8; 20]) -> PeerCounts;
    /// The torrent's peers, seeders first.
    fn peers(&self, _info_hash: &[u8; 20]) -> Vec<PeerInfo> {
        Vec::new()
    }
    /// Nobody has seeded the torrent for STALE_THRESHOLD: hidden from Torznab.
    fn dead(&self, _info_hash: &[u8; 20]) -> bool {
        false
    }
}

/// Used until a tracker is attached: nobody is known to be seeding.
pub struct NoPeers;

impl SwarmView for NoPeers {
    fn counts(&self, _info_hash: &[u8; 20]) -> PeerCounts {
        PeerCounts::default()
    }
}
