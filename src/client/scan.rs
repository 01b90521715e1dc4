//! One scan of one *arr app: read its library, plan torrents, make the ones
//! whose files changed, and queue uploads and withdrawals.
//!
//! Unchanged media is recognised by the size and mtime of every file in the
//! torrent, so a rescan or restart creates nothing; a changed file goes through
//! the torrent engine, whose hash cache re-hashes only what changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::create::{self, CreateOptions, HashCache, Progress};

use super::arr::{self, App, AppLibrary, ArrError, ArrHttp, Item};
use super::queue::{Batch, ClientDb, FileStamp, Job, Record, Status};
use super::scan_board::{Phase, ScanBoard};
use super::shaping::{self, PathMapper, Plan};

/// Records written per transaction while creating, so a long first scan keeps its progress.
const BATCH: usize = 200;
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub struct Scanner {
    pub db: Arc<ClientDb>,
    pub cache: Option<Arc<HashCache>>,
    pub mapper: PathMapper,
    pub source: String,
    pub anonymous: bool,
    pub wake: Arc<Notify>,
    /// Bytes hashed since start-up (benchmarks and tests read it).
    pub hashed_total: Arc<AtomicU64>,
    /// Per-app state and progress, for the dashboard.
    pub board: Arc<ScanBoard>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub planned: usize,
    pub created: usize,
    pub unchanged: usize,
    /// Same files, new title or metadata: re-sent.
    pub updated: usize,
    pub withdrawn: usize,
    /// Planned but unreadable on disk (kept as they were).
    pub skipped: usize,
    pub bytes_hashed: u64,
}

/// One app's scan result: the report, the root folders (local paths) to watch,
/// and the series/artist folders (local paths) that can be rescanned alone.
pub struct AppScan {
    pub report: ScanReport,
    pub roots: Vec<PathBuf>,
    pub items: Vec<(PathBuf, Item)>,
}

impl Scanner {
    /// Scans one app. An error reading the app changes nothing.
    #[tracing::instrument(name = "scan", skip_all, fields(app = ?http.app()))]
    pub async fn scan_app(self: &Arc<Self>, http: &ArrHttp) -> Result<AppScan, ArrError> {
        self.board.phase(http.app(), Phase::Reading);
        let lib = arr::read_library(http)
            .await
            .inspect_err(|e| self.board.finished(http.app(), Err(e)))?;
        let roots: Vec<PathBuf> = lib
            .root_folders
            .iter()
            .map(|r| self.mapper.to_local(r))
            .collect();
        let items = lib
            .items
            .iter()
            .map(|i| (self.mapper.to_local(&i.folder), i.item.clone()))
            .collect();
        let report = self.plan_and_apply(lib, None).await;
        self.board.finished(http.app(), Ok(&report));
        Ok(AppScan {
            report,
            roots,
            items,
        })
    }

    /// Re-reads one series or artist whose `folder` (local) changed and brings
    /// only the torrents inside that folder in line.
    #[tracing::instrument(name = "rescan", skip_all, fields(app = ?http.app(), folder = %folder.display()))]
    pub async fn scan_item(
        self: &Arc<Self>,
        http: &ArrHttp,
        item: &Item,
        folder: PathBuf,
    ) -> Result<ScanReport, ArrError> {
        let lib = arr::read_item(http, item).await?;
        Ok(self.plan_and_apply(lib, Some(folder)).await)
    }

