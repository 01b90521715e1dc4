//! The library seeder: serves every torrent this client shared (and every
//! identical one a friend shared first, answered 409) from the media files
//! where they lie, on `TORRENTING_PORT`, read-only.
//!
//! What it never does to media: open for writing, create, truncate, extend,
//! rename or delete. Files are opened with `File::open` only when a peer asks
//! for a piece, and start-up only `stat`s them. Every piece read from disk is
//! checked against its SHA-1 before a byte is sent; a piece that fails is
//! withheld (rejected, left out of the bitfield) and logged; a file whose size
//! or mtime changed stops its torrent (the scanner re-shares it).
//!
//! # API for the download engine and the dashboard (kept stable)
//!
//! - [`Seeder::start`] binds the port and loads the library from client.redb.
//! - [`Seeder::add`]`(torrent_bytes, root)`: seed a finished download whose
//!   files lie under `root` (the torrent's name is joined to it); announces
//!   `event=completed` first. Returns the info-hash (hex).
//! - [`Seeder::remove`]`(info_hash)`: stop seeding (announces `stopped`).
//! - [`Seeder::stats`]: per torrent [`TorrentStats`] (state, uploaded, peers,
//!   withheld pieces and why, last tracker message/error).
//! - [`Seeder::peers`], [`Seeder::announce_history`], [`Seeder::reannounce`]:
//!   one torrent's connected peers, last announces, and "announce now".
//! - [`Seeder::sync_library`]: re-read client.redb (after a scan or an upload).
//! - [`Seeder::set_announce_url`]: the member's passkey URL, re-read at each
//!   sync; a new one (rotated passkey) re-announces every torrent at once.
//! - [`Seeder::shutdown`]: `event=stopped` for every torrent, bounded in time.

mod announce;
mod batch;
mod choker;
mod detail;
mod files;
mod library;
mod limits;
mod peer;
pub mod peers;
mod pieces;
pub mod registry;
pub mod wire;

use std::net::{Ipv6Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use rand::Rng;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};

pub use crate::client::announces::{Reannounce, TrackerStatus};
pub use announce::STOP_DEADLINE;
pub use library::{AddError, Synced};
pub use limits::parse_rate;
pub use registry::Origin;

use super::queue::ClientDb;
use announce::{Announcer, Cmd};
use choker::Choker;
use limits::UploadLimit;
use pieces::Pieces;
use registry::{Registry, Torrent};

/// Shown to peers in the extension handshake.
pub const CLIENT_NAME: &str = concat!("PrivateIndexer ", env!("CARGO_PKG_VERSION"));
/// Azureus-style peer-id prefix.
const PEER_ID_PREFIX: &[u8; 8] = b"-PI0100-";

/// The seeder's settings (from `privateindexer client` flags / env).
#[derive(Debug, Clone)]
pub struct SeederConfig {
    /// `TORRENTING_PORT`, listened on over IPv4 and IPv6.
    pub port: u16,
    /// `ANNOUNCE_PORT`: the port told to the tracker when forwarded under another number.
    pub announce_port: Option<u16>,
    /// `UPLOAD_LIMIT` in bytes/s; 0 = unlimited.
    pub upload_limit: u64,
    pub upload_slots: usize,
    pub max_connections: usize,
    pub peers_per_torrent: usize,
    pub peer_idle: std::time::Duration,
    pub open_files: NonZeroUsize,
    pub piece_cache: usize,
}

pub(crate) struct Caps {
    pub peers_per_torrent: usize,
    pub peer_idle: std::time::Duration,
}

/// What every connection shares.
pub(crate) struct Shared {
    pub registry: Arc<Registry>,
    pub pieces: Pieces,
    pub choker: Choker,
    pub limit: UploadLimit,
    pub peer_id: [u8; 20],
    pub caps: Caps,
    next_id: AtomicU64,
}

