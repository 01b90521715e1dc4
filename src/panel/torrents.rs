//! Torrents: search, filter, sort, paginate, delete; a torrent's own page.

use std::cmp::Reverse;
use std::collections::HashMap;

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::web::{admin, page, redirect, Chrome, Ctx, Form};
use crate::app::state::AppState;
use crate::categories;
use crate::metainfo;
use crate::store::{AddedOrder, StoreResult, TorrentFilter, TorrentRecord, User};
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
    pub added: String,
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
    pub added: String,
    pub ids: Vec<(&'static str, String)>,
    pub files: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "torrent.html")]
struct TorrentPage {
    chrome: Chrome,
    t: Facts,
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

/// Every word of the query must appear in the title or the torrent name.
fn link(q: &str, cat: Option<u32>, sort: &str, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        s.append_pair("q", q);
    }
    if let Some(c) = cat {
        s.append_pair("cat", &c.to_string());
    }
    s.append_pair("sort", sort);
    s.append_pair("page", &page.to_string());
    format!("/admin/torrents?{}", s.finish())
}

fn labels(users: Vec<User>) -> HashMap<u64, String> {
    users.into_iter().map(|u| (u.id, u.label)).collect()
}

pub async fn list(ctx: Ctx, query: String) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q = query_param(&query, "q").unwrap_or_default();
    let q = q.trim().chars().take(200).collect::<String>();
    let cat = query_param(&query, "cat").and_then(|c| c.parse::<u32>().ok());
    let sort = query_param(&query, "sort")
        .filter(|s| SORTS.iter().any(|(k, _)| k == s))
        .unwrap_or_else(|| "date".into());
    let page_no = query_param(&query, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let filter = TorrentFilter {
        words: q
            .to_lowercase()
            .split_whitespace()
            .map(String::from)
            .collect(),
        category: cat,
    };
    let order = match sort.as_str() {
        "date" => Some(AddedOrder::NewestFirst),
        "date_asc" => Some(AddedOrder::OldestFirst),
        _ => None,
    };
    let pages_of = |matching: u64| (matching as usize).div_ceil(PER_PAGE).max(1);
    let loaded = a
        .ctx
        .state
        .db(move |s| -> StoreResult<_> {
            let users = s.users()?;
            let Some(order) = order else {
                // Sorted by size, seeders (the swarm's) or grabs: every match is read, sorted below.
                let all = s.torrent_page(&filter, AddedOrder::NewestFirst, 0, usize::MAX)?;
                return Ok((all, users, true));
            };
            let mut found = s.torrent_page(&filter, order, (page_no - 1) * PER_PAGE, PER_PAGE)?;
            let last = pages_of(found.matching);
            if page_no > last {
                found = s.torrent_page(&filter, order, (last - 1) * PER_PAGE, PER_PAGE)?;
            }
            Ok((found, users, false))
        })
        .await;
    let (found, users, whole) = match loaded {
        Ok(v) => v,
        Err(_) => {
            return a
                .ctx
                .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed.")
        }
    };
    let users = labels(users);
    let swarm = a.ctx.state.swarm.clone();
    let mut counted: Vec<(TorrentRecord, crate::core::swarm::PeerCounts)> = found
        .torrents
        .into_iter()
        .map(|r| {
            let c = swarm.counts(&r.info_hash);
            (r, c)
        })
        .collect();
    let total = found.matching as usize;
    let pages = pages_of(found.matching);
    let page_no = page_no.min(pages);
    if whole {
        match sort.as_str() {
            "size" => counted.sort_by_key(|(r, _)| Reverse(r.size)),
            "size_asc" => counted.sort_by_key(|(r, _)| r.size),
            "seeders" => counted.sort_by_key(|(_, c)| Reverse(c.seeders)),
            _ => counted.sort_by_key(|(r, _)| Reverse(r.grabs)),
        }
        counted = counted
            .into_iter()
            .skip((page_no - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect();
    }
    let rows = counted
        .into_iter()
        .map(|(r, c)| {
            let (uploader, uploader_deleted) = uploader_label(&users, r.uploader);
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
                added: format::day(r.added),
            }
        })
        .collect();
    let notice =
        (query_param(&query, "done").as_deref() == Some("deleted")).then_some("Torrent deleted.");
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
            sorts: SORTS.iter().map(|(k, l)| (*k, *l, *k == sort)).collect(),
            rows,
            total,
            filtered: !q.is_empty() || cat.is_some(),
            page: page_no,
            pages,
            prev: (page_no > 1).then(|| link(&q, cat, &sort, page_no - 1)),
            next: (page_no < pages).then(|| link(&q, cat, &sort, page_no + 1)),
            q,
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
        added: format::date(rec.added),
        ids,
        files,
    }))
}

pub async fn detail(info_hash: String, ctx: Ctx) -> Response {
    let a = match admin(ctx).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match facts(&a.ctx.state, &info_hash, false).await {
        Err(()) => a
            .ctx
            .fail(StatusCode::INTERNAL_SERVER_ERROR, "The store failed."),
        Ok(None) => a.ctx.fail(StatusCode::NOT_FOUND, "No such torrent."),
        Ok(Some(t)) => page(
            StatusCode::OK,
            &TorrentPage {
                chrome: a.chrome("torrents"),
                t,
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
            redirect("/admin/torrents?done=deleted")
        }
    }
}