    async fn plan_and_apply(
        self: &Arc<Self>,
        lib: AppLibrary,
        scope: Option<PathBuf>,
    ) -> ScanReport {
        let app = lib.app;
        let me = self.clone();
        let report = tokio::task::spawn_blocking(move || {
            let mut plans =
                shaping::plan(&lib, &me.mapper, &shaping::folder_fits_pack, me.anonymous);
            // A series or artist that moved is picked up by the scan of its new place.
            if let Some(scope) = &scope {
                plans.retain(|p| Path::new(&p.key).starts_with(scope));
            }
            me.apply(app, plans, scope.as_deref())
        })
        .await;
        self.wake.notify_one();
        self.board.phase(app, Phase::Idle);
        match report {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::error!("{app} scan could not be saved: {e:#}");
                ScanReport::default()
            }
            Err(e) => {
                tracing::error!("{app} scan failed: {e}");
                ScanReport::default()
            }
        }
    }

    /// Brings the records of `app` (only those inside `scope`, when given) in
    /// line with `plans` (blocking: disk and hashing).
    pub fn apply(
        &self,
        app: App,
        plans: Vec<Plan>,
        scope: Option<&Path>,
    ) -> anyhow::Result<ScanReport> {
        let existing: HashMap<String, Record> = self
            .db
            .records()?
            .into_iter()
            .filter(|(k, r)| r.app == app && scope.is_none_or(|s| Path::new(k).starts_with(s)))
            .collect();
        let mut report = ScanReport {
            planned: plans.len(),
            ..Default::default()
        };
        let mut batch = Batch::default();
        // Keys that must not be withdrawn: planned ones, even when unreadable now.
        let keep: HashSet<String> = plans.iter().map(|p| p.key.clone()).collect();

        let mut to_create = Vec::new();
        let mut to_hash: u64 = 0;
        self.board.phase(app, Phase::Checking);
        let planned = plans.len();
        for (i, plan) in plans.into_iter().enumerate() {
            self.board.items(app, i, planned);
            let stamps = match stamp(&plan) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(
                        "{app}: {} is not readable here ({e}); check PATH_MAPPINGS",
                        plan.path.display()
                    );
                    report.skipped += 1;
                    continue;
                }
            };
            if let Some(rec) = existing.get(&plan.key).filter(|r| r.files == stamps) {
                if rec.title == plan.title && rec.meta == plan.meta {
                    report.unchanged += 1;
                } else {
                    let info_hash = rec.info_hash.clone();
                    let mut rec = rec.clone();
                    rec.title = plan.title.clone();
                    rec.meta = plan.meta.clone();
                    if matches!(rec.status, Status::Uploaded | Status::Queued) {
                        rec.status = Status::Queued;
                        batch.jobs.push(Job::Upload {
                            key: plan.key.clone(),
                            info_hash,
                        });
                    }
                    batch.put.push((plan.key.clone(), rec, None));
                    report.updated += 1;
                }
                continue;
            }
            to_hash += stamps.iter().map(|s| s.size).sum::<u64>();
            to_create.push((plan, stamps));
        }

        let progress = HashProgress::new(to_hash, to_create.len(), app, &self.board);
        let creating = to_create.len();
        for (i, (plan, stamps)) in to_create.into_iter().enumerate() {
            self.board.items(app, i, creating);
            let opts = CreateOptions {
                path: plan.path.clone(),
                source: Some(self.source.clone()),
                ..Default::default()
            };
            let made = create::create_torrent(&opts, self.cache.as_deref(), &|p| progress.on(p));
            let made = match made {
                Ok(m) => m,
                Err(e) => {
                    // Mid-copy or unreadable: left as it was, tried again next scan.
                    tracing::warn!(
                        "{app}: cannot make a torrent of {}: {e}",
                        plan.path.display()
                    );
                    report.skipped += 1;
                    continue;
                }
            };
            report.bytes_hashed += made.bytes_hashed;
            self.hashed_total
                .fetch_add(made.bytes_hashed, Ordering::Relaxed);
            let info_hash = hex::encode(made.info_hash);
            let old = existing.get(&plan.key);
            if let Some(old) = old.filter(|o| o.info_hash != info_hash) {
                // The file was replaced (upgrade, re-encode): the old torrent goes.
                if matches!(old.status, Status::Uploaded | Status::Queued) {
                    batch.jobs.push(Job::Withdraw {
                        info_hash: old.info_hash.clone(),
                    });
                }
                batch.drop_torrents.push(old.info_hash.clone());
            }
            let same = old.filter(|o| {
                o.info_hash == info_hash
                    && o.title == plan.title
                    && o.meta == plan.meta
                    && o.status == Status::Uploaded
            });
            let status = if same.is_some() {
                // Touched but identical content: nothing to send.
                Status::Uploaded
            } else {
                batch.jobs.push(Job::Upload {
                    key: plan.key.clone(),
                    info_hash: info_hash.clone(),
                });
                Status::Queued
            };
            let rec = Record {
                app,
                info_hash,
                title: plan.title,
                meta: plan.meta,
                multi: plan.multi,
                files: stamps,
                status,
            };
            batch.put.push((plan.key, rec, Some(made.bytes)));
            report.created += 1;
            if batch.put.len() >= BATCH {
                self.db.apply(std::mem::take(&mut batch))?;
                self.wake.notify_one();
            }
        }
        progress.finish();

        // An app that suddenly lists nothing (restoring a backup, a fresh
        // database at the same URL) is far likelier broken than emptied on purpose.
        let emptied = keep.is_empty() && !existing.is_empty();
        match scope {
            _ if !emptied => {}
            // One series or artist emptied: the next full scan decides.
            Some(folder) => tracing::info!(
                "{app} lists nothing in {} any more; its {} torrent(s) stay until the next full scan",
                folder.display(),
                existing.len()
            ),
            None => tracing::warn!(
                "{app} lists no media any more; its {} torrent(s) are kept (delete the client's data dir to start over)",
                existing.len()
            ),
        }
        for (key, rec) in &existing {
            if emptied || keep.contains(key) {
                continue;
            }
            // No longer in the app's library (deleted, renamed, or now part of a pack).
            if matches!(rec.status, Status::Uploaded | Status::Queued) {
                batch.jobs.push(Job::Withdraw {
                    info_hash: rec.info_hash.clone(),
                });
            }
            batch.remove.push(key.clone());
            batch.drop_torrents.push(rec.info_hash.clone());
            report.withdrawn += 1;
        }
        self.db.apply(batch)?;
        Ok(report)
    }
}

