//! Watches the *arr root folders (debounced) so an import is noticed within seconds.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use tokio::sync::mpsc;

pub struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    watched: HashSet<PathBuf>,
}

impl Watcher {
    /// Changed paths arrive on the returned channel, one batch per `debounce`
    /// of quiet (WATCH_DEBOUNCE_MS).
    pub fn new(
        debounce: Duration,
    ) -> anyhow::Result<(Watcher, mpsc::UnboundedReceiver<Vec<PathBuf>>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let debouncer = new_debouncer(debounce, None, move |res: DebounceEventResult| match res {
            Ok(events) => {
                let paths: Vec<PathBuf> = events
                    .into_iter()
                    .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                    .flat_map(|e| e.event.paths)
                    .collect();
                if !paths.is_empty() {
                    let _ = tx.send(paths);
                }
            }
            Err(errors) => {
                for e in errors {
                    tracing::warn!("folder watch: {e}");
                }
            }
        })?;
        Ok((
            Watcher {
                debouncer,
                watched: HashSet::new(),
            },
            rx,
        ))
    }

    /// Starts watching any root not yet watched.
    pub fn watch_roots(&mut self, roots: &[PathBuf]) {
        for r in roots {
            if self.watched.contains(r) {
                continue;
            }
            match self.debouncer.watch(r, RecursiveMode::Recursive) {
                Ok(()) => {
                    tracing::info!("watching {}", r.display());
                    self.watched.insert(r.clone());
                }
                // E.g. inotify watch limit reached: rescans still catch everything.
                Err(e) => tracing::warn!(
                    "cannot watch {} ({e}); new files are found at the next rescan",
                    r.display()
                ),
            }
        }
    }
}
