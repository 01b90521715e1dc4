//! The download engine: what the *arr apps add through the qBittorrent API
//! downloads with librqbit into `DOWNLOADS_DIR/<category>/`. librqbit keeps
//! its own resume state (fastresume) under the data dir; everything the API
//! shows beyond it (category, tags, limits, times, totals over all runs) is
//! ours, in client.redb.

pub mod admit;
mod crash;
mod handed;
pub mod library;
pub mod limits;
mod peers;
mod relay;
mod snapshots;
pub mod state;
pub mod store;
mod ticks;
mod tracker;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use librqbit::api::TorrentIdOrHash;
use librqbit::dht::Id20;
use librqbit::{
    AddTorrent, AddTorrentOptions, ListenerMode, ListenerOptions, ManagedTorrent, Session,
    SessionOptions, SessionPersistenceConfig,
};
use rand::RngCore;
use tokio::sync::mpsc;

use crate::client::shaping::PathMapper;
use admit::{Admission, Admitted};
use library::LibrarySeeds;
use store::{Download, DownloadStore, USE_GLOBAL};

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("no such torrent")]
    NotFound,
    #[error("a library seed: the scanner owns it")]
    Library,
    #[error("save path must be inside DOWNLOADS_DIR")]
    OutsideDownloads,
    #[error("the download engine refused it: {0}")]
    Engine(String),
    #[error("client database: {0}")]
    Store(String),
}

fn store_err(e: anyhow::Error) -> DownloadError {
    DownloadError::Store(format!("{e:#}"))
}

/// What `torrents/add` asks for, beside the torrent.
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    pub category: String,
    pub tags: BTreeSet<String>,
    /// Local folder inside DOWNLOADS_DIR; `None` = the category's folder.
    pub save_path: Option<PathBuf>,
    pub stopped: bool,
    pub ratio_limit: Option<f64>,
    pub seeding_time_limit: Option<i64>,
}

/// One torrent as the API shows it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub rec: Download,
    pub state: &'static str,
    pub done_bytes: u64,
    pub dl_speed: u64,
    pub up_speed: u64,
    pub peers: u32,
    pub seeds: u32,
    /// Seconds; `None` when unknown.
    pub eta: Option<u64>,
    pub library: bool,
    /// Files: path inside the torrent, size, bytes present.
    pub files: Vec<(String, u64, u64)>,
    pub error: Option<String>,
    /// The tracker's status of a download in the engine (from the relay).
    pub tracker: Option<crate::client::announces::TrackerStatus>,
}

impl Snapshot {
    pub fn content_path(&self) -> PathBuf {
        if self.library || self.rec.multi || self.files.len() != 1 {
            self.rec.save_path.join(&self.rec.name)
        } else {
            self.rec.save_path.join(&self.files[0].0)
        }
    }
}

struct Entry {
    rec: Download,
    /// The engine's per-run counters when last looked at.
    seen_up: u64,
    seen_down: u64,
}

