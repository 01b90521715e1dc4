//! The library seeder as the download side sees it: which torrents it owns
//! (listed under category `privateindexer`, never deleted, moved or rechecked
//! through the API) and where finished downloads are handed to it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::client::queue::{ClientDb, Status};
use crate::client::seeder::Seeder;

/// The category library seeds are listed under.
pub const LIBRARY_CATEGORY: &str = "privateindexer";

/// One torrent of the member's library.
#[derive(Debug, Clone)]
pub struct LibraryTorrent {
    pub info_hash: String,
    pub name: String,
    pub size: u64,
    /// The shared file (single-file torrent) or folder (multi-file), local.
    pub content_path: PathBuf,
}

/// What the downloader needs of the library seeder.
pub trait LibrarySeeds: Send + Sync {
    /// Every torrent the library seeder owns.
    fn library(&self) -> Vec<LibraryTorrent>;
    /// Offers a finished, verified download (read-only from `content_path`'s
    /// folder); `false` while the seeder cannot take it, so the download
    /// engine keeps seeding it.
    fn adopt(&self, torrent: &[u8], save_path: &std::path::Path) -> bool;
    /// Stops seeding a handed-over download (deleted, stopped, or its share
    /// limit reached): the seeder announces `stopped` and refuses its peers.
    fn release(&self, info_hash: &str);
    /// What the seeder sent of a handed-over download, over all its runs;
    /// `None` while it does not seed it.
    fn uploaded(&self, info_hash: &str) -> Option<u64>;
}

/// The library as the scanner recorded it (what the seeder serves), and the
/// seeder finished downloads are handed to. Without a seeder (`--once`)
/// downloads keep seeding in the download engine.
pub struct RecordedLibrary {
    pub db: Arc<ClientDb>,
    pub seeder: Option<Arc<Seeder>>,
}

impl LibrarySeeds for RecordedLibrary {
    fn library(&self) -> Vec<LibraryTorrent> {
        let records = match self.db.records() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("library list unavailable: {e}");
                return Vec::new();
            }
        };
        records
            .into_iter()
            .filter(|(_, r)| matches!(r.status, Status::Uploaded | Status::Duplicate))
            .map(|(key, r)| LibraryTorrent {
                info_hash: r.info_hash,
                name: r.title,
                size: r.files.iter().map(|f| f.size).sum(),
                content_path: PathBuf::from(key),
            })
            .collect()
    }

    fn adopt(&self, torrent: &[u8], save_path: &std::path::Path) -> bool {
        let Some(seeder) = &self.seeder else {
            return false;
        };
        match seeder.add(torrent, save_path) {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(
                    "library seeder cannot take the download (it keeps seeding here): {e}"
                );
                false
            }
        }
    }

    fn release(&self, info_hash: &str) {
        if let Some(s) = &self.seeder {
            s.remove(info_hash);
        }
    }

    fn uploaded(&self, info_hash: &str) -> Option<u64> {
        self.seeder.as_ref()?.uploaded(info_hash)
    }
}
