//! The overview: members, torrents, swarm and transfer totals, activity chart.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::web::{admin, json, page, Admin, Chrome, Ctx};
use crate::store::StoreResult;
use crate::web::format;

/// The overview's figures, as shown; also the JSON of `/admin/figures` that
/// panel.js polls (keys are the `stat-*` element ids).
#[derive(serde::Serialize)]
struct Figures {
    members: usize,
    enabled: usize,
    torrents: u64,
    dead: usize,
    total_size: String,
    peers: u64,
    seeders: u64,
    leechers: u64,
    uploaded: String,
    downloaded: String,
    announces: String,
    searches: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    f: Figures,
    chart: String,
    urls: HandedOut,
}

/// The URLs the server hands out, so an operator sees at once when they
/// point at localhost (EXTERNAL_SERVER_URL unset) or miss URL_BASE.
pub struct HandedOut {
    pub server: String,
    pub torznab: String,
    pub tracker: String,
}

impl HandedOut {
    pub fn of(config: &crate::app::config::ServerConfig) -> Self {
        HandedOut {
            server: config.server_url.clone(),
            torznab: format!("{}/api", config.server_url),
            tracker: crate::members::announce_url(&config.tracker_url, "{passkey}"),
        }
    }
}

async fn figures(a: &Admin) -> Result<Figures, Response> {
    let state = &a.ctx.state;
    let loaded = state
        .db(|s| -> StoreResult<_> {
            let totals = s.torrent_totals()?;
            Ok((s.users()?, totals.count, totals.bytes))
        })
        .await;
    let Ok((users, torrents, size)) = loaded else {
        return Err(a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."));
    };
    let swarm = state.swarm_figures();
    let (announces, searches) = state.activity.per_minute(5);
    let (uploaded, downloaded) = crate::store::transfer_totals(&users);
    Ok(Figures {
        members: users.len(),
        enabled: users.iter().filter(|u| u.enabled).count(),
        torrents,
        dead: state.listing.dead_count(),
        total_size: format::size(size),
        peers: swarm.peers,
        seeders: swarm.seeders,
        leechers: swarm.leechers,
        uploaded: format::size(uploaded),
        downloaded: format::size(downloaded),
        announces: format::rate(announces),
        searches: format::rate(searches),
    })
}

pub async fn page_for_admin(ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let f = match figures(&a).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    page(
        StatusCode::OK,
        &OverviewPage {
            chrome: a.chrome("overview"),
            f,
            chart: crate::web::chart::activity_svg(&a.ctx.state.activity.last_day()),
            urls: HandedOut::of(&a.ctx.state.config),
        },
    )
}

/// `GET /admin/figures`: the overview's figures as JSON, for its auto-refresh.
pub async fn figures_json(ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match figures(&a).await {
        Ok(f) => json(&f),
        Err(r) => r,
    }
}