pub struct Downloads {
    session: Arc<Session>,
    store: DownloadStore,
    dir: PathBuf,
    pub mapper: PathMapper,
    entries: Mutex<BTreeMap<String, Entry>>,
    library: Arc<dyn LibrarySeeds>,
    pub admission: Admission,
    /// The engine's tracker: every announce of a download goes through it.
    relay: Arc<relay::Relay>,
    /// Finished downloads waiting for their completed announce and hand-off.
    finished_tx: mpsc::UnboundedSender<Download>,
    finished_rx: Mutex<Option<mpsc::UnboundedReceiver<Download>>>,
    /// Held by a hand-over and by deletes, so a delete never falls between
    /// the seeder taking a download and the engine letting it go.
    handover: tokio::sync::Mutex<()>,
    /// Removed at a clean stop; found at start, the bitfields are not trusted.
    run: crash::RunMarker,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn id20(ih: &str) -> Option<Id20> {
    crate::metainfo::parse_hex_hash(ih).map(Id20::new)
}

/// Settings the engine starts with.
pub struct EngineConfig {
    pub downloads_dir: PathBuf,
    pub state_dir: PathBuf,
    pub port: u16,
}

impl Downloads {
    pub async fn start(
        cfg: EngineConfig,
        store: DownloadStore,
        mapper: PathMapper,
        admission: Admission,
        library: Arc<dyn LibrarySeeds>,
    ) -> anyhow::Result<Arc<Downloads>> {
        std::fs::create_dir_all(&cfg.downloads_dir).with_context(|| {
            format!(
                "DOWNLOADS_DIR: cannot create {}",
                cfg.downloads_dir.display()
            )
        })?;
        let dir = cfg.downloads_dir.canonicalize().with_context(|| {
            format!(
                "DOWNLOADS_DIR: cannot resolve {}",
                cfg.downloads_dir.display()
            )
        })?;
        let run = crash::RunMarker::begin(&cfg.state_dir).context("download engine state")?;
        let relay = relay::start().await?;
        let mut peer_id = *b"-PI0100-000000000000";
        rand::rng().fill_bytes(&mut peer_id[8..]);
        let opts = SessionOptions {
            peer_id: Some(Id20::new(peer_id)),
            dht: None,
            disable_local_service_discovery: true,
            fastresume: true,
            persistence: Some(SessionPersistenceConfig::Json {
                folder: Some(cfg.state_dir.clone()),
            }),
            // Its own port: librqbit without a listener announces a made-up one (4240).
            listen: Some(ListenerOptions {
                mode: ListenerMode::TcpOnly,
                listen_addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, cfg.port)),
                enable_upnp_port_forwarding: false,
                ipv4_only: true,
                ..Default::default()
            }),
            ipv4_only: true,
            client_name_and_version: Some(format!("PrivateIndexer/{}", env!("CARGO_PKG_VERSION"))),
            // Its torrents carry no tracker: this one, of this run, is theirs.
            trackers: std::iter::once(relay.url().parse().context("relay URL")?).collect(),
            ..Default::default()
        };
        let session = Session::new_with_opts(dir.clone(), opts)
            .await
            .with_context(|| format!("download engine (DOWNLOAD_PORT {})", cfg.port))?;
        if let Some(a) = session.listen_addr() {
            tracing::info!(addr = %a, dir = %dir.display(), "download engine listening");
        }
        let mut entries = BTreeMap::new();
        for rec in store.downloads()? {
            entries.insert(
                rec.info_hash.clone(),
                Entry {
                    rec,
                    seen_up: 0,
                    seen_down: 0,
                },
            );
        }
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let me = Arc::new(Downloads {
            relay,
            finished_tx,
            finished_rx: Mutex::new(Some(finished_rx)),
            handover: tokio::sync::Mutex::new(()),
            run,
            session,
            store,
            dir,
            mapper,
            entries: Mutex::new(entries),
            library,
            admission,
        });
        me.reconcile().await;
        Ok(me)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn store(&self) -> &DownloadStore {
        &self.store
    }

    pub fn downloads_dir(&self) -> &Path {
        &self.dir
    }

    /// Our records and librqbit's resumed torrents agree after a restart: a
    /// record librqbit lost is added again from its stored .torrent; a torrent
    /// librqbit has without a record (an add that did not finish) is dropped,
    /// its files kept.
    async fn reconcile(&self) {
        let known: Vec<(String, bool)> = self
            .lock()
            .values()
            .map(|e| (e.rec.info_hash.clone(), e.rec.handed_off))
            .collect();
        let engine: Vec<Id20> = self
            .session
            .with_torrents(|ts| ts.map(|(_, t)| t.info_hash()).collect());
        for ih in engine {
            let hex = ih.as_string();
            if !known.iter().any(|(k, off)| *k == hex && !off) {
                tracing::warn!(info_hash = %hex, "engine torrent without a record: dropped, files kept");
                let _ = self.session.delete(TorrentIdOrHash::Hash(ih), false).await;
            }
        }
        for (ih, handed_off) in known {
            if let Some(h) = self.handle(&ih) {
                if h.shared().trackers.is_empty() {
                    if let Some(rec) = self.lock().get(&ih).map(|e| e.rec.clone()) {
                        self.track(&rec);
                    }
                    continue;
                }
                // Added before the relay, with its own tracker: added again
                // (files and piece records kept) so it announces through it.
                tracing::info!(info_hash = %ih, "announcing through the relay from now on");
                let _ = self
                    .session
                    .delete(TorrentIdOrHash::Hash(h.info_hash()), false)
                    .await;
            }
            let rec = self.lock().get(&ih).map(|e| e.rec.clone());
            let Some(rec) = rec else { continue };
            // The seeder keeps no list of downloads: hand it over again,
            // unless it was stopped (then nobody seeds it until started).
            if handed_off && (rec.stopped || self.readopt(&rec)) {
                continue;
            }
            match self.store.torrent(&ih) {
                Ok(Some(bytes)) => {
                    if handed_off {
                        // Seeded here again, until the next start.
                        let _ = self.edit(&BTreeSet::from([ih.clone()]), |r| r.handed_off = false);
                    }
                    if let Err(e) = self.engine_add(&rec, bytes, true).await {
                        tracing::error!(info_hash = %ih, "cannot resume: {e}");
                    }
                }
                Ok(None) => tracing::error!(info_hash = %ih, "record without its .torrent"),
                Err(e) => tracing::error!(info_hash = %ih, "cannot read its .torrent: {e}"),
            }
        }
    }

