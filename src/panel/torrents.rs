//! Torrents: search, filter, sort, paginate, delete; a torrent's own page.

use std::collections::HashMap;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::listing::{Query, Sort};
use super::web::{admin, page, Chrome, Ctx, Form};
use crate::app::state::AppState;
use crate::categories;
use crate::metainfo;
use crate::store::{StoreResult, TorrentFilter, User};
use crate::web::filters::query_param;
use crate::web::format;

const PER_PAGE: usize = 50;

const SORTS: &[(&str, &str)] = &[
    ("date", "Newest first"),
    ("date_asc", "Oldest first"),
    ("size", "Largest first"),
    ("size_asc", "Smallest first"),
    ("seeders", "Most seeders"),
    ("grabs", "Most grabbed"),
];

/// The dead-or-alive filter: no seeder for STALE_THRESHOLD makes a torrent dead.
const STATES: &[(&str, &str)] = &[
    ("all", "Dead or alive"),
    ("alive", "Alive"),
    ("dead", "Dead (no seeder)"),
];

pub struct Row {
    pub info_hash: String,
    pub title: String,
    pub category: String,
    pub size: String,
    pub seeders: u32,
    pub leechers: u32,
    pub grabs: u64,
    pub uploader: String,
    pub uploader_deleted: bool,
    pub dead: bool,
    pub added: format::Time,
}

pub struct CategoryOption {
    pub id: u32,
    pub name: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "torrents.html")]
struct TorrentsPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    q: String,
    categories: Vec<CategoryOption>,
    sorts: Vec<(&'static str, &'static str, bool)>,
    states: Vec<(&'static str, &'static str, bool)>,
    /// (id, label, selected)
    uploaders: Vec<(u64, String, bool)>,
    rows: Vec<Row>,
    total: usize,
    filtered: bool,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
}

/// What a torrent page shows, for the admin and for members alike.
pub struct Facts {
    pub title: String,
    pub name: String,
    pub info_hash: String,
    pub info_hash_v2: Option<String>,
    pub size: String,
    pub file_count: u32,
    pub piece_length: String,
    pub category: String,
    pub seeders: u32,
    pub leechers: u32,
    pub grabs: u64,
    pub snatches: u64,
    pub uploader: String,
    pub added: format::Time,
    /// No seeder for STALE_THRESHOLD: hidden from Torznab.
    pub dead: bool,
    pub ids: Vec<(&'static str, String)>,
    pub files: Vec<(String, String)>,
}

/// One peer on a torrent's page.
pub struct PeerRow {
    pub member_id: u64,
    pub member: String,
    pub client: String,
    pub progress: String,
    pub progress_pct: u32,
    pub seeding_since: Option<format::Time>,
    pub started: format::Time,
    pub last: format::Time,
    pub stale: bool,
}

#[derive(Template)]
#[template(path = "torrent.html")]
struct TorrentPage {
    chrome: Chrome,
    t: Facts,
    peers: Vec<PeerRow>,
}

/// A torrent's peers as the admin sees them, seeders first.
async fn peer_rows(state: &AppState, info_hash: &str) -> Result<Vec<PeerRow>, ()> {
    let Some(ih) = metainfo::parse_hex_hash(info_hash.trim()) else {
        return Ok(Vec::new());
    };
    let peers = state.swarm.peers(&ih);
    if peers.is_empty() {
        return Ok(Vec::new());
    }
    let users = state.db(|s| s.users()).await.map_err(|_| ())?;
    let labels = labels(&users);
    let now = crate::core::clock::now();
    Ok(peers
        .into_iter()
        .map(|p| {
            let pct = (p.progress.clamp(0.0, 1.0) * 100.0).floor() as u32;
            PeerRow {
                member_id: p.member,
                member: uploader_label(&labels, p.member).0,
                client: p.client,
                progress: format!("{pct} %"),
                progress_pct: pct,
                seeding_since: p.seeding_since.map(|t| format::Time::ago(t, now)),
                started: format::Time::ago(p.started, now),
                last: format::Time::ago(p.last_announce, now),
                stale: p.stale,
            }
        })
        .collect())
}

pub fn category_name(id: u32) -> String {
    categories::find(id).map_or_else(|| id.to_string(), |c| c.name.to_string())
}

/// The uploader as the admin sees it, and whether the member is gone.
fn uploader_label(users: &HashMap<u64, String>, id: u64) -> (String, bool) {
    match users.get(&id) {
        Some(l) => (l.clone(), false),
        None => (format!("deleted member #{id}"), true),
    }
}

/// The list's query string as links carry it.
#[derive(Clone)]
struct Shown {
    q: String,
    cat: Option<u32>,
    uploader: Option<u64>,
    state: &'static str,
    sort: String,
}

impl Shown {
    fn link(&self, page: usize) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if let Some(c) = self.cat {
            s.append_pair("cat", &c.to_string());
        }
        if let Some(u) = self.uploader {
            s.append_pair("uploader", &u.to_string());
        }
        if self.state != "all" {
            s.append_pair("state", self.state);
        }
        s.append_pair("sort", &self.sort);
        s.append_pair("page", &page.to_string());
        format!("/admin/torrents?{}", s.finish())
    }
}

