//! `privateindexer client`: reads the member's *arr apps and media folders,
//! shapes torrents, uploads them, keeps the server in sync, and seeds what it
//! shared from the files where they lie (`seeder`).
//! (Downloading and the qBittorrent API plug in beside this loop.)

pub mod announces;
pub mod arr;
pub mod config;
pub mod dashboard;
pub mod downloads;
pub mod metrics;
pub mod naming;
pub mod qbittorrent;
pub mod queue;
pub mod scan;
pub mod scan_board;
mod scans;
pub mod seeder;
pub mod server_client;
pub mod shaping;
pub mod status;
pub mod sync;
pub mod uploader;
pub mod watch;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use anyhow::bail;
use tokio::sync::Notify;
use tokio::time::Instant;

pub use config::ClientArgs;

use arr::{App, ArrError, ArrHttp, Item};
use config::ClientConfig;
use queue::ClientDb;
use scan::Scanner;
use scan_board::ScanBoard;
use scans::{is_noise, Target};
use seeder::Seeder;
use server_client::{ServerClient, ServerError};
use uploader::{Drained, Uploader};

pub fn run(args: ClientArgs) -> anyhow::Result<()> {
    let cfg = args.check()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(cfg))
}

/// Signs in; the member's announce URL when the server answered.
async fn check_server(server: &ServerClient) -> anyhow::Result<Option<String>> {
    match server.me().await {
        Ok(me) => {
            tracing::info!(
                "server {}: signed in as {:?}",
                server.base(),
                me.member.label
            );
            Ok(Some(me.announce_url))
        }
        Err(ServerError::BadKey(s)) => {
            bail!(
                "API_KEY: the server at {} refused it (HTTP {s})",
                server.base()
            )
        }
        Err(e) => {
            tracing::warn!(
                "INDEXER_API_URL {}: {e}; uploads wait in the queue until it answers",
                server.base()
            );
            Ok(None)
        }
    }
}

/// Checks each app; a misconfigured one is disabled, an unreachable one kept
/// (its scans fail, withdrawing nothing, until it answers).
async fn check_apps(cfg: &ClientConfig, board: &ScanBoard) -> Vec<ArrHttp> {
    let mut ok = Vec::new();
    for a in &cfg.apps {
        let http = ArrHttp::new(a.app, &a.url, &a.api_key);
        match http.check_status().await {
            Ok(version) => {
                tracing::info!("{} {version} at {}: OK", a.app, http.base());
                ok.push(http);
            }
            Err(e @ (ArrError::Unreachable { .. } | ArrError::Status { status: 500.., .. })) => {
                tracing::warn!("{e}; will keep trying at each scan");
                board.finished(a.app, Err(&e));
                ok.push(http);
            }
            Err(e) => {
                tracing::error!("{} disabled: {e}", a.app);
                board.finished(a.app, Err(&e));
            }
        }
    }
    ok
}

struct Client {
    cfg: ClientConfig,
    apps: Vec<ArrHttp>,
    scanner: Arc<Scanner>,
    db: Arc<ClientDb>,
    server: ServerClient,
    /// None with `--once`.
    seeder: Option<Arc<Seeder>>,
    roots: HashMap<App, Vec<PathBuf>>,
    /// Series and artist folders (local) from each app's last scan.
    items: HashMap<App, Vec<(PathBuf, Item)>>,
}

