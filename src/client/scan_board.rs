//! What the scanner is doing, per *arr app, for the dashboard: whether the
//! app answers (and why not), the phase of the current scan with its
//! progress, the last and the next scan; and the dashboard's rescan requests
//! back to the client's loop. Also whether the upload queue is retrying.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use tokio::sync::mpsc;

use super::arr::{App, ArrError};
use super::scan::ScanReport;

/// Whether an app answered its last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Not read yet.
    Unknown,
    Ok,
    Unreachable(String),
    BadKey(String),
    /// Answered, but not as expected (an HTTP error, unreadable JSON).
    Failing(String),
}

impl Health {
    fn of(e: &ArrError) -> Health {
        match e {
            ArrError::Unreachable { .. } => Health::Unreachable(e.to_string()),
            ArrError::BadKey { .. } => Health::BadKey(e.to_string()),
            _ => Health::Failing(e.to_string()),
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Health::Unknown => "not read yet",
            Health::Ok => "ok",
            Health::Unreachable(_) => "unreachable",
            Health::BadKey(_) => "bad key",
            Health::Failing(_) => "failing",
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Health::Unreachable(r) | Health::BadKey(r) | Health::Failing(r) => r,
            Health::Unknown | Health::Ok => "",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Idle,
    /// Asking the app for its library.
    Reading,
    /// Comparing files with what was shared (size and mtime).
    Checking,
    /// Making torrents of new or changed media.
    Hashing,
}

impl Phase {
    pub fn word(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Reading => "reading the library",
            Phase::Checking => "checking files",
            Phase::Hashing => "hashing",
        }
    }

    /// One word, for a metrics label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Reading => "reading",
            Phase::Checking => "checking",
            Phase::Hashing => "hashing",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppBoard {
    pub health: Health,
    pub phase: Phase,
    pub items_done: usize,
    pub items_total: usize,
    pub bytes_hashed: u64,
    pub bytes_total: u64,
    /// When hashing started, for the ETA.
    pub hashing_since: Option<Instant>,
    /// Unix seconds of the last finished scan; 0 before the first.
    pub last_scan: i64,
    pub last_report: Option<ScanReport>,
}

impl AppBoard {
    fn new() -> AppBoard {
        AppBoard {
            health: Health::Unknown,
            phase: Phase::Idle,
            items_done: 0,
            items_total: 0,
            bytes_hashed: 0,
            bytes_total: 0,
            hashing_since: None,
            last_scan: 0,
            last_report: None,
        }
    }

    /// Seconds left of hashing at the rate so far; `None` until it is known.
    pub fn eta(&self) -> Option<u64> {
        let secs = self.hashing_since?.elapsed().as_secs_f64();
        if self.phase != Phase::Hashing || self.bytes_hashed == 0 || secs <= 0.0 {
            return None;
        }
        let rate = self.bytes_hashed as f64 / secs;
        Some((self.bytes_total.saturating_sub(self.bytes_hashed) as f64 / rate) as u64)
    }
}

/// The upload queue's retries: the last failure, how many in a row, and
/// when the next try is (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrying {
    pub error: String,
    pub failures: u32,
    pub next_try: i64,
}

pub struct ScanBoard {
    apps: Mutex<BTreeMap<App, AppBoard>>,
    retrying: Mutex<Option<Retrying>>,
    /// Unix seconds of the next full scan.
    next_full: Mutex<i64>,
    rescan_tx: mpsc::UnboundedSender<App>,
    rescan_rx: Mutex<Option<mpsc::UnboundedReceiver<App>>>,
}

impl ScanBoard {
    pub fn new(apps: impl IntoIterator<Item = App>) -> ScanBoard {
        let (tx, rx) = mpsc::unbounded_channel();
        ScanBoard {
            apps: Mutex::new(apps.into_iter().map(|a| (a, AppBoard::new())).collect()),
            retrying: Mutex::new(None),
            next_full: Mutex::new(0),
            rescan_tx: tx,
            rescan_rx: Mutex::new(Some(rx)),
        }
    }

    fn with(&self, app: App, f: impl FnOnce(&mut AppBoard)) {
        let mut apps = self.apps.lock().unwrap_or_else(|p| p.into_inner());
        f(apps.entry(app).or_insert_with(AppBoard::new));
    }

    pub fn apps(&self) -> Vec<(App, AppBoard)> {
        let apps = self.apps.lock().unwrap_or_else(|p| p.into_inner());
        apps.iter().map(|(a, b)| (*a, b.clone())).collect()
    }

    pub fn phase(&self, app: App, phase: Phase) {
        self.with(app, |b| {
            b.phase = phase;
            if phase == Phase::Hashing {
                b.hashing_since = Some(Instant::now());
                b.bytes_hashed = 0;
            }
        });
    }

    /// Items (torrents to check or make) done of total.
    pub fn items(&self, app: App, done: usize, total: usize) {
        self.with(app, |b| (b.items_done, b.items_total) = (done, total));
    }

    pub fn to_hash(&self, app: App, bytes: u64) {
        self.with(app, |b| b.bytes_total = bytes);
    }

    pub fn hashed(&self, app: App, bytes: u64) {
        self.with(app, |b| b.bytes_hashed = bytes);
    }

    /// A read or scan ended: with its report, or the app's error.
    pub fn finished(&self, app: App, outcome: Result<&ScanReport, &ArrError>) {
        self.with(app, |b| {
            b.phase = Phase::Idle;
            b.hashing_since = None;
            match outcome {
                Ok(r) => {
                    b.health = Health::Ok;
                    b.last_report = Some(r.clone());
                    b.last_scan = crate::core::clock::now();
                }
                Err(e) => b.health = Health::of(e),
            }
        });
    }

    pub fn uploads_retrying(&self, error: String, failures: u32, wait: std::time::Duration) {
        *self.retrying.lock().unwrap_or_else(|p| p.into_inner()) = Some(Retrying {
            error,
            failures,
            next_try: crate::core::clock::now() + wait.as_secs() as i64,
        });
    }

    pub fn uploads_ok(&self) {
        *self.retrying.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn retrying(&self) -> Option<Retrying> {
        self.retrying
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn set_next_full(&self, unix: i64) {
        *self.next_full.lock().unwrap_or_else(|p| p.into_inner()) = unix;
    }

    pub fn next_full(&self) -> i64 {
        *self.next_full.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the client's loop for a rescan of `app`; false when it is not configured.
    pub fn request_rescan(&self, app: App) -> bool {
        let known = self
            .apps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&app);
        known && self.rescan_tx.send(app).is_ok()
    }

    /// The rescan requests, for the one loop that runs scans.
    pub fn take_requests(&self) -> Option<mpsc::UnboundedReceiver<App>> {
        self.rescan_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}
