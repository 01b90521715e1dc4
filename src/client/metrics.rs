//! The client's `/metrics` on CLIENT_BIND: torrents by state (downloads and
//! the library seeder), bytes up and down, peers, scan progress (phase, items
//! done of total, ETA of hashing, per *arr app), upload queue.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::downloads::Downloads;
use super::queue::ClientDb;
use super::scan_board::{Phase, ScanBoard};
use super::seeder::Seeder;
use crate::metrics::{Exposition, Kind};

/// What a scrape reads; all of it lives in memory or in `client.redb`.
#[derive(Clone)]
pub struct Sources {
    pub downloads: Arc<Downloads>,
    pub seeder: Option<Arc<Seeder>>,
    pub db: Arc<ClientDb>,
    /// Bytes of media hashed by scans since start.
    pub hashed: Arc<AtomicU64>,
    pub board: Arc<ScanBoard>,
}

pub async fn render(src: Sources) -> String {
    let mut e = Exposition::default();
    let snaps = src.downloads.snapshots(None);
    let mut states: BTreeMap<&str, f64> = BTreeMap::new();
    let (mut up, mut down, mut peers) = (0u64, 0u64, 0u64);
    for s in snaps.iter().filter(|s| !s.library) {
        *states.entry(s.state).or_default() += 1.0;
        up += s.rec.uploaded;
        down += s.rec.downloaded;
        peers += u64::from(s.peers);
    }
    let samples: Vec<_> = states
        .iter()
        .map(|(state, n)| ([("state", *state)], *n))
        .collect();
    family(
        &mut e,
        "privateindexer_client_downloads",
        "Torrents the *arr apps added, by qBittorrent state.",
        Kind::Gauge,
        &samples,
    );
    let (mut seeding, mut not_served, mut seed_up, mut seed_peers) = (0.0, 0.0, 0u64, 0u64);
    if let Some(seeder) = &src.seeder {
        for t in seeder.stats() {
            if t.state == "seeding" {
                seeding += 1.0;
            } else {
                not_served += 1.0;
            }
            seed_up += t.uploaded;
            seed_peers += t.peers as u64;
        }
    }
    e.family(
        "privateindexer_client_library_torrents",
        "Torrents of the library seeder, by state (not_served: files changed or unreadable).",
        Kind::Gauge,
        &[
            (&[("state", "seeding")], seeding),
            (&[("state", "not_served")], not_served),
        ],
    );
    e.family(
        "privateindexer_client_uploaded_bytes_total",
        "Bytes uploaded to peers, by engine.",
        Kind::Counter,
        &[
            (&[("engine", "seeder")], seed_up as f64),
            (&[("engine", "downloads")], up as f64),
        ],
    );
    e.one(
        "privateindexer_client_downloaded_bytes_total",
        "Bytes downloaded by the download engine.",
        Kind::Counter,
        down as f64,
    );
    e.family(
        "privateindexer_client_peers",
        "Connected peers, by engine.",
        Kind::Gauge,
        &[
            (&[("engine", "seeder")], seed_peers as f64),
            (&[("engine", "downloads")], peers as f64),
        ],
    );
    e.one(
        "privateindexer_client_scan_hashed_bytes_total",
        "Bytes of media hashed by scans since start (cached pieces are not re-read).",
        Kind::Counter,
        src.hashed.load(Ordering::Relaxed) as f64,
    );
    scan_progress(&mut e, &src.board);
    let db = src.db.clone();
    let queued = tokio::task::spawn_blocking(move || db.pending_jobs()).await;
    match queued {
        Ok(Ok(n)) => e.one(
            "privateindexer_client_queue_jobs",
            "Uploads and withdrawals waiting for the server.",
            Kind::Gauge,
            n as f64,
        ),
        _ => tracing::warn!("metrics: cannot read the upload queue"),
    }
    e.finish()
}