impl Shared {
    pub fn next_peer_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// A torrent as the dashboard sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TorrentStats {
    pub info_hash: String,
    pub name: String,
    pub origin: Origin,
    /// `seeding`, or `not_served` with `reason`.
    pub state: &'static str,
    pub reason: Option<String>,
    pub uploaded: u64,
    pub peers: usize,
    pub withheld_pieces: Vec<u32>,
    pub size: u64,
    pub tracker: TrackerStatus,
}

pub struct Seeder {
    shared: Arc<Shared>,
    db: Arc<ClientDb>,
    url: Arc<RwLock<Option<String>>>,
    cmds: mpsc::UnboundedSender<Cmd>,
    stop: watch::Sender<bool>,
    announcer: tokio::task::JoinHandle<()>,
    listeners: Vec<tokio::task::JoinHandle<()>>,
    pub port: u16,
}

/// Binds `[::]:port` IPv6-only so `0.0.0.0:port` can be bound beside it.
fn bind_v6(port: u16) -> std::io::Result<TcpListener> {
    let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)?;
    s.set_only_v6(true)?;
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, conns: Arc<Semaphore>) {
    let mut backoff = crate::web::limits::AcceptBackoff::default();
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait a little, keep serving.
                backoff.failed("TORRENTING_PORT", &e).await;
                continue;
            }
        };
        backoff.succeeded();
        let Ok(permit) = conns.clone().try_acquire_owned() else {
            tracing::debug!(%addr, "connection cap reached; refused");
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            peer::serve(stream, addr, shared).await;
            drop(permit);
        });
    }
}

