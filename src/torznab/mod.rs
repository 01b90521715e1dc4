//! The Torznab indexer (`/api`, `/torznab/api`): caps, searches and the RSS
//! feed that Prowlarr, Sonarr, Radarr and Lidarr read.

pub mod caps;
pub mod index;
pub mod normalize;
pub mod query;
pub mod render;
pub mod routes;

pub use index::{Hits, SearchIndex};
pub use routes::routes;

/// A Torznab error: answered as `<error code=… description=…/>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("torznab error {code}: {description}")]
pub struct TorznabError {
    pub code: u16,
    pub description: String,
}

impl TorznabError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        TorznabError {
            code,
            description: description.into(),
        }
    }
}
