//! Catalog events: what the in-memory views of the catalogue (search index,
//! tracker swarms) hear when the store changes.

use super::swarm::SwarmFigures;
use crate::store::{TorrentRecord, User};

/// A part that keeps an in-memory view of the catalogue and must hear about changes.
pub trait CatalogListener: Send + Sync {
    fn torrent_stored(&self, _record: &TorrentRecord) {}
    /// A torrent withdrawn or deleted, by its v1 hash and (hybrid torrents) its v2 hash.
    fn torrent_removed(&self, _info_hash: &[u8; 20], _info_hash_v2: Option<&[u8; 32]>) {}
    /// Member created, keys rotated, disabled/enabled, or deleted: the record
    /// as stored now, None when the member is gone (or could not be read back:
    /// then the member is treated as gone, failing closed).
    fn member_changed(&self, _user_id: u64, _record: Option<&User>) {}
    /// A torrent nobody seeded for STALE_THRESHOLD is dead (`true`), or a seeder
    /// brought it back (`false`); the tracker tells, the record stays stored.
    fn torrent_liveness(&self, _info_hash: &[u8; 20], _dead: bool) {}
    /// A member downloaded the torrent's file, here or on another instance: the
    /// torrent's grabs as read from the store after it was counted. Reads of
    /// concurrent grabs may be told in any order, so a view keeps the highest.
    fn torrent_grabbed(&self, _info_hash: &[u8; 20], _grabs: u64) {}
    /// Live swarm figures, from the part that tracks peers.
    fn swarm_figures(&self) -> Option<SwarmFigures> {
        None
    }
    /// Torrents a member is seeding and leeching right now, from the part that tracks peers.
    fn member_peers(&self, _user_id: u64) -> Option<(u64, u64)> {
        None
    }
    /// The swarms a member is in and their last announces, from the tracker.
    fn member_activity(&self, _user_id: u64) -> Option<super::swarm::MemberActivity> {
        None
    }
    /// The last probe of a member's announced port, from the tracker.
    fn member_reachability(&self, _user_id: u64) -> Option<crate::wire::Probe> {
        None
    }
}

/// What changed in the catalogue, by ids only: whoever hears of it reads the
/// record from the store (the feed between server instances carries these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogChange {
    /// A torrent stored, withdrawn or deleted.
    Torrent {
        info_hash: [u8; 20],
        info_hash_v2: Option<[u8; 32]>,
    },
    /// A member created, rotated, enabled, disabled or deleted.
    Member(u64),
    /// A torrent's grabs went up (its record stays as it was otherwise).
    Grab([u8; 20]),
}

/// Where this instance's catalogue changes go for the other instances on the same
/// store. `publish` must not block: it is called on the request path.
pub trait ChangeFeed: Send + Sync {
    fn publish(&self, change: CatalogChange);
}
