//! One seeded torrent up close, for the dashboard's torrent page and the
//! qBittorrent API's `torrents/reannounce`: who is connected, the last
//! announces, and "announce now".

use tokio::sync::oneshot;

use super::announce::Cmd;
use super::peers::PeerSnapshot;
use super::Seeder;
use crate::client::announces::history::AnnounceRecord;
use crate::client::announces::Reannounce;

impl Seeder {
    fn torrent(&self, info_hash: &str) -> Option<std::sync::Arc<super::Torrent>> {
        self.shared
            .registry
            .get(&crate::metainfo::parse_hex_hash(info_hash)?)
    }

    /// The peers connected to a seeded torrent (hex info-hash), by address.
    pub fn peers(&self, info_hash: &str) -> Vec<PeerSnapshot> {
        self.torrent(info_hash)
            .map(|t| t.peer_list.snapshot(t.piece_count()))
            .unwrap_or_default()
    }

    /// Its last announces, newest first.
    pub fn announce_history(&self, info_hash: &str) -> Vec<AnnounceRecord> {
        self.torrent(info_hash)
            .map(|t| t.history.list())
            .unwrap_or_default()
    }

    /// Asks for a seeded torrent's announce now; the scheduler defers it
    /// while the tracker's `min interval` is not over.
    pub async fn reannounce(&self, info_hash: &str) -> Reannounce {
        let Some(ih) = self.torrent(info_hash).map(|t| t.info_hash) else {
            return Reannounce::NotSeeded;
        };
        let (reply, answer) = oneshot::channel();
        if self
            .cmds
            .send(Cmd::AnnounceNow {
                info_hash: ih,
                reply,
            })
            .is_err()
        {
            return Reannounce::NotSeeded;
        }
        answer.await.unwrap_or(Reannounce::NotSeeded)
    }
}