impl Seeder {
    /// Binds `TORRENTING_PORT` (IPv4, and IPv6 where the host has it) and starts the announcer.
    pub async fn start(cfg: &SeederConfig, db: Arc<ClientDb>) -> anyhow::Result<Seeder> {
        let v4 = TcpListener::bind(("0.0.0.0", cfg.port))
            .await
            .with_context(|| format!("TORRENTING_PORT: cannot listen on port {}", cfg.port))?;
        let port = v4.local_addr()?.port();
        let mut bound = vec![v4];
        match bind_v6(port) {
            Ok(l) => bound.push(l),
            Err(e) => {
                tracing::warn!("TORRENTING_PORT: no IPv6 listener on port {port} ({e}); IPv4 only")
            }
        }
        let mut peer_id = [0u8; 20];
        peer_id[..8].copy_from_slice(PEER_ID_PREFIX);
        rand::rng().fill(&mut peer_id[8..]);
        let registry = Arc::new(Registry::default());
        let shared = Arc::new(Shared {
            registry: registry.clone(),
            pieces: Pieces::new(cfg.open_files, cfg.piece_cache),
            choker: Choker::new(cfg.upload_slots),
            limit: UploadLimit::new(cfg.upload_limit),
            peer_id,
            caps: Caps {
                peers_per_torrent: cfg.peers_per_torrent,
                peer_idle: cfg.peer_idle,
            },
            next_id: AtomicU64::new(0),
        });
        let conns = Arc::new(Semaphore::new(cfg.max_connections));
        let listeners = bound
            .into_iter()
            .map(|l| tokio::spawn(accept_loop(l, shared.clone(), conns.clone())))
            .collect();
        let url = Arc::new(RwLock::new(None));
        let (cmds, rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let announcer = Announcer {
            registry,
            db: db.clone(),
            url: url.clone(),
            peer_id,
            port: cfg.announce_port.unwrap_or(port),
            http: crate::client::announces::http_client(),
        };
        let announcer = tokio::spawn(announcer.run(rx, stop_rx));
        tracing::info!(
            port,
            announce_port = cfg.announce_port.unwrap_or(port),
            upload_limit = cfg.upload_limit,
            "seeder listening on TORRENTING_PORT {port}"
        );
        Ok(Seeder {
            shared,
            db,
            url,
            cmds,
            stop,
            announcer,
            listeners,
            port,
        })
    }

    /// The member's passkey announce URL, as the server gives it. A new one
    /// (a rotated passkey) re-announces every torrent at once: the tracker
    /// refuses the old passkey from the moment of rotation.
    pub fn set_announce_url(&self, url: String) {
        let Ok(mut u) = self.url.write() else {
            return;
        };
        if u.as_deref() != Some(url.as_str()) {
            *u = Some(url);
            let _ = self.cmds.send(Cmd::Reannounce);
        }
    }

    /// What a seeded torrent (hex info-hash) sent, over all its runs.
    pub fn uploaded(&self, info_hash: &str) -> Option<u64> {
        let ih = crate::metainfo::parse_hex_hash(info_hash)?;
        let t = self.shared.registry.get(&ih)?;
        Some(t.uploaded.load(Ordering::Relaxed))
    }

    pub fn stats(&self) -> Vec<TorrentStats> {
        self.shared
            .registry
            .all()
            .iter()
            .map(|t| {
                let reason = t.not_served();
                TorrentStats {
                    info_hash: t.hex(),
                    name: t.name.clone(),
                    origin: t.origin,
                    state: if reason.is_some() {
                        "not_served"
                    } else {
                        "seeding"
                    },
                    reason,
                    uploaded: t.uploaded.load(Ordering::Relaxed),
                    peers: t.peers.load(Ordering::Relaxed),
                    withheld_pieces: t.withheld(),
                    size: t.layout.total,
                    tracker: t.tracker.lock().map(|g| g.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Media files held open now (bounded by `SEED_OPEN_FILES`).
    pub fn open_files(&self) -> usize {
        self.shared.pieces.files.held()
    }

    /// Stops listening, saves upload totals and announces `stopped` for every
    /// started torrent (within [`STOP_DEADLINE`]).
    pub async fn shutdown(self) {
        for l in &self.listeners {
            l.abort();
        }
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(STOP_DEADLINE * 2, self.announcer).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::create::{create_torrent, CreateOptions};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use wire::Message;

    fn config() -> SeederConfig {
        SeederConfig {
            port: 0,
            announce_port: None,
            upload_limit: 0,
            upload_slots: 2,
            max_connections: 16,
            peers_per_torrent: 4,
            peer_idle: std::time::Duration::from_secs(180),
            open_files: NonZeroUsize::new(1).unwrap(),
            piece_cache: 1 << 20,
        }
    }

    /// Reads frames until one that is not a keep-alive; None when the peer closed.
    async fn next(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<(u8, Vec<u8>)> {
        loop {
            let parsed = wire::parse(buf)
                .unwrap()
                .map(|(m, n)| (m == Message::KeepAlive, n));
            if let Some((keep_alive, n)) = parsed {
                let raw: Vec<u8> = buf.drain(..n).collect();
                if !keep_alive {
                    return Some((raw[4], raw[5..].to_vec()));
                }
                continue;
            }
            if s.read_buf(buf).await.ok()? == 0 {
                return None;
            }
        }
    }

    async fn connect(port: u16, ih: &[u8; 20]) -> tokio::net::TcpStream {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let mut hs = Handshake::encode(ih, &[9; 20]);
        hs[25] = 0; // no extension protocol: only BEP 3 + BEP 6 here
        s.write_all(&hs).await.unwrap();
        s
    }

    use wire::Handshake;

    fn request(index: u32, begin: u32, len: u32) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 13, 6];
        for n in [index, begin, len] {
            v.extend_from_slice(&n.to_be_bytes());
        }
        v
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_handed_over_download_is_served_checked_and_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("downloads");
        let pack = root.join("Show.S01");
        std::fs::create_dir_all(&pack).unwrap();
        let a: Vec<u8> = (0..50_000u32).map(|i| (i * 7) as u8).collect();
        let b: Vec<u8> = (0..20_000u32).map(|i| (i * 13) as u8).collect();
        std::fs::write(pack.join("e01.mkv"), &a).unwrap();
        std::fs::write(pack.join("e02.mkv"), &b).unwrap();
        let made = create_torrent(
            &CreateOptions {
                path: pack.clone(),
                piece_size: Some(16 * 1024),
                ..Default::default()
            },
            None,
            &|_| {},
        )
        .unwrap();
        let db = Arc::new(ClientDb::open_in(&tmp.path().join("db")).unwrap());
        let seeder = Seeder::start(&config(), db).await.unwrap();
        assert!(seeder
            .add(&made.bytes, &tmp.path().join("elsewhere"))
            .is_err());
        let hex = seeder.add(&made.bytes, &root).unwrap();
        assert_eq!(hex, hex::encode(made.info_hash));
        let st = seeder.stats();
        assert_eq!(st.len(), 1);
        assert_eq!((st[0].state, st[0].origin), ("seeding", Origin::Download));

        // A BEP 3 + BEP 6 peer: handshake, have-all, unchoke, a block across both files.
        let mut s = connect(seeder.port, &made.info_hash).await;
        let mut hs = [0u8; 68];
        s.read_exact(&mut hs).await.unwrap();
        assert_eq!(&hs[28..48], &made.info_hash);
        let mut buf = Vec::new();
        assert_eq!(next(&mut s, &mut buf).await.unwrap().0, 0x0e, "have-all");
        s.write_all(&[0, 0, 0, 1, 2]).await.unwrap();
        assert_eq!(next(&mut s, &mut buf).await.unwrap().0, 1, "unchoke");
        // Piece 3 covers bytes 49152..65536: the end of e01 and the start of e02.
        s.write_all(&request(3, 0, 16384)).await.unwrap();
        let (id, body) = next(&mut s, &mut buf).await.unwrap();
        assert_eq!(id, 7);
        let mut want = a[49152..].to_vec();
        want.extend_from_slice(&b[..16384 - (50_000 - 49152)]);
        assert_eq!(&body[8..], &want[..]);
        // The last piece is short: a request past its end breaks the protocol.
        s.write_all(&request(4, 0, 16384)).await.unwrap();
        assert!(next(&mut s, &mut buf).await.is_none(), "dropped");
        assert!(seeder.stats()[0].uploaded >= 16384);

        // Bit rot after the piece was cached is not seen; a fresh piece is checked.
        let mut rotten = a.clone();
        rotten[1000] ^= 1;
        let mtime = std::fs::metadata(pack.join("e01.mkv"))
            .unwrap()
            .modified()
            .unwrap();
        std::fs::write(pack.join("e01.mkv"), &rotten).unwrap();
        std::fs::File::options()
            .write(true)
            .open(pack.join("e01.mkv"))
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let mut s = connect(seeder.port, &made.info_hash).await;
        s.read_exact(&mut hs).await.unwrap();
        next(&mut s, &mut buf).await.unwrap();
        s.write_all(&[0, 0, 0, 1, 2]).await.unwrap();
        next(&mut s, &mut buf).await.unwrap();
        s.write_all(&request(0, 0, 16384)).await.unwrap();
        s.write_all(&request(1, 0, 16384)).await.unwrap();
        let (id, body) = next(&mut s, &mut buf).await.unwrap();
        assert_eq!(id, 0x10, "piece 0 is rejected, never sent");
        assert_eq!(&body[..4], &0u32.to_be_bytes());
        let (id, body) = next(&mut s, &mut buf).await.unwrap();
        assert_eq!(id, 7, "piece 1 still flows");
        assert_eq!(&body[8..], &a[16384..32768]);
        assert_eq!(seeder.stats()[0].withheld_pieces, vec![0]);
        drop(s);
        // A new peer is told the piece is missing.
        let mut s = connect(seeder.port, &made.info_hash).await;
        s.read_exact(&mut hs).await.unwrap();
        let (id, bits) = next(&mut s, &mut buf).await.unwrap();
        assert_eq!((id, bits[0] & 0x80), (5, 0), "bitfield without piece 0");

        assert!(seeder.remove(&hex));
        assert!(!seeder.remove(&hex));
        assert!(seeder.stats().is_empty());
        let mut s = connect(seeder.port, &made.info_hash).await;
        assert!(s.read_exact(&mut hs).await.is_err(), "no longer served");
        seeder.shutdown().await;
        assert_eq!(std::fs::read(pack.join("e02.mkv")).unwrap(), b);
    }
}