impl Client {
    /// Brings the seeder in line with the client's records.
    async fn seed_library(&self) {
        let Some(seeder) = &self.seeder else {
            return;
        };
        match seeder.sync_library().await {
            Ok(r) if r.added + r.removed > 0 => tracing::info!(
                added = r.added,
                removed = r.removed,
                not_served = r.not_served,
                seeding = seeder.stats().len(),
                "seeder library updated"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("seeder: cannot read the client database: {e:#}"),
        }
    }

    /// Re-reads the member's announce URL, so a rotated passkey is picked up.
    async fn refresh_announce_url(&self) {
        if let (Some(seeder), Ok(me)) = (&self.seeder, self.server.me().await) {
            seeder.set_announce_url(me.announce_url);
        }
    }

    /// Reads `API_KEY_FILE` again: a rotated key is used from this sync on,
    /// and its new passkey reaches every torrent's announces.
    async fn reload_api_key(&self) {
        let Some(path) = self.cfg.api_key_file.clone() else {
            return;
        };
        match tokio::task::spawn_blocking(move || server_client::read_key_file(&path)).await {
            Ok(Ok(key)) if self.server.set_key(&key) => {
                tracing::info!("API_KEY_FILE holds a new API key: using it from now on")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("{e}; the key in use is kept"),
            Err(e) => tracing::warn!("API_KEY_FILE: read task failed: {e}"),
        }
    }

    async fn reconcile(&self, complete: bool) {
        self.reload_api_key().await;
        self.refresh_announce_url().await;
        let result = sync::reconcile(&self.db, &self.server, complete).await;
        // Jobs may have been queued: the uploader must not wait for its next poll.
        self.scanner.wake.notify_one();
        match result {
            Ok(r) if r.reuploads + r.withdrawals > 0 => tracing::info!(
                "sync: {} re-upload(s), {} withdrawal(s) queued",
                r.reuploads,
                r.withdrawals
            ),
            Ok(_) => tracing::debug!("sync: server and client agree"),
            Err(e) => tracing::warn!("sync: {e}"),
        }
    }
}

async fn run_async(cfg: ClientConfig) -> anyhow::Result<()> {
    let db = Arc::new(ClientDb::open_in(&cfg.data_dir)?);
    let cache = match crate::create::HashCache::open_in(&cfg.data_dir) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            tracing::warn!("hash cache unavailable ({e}); every scan hashes again");
            None
        }
    };
    let server = ServerClient::new(&cfg.server, &cfg.api_key);
    let announce_url = check_server(&server).await?;
    let board = Arc::new(ScanBoard::new(cfg.apps.iter().map(|a| a.app)));
    let apps = check_apps(&cfg, &board).await;
    if apps.is_empty() {
        bail!("every configured *arr app failed its start-up check (see above)");
    }
    let wake = Arc::new(Notify::new());
    let scanner = Arc::new(Scanner {
        db: db.clone(),
        cache,
        mapper: shaping::PathMapper::new(cfg.path_maps.clone()),
        source: cfg.source.clone(),
        anonymous: cfg.anonymous,
        wake: wake.clone(),
        hashed_total: Arc::new(AtomicU64::new(0)),
        board: board.clone(),
    });
    let uploaded = Arc::new(Notify::new());
    let uploader = Arc::new(Uploader {
        db: db.clone(),
        server: server.clone(),
        wake,
        stored: uploaded.clone(),
        board: board.clone(),
    });
    let seeder = if cfg.once {
        None
    } else {
        let s = Seeder::start(&cfg.seeder, db.clone()).await?;
        if let Some(u) = announce_url {
            s.set_announce_url(u);
        }
        Some(Arc::new(s))
    };
    let mut client = Client {
        cfg,
        apps,
        scanner,
        db,
        server,
        seeder,
        roots: HashMap::new(),
        items: HashMap::new(),
    };

    if client.cfg.once {
        let all = client.all_apps();
        let complete = client.scan(&all).await;
        if complete {
            client.prune_cache().await;
        }
        if let Drained::GaveUp(n) = uploader.drain(5).await {
            bail!(
                "the server did not answer after {n} tries; {} job(s) stay queued for the next run",
                client.db.pending_jobs().unwrap_or(0)
            );
        }
        client.reconcile(complete).await;
        uploader.drain(5).await;
        tracing::info!(
            "done: {} job(s) left in the queue",
            client.db.pending_jobs().unwrap_or(0)
        );
        return Ok(());
    }