fn labels(users: &[User]) -> HashMap<u64, String> {
    users.iter().map(|u| (u.id, u.label.clone())).collect()
}

fn sort_of(key: &str) -> Sort {
    match key {
        "date_asc" => Sort::Oldest,
        "size" => Sort::Largest,
        "size_asc" => Sort::Smallest,
        "seeders" => Sort::Seeders,
        "grabs" => Sort::Grabs,
        _ => Sort::Newest,
    }
}

pub async fn list(ctx: Ctx, query: String) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = query_param(&query, "q").unwrap_or_default();
    let q = q.trim().chars().take(200).collect::<String>();
    let cat = query_param(&query, "cat").and_then(|c| c.parse::<u32>().ok());
    let uploader = query_param(&query, "uploader").and_then(|u| u.parse::<u64>().ok());
    let state = STATES
        .iter()
        .map(|(k, _)| *k)
        .find(|k| query_param(&query, "state").as_deref() == Some(*k))
        .unwrap_or("all");
    let sort = query_param(&query, "sort")
        .filter(|s| SORTS.iter().any(|(k, _)| k == s))
        .unwrap_or_else(|| "date".into());
    let page_no = query_param(&query, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let shown = Shown {
        q,
        cat,
        uploader,
        state,
        sort,
    };
    let wanted = Query {
        filter: TorrentFilter {
            words: shown
                .q
                .to_lowercase()
                .split_whitespace()
                .map(String::from)
                .collect(),
            category: cat,
        },
        uploader,
        dead: match state {
            "dead" => Some(true),
            "alive" => Some(false),
            _ => None,
        },
    };
    let st = &a.ctx.state;
    let sort = sort_of(&shown.sort);
    let pages_of = |matching: usize| matching.div_ceil(PER_PAGE).max(1);
    let mut found = st.listing.page(
        &wanted,
        sort,
        (page_no - 1) * PER_PAGE,
        PER_PAGE,
        &*st.swarm,
    );
    let pages = pages_of(found.total);
    let page_no = page_no.min(pages);
    if found.info_hashes.is_empty() && found.total > 0 {
        found = st
            .listing
            .page(&wanted, sort, (pages - 1) * PER_PAGE, PER_PAGE, &*st.swarm);
    }
    // Only the page's records are read.
    let hashes = found.info_hashes;
    let loaded = st
        .db(move |s| -> StoreResult<_> { Ok((s.torrents(&hashes)?, s.users()?)) })
        .await;
    let (records, users) = match loaded {
        Ok(v) => v,
        Err(_) => {
            return a
                .ctx
                .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.")
        }
    };
    let labels = labels(&users);
    let rows = records
        .into_iter()
        .map(|r| {
            let c = st.swarm.counts(&r.info_hash);
            let (uploader, uploader_deleted) = uploader_label(&labels, r.uploader);
            Row {
                info_hash: metainfo::hex_hash(&r.info_hash),
                title: r.title().to_string(),
                category: category_name(r.meta.category),
                size: format::size(r.size),
                seeders: c.seeders,
                leechers: c.leechers,
                grabs: r.grabs,
                uploader,
                uploader_deleted,
                dead: st.listing.is_dead(&r.info_hash),
                added: format::Time::day(r.added),
            }
        })
        .collect();
    let notice =
        (query_param(&query, "done").as_deref() == Some("deleted")).then_some("Torrent deleted.");
    let mut uploaders: Vec<(u64, String, bool)> = users
        .into_iter()
        .map(|u| (u.id, u.label, Some(u.id) == uploader))
        .collect();
    uploaders.sort_by_key(|a| a.1.to_lowercase());
    page(
        StatusCode::OK,
        &TorrentsPage {
            chrome: a.chrome("torrents"),
            notice,
            categories: categories::ALL
                .iter()
                .map(|c| CategoryOption {
                    id: c.id,
                    name: c.name,
                    selected: Some(c.id) == cat,
                })
                .collect(),
            sorts: SORTS
                .iter()
                .map(|(k, l)| (*k, *l, *k == shown.sort))
                .collect(),
            states: STATES.iter().map(|(k, l)| (*k, *l, *k == state)).collect(),
            uploaders,
            rows,
            total: found.total,
            filtered: !shown.q.is_empty() || cat.is_some() || uploader.is_some() || state != "all",
            page: page_no,
            pages,
            prev: (page_no > 1).then(|| shown.link(page_no - 1)),
            next: (page_no < pages).then(|| shown.link(page_no + 1)),
            q: shown.q,
        },
    )
}