/// Size and mtime of every file the engine would put in the torrent.
fn stamp(plan: &Plan) -> Result<Vec<FileStamp>, create::CreateError> {
    let listing = create::walk::list(&plan.path)?;
    if plan.multi == listing.single {
        return Err(create::CreateError::NotAFileOrFolder(plan.path.clone()));
    }
    Ok(listing
        .files
        .into_iter()
        .map(|f| FileStamp {
            path: f.path.to_string_lossy().into_owned(),
            size: f.len,
            mtime_ns: f.mtime_ns,
        })
        .collect())
}

/// Logs bytes hashed, rate and ETA every few seconds during a scan.
struct HashProgress<'a> {
    app: App,
    board: &'a ScanBoard,
    total: u64,
    torrents: usize,
    done: AtomicU64,
    started: Instant,
    last: Mutex<Instant>,
}

impl<'a> HashProgress<'a> {
    fn new(total: u64, torrents: usize, app: App, board: &'a ScanBoard) -> HashProgress<'a> {
        if torrents > 0 {
            tracing::info!(
                "{app}: making {torrents} torrent(s) from {} of media (cached pieces are not re-read)",
                mib(total)
            );
        }
        if torrents > 0 {
            board.phase(app, Phase::Hashing);
            board.to_hash(app, total);
        }
        HashProgress {
            app,
            board,
            total,
            torrents,
            done: AtomicU64::new(0),
            started: Instant::now(),
            last: Mutex::new(Instant::now()),
        }
    }

    fn on(&self, p: Progress) {
        let Progress::Hashed(n) = p else { return };
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        self.board.hashed(self.app, done);
        let Ok(mut last) = self.last.try_lock() else {
            return;
        };
        if last.elapsed() < PROGRESS_EVERY {
            return;
        }
        *last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let eta = if rate > 0.0 {
            (self.total.saturating_sub(done)) as f64 / rate
        } else {
            0.0
        };
        tracing::info!(
            "{}: hashed {} of {} ({:.0}%), {}/s, ETA {}",
            self.app,
            mib(done),
            mib(self.total),
            100.0 * done as f64 / self.total.max(1) as f64,
            mib(rate as u64),
            eta_text(eta)
        );
    }

    fn finish(&self) {
        if self.torrents > 0 {
            tracing::info!(
                "{}: hashed {} in {:.1}s",
                self.app,
                mib(self.done.load(Ordering::Relaxed)),
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

fn eta_text(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// Which app's root folder holds `path`.
pub fn app_for_path(roots: &[(App, PathBuf)], path: &Path) -> Option<App> {
    roots
        .iter()
        .filter(|(_, r)| path.starts_with(r))
        .max_by_key(|(_, r)| r.as_os_str().len())
        .map(|(a, _)| *a)
}
