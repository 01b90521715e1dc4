//! A member's page: standing and counters, reachability, their uploads, what
//! they seed and download now, and their last announces and refused ones.

use std::collections::HashMap;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::listing::{Query, Sort};
use super::web::{admin, page, Chrome, Ctx};
use crate::core::swarm::{AnnounceNote, MemberActivity};
use crate::metainfo;
use crate::store::StoreResult;
use crate::web::format::{self, Time};

/// Uploads listed on the page (the rest are a link to the filtered torrent list).
const UPLOADS_SHOWN: usize = 20;

pub struct Torrent {
    pub info_hash: String,
    pub title: String,
}

pub struct Swarm {
    pub t: Torrent,
    pub client: String,
    pub progress: String,
    pub progress_pct: u32,
    pub since: Time,
    pub last: Time,
    pub stale: bool,
}

pub struct Announce {
    pub t: Torrent,
    pub at: Time,
    pub event: &'static str,
    pub left: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    chrome: Chrome,
    label: String,
    enabled: bool,
    created: Time,
    last_seen: Time,
    uploaded: String,
    downloaded: String,
    ratio: String,
    grabs: u64,
    popularity: u64,
    uploads_total: usize,
    uploads: Vec<(Torrent, Time, bool)>,
    uploads_link: String,
    reachability: Option<(bool, String, Time)>,
    seeding: Vec<Swarm>,
    leeching: Vec<Swarm>,
    announces: Vec<Announce>,
    refusals: Vec<Announce>,
    tracked: bool,
}

fn progress(p: f64) -> (String, u32) {
    let pct = (p.clamp(0.0, 1.0) * 100.0).floor() as u32;
    (format!("{pct} %"), pct)
}

pub async fn page_for_admin(id: u64, ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let st = &a.ctx.state;
    let uploads = st.listing.page(
        &Query {
            uploader: Some(id),
            ..Query::default()
        },
        Sort::Newest,
        0,
        UPLOADS_SHOWN,
        &*st.swarm,
    );
    let activity: Option<MemberActivity> = st.listeners.iter().find_map(|l| l.member_activity(id));
    let tracked = activity.is_some();
    let activity = activity.unwrap_or_default();
    let probe = st.listeners.iter().find_map(|l| l.member_reachability(id));
    // Every torrent the page names, read in one transaction.
    let mut hashes: Vec<[u8; 20]> = uploads.info_hashes.clone();
    hashes.extend(activity.torrents.iter().map(|(ih, _)| *ih));
    hashes.extend(activity.announces.iter().map(|n| n.info_hash));
    hashes.extend(activity.refusals.iter().map(|n| n.info_hash));
    hashes.sort_unstable();
    hashes.dedup();
    let loaded = st
        .db(move |s| -> StoreResult<_> { Ok((s.user(id)?, s.torrents(&hashes)?)) })
        .await;
    let (user, records) = match loaded {
        Ok((Some(u), r)) => (u, r),
        Ok((None, _)) => return a.ctx.fail(StatusCode::NOT_FOUND, "No such member."),
        Err(_) => {
            return a
                .ctx
                .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.")
        }
    };
    let titles: HashMap<[u8; 20], String> = records
        .iter()
        .map(|r| (r.info_hash, r.title().to_string()))
        .collect();
    let torrent = |ih: &[u8; 20]| Torrent {
        info_hash: metainfo::hex_hash(ih),
        // A torrent withdrawn since (or never registered: a refused announce) has no title.
        title: titles
            .get(ih)
            .cloned()
            .unwrap_or_else(|| format!("unknown torrent {}", hex::encode(ih))),
    };
    let now = crate::core::clock::now();
    let note = |n: &AnnounceNote| Announce {
        t: torrent(&n.info_hash),
        at: Time::ago(n.at, now),
        event: n.event,
        left: format::size(n.left),
        reason: n.refused.clone().unwrap_or_default(),
    };
    let (mut seeding, mut leeching) = (Vec::new(), Vec::new());
    for (ih, p) in &activity.torrents {
        let (progress, progress_pct) = progress(p.progress);
        let row = Swarm {
            t: torrent(ih),
            client: p.client.clone(),
            progress,
            progress_pct,
            since: Time::ago(p.seeding_since.unwrap_or(p.started), now),
            last: Time::ago(p.last_announce, now),
            stale: p.stale,
        };
        if p.seeding_since.is_some() {
            seeding.push(row);
        } else {
            leeching.push(row);
        }
    }
    let uploads_rows = uploads
        .info_hashes
        .iter()
        .filter_map(|ih| {
            let r = records.iter().find(|r| r.info_hash == *ih)?;
            Some((torrent(ih), Time::day(r.added), st.listing.is_dead(ih)))
        })
        .collect();
    page(
        StatusCode::OK,
        &MemberPage {
            chrome: a.chrome("users"),
            label: user.label.clone(),
            enabled: user.enabled,
            created: Time::date(user.created),
            last_seen: Time::ago(user.last_seen, now),
            uploaded: format::size(user.uploaded),
            downloaded: format::size(user.downloaded),
            ratio: format::ratio(user.uploaded, user.downloaded),
            grabs: user.grabs,
            popularity: user.popularity,
            uploads_total: uploads.total,
            uploads: uploads_rows,
            uploads_link: format!("/admin/torrents?uploader={id}"),
            reachability: probe.map(|p| {
                (
                    p.reachable,
                    format!("{} ({})", p.address, p.detail),
                    Time::ago(p.checked, now),
                )
            }),
            seeding,
            leeching,
            announces: activity.announces.iter().map(note).collect(),
            refusals: activity.refusals.iter().map(note).collect(),
            tracked,
        },
    )
}
