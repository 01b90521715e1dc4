//! Which torrents the *arr apps may add: only this swarm's. A torrent is
//! taken when its announce URL is this swarm's tracker and the server knows
//! its info-hash; what is then downloaded is the server's own copy with this
//! member's announce URL, never the bytes as the app sent them.

use tokio::sync::OnceCell;
use url::Url;

use crate::client::server_client::{ServerClient, ServerError};
use crate::metainfo::{self, Metainfo, MetainfoError};

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("not a usable torrent: {0}")]
    Invalid(#[from] MetainfoError),
    #[error("the torrent has no announce URL")]
    NoAnnounce,
    /// Only the host is named: an announce URL carries a passkey.
    #[error("its tracker ({0}) is not this swarm's")]
    OtherTracker(String),
    #[error("the server does not know info-hash {0}")]
    Unknown(String),
    #[error("the server's copy of {0} does not match")]
    Mismatch(String),
    #[error("the server could not be asked: {0}")]
    Server(#[from] ServerError),
    #[error("only .torrent links of the configured server are fetched ({0} is not one)")]
    ForeignUrl(String),
}

/// A torrent accepted for download.
pub struct Admitted {
    pub meta: Metainfo,
    /// The server's .torrent with this member's announce URL.
    pub torrent: Vec<u8>,
    pub announce: String,
}

pub struct Admission {
    server: ServerClient,
    /// `scheme://host:port/path-prefix` of this swarm's announce URLs, from `/api/v1/me`.
    tracker: OnceCell<Url>,
}

/// Where the announce URL of a torrent points, for comparing trackers.
fn tracker_base(announce: &str) -> Option<Url> {
    let mut u = Url::parse(announce).ok()?;
    let path = u.path();
    let cut = path.rfind("/announce")?;
    let base = path[..cut].to_string();
    u.set_path(&base);
    u.set_query(None);
    u.set_fragment(None);
    Some(u)
}

fn host_of(announce: &str) -> String {
    Url::parse(announce)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "unparseable URL".to_string())
}

/// The info-hash of a link to the server's `/api/v1/torrents/{ih}/download`,
/// when the link is on the configured server.
pub fn server_link_hash(server_base: &str, link: &str) -> Option<String> {
    let base = Url::parse(server_base).ok()?;
    let u = Url::parse(link.trim()).ok()?;
    if u.scheme() != base.scheme()
        || u.host_str() != base.host_str()
        || u.port_or_known_default() != base.port_or_known_default()
    {
        return None;
    }
    let rest = u
        .path()
        .strip_prefix(base.path().trim_end_matches('/'))?
        .strip_prefix("/api/v1/torrents/")?
        .strip_suffix("/download")?;
    let ih = metainfo::parse_hex_hash(rest)?;
    Some(metainfo::hex_hash(&ih))
}

/// The first announce URL of a torrent (`announce`, else the first of `announce-list`).
fn announce_of(bytes: &[u8]) -> Option<String> {
    let root = crate::bencode::decode(bytes).ok()?;
    if let Some(a) = root.get("announce").and_then(|n| n.as_str()) {
        return Some(a.to_string());
    }
    root.get("announce-list")?
        .as_list()?
        .iter()
        .find_map(|tier| tier.as_list()?.first()?.as_str().map(str::to_string))
}

impl Admission {
    pub fn new(server: ServerClient) -> Admission {
        Admission {
            server,
            tracker: OnceCell::new(),
        }
    }

    pub fn server(&self) -> &ServerClient {
        &self.server
    }

    async fn tracker(&self) -> Result<&Url, Refusal> {
        self.tracker
            .get_or_try_init(|| async {
                let me = self.server.me().await?;
                tracker_base(&me.announce_url).ok_or(Refusal::NoAnnounce)
            })
            .await
    }

    /// Checks a .torrent an app uploaded.
    pub async fn file(&self, bytes: &[u8]) -> Result<Admitted, Refusal> {
        let meta = metainfo::parse(bytes)?;
        let announce = announce_of(bytes).ok_or(Refusal::NoAnnounce)?;
        let ours = self.tracker().await?;
        if tracker_base(&announce).as_ref() != Some(ours) {
            return Err(Refusal::OtherTracker(host_of(&announce)));
        }
        self.fetch_checked(&metainfo::hex_hash(&meta.info_hash))
            .await
    }

    /// Fetches a torrent by a link to the configured server; any other link is
    /// refused without a request.
    pub async fn url(&self, link: &str) -> Result<Admitted, Refusal> {
        let ih = server_link_hash(self.server.base(), link)
            .ok_or_else(|| Refusal::ForeignUrl(host_of(link)))?;
        self.fetch_checked(&ih).await
    }

    async fn fetch_checked(&self, ih: &str) -> Result<Admitted, Refusal> {
        let torrent = self
            .server
            .download(ih)
            .await?
            .ok_or_else(|| Refusal::Unknown(ih.to_string()))?;
        let meta = metainfo::parse(&torrent)?;
        if metainfo::hex_hash(&meta.info_hash) != ih {
            return Err(Refusal::Mismatch(ih.to_string()));
        }
        let announce = announce_of(&torrent).ok_or(Refusal::NoAnnounce)?;
        Ok(Admitted {
            meta,
            torrent,
            announce,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trackers_compare_by_origin_and_prefix() {
        let a = tracker_base("http://t.example:8081/announce/abc").unwrap();
        let b = tracker_base("http://t.example:8081/announce/other?x=1").unwrap();
        assert_eq!(a, b);
        assert_ne!(
            a,
            tracker_base("http://evil.example:8081/announce/abc").unwrap()
        );
        assert_ne!(
            a,
            tracker_base("https://t.example:8081/announce/abc").unwrap()
        );
        assert!(tracker_base("not a url").is_none());
        assert!(tracker_base("http://t.example/scrape").is_none());
    }

    #[test]
    fn only_server_links_are_fetched() {
        let ih = "ab".repeat(20);
        let base = "http://srv:8081";
        let link = format!(
            "http://srv:8081/api/v1/torrents/{}/download?apikey=k",
            ih.to_uppercase()
        );
        assert_eq!(server_link_hash(base, &link), Some(ih.clone()));
        for bad in [
            format!("http://other:8081/api/v1/torrents/{ih}/download"),
            format!("http://srv:9999/api/v1/torrents/{ih}/download"),
            format!("http://srv:8081/api/v1/torrents/{ih}/../../admin"),
            "http://srv:8081/api/v1/torrents/zz/download".to_string(),
            "file:///etc/passwd".to_string(),
            "magnet:?xt=urn:btih:abababababababababababababababababababab".to_string(),
        ] {
            assert_eq!(server_link_hash(base, &bad), None, "{bad}");
        }
    }
}
