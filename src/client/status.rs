//! What the client is doing, read-only, for the member's dashboard: one row
//! per torrent (downloads from the engine, library seeds from the seeder),
//! totals, the speed history, and the member's figures from the server.
//!
//! A sampler refreshes the rows every few seconds while someone looks (once
//! a minute otherwise), so pages share one walk of the engine and the client
//! database (20k torrents stay cheap to show), and keeps per-minute speeds of
//! the last hours in a bounded ring.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client::downloads::library::LIBRARY_CATEGORY;
use crate::client::downloads::{Downloads, Snapshot};
use crate::client::queue::ClientDb;
use crate::client::seeder::{Seeder, TorrentStats};
use crate::client::server_client::ServerClient;
use crate::wire::Me;

/// How often the rows and speeds are refreshed.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Minutes of speed history kept (six hours).
pub const HISTORY_MINUTES: usize = 360;
const MINUTE: Duration = Duration::from_secs(60);
/// `/api/v1/me` is asked at most this often.
const ME_EVERY: Duration = Duration::from_secs(60);

/// What a torrent is doing, in the dashboard's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Downloading,
    Seeding,
    Stopped,
    Checking,
    /// Not served, or some pieces withheld (damaged or missing files).
    Withheld,
    Error,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Downloading,
        State::Seeding,
        State::Stopped,
        State::Checking,
        State::Withheld,
        State::Error,
    ];

    pub fn word(self) -> &'static str {
        match self {
            State::Downloading => "downloading",
            State::Seeding => "seeding",
            State::Stopped => "stopped",
            State::Checking => "checking",
            State::Withheld => "withheld",
            State::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.word() == s)
    }

    /// A qBittorrent 5 state word of the download engine.
    fn of_engine(qbt: &str) -> State {
        match qbt {
            "downloading" | "stalledDL" | "metaDL" | "forcedDL" | "queuedDL" => State::Downloading,
            "stoppedDL" | "stoppedUP" => State::Stopped,
            "checkingDL" | "checkingUP" | "checkingResumeData" => State::Checking,
            "missingFiles" => State::Withheld,
            "error" => State::Error,
            _ => State::Seeding,
        }
    }
}

/// One torrent as the dashboard lists it.
#[derive(Debug, Clone)]
pub struct Row {
    pub info_hash: String,
    pub name: String,
    pub category: String,
    /// A library seed (the scanner's), not a download.
    pub library: bool,
    pub size: u64,
    pub state: State,
    /// 0.0 ..= 1.0
    pub progress: f64,
    pub up_speed: u64,
    pub dl_speed: u64,
    pub uploaded: u64,
    pub downloaded: u64,
    pub seeds: u64,
    pub peers: u64,
    /// Unix seconds; 0 when unknown (library seeds).
    pub added: i64,
    /// Why it is withheld or in error.
    pub reason: Option<String>,
    pub tracker_message: Option<String>,
    pub tracker_error: Option<String>,
    pub announced: bool,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        if self.downloaded == 0 {
            if self.uploaded == 0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            self.uploaded as f64 / self.downloaded as f64
        }
    }
}

/// The overview's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub seeding: usize,
    pub downloading: usize,
    pub withheld: usize,
    pub uploaded: u64,
    pub downloaded: u64,
    pub up_speed: u64,
    pub dl_speed: u64,
    pub peers: u64,
}

impl Totals {
    pub fn of(rows: &[Row]) -> Totals {
        let mut t = Totals::default();
        for r in rows {
            match r.state {
                State::Seeding => t.seeding += 1,
                State::Downloading => t.downloading += 1,
                State::Withheld => t.withheld += 1,
                _ => {}
            }
            t.uploaded += r.uploaded;
            t.downloaded += r.downloaded;
            t.up_speed += r.up_speed;
            t.dl_speed += r.dl_speed;
            t.peers += r.peers;
        }
        t
    }
}

/// Average speeds of one minute, bytes per second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Speed {
    pub up: f64,
    pub down: f64,
}