/// Loads a torrent with its file list and uploader; None when unknown.
pub async fn facts(
    state: &AppState,
    info_hash: &str,
    member_view: bool,
) -> Result<Option<Facts>, ()> {
    let Some(ih) = metainfo::parse_hex_hash(info_hash.trim()) else {
        return Ok(None);
    };
    let loaded = state
        .db(move |s| -> StoreResult<_> {
            let Some(rec) = s.torrent(&ih)? else {
                return Ok(None);
            };
            let file = s.torrent_file(&ih)?;
            let uploader = s.user(rec.uploader)?;
            Ok(Some((rec, file, uploader)))
        })
        .await
        .map_err(|_| ())?;
    let Some((rec, file, uploader)) = loaded else {
        return Ok(None);
    };
    let counts = state.swarm.counts(&rec.info_hash);
    let files = file
        .and_then(|b| metainfo::parse(&b).ok())
        .map(|m| {
            m.files
                .into_iter()
                .map(|f| (f.path, format::size(f.length)))
                .collect()
        })
        .unwrap_or_default();
    let uploader = match (member_view, rec.meta.anonymous, uploader) {
        (true, true, _) => "Anonymous".to_string(),
        (true, false, Some(u)) => u.label,
        (true, false, None) => "a former member".to_string(),
        (false, anon, Some(u)) if anon => format!("{} (anonymous to members)", u.label),
        (false, _, Some(u)) => u.label,
        (false, _, None) => format!("deleted member #{}", rec.uploader),
    };
    let m = &rec.meta;
    let mut ids = Vec::new();
    if let Some(v) = m.imdb_id {
        ids.push(("IMDb", format!("tt{v:07}")));
    }
    if let Some(v) = m.tmdb_id {
        ids.push(("TMDB", v.to_string()));
    }
    if let Some(v) = m.tvdb_id {
        ids.push(("TVDB", v.to_string()));
    }
    if let Some(v) = m.season {
        ids.push(("Season", v.to_string()));
    }
    if let Some(v) = m.episode {
        ids.push(("Episode", v.to_string()));
    }
    if let Some(v) = &m.artist {
        ids.push(("Artist", v.clone()));
    }
    if let Some(v) = &m.album {
        ids.push(("Album", v.clone()));
    }
    if let Some(v) = m.year {
        ids.push(("Year", v.to_string()));
    }
    if let Some(v) = &m.resolution {
        ids.push(("Resolution", v.clone()));
    }
    Ok(Some(Facts {
        title: rec.title().to_string(),
        name: rec.name.clone(),
        info_hash: metainfo::hex_hash(&rec.info_hash),
        info_hash_v2: rec.info_hash_v2.map(hex::encode),
        size: format::size(rec.size),
        file_count: rec.file_count,
        piece_length: format::size(rec.piece_length),
        category: category_name(rec.meta.category),
        seeders: counts.seeders,
        leechers: counts.leechers,
        grabs: rec.grabs,
        snatches: rec.snatches,
        uploader,
        added: format::Time::date(rec.added),
        dead: state.swarm.dead(&rec.info_hash),
        ids,
        files,
    }))
}

pub async fn detail(info_hash: String, ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let peers = peer_rows(&a.ctx.state, &info_hash).await;
    match (facts(&a.ctx.state, &info_hash, false).await, peers) {
        (Err(()), _) | (_, Err(())) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        (Ok(None), _) => a.ctx.fail(StatusCode::NOT_FOUND, "No such torrent."),
        (Ok(Some(t)), Ok(peers)) => page(
            StatusCode::OK,
            &TorrentPage {
                chrome: a.chrome("torrents"),
                t,
                peers,
            },
        ),
    }
}

pub async fn delete(info_hash: String, ctx: Ctx, form: Form) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = a.check_csrf(&form) {
        return r;
    }
    let Some(ih) = metainfo::parse_hex_hash(info_hash.trim()) else {
        return a.ctx.fail(StatusCode::NOT_FOUND, "No such torrent.");
    };
    match a.ctx.state.catalog().remove_torrent(ih).await {
        Err(_) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Ok(None) => a.ctx.fail(StatusCode::NOT_FOUND, "No such torrent."),
        Ok(Some(_)) => {
            tracing::info!(info_hash = %info_hash, "torrent deleted in the panel");
            a.ctx.redirect("/admin/torrents?done=deleted")
        }
    }
}