    // What was shared before seeds again at once: only stat, no hashing.
    client.seed_library().await;
    if let Some(s) = &client.seeder {
        let port = client.cfg.seeder.announce_port.unwrap_or(s.port);
        tokio::spawn(log_reachability(client.server.clone(), port));
    }
    let up = uploader.clone();
    let upload_task = tokio::spawn(async move { up.run().await });
    let (downloads, api_task, stop_api) = start_downloads(
        &client.cfg,
        &client.db,
        &client.server,
        client.seeder.clone(),
        client.scanner.hashed_total.clone(),
        board.clone(),
    )
    .await?;
    let tick_task = tokio::spawn(downloads.clone().run());
    let mut rescans = board.take_requests();

    let (mut watcher, mut events) = if client.cfg.watch {
        match watch::Watcher::new(client.cfg.watch_debounce) {
            Ok((w, rx)) => (Some(w), Some(rx)),
            Err(e) => {
                tracing::warn!("folder watching unavailable ({e}); relying on rescans");
                (None, None)
            }
        }
    } else {
        (None, None)
    };

    let mut next_full = Instant::now();
    let mut next_sync = Instant::now() + client.cfg.sync_interval;
    let mut last_complete = false;
    // What to rescan because folders changed, and when.
    let mut pending: Vec<(Instant, Target)> = Vec::new();
    let shutdown = crate::web::shutdown::signal();
    tokio::pin!(shutdown);
    loop {
        let next_pending = pending.iter().map(|p| p.0).min();
        tokio::select! {
            _ = &mut shutdown => {
                tracing::info!("stopping; queued uploads are kept for the next start");
                break;
            }
            _ = tokio::time::sleep_until(next_full) => {
                let all = client.all_apps();
                last_complete = client.scan(&all).await;
                if last_complete {
                    client.prune_cache().await;
                }
                client.seed_library().await;
                pending.clear();
                if let Some(w) = watcher.as_mut() {
                    let roots: Vec<PathBuf> = client.root_list().into_iter().map(|r| r.1).collect();
                    w.watch_roots(&roots);
                }
                client.reconcile(last_complete).await;
                next_full = Instant::now() + client.cfg.scan_interval;
                board.set_next_full(crate::core::clock::now() + client.cfg.scan_interval.as_secs() as i64);
                next_sync = Instant::now() + client.cfg.sync_interval;
            }
            _ = sleep_until_opt(next_pending) => {
                let now = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(at, _)| *at <= now);
                pending = later;
                client.rescan(due.into_iter().map(|(_, t)| t).collect()).await;
                client.seed_library().await;
            }
            _ = uploaded.notified() => client.seed_library().await,
            _ = tokio::time::sleep_until(next_sync) => {
                client.reconcile(last_complete).await;
                next_sync = Instant::now() + client.cfg.sync_interval;
            }
            Some(app) = recv_opt(&mut rescans) => {
                tracing::info!(app = %app, "rescan asked for on the dashboard");
                pending.push((Instant::now(), Target::App(app)));
            }
            Some(paths) = recv_opt(&mut events) => {
                let targets: HashSet<Target> = paths
                    .iter()
                    .filter(|p| !is_noise(p))
                    .filter_map(|p| client.target_for(p))
                    .collect();
                let now = Instant::now();
                for t in targets {
                    tracing::debug!("folder changed, rescanning: {t:?}");
                    pending.push((now, t.clone()));
                    pending.push((now + client.cfg.watch_follow_up, t));
                }
            }
        }
    }
    upload_task.abort();
    tick_task.abort();
    let _ = tick_task.await;
    let _ = stop_api.send(true);
    let _ = api_task.await;
    downloads.flush().await;
    // The engine holds the seeder for hand-offs; it goes first.
    drop(downloads);
    if let Some(s) = client.seeder.take() {
        match Arc::try_unwrap(s) {
            Ok(s) => s.shutdown().await,
            Err(_) => {
                tracing::warn!("seeder still in use at stop: its stopped announces are skipped")
            }
        }
    }
    Ok(())
}