/// Each app's scan: its phase, the items of that phase done and in all, the
/// seconds of hashing left (once a rate is known) and when the last scan ended.
fn scan_progress(e: &mut Exposition, board: &ScanBoard) {
    let apps = board.apps();
    let phases: Vec<_> = apps
        .iter()
        .flat_map(|(app, b)| {
            [Phase::Idle, Phase::Reading, Phase::Checking, Phase::Hashing].map(|p| {
                (
                    [("app", app.name()), ("phase", p.label())],
                    f64::from(p == b.phase),
                )
            })
        })
        .collect();
    let items: Vec<_> = apps
        .iter()
        .filter(|(_, b)| b.phase != Phase::Idle)
        .flat_map(|(app, b)| {
            let labels = |of| [("app", app.name()), ("phase", b.phase.label()), ("of", of)];
            [
                (labels("done"), b.items_done as f64),
                (labels("total"), b.items_total as f64),
            ]
        })
        .collect();
    let etas: Vec<_> = apps
        .iter()
        .filter_map(|(app, b)| Some(([("app", app.name())], b.eta()? as f64)))
        .collect();
    let last: Vec<_> = apps
        .iter()
        .map(|(app, b)| ([("app", app.name())], b.last_scan as f64))
        .collect();
    family(
        e,
        "privateindexer_client_scan_phase",
        "1 for each app's current scan phase.",
        Kind::Gauge,
        &phases,
    );
    family(
        e,
        "privateindexer_client_scan_items",
        "Items (torrents to check or make) of the running phase, done and in all.",
        Kind::Gauge,
        &items,
    );
    family(
        e,
        "privateindexer_client_scan_eta_seconds",
        "Seconds of hashing left at the rate so far (absent until known).",
        Kind::Gauge,
        &etas,
    );
    family(
        e,
        "privateindexer_client_scan_last_finished_timestamp_seconds",
        "Unix time the app's last scan ended; 0 before the first.",
        Kind::Gauge,
        &last,
    );
}

/// [`Exposition::family`] from owned label arrays.
fn family<const N: usize>(
    e: &mut Exposition,
    name: &str,
    help: &str,
    kind: Kind,
    samples: &[([(&str, &str); N], f64)],
) {
    let samples: Vec<(&[(&str, &str)], f64)> =
        samples.iter().map(|(l, n)| (l.as_slice(), *n)).collect();
    e.family(name, help, kind, &samples);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::arr::App;

    #[test]
    fn scan_progress_shows_phase_items_and_eta_of_a_running_scan() {
        let board = ScanBoard::new([App::Radarr, App::Sonarr]);
        board.phase(App::Radarr, Phase::Hashing);
        board.items(App::Radarr, 3, 10);
        board.to_hash(App::Radarr, 1000);
        std::thread::sleep(std::time::Duration::from_millis(20));
        board.hashed(App::Radarr, 100);
        let mut e = Exposition::default();
        scan_progress(&mut e, &board);
        let text = e.finish();
        for line in [
            r#"privateindexer_client_scan_phase{app="Radarr",phase="hashing"} 1"#,
            r#"privateindexer_client_scan_phase{app="Sonarr",phase="idle"} 1"#,
            r#"privateindexer_client_scan_items{app="Radarr",phase="hashing",of="done"} 3"#,
            r#"privateindexer_client_scan_items{app="Radarr",phase="hashing",of="total"} 10"#,
            r#"privateindexer_client_scan_last_finished_timestamp_seconds{app="Sonarr"} 0"#,
        ] {
            assert!(text.contains(line), "{line} missing from {text}");
        }
        assert!(
            text.contains(r#"privateindexer_client_scan_eta_seconds{app="Radarr"} "#),
            "{text}"
        );
        assert!(
            !text.contains(r#"scan_eta_seconds{app="Sonarr"}"#),
            "{text}"
        );
        assert!(!text.contains(r#"scan_items{app="Sonarr""#), "{text}");
    }
}
