//! The scanner page: per *arr app its state and the current scan's
//! progress, the last and next scans; the upload queue; and a rescan of one
//! app behind a confirmation.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::{member, Chrome, Ctx};
use crate::client::arr::App;
use crate::client::queue::Status;
use crate::web::format;
use crate::web::html::{page, redirect, Form};

/// Rejected uploads listed at most.
const REJECTED_SHOWN: usize = 50;

struct AppLine {
    key: &'static str,
    name: &'static str,
    health: &'static str,
    ok: bool,
    reason: String,
    phase: &'static str,
    items: String,
    hashed: String,
    eta: String,
    last: String,
    report: String,
}

#[derive(Template)]
#[template(path = "dashboard_scanner.html")]
struct ScannerPage {
    chrome: Chrome,
    apps: Vec<AppLine>,
    next: String,
    pending: u64,
    retrying: Option<(String, u32, String)>,
    rejected: Vec<(String, String)>,
    rejected_total: usize,
}

fn app_key(app: App) -> &'static str {
    match app {
        App::Radarr => "radarr",
        App::Sonarr => "sonarr",
        App::Lidarr => "lidarr",
    }
}

fn parse_app(s: &str) -> Option<App> {
    [App::Radarr, App::Sonarr, App::Lidarr]
        .into_iter()
        .find(|a| app_key(*a) == s)
}

fn eta_text(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

pub async fn page_for(ctx: Ctx) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let board = &m.ctx.dash.scan;
    let now = crate::core::clock::now();
    let apps = board
        .apps()
        .into_iter()
        .map(|(app, b)| AppLine {
            key: app_key(app),
            name: app.name(),
            health: b.health.word(),
            ok: b.health == crate::client::scan_board::Health::Ok,
            reason: b.health.reason().to_string(),
            phase: b.phase.word(),
            items: if b.items_total > 0 && b.phase != crate::client::scan_board::Phase::Idle {
                format!("{} of {}", b.items_done, b.items_total)
            } else {
                "—".into()
            },
            hashed: if b.bytes_total > 0 {
                format!(
                    "{} of {}",
                    format::size(b.bytes_hashed),
                    format::size(b.bytes_total)
                )
            } else {
                "—".into()
            },
            eta: b.eta().map(eta_text).unwrap_or_else(|| "—".into()),
            last: format::ago(b.last_scan, now),
            report: b
                .last_report
                .map(|r| {
                    format!(
                        "{} planned: {} new, {} unchanged, {} updated, {} withdrawn, {} skipped",
                        r.planned, r.created, r.unchanged, r.updated, r.withdrawn, r.skipped
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let db = m.ctx.dash.status.db.clone();
    let (pending, rejected) = tokio::task::spawn_blocking(move || {
        let pending = db.pending_jobs().unwrap_or(0);
        let rejected: Vec<(String, String)> = db
            .records()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, r)| match r.status {
                Status::Rejected(why) => Some((r.title, why)),
                _ => None,
            })
            .collect();
        (pending, rejected)
    })
    .await
    .unwrap_or_default();
    let next = board.next_full();
    page(
        StatusCode::OK,
        &ScannerPage {
            chrome: m.chrome("scanner"),
            apps,
            next: if next > 0 {
                format::date(next)
            } else {
                "after the first scan".into()
            },
            pending,
            retrying: board
                .retrying()
                .map(|r| (r.error, r.failures, format::date(r.next_try))),
            rejected_total: rejected.len(),
            rejected: rejected.into_iter().take(REJECTED_SHOWN).collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "dashboard_rescan.html")]
struct RescanPage {
    chrome: Chrome,
    key: &'static str,
    name: &'static str,
}

pub async fn confirm(app: String, ctx: Ctx) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match parse_app(&app) {
        Some(a) => page(
            StatusCode::OK,
            &RescanPage {
                chrome: m.chrome("scanner"),
                key: app_key(a),
                name: a.name(),
            },
        ),
        None => m.fail(StatusCode::NOT_FOUND, "There is no such app."),
    }
}

pub async fn rescan(app: String, ctx: Ctx, form: Form) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Err(r) = m.check_csrf(&form) {
        return r;
    }
    let Some(app) = parse_app(&app) else {
        return m.fail(StatusCode::NOT_FOUND, "There is no such app.");
    };
    if !m.ctx.dash.scan.request_rescan(app) {
        return m.fail(
            StatusCode::CONFLICT,
            "That app is not configured on this client.",
        );
    }
    redirect("/dashboard/scanner")
}
