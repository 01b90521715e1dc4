//! The overview: what is seeding, downloading and withheld, transfer totals
//! and speeds, the speed chart, and what the server says of this member.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::torrents::speed;
use super::{member, Chrome, Ctx};
use crate::client::status::{Speed, Totals};
use crate::web::format;
use crate::web::html::page;

/// The server's view of this member, as text.
struct Server {
    label: String,
    uploads: u64,
    grabs: u64,
    uploaded: String,
    downloaded: String,
    ratio: String,
    /// `None` before the server probed the port.
    reachable: Option<bool>,
    probe: String,
}

#[derive(Template)]
#[template(path = "dashboard_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    t: Totals,
    uploaded: String,
    downloaded: String,
    session_up: String,
    session_down: String,
    up: String,
    down: String,
    chart: String,
    server: Result<Server, String>,
}

/// Upload and download speeds per minute, oldest first (six hours).
pub fn speed_svg(minutes: &[Speed]) -> String {
    // In KiB/s, so an idle client's axis tops at 1 KiB/s, not at 1 B/s.
    let points: Vec<(f64, f64)> = minutes
        .iter()
        .map(|s| (s.up / 1024.0, s.down / 1024.0))
        .collect();
    crate::web::chart::two_lines_svg(
        &points,
        "Upload and download speed per minute over the last hours",
        ["6 h ago", "3 h ago", "now"],
        |kib| format!("{}/s", format::size((kib * 1024.0) as u64)),
    )
}

pub async fn page_for(ctx: Ctx) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let status = &m.ctx.dash.status;
    let rows = status.rows().await;
    let t = Totals::of(&rows);
    let (session_up, session_down) = status.session(&t);
    let history = status.speeds();
    // The chart's axis spans six hours: pad the start of a young history.
    let pad = crate::client::status::HISTORY_MINUTES.saturating_sub(history.len());
    let mut minutes = vec![Speed::default(); pad];
    minutes.extend(history);
    let now = crate::core::clock::now();
    let server = status.me().await.map(|me| {
        let f = &me.member;
        Server {
            label: f.label.clone(),
            uploads: f.uploads,
            grabs: f.grabs,
            uploaded: format::size(f.uploaded),
            downloaded: format::size(f.downloaded),
            ratio: format::ratio(f.uploaded, f.downloaded),
            reachable: me.reachable.as_ref().map(|p| p.reachable),
            probe: me
                .reachable
                .as_ref()
                .map(|p| {
                    format!(
                        "{} ({}, {})",
                        p.address,
                        p.detail,
                        format::ago(p.checked, now)
                    )
                })
                .unwrap_or_default(),
        }
    });
    page(
        StatusCode::OK,
        &OverviewPage {
            chrome: m.chrome("overview"),
            uploaded: format::size(t.uploaded),
            downloaded: format::size(t.downloaded),
            session_up: format::size(session_up),
            session_down: format::size(session_down),
            up: speed(t.up_speed),
            down: speed(t.dl_speed),
            chart: speed_svg(&minutes),
            server,
            t,
        },
    )
}
