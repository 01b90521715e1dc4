//! The overview: members, torrents, swarm and transfer totals, activity chart.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::web::{admin, page, Chrome, Ctx};
use crate::core::swarm::SwarmFigures;
use crate::store::StoreResult;
use crate::web::format;

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    chrome: Chrome,
    members: usize,
    enabled: usize,
    torrents: u64,
    total_size: String,
    peers: u64,
    seeders: u64,
    leechers: u64,
    uploaded: String,
    downloaded: String,
    announces_pm: String,
    searches_pm: String,
    chart: String,
}

pub async fn page_for_admin(ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let loaded = a
        .ctx
        .state
        .db(|s| -> StoreResult<_> {
            let totals = s.torrent_totals()?;
            Ok((s.users()?, totals.count, totals.bytes))
        })
        .await;
    let (users, torrents, size) = match loaded {
        Ok(v) => v,
        Err(_) => {
            return a
                .ctx
                .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.")
        }
    };
    let swarm = a
        .ctx
        .state
        .listeners
        .iter()
        .filter_map(|l| l.swarm_figures())
        .fold(SwarmFigures::default(), |x, y| SwarmFigures {
            peers: x.peers + y.peers,
            seeders: x.seeders + y.seeders,
            leechers: x.leechers + y.leechers,
        });
    let activity = &a.ctx.state.activity;
    let (announces, searches) = activity.per_minute(5);
    let (uploaded, downloaded) = crate::store::transfer_totals(&users);
    page(
        StatusCode::OK,
        &OverviewPage {
            chrome: a.chrome("overview"),
            members: users.len(),
            enabled: users.iter().filter(|u| u.enabled).count(),
            torrents,
            total_size: format::size(size),
            peers: swarm.peers,
            seeders: swarm.seeders,
            leechers: swarm.leechers,
            uploaded: format::size(uploaded),
            downloaded: format::size(downloaded),
            announces_pm: format::rate(announces),
            searches_pm: format::rate(searches),
            chart: crate::web::chart::activity_svg(&activity.last_day()),
        },
    )
}
