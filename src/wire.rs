//! The JSON wire types of the client API and the admin API, in one place for
//! the server that writes them and the client, the admin CLI and the tests
//! that read them. A member's nine figures are declared once (`MemberFigures`).

use serde::{Deserialize, Serialize};

use crate::store::User;

/// Who a member is and what they did: shared by `/api/v1/me` and the member list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberFigures {
    pub id: u64,
    pub label: String,
    pub created: i64,
    pub uploaded: u64,
    pub downloaded: u64,
    /// Torrents this member grabbed.
    pub grabs: u64,
    /// Torrents this member uploaded.
    pub uploads: u64,
    /// Grabs of this member's uploads by others.
    pub popularity: u64,
    /// Completed downloads reported by the tracker.
    pub snatches: u64,
}

impl From<&User> for MemberFigures {
    fn from(u: &User) -> Self {
        MemberFigures {
            id: u.id,
            label: u.label.clone(),
            created: u.created,
            uploaded: u.uploaded,
            downloaded: u.downloaded,
            grabs: u.grabs,
            uploads: u.uploads,
            popularity: u.popularity,
            snatches: u.snatches,
        }
    }
}

/// `GET /api/v1/me`: the caller, their personal announce URL and figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Me {
    #[serde(flatten)]
    pub member: MemberFigures,
    pub announce_url: String,
    /// Whether the server reached this member's announced torrent port (after an announce).
    #[serde(default)]
    pub reachable: Option<Probe>,
}

/// A probe of a member's announced torrent port, as `/api/v1/me` and the panel show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// The ip:port probed (the member's own address, shown only to them and the admin).
    pub address: String,
    pub reachable: bool,
    /// Unix seconds.
    pub checked: i64,
    /// What happened, in a few words.
    pub detail: String,
}

/// `POST /api/v1/torrents`: what was stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadResponse {
    pub info_hash: String,
    pub title: String,
    pub size: u64,
    pub files: u32,
    /// True for a new torrent, false when the uploader re-sent one (metadata updated).
    pub created: bool,
}

/// `POST /api/v1/sync` body: the info-hashes the client seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    pub info_hashes: Vec<String>,
}

/// `POST /api/v1/sync` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Hashes the client seeds that the server does not have: upload them.
    pub missing: Vec<String>,
    /// The caller's uploads the server holds that the client no longer seeds.
    pub orphaned: Vec<String>,
}

/// What the operator sees once when a member is created or their keys rotated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedKeys {
    pub id: u64,
    pub label: String,
    pub api_key: String,
    pub passkey: String,
    pub announce_url: String,
    /// The server's public URL: the member's INDEXER_API_URL, Torznab at `{server_url}/api`.
    #[serde(default)]
    pub server_url: String,
}

/// A member as listed (`GET /admin/api/users`): figures, never keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberView {
    #[serde(flatten)]
    pub member: MemberFigures,
    pub enabled: bool,
    pub last_seen: i64,
}

impl From<&User> for MemberView {
    fn from(u: &User) -> Self {
        MemberView {
            member: u.into(),
            enabled: u.enabled,
            last_seen: u.last_seen,
        }
    }
}

/// `GET /admin/api/stats`: swarm figures and transfer totals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stats {
    pub members: u64,
    pub enabled_members: u64,
    pub torrents: u64,
    pub peers: u64,
    pub seeders: u64,
    pub leechers: u64,
    pub uploaded: u64,
    pub downloaded: u64,
}