struct Sampled {
    rows: Arc<Vec<Row>>,
    at: Option<Instant>,
    /// A page asked for the rows: sample often while someone looks.
    viewed: Option<Instant>,
    /// Seeder upload counters at the last sample, for its per-torrent speeds.
    seeder_up: HashMap<String, u64>,
    /// Per-minute speeds, oldest first, at most [`HISTORY_MINUTES`].
    minutes: VecDeque<Speed>,
    /// When the current minute began, and the totals then.
    minute: Option<(Instant, u64, u64)>,
    /// Totals at the first sample: "this session" is what grew since.
    first: Option<(u64, u64)>,
}

pub struct ClientStatus {
    pub downloads: Arc<Downloads>,
    pub seeder: Option<Arc<Seeder>>,
    pub db: Arc<ClientDb>,
    server: ServerClient,
    sampled: Mutex<Sampled>,
    me: tokio::sync::Mutex<Option<(Instant, Result<Me, String>)>>,
}

impl ClientStatus {
    pub fn new(
        downloads: Arc<Downloads>,
        seeder: Option<Arc<Seeder>>,
        db: Arc<ClientDb>,
        server: ServerClient,
    ) -> ClientStatus {
        ClientStatus {
            downloads,
            seeder,
            db,
            server,
            sampled: Mutex::new(Sampled {
                rows: Arc::new(Vec::new()),
                at: None,
                viewed: None,
                seeder_up: HashMap::new(),
                minutes: VecDeque::with_capacity(HISTORY_MINUTES),
                minute: None,
                first: None,
            }),
            me: tokio::sync::Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sampled> {
        self.sampled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Samples until the process stops: every [`SAMPLE_EVERY`] while a page
    /// was looked at in the last minute, else once a minute (a sample reads
    /// every record of the library: an idle client should not pay for it).
    pub async fn run(self: Arc<Self>) {
        let mut every = tokio::time::interval(SAMPLE_EVERY);
        loop {
            every.tick().await;
            let due = {
                let s = self.lock();
                let watched = s.viewed.is_some_and(|v| v.elapsed() < MINUTE);
                s.at.is_none_or(|a| watched || a.elapsed() >= MINUTE)
            };
            if due {
                let me = self.clone();
                let _ = tokio::task::spawn_blocking(move || me.sample()).await;
            }
        }
    }

    /// The rows of a recent sample, for a page.
    pub async fn rows(self: &Arc<Self>) -> Arc<Vec<Row>> {
        let fresh = {
            let mut s = self.lock();
            s.viewed = Some(Instant::now());
            s.at.is_some_and(|a| a.elapsed() <= SAMPLE_EVERY * 2)
        };
        if !fresh {
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.sample()).await;
        }
        self.lock().rows.clone()
    }

    /// Takes a sample now (after an action, so the next page shows its effect).
    pub fn sample(&self) {
        let snaps = self.downloads.snapshots(None);
        let seeds = self.seeder.as_ref().map(|s| s.stats()).unwrap_or_default();
        let now = Instant::now();
        let mut s = self.lock();
        let elapsed = s.at.map(|a| now.duration_since(a).as_secs_f64());
        let rows = merge(snaps, seeds, &mut s.seeder_up, elapsed);
        let t = Totals::of(&rows);
        s.first.get_or_insert((t.uploaded, t.downloaded));
        match s.minute {
            Some((at, up, down)) if now.duration_since(at) >= MINUTE => {
                // What was sent and received over the minute, per second.
                let secs = now.duration_since(at).as_secs_f64();
                if s.minutes.len() == HISTORY_MINUTES {
                    s.minutes.pop_front();
                }
                s.minutes.push_back(Speed {
                    up: t.uploaded.saturating_sub(up) as f64 / secs,
                    down: t.downloaded.saturating_sub(down) as f64 / secs,
                });
                s.minute = Some((now, t.uploaded, t.downloaded));
            }
            Some(_) => {}
            None => s.minute = Some((now, t.uploaded, t.downloaded)),
        }
        s.rows = Arc::new(rows);
        s.at = Some(now);
    }

    /// Per-minute speeds, oldest first.
    pub fn speeds(&self) -> Vec<Speed> {
        self.lock().minutes.iter().copied().collect()
    }

    /// Uploaded and downloaded since this client started.
    pub fn session(&self, t: &Totals) -> (u64, u64) {
        let (u, d) = self.lock().first.unwrap_or((t.uploaded, t.downloaded));
        (t.uploaded.saturating_sub(u), t.downloaded.saturating_sub(d))
    }

    /// The member's figures and the server's probe of the torrent port, or
    /// why the server did not answer (cached for a minute).
    pub async fn me(&self) -> Result<Me, String> {
        let mut cached = self.me.lock().await;
        if let Some((at, v)) = cached.as_ref() {
            if at.elapsed() < ME_EVERY {
                return v.clone();
            }
        }
        let v = self.server.me().await.map_err(|e| e.to_string());
        *cached = Some((Instant::now(), v.clone()));
        v
    }

    /// The files of a torrent: path, size, bytes present.
    pub fn files(&self, info_hash: &str) -> Vec<(String, u64, u64)> {
        let only = std::iter::once(info_hash.to_string()).collect();
        let files = self
            .downloads
            .snapshots(Some(&only))
            .into_iter()
            .next()
            .map(|s| s.files)
            .unwrap_or_default();
        if !files.is_empty() {
            return files;
        }
        // Library seeds: the files of the .torrent the scanner made, all present.
        match self.db.torrent(info_hash).ok().flatten() {
            Some(b) => crate::metainfo::parse(&b)
                .map(|m| {
                    m.files
                        .into_iter()
                        .map(|f| (f.path, f.length, f.length))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// One row per info-hash: the engine's snapshot, with what the seeder knows
/// of the same torrent laid over it (it seeds library and handed-off ones).
fn merge(
    snaps: Vec<Snapshot>,
    seeds: Vec<TorrentStats>,
    seeder_up: &mut HashMap<String, u64>,
    elapsed: Option<f64>,
) -> Vec<Row> {
    let mut by_hash: HashMap<String, TorrentStats> = seeds
        .into_iter()
        .map(|t| (t.info_hash.clone(), t))
        .collect();
    let mut next_up = HashMap::with_capacity(by_hash.len());
    let mut rate = |t: &TorrentStats| {
        next_up.insert(t.info_hash.clone(), t.uploaded);
        match (seeder_up.get(&t.info_hash), elapsed) {
            (Some(&before), Some(secs)) if secs > 0.0 => {
                (t.uploaded.saturating_sub(before) as f64 / secs) as u64
            }
            _ => 0,
        }
    };
    let mut rows: Vec<Row> = snaps
        .into_iter()
        .map(|s| {
            let seed = by_hash.remove(&s.rec.info_hash);
            let up = seed.as_ref().map(&mut rate).unwrap_or(0);
            row(s, seed, up)
        })
        .collect();
    for t in by_hash.into_values() {
        let up = rate(&t);
        rows.push(seed_row(t, up));
    }
    *seeder_up = next_up;
    rows
}

fn withheld_reason(t: &TorrentStats) -> Option<String> {
    t.reason.clone().or_else(|| {
        (!t.withheld_pieces.is_empty()).then(|| {
            format!(
                "{} piece(s) failed their SHA-1 check and are withheld (the file changed or is damaged)",
                t.withheld_pieces.len()
            )
        })
    })
}

fn row(s: Snapshot, seed: Option<TorrentStats>, seeder_up_speed: u64) -> Row {
    let size = s.rec.size;
    let mut r = Row {
        info_hash: s.rec.info_hash,
        name: s.rec.name,
        category: s.rec.category,
        library: s.library,
        size,
        state: State::of_engine(s.state),
        progress: if size == 0 {
            1.0
        } else {
            (s.done_bytes as f64 / size as f64).min(1.0)
        },
        up_speed: s.up_speed,
        dl_speed: s.dl_speed,
        uploaded: s.rec.uploaded,
        downloaded: s.rec.downloaded,
        seeds: u64::from(s.seeds),
        peers: u64::from(s.peers),
        added: s.rec.added_on,
        reason: s.error,
        tracker_message: s.tracker.as_ref().and_then(|t| t.message.clone()),
        tracker_error: s.tracker.as_ref().and_then(|t| t.error.clone()),
        announced: s.tracker.as_ref().is_some_and(|t| t.announced),
    };
    if let Some(t) = seed {
        // The seeder serves it now: its counters and its tracker.
        r.uploaded = r.uploaded.max(t.uploaded);
        r.up_speed += seeder_up_speed;
        r.peers = r.peers.max(t.peers as u64);
        r.seeds = t.tracker.seeders.unwrap_or(r.seeds);
        if let Some(why) = withheld_reason(&t) {
            r.state = State::Withheld;
            r.reason = Some(why);
        } else if r.state != State::Stopped {
            r.state = State::Seeding;
        }
        r.tracker_message = t.tracker.message;
        r.tracker_error = t.tracker.error;
        r.announced = t.tracker.announced;
    }
    r
}

/// A torrent only the seeder knows (e.g. before the next library sync).
fn seed_row(t: TorrentStats, up: u64) -> Row {
    let reason = withheld_reason(&t);
    Row {
        state: if reason.is_some() {
            State::Withheld
        } else {
            State::Seeding
        },
        reason,
        name: t.name,
        category: LIBRARY_CATEGORY.to_string(),
        library: true,
        size: t.size,
        progress: 1.0,
        up_speed: up,
        dl_speed: 0,
        uploaded: t.uploaded,
        downloaded: 0,
        seeds: t.tracker.seeders.unwrap_or(0),
        peers: t.peers as u64,
        added: 0,
        tracker_message: t.tracker.message,
        tracker_error: t.tracker.error,
        announced: t.tracker.announced,
        info_hash: t.info_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::seeder::{Origin, TrackerStatus};

    fn seed(ih: char, uploaded: u64, reason: Option<&str>, withheld: Vec<u32>) -> TorrentStats {
        TorrentStats {
            info_hash: ih.to_string().repeat(40),
            name: format!("torrent {ih}"),
            origin: Origin::Library,
            state: if reason.is_some() {
                "not_served"
            } else {
                "seeding"
            },
            reason: reason.map(str::to_string),
            uploaded,
            peers: 2,
            withheld_pieces: withheld,
            size: 1000,
            tracker: TrackerStatus {
                announced: true,
                message: Some("welcome".into()),
                seeders: Some(3),
                ..Default::default()
            },
        }
    }

    #[test]
    fn seeder_torrents_become_rows_with_speeds_and_withheld_reasons() {
        let mut prev = HashMap::new();
        let first = merge(
            Vec::new(),
            vec![
                seed('a', 1000, None, vec![]),
                seed('b', 0, Some("file changed"), vec![]),
            ],
            &mut prev,
            None,
        );
        assert!(
            first.iter().all(|r| r.up_speed == 0),
            "no speed before a second sample"
        );
        let rows = merge(
            Vec::new(),
            vec![
                seed('a', 6000, None, vec![]),
                seed('b', 0, Some("file changed"), vec![]),
                seed('c', 0, None, vec![7, 9]),
            ],
            &mut prev,
            Some(5.0),
        );
        let by = |c: char| rows.iter().find(|r| r.info_hash.starts_with(c)).unwrap();
        assert_eq!((by('a').state, by('a').up_speed), (State::Seeding, 1000));
        assert_eq!(by('a').tracker_message.as_deref(), Some("welcome"));
        assert_eq!((by('a').seeds, by('a').peers), (3, 2));
        assert_eq!(by('b').state, State::Withheld);
        assert_eq!(by('b').reason.as_deref(), Some("file changed"));
        assert_eq!(by('c').state, State::Withheld);
        assert!(by('c').reason.as_deref().unwrap().starts_with("2 piece(s)"));
        let t = Totals::of(&rows);
        assert_eq!(
            (t.seeding, t.withheld, t.uploaded, t.up_speed, t.peers),
            (1, 2, 6000, 1000, 6)
        );
        assert_eq!(prev.len(), 3, "counters kept for the next sample");
    }

    #[test]
    fn engine_states_map_to_the_dashboards_words() {
        assert_eq!(State::of_engine("stalledDL"), State::Downloading);
        assert_eq!(State::of_engine("stoppedDL"), State::Stopped);
        assert_eq!(State::of_engine("missingFiles"), State::Withheld);
        assert_eq!(State::of_engine("uploading"), State::Seeding);
        assert!(State::ALL
            .iter()
            .all(|s| State::parse(s.word()) == Some(*s)));
        assert_eq!(State::parse("<script>"), None);
    }
}
