//! Which scans the client runs: every app, one app, or one series/artist
//! folder after a change there; the rescans a folder event calls for; the
//! hash-cache prune after a complete scan; one log line per scan.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::arr::{App, ArrHttp};
use super::{scan, Client};

/// What a folder event asks to rescan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Target {
    App(App),
    /// One series or artist, by its local folder: a few requests instead of the whole app.
    Item(App, PathBuf),
}

impl Client {
    /// Scans the given apps; true when every one was read completely.
    pub(super) async fn scan(&mut self, which: &BTreeSet<App>) -> bool {
        let mut complete = true;
        for http in self.apps.iter().filter(|h| which.contains(&h.app())) {
            match self.scanner.scan_app(http).await {
                Ok(s) => {
                    log_report(http.app(), None, &s.report);
                    self.roots.insert(http.app(), s.roots);
                    self.items.insert(http.app(), s.items);
                }
                Err(e) => {
                    complete = false;
                    tracing::warn!("{} scan failed, nothing withdrawn: {e}", http.app());
                }
            }
        }
        complete
    }

    /// Rescans one series or artist folder; a failure changes nothing.
    async fn scan_item(&self, app: App, folder: &Path) {
        let item = self
            .items
            .get(&app)
            .and_then(|v| v.iter().find(|(f, _)| f == folder));
        let (Some(http), Some((_, item))) = (self.apps.iter().find(|h| h.app() == app), item)
        else {
            return;
        };
        match self
            .scanner
            .scan_item(http, item, folder.to_path_buf())
            .await
        {
            Ok(r) => log_report(app, Some(folder), &r),
            Err(e) => tracing::warn!(
                "{app} rescan of {} failed, nothing withdrawn: {e}",
                folder.display()
            ),
        }
    }

    /// The rescan a change at `path` calls for: its series or artist when the
    /// app's last scan knew the folder, else the whole app.
    pub(super) fn target_for(&self, path: &Path) -> Option<Target> {
        let app = scan::app_for_path(&self.root_list(), path)?;
        let folder = self
            .items
            .get(&app)
            .and_then(|v| v.iter().find(|(f, _)| path.starts_with(f)));
        Some(match folder {
            Some((f, _)) => Target::Item(app, f.clone()),
            None => Target::App(app),
        })
    }

    /// Runs the due rescans (repeats run once): whole apps first, then the
    /// folders of other apps.
    pub(super) async fn rescan(&mut self, due: Vec<Target>) {
        let whole: BTreeSet<App> = due
            .iter()
            .filter_map(|t| match t {
                Target::App(a) => Some(*a),
                Target::Item(..) => None,
            })
            .collect();
        self.scan(&whole).await;
        let mut done = HashSet::new();
        for t in due {
            if let Target::Item(app, folder) = t {
                if !whole.contains(&app) && done.insert(folder.clone()) {
                    self.scan_item(app, &folder).await;
                }
            }
        }
    }

    pub(super) fn all_apps(&self) -> BTreeSet<App> {
        self.apps.iter().map(ArrHttp::app).collect()
    }

    pub(super) fn root_list(&self) -> Vec<(App, PathBuf)> {
        self.roots
            .iter()
            .flat_map(|(a, rs)| rs.iter().map(move |r| (*a, r.clone())))
            .collect()
    }

    /// After a scan that read every app: drop hash-cache entries of media
    /// that changed or left, so the cache does not grow with every upgrade.
    pub(super) async fn prune_cache(&self) {
        let Some(cache) = self.scanner.cache.clone() else {
            return;
        };
        match tokio::task::spawn_blocking(move || cache.prune()).await {
            Ok(Ok(p)) if p.entries > 0 => tracing::info!(
                "hash cache: {} stale file entries dropped ({} KiB)",
                p.entries,
                p.bytes / 1024
            ),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("hash cache prune failed: {e}"),
            Err(e) => tracing::warn!("hash cache prune task failed: {e}"),
        }
    }
}

/// One line per scan: of a whole app, or of one series/artist folder.
fn log_report(app: App, folder: Option<&Path>, r: &scan::ScanReport) {
    let (what, folder) = match folder {
        Some(f) => ("folder rescan", f.display().to_string()),
        None => ("scan", String::new()),
    };
    tracing::info!(
        app = %app,
        folder,
        planned = r.planned,
        created = r.created,
        unchanged = r.unchanged,
        updated = r.updated,
        withdrawn = r.withdrawn,
        skipped = r.skipped,
        bytes_hashed = r.bytes_hashed,
        "{what} complete"
    );
}

/// Partial downloads and hidden files never become torrents; ignore their churn.
pub(super) fn is_noise(p: &std::path::Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(crate::create::walk::is_skipped)
}