type ApiTask = tokio::task::JoinHandle<()>;

/// The download engine, and the qBittorrent API and the dashboard in front of it.
async fn start_downloads(
    cfg: &ClientConfig,
    db: &Arc<ClientDb>,
    server: &ServerClient,
    seeder: Option<Arc<Seeder>>,
    hashed: Arc<AtomicU64>,
    board: Arc<ScanBoard>,
) -> anyhow::Result<(
    Arc<downloads::Downloads>,
    ApiTask,
    tokio::sync::watch::Sender<bool>,
)> {
    use qbittorrent::auth::{self, Credentials};
    let store = downloads::store::DownloadStore::open(db.clone())?;
    let creds = Credentials::load(&store, &cfg.qbt.username, cfg.qbt.password.as_deref())?;
    let engine = downloads::Downloads::start(
        downloads::EngineConfig {
            downloads_dir: cfg.qbt.downloads_dir.clone(),
            state_dir: cfg.data_dir.join("downloads-state"),
            port: cfg.qbt.download_port,
        },
        store,
        shaping::PathMapper::new(cfg.path_maps.clone()),
        downloads::admit::Admission::new(server.clone()),
        Arc::new(downloads::library::RecordedLibrary {
            db: db.clone(),
            seeder: seeder.clone(),
        }),
    )
    .await?;
    let sources = metrics::Sources {
        downloads: engine.clone(),
        seeder: seeder.clone(),
        db: db.clone(),
        hashed,
        board: board.clone(),
    };
    let guard = Arc::new(crate::metrics::route::Guard::new(
        cfg.qbt.metrics_token.clone(),
        cfg.qbt.trusted_proxies.clone(),
    ));
    let metrics_route =
        crate::metrics::route::route(guard, move || metrics::render(sources.clone()));
    let api = Arc::new(
        qbittorrent::Api::new(
            engine.clone(),
            creds,
            auth::sessions(cfg.qbt.session_idle),
            auth::limiter(cfg.qbt.login_ban),
        )
        .behind(cfg.qbt.trusted_proxies.clone())
        .with_seeder(seeder.clone()),
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind(cfg.qbt.bind)
        .await
        .map_err(|e| anyhow::anyhow!("CLIENT_BIND {}: {e}", cfg.qbt.bind))?;
    let status = Arc::new(status::ClientStatus::new(
        engine.clone(),
        seeder,
        db.clone(),
        server.clone(),
    ));
    let sampler = tokio::spawn(status.clone().run());
    let dash = Arc::new(dashboard::Dashboard::new(
        api.clone(),
        status,
        board,
        cfg.qbt.session_idle,
        cfg.qbt.trusted_proxies.clone(),
    ));
    let limits = cfg.qbt.limits;
    let task = tokio::spawn(async move {
        use warp::Filter as _;
        let beside = metrics_route.or(dashboard::routes(dash)).unify().boxed();
        qbittorrent::serve(api, listener, rx, beside, limits).await;
        sampler.abort();
    });
    Ok((engine, task, tx))
}

/// Logs once whether the server could reach the torrent port after this
/// start's first announces (the server probes it with a handshake).
async fn log_reachability(server: ServerClient, port: u16) {
    let since = crate::core::clock::now() - 1;
    for _ in 0..24 {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        let Ok(me) = server.me().await else {
            continue;
        };
        match me.reachable.filter(|p| p.checked >= since) {
            Some(p) if p.reachable => {
                tracing::info!(address = %p.address, "port {port} is reachable from the server");
                return;
            }
            Some(p) => {
                tracing::warn!(
                    address = %p.address,
                    "port {port} is not reachable from the server: forward it (TCP) to this machine's                      TORRENTING_PORT, or set ANNOUNCE_PORT to the number your router forwards ({})",
                    p.detail
                );
                return;
            }
            None => {}
        }
    }
}

async fn sleep_until_opt(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn recv_opt<T>(rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}