    fn handle(&self, ih: &str) -> Option<Arc<ManagedTorrent>> {
        self.session.get(TorrentIdOrHash::Hash(id20(ih)?))
    }

    /// Where librqbit writes a torrent's files: the save path, plus the
    /// torrent's folder for a multi-file one.
    fn output_folder(rec: &Download) -> PathBuf {
        if rec.multi {
            rec.save_path.join(&rec.name)
        } else {
            rec.save_path.clone()
        }
    }

    /// Its announces go to its tracker through the relay.
    fn track(&self, rec: &Download) {
        if let Some(ih) = crate::metainfo::parse_hex_hash(&rec.info_hash) {
            self.relay.track(ih, &rec.tracker);
        }
    }

    async fn engine_add(
        &self,
        rec: &Download,
        torrent: Vec<u8>,
        resume: bool,
    ) -> Result<(), DownloadError> {
        // The engine learns no tracker from the torrent: it has the relay's.
        let torrent = crate::metainfo::without_trackers(&torrent)
            .map_err(|e| DownloadError::Engine(e.to_string()))?;
        self.track(rec);
        let opts = AddTorrentOptions {
            paused: rec.stopped,
            // A first add never writes over a file already there; a resume
            // writes only into the files it created.
            overwrite: resume,
            output_folder: Some(Self::output_folder(rec).to_string_lossy().into_owned()),
            ..Default::default()
        };
        self.session
            .add_torrent(AddTorrent::from_bytes(torrent), Some(opts))
            .await
            .map(|_| ())
            .map_err(|e| DownloadError::Engine(format!("{e:#}")))
    }

