//! The torrents table (filtered, sorted and paged on the server) and one
//! torrent's page: files, connected peers, tracker and announce history, why
//! it is withheld.

use askama::Template;
use warp::http::StatusCode;
use warp::reply::Response;

use super::list::{select, Column, Query};
use super::peers::{AnnounceLine, PeerLine};
use super::{member, Chrome, Ctx};
use crate::client::status::{Row, State};
use crate::web::format;
use crate::web::html::page;

/// A row as the table shows it: every value already text.
pub struct Line {
    pub info_hash: String,
    pub name: String,
    pub category: String,
    pub size: String,
    pub state: &'static str,
    pub reason: String,
    pub progress: String,
    pub up: String,
    pub down: String,
    pub uploaded: String,
    pub ratio: String,
    pub seeds: u64,
    pub peers: u64,
    pub added: String,
}

pub fn speed(bytes_per_sec: u64) -> String {
    if bytes_per_sec == 0 {
        "—".into()
    } else {
        format!("{}/s", format::size(bytes_per_sec))
    }
}

fn percent(p: f64) -> String {
    format!("{:.1} %", p * 100.0)
}

impl Line {
    fn of(r: &Row) -> Line {
        Line {
            info_hash: r.info_hash.clone(),
            name: r.name.clone(),
            category: r.category.clone(),
            size: format::size(r.size),
            state: r.state.word(),
            reason: r.reason.clone().unwrap_or_default(),
            progress: percent(r.progress),
            up: speed(r.up_speed),
            down: speed(r.dl_speed),
            uploaded: format::size(r.uploaded),
            ratio: format::ratio(r.uploaded, r.downloaded),
            seeds: r.seeds,
            peers: r.peers,
            added: if r.added > 0 {
                format::day(r.added)
            } else {
                "—".into()
            },
        }
    }
}

/// A column header: its title, the link that sorts by it, and whether it is the sort.
pub struct Head {
    pub title: &'static str,
    pub href: String,
    pub mark: &'static str,
    pub numeric: bool,
}

#[derive(Template)]
#[template(path = "dashboard_torrents.html")]
pub struct ListPage {
    chrome: Chrome,
    q: String,
    states: Vec<(&'static str, bool)>,
    categories: Vec<(String, bool)>,
    heads: Vec<Head>,
    lines: Vec<Line>,
    matched: usize,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    sort: &'static str,
    desc: bool,
}

/// The table page for `raw` (the URL's query) over `rows`: what the route
/// renders, and what `benches/dashboard.rs` times at 20k torrents.
pub fn list_page(rows: &[Row], raw: &str, csrf: &str) -> ListPage {
    let q = Query::parse(raw);
    let p = select(rows, &q);
    let mut categories: Vec<String> = rows.iter().map(|r| r.category.clone()).collect();
    categories.sort_unstable();
    categories.dedup();
    let heads = Column::ALL
        .into_iter()
        .map(|c| {
            let current = q.sort == c;
            Head {
                title: c.title(),
                href: q.href(|n| {
                    n.sort = c;
                    n.desc = current && !q.desc;
                    n.page = 1;
                }),
                mark: match (current, q.desc) {
                    (false, _) => "",
                    (true, false) => " ▲",
                    (true, true) => " ▼",
                },
                numeric: !matches!(c, Column::Name | Column::Category | Column::State),
            }
        })
        .collect();
    ListPage {
        chrome: super::chrome(csrf.to_string(), "torrents"),
        q: q.text.clone(),
        states: State::ALL
            .into_iter()
            .map(|s| (s.word(), q.state == Some(s)))
            .collect(),
        categories: categories
            .into_iter()
            .map(|c| {
                let on = q.category.as_deref() == Some(c.as_str());
                (c, on)
            })
            .collect(),
        heads,
        lines: p.rows.iter().map(|r| Line::of(r)).collect(),
        matched: p.matched,
        total: rows.len(),
        page: p.page,
        pages: p.pages,
        prev: (p.page > 1).then(|| q.href(|n| n.page = p.page - 1)),
        next: (p.page < p.pages).then(|| q.href(|n| n.page = p.page + 1)),
        sort: q.sort.key(),
        desc: q.desc,
    }
}

pub async fn list(ctx: Ctx, raw: String) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let rows = m.ctx.dash.status.rows().await;
    page(StatusCode::OK, &list_page(&rows, &raw, &m.csrf))
}

pub struct FileLine {
    pub path: String,
    pub size: String,
    pub progress: String,
}

#[derive(Template)]
#[template(path = "dashboard_torrent.html")]
struct DetailPage {
    chrome: Chrome,
    t: Line,
    library: bool,
    stopped: bool,
    withheld: bool,
    downloaded: String,
    files: Vec<FileLine>,
    announced: bool,
    tracker_message: String,
    tracker_error: String,
    peers: Vec<PeerLine>,
    /// Announcing (the library seeder's, or the engine's through the relay):
    /// an announce can be asked for.
    announcing: bool,
    history: Vec<AnnounceLine>,
}

pub async fn detail(info_hash: String, ctx: Ctx) -> Response {
    let m = match member(ctx) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let rows = m.ctx.dash.status.rows().await;
    let Some(r) = rows.iter().find(|r| r.info_hash == info_hash) else {
        return m.fail(StatusCode::NOT_FOUND, "No such torrent on this client.");
    };
    let status = m.ctx.dash.status.clone();
    let ih = r.info_hash.clone();
    let files = tokio::task::spawn_blocking(move || status.files(&ih))
        .await
        .unwrap_or_default();
    let status = &m.ctx.dash.status;
    let seeder = status
        .seeder
        .as_ref()
        .filter(|s| s.uploaded(&r.info_hash).is_some());
    let (peers, history) = match seeder {
        Some(s) => (s.peers(&r.info_hash), s.announce_history(&r.info_hash)),
        None => (
            status.downloads.peers(&r.info_hash),
            status.downloads.announce_history(&r.info_hash),
        ),
    };
    let announcing = seeder.is_some() || status.downloads.announcing(&r.info_hash);
    page(
        StatusCode::OK,
        &DetailPage {
            chrome: m.chrome("torrents"),
            library: r.library,
            stopped: r.state == State::Stopped,
            withheld: r.state == State::Withheld,
            downloaded: format::size(r.downloaded),
            files: files
                .into_iter()
                .map(|(path, size, have)| FileLine {
                    path,
                    size: format::size(size),
                    progress: percent(if size == 0 {
                        1.0
                    } else {
                        have as f64 / size as f64
                    }),
                })
                .collect(),
            announced: r.announced,
            tracker_message: r.tracker_message.clone().unwrap_or_default(),
            tracker_error: r.tracker_error.clone().unwrap_or_default(),
            peers: m.ctx.dash.rates.lines(&r.info_hash, peers),
            announcing,
            history: history.into_iter().map(AnnounceLine::of).collect(),
            t: Line::of(r),
        },
    )
}
