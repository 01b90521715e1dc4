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

/// Per-torrent swarm figures for search results and pages; the tracker provides them.
pub trait SwarmView: Send + Sync {
    fn counts(&self, info_hash: &[u8; 20]) -> PeerCounts;
}

/// Used until a tracker is attached: nobody is known to be seeding.
pub struct NoPeers;

impl SwarmView for NoPeers {
    fn counts(&self, _info_hash: &[u8; 20]) -> PeerCounts {
        PeerCounts::default()
    }
}