    /// A save path the API may ask for: inside DOWNLOADS_DIR, no `..`.
    pub fn checked_save_path(&self, asked: &str) -> Result<PathBuf, DownloadError> {
        let local = self.mapper.to_local(asked.trim());
        if local
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err(DownloadError::OutsideDownloads);
        }
        let abs = if local.is_absolute() {
            local
        } else {
            self.dir.join(local)
        };
        if !abs.starts_with(&self.dir) {
            return Err(DownloadError::OutsideDownloads);
        }
        // A symlink inside DOWNLOADS_DIR must not lead out of it.
        let mut probe = abs.clone();
        while !probe.exists() {
            if !probe.pop() {
                break;
            }
        }
        match probe.canonicalize() {
            Ok(real) if real.starts_with(&self.dir) => Ok(abs),
            _ => Err(DownloadError::OutsideDownloads),
        }
    }

    /// The folder of a category: its `savePath`, else `DOWNLOADS_DIR/<name>`.
    pub fn category_folder(&self, category: &str) -> PathBuf {
        let saved = self
            .store
            .categories()
            .ok()
            .and_then(|c| c.get(category).map(|c| c.save_path.clone()))
            .filter(|p| !p.is_empty());
        if let Some(p) = saved.and_then(|p| self.checked_save_path(&p).ok()) {
            return p;
        }
        if category.is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(category)
        }
    }

    /// Adds an admitted torrent; it is in the list before this returns.
    pub async fn add(&self, a: Admitted, opts: AddOptions) -> Result<String, DownloadError> {
        let ih = crate::metainfo::hex_hash(&a.meta.info_hash);
        if self.lock().contains_key(&ih) || self.is_library(&ih) {
            tracing::info!(info_hash = %ih, "add: already here, nothing changed");
            return Ok(ih);
        }
        let save_path = match opts.save_path {
            Some(p) => p,
            None => self.category_folder(&opts.category),
        };
        let rec = Download {
            info_hash: ih.clone(),
            name: a.meta.name.clone(),
            size: a.meta.size,
            multi: a.meta.files.len() > 1
                || a.meta.files.first().is_some_and(|f| f.path != a.meta.name),
            category: opts.category,
            tags: opts.tags,
            save_path,
            tracker: a.announce,
            ratio_limit: opts.ratio_limit.unwrap_or(USE_GLOBAL),
            seeding_time_limit: opts.seeding_time_limit.unwrap_or(USE_GLOBAL as i64),
            added_on: now(),
            completion_on: 0,
            uploaded: 0,
            downloaded: 0,
            seeding_secs: 0,
            stopped: opts.stopped,
            limit_reached: false,
            completed_announced: false,
            handed_off: false,
        };
        self.store
            .put(&[&rec], Some(&a.torrent))
            .map_err(store_err)?;
        self.lock().insert(
            ih.clone(),
            Entry {
                rec: rec.clone(),
                seen_up: 0,
                seen_down: 0,
            },
        );
        if let Err(e) = self.engine_add(&rec, a.torrent, false).await {
            self.lock().remove(&ih);
            let _ = self.store.remove(&ih);
            return Err(e);
        }
        tracing::info!(info_hash = %ih, name = %rec.name, category = %rec.category, "download added");
        Ok(ih)
    }

    pub fn is_library(&self, ih: &str) -> bool {
        self.library.library().iter().any(|l| l.info_hash == ih)
    }

    /// Applies `f` to the records of `hashes` (downloads only) and saves them.
    pub fn edit(
        &self,
        hashes: &BTreeSet<String>,
        mut f: impl FnMut(&mut Download),
    ) -> Result<usize, DownloadError> {
        let changed: Vec<Download> = {
            let mut entries = self.lock();
            let mut out = Vec::new();
            for (ih, e) in entries.iter_mut() {
                if hashes.contains(ih) {
                    f(&mut e.rec);
                    out.push(e.rec.clone());
                }
            }
            out
        };
        self.store
            .put(&changed.iter().collect::<Vec<_>>(), None)
            .map_err(store_err)?;
        Ok(changed.len())
    }

    /// Stops or starts downloads, in the engine or handed to the seeder
    /// (library seeds are the scanner's: unchanged).
    pub async fn set_stopped(
        &self,
        hashes: &BTreeSet<String>,
        stop: bool,
    ) -> Result<(), DownloadError> {
        let _one_at_a_time = self.handover.lock().await;
        let mut handed = Vec::new();
        self.edit(hashes, |r| {
            if r.handed_off && r.stopped != stop {
                handed.push(r.clone());
            }
            r.stopped = stop;
            if !stop {
                r.limit_reached = false;
            }
        })?;
        self.stop_start_handed(&handed, stop);
        for ih in hashes {
            if let Some(h) = self.handle(ih) {
                let r = if stop {
                    self.announce_stopped(ih, false);
                    self.session.pause(&h).await
                } else {
                    self.session.unpause(&h).await
                };
                if let Err(e) = r {
                    tracing::debug!(info_hash = %ih, "engine: {e:#}");
                }
            }
        }
        Ok(())
    }

    /// Removes downloads; with `delete_files`, librqbit removes the files it
    /// wrote for them (inside their folder under DOWNLOADS_DIR), nothing else.
    pub async fn delete(
        &self,
        hashes: &BTreeSet<String>,
        delete_files: bool,
    ) -> Result<(), DownloadError> {
        if hashes.iter().any(|h| self.is_library(h)) {
            return Err(DownloadError::Library);
        }
        let _one_at_a_time = self.handover.lock().await;
        for ih in hashes {
            let Some(rec) = self.lock().get(ih).map(|e| e.rec.clone()) else {
                continue;
            };
            // Files outside DOWNLOADS_DIR can only come from an edited record: keep them.
            let del = delete_files && Self::output_folder(&rec).starts_with(&self.dir);
            if let Some(id) = id20(ih).filter(|_| self.handle(ih).is_some()) {
                self.announce_stopped(ih, true);
                if let Err(e) = self.session.delete(TorrentIdOrHash::Hash(id), del).await {
                    tracing::warn!(info_hash = %ih, "engine delete: {e:#}");
                }
            } else if rec.handed_off {
                self.library.release(ih);
                if del {
                    self.remove_files(&rec);
                }
            }
            self.store.remove(ih).map_err(store_err)?;
            self.lock().remove(ih);
            tracing::info!(info_hash = %ih, delete_files, "download removed");
        }
        Ok(())
    }

    pub fn listen_port(&self) -> Option<u16> {
        self.session.listen_addr().map(|a| a.port())
    }
}
