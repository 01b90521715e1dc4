//! The torrents table's query: text, state and category filters, a sort
//! column and direction, and a page, all read from the URL (hostile input:
//! unknown values fall back to the defaults, lengths are bounded).

use std::cmp::Ordering;

use crate::client::status::{Row, State};
use crate::web::filters::query_param;

pub const PER_PAGE: usize = 50;
/// Longest search text looked at.
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Category,
    Size,
    State,
    Progress,
    Up,
    Down,
    Uploaded,
    Ratio,
    Seeds,
    Peers,
    Added,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Name,
        Column::Category,
        Column::Size,
        Column::State,
        Column::Progress,
        Column::Down,
        Column::Up,
        Column::Uploaded,
        Column::Ratio,
        Column::Seeds,
        Column::Peers,
        Column::Added,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Category => "category",
            Column::Size => "size",
            Column::State => "state",
            Column::Progress => "progress",
            Column::Up => "up",
            Column::Down => "down",
            Column::Uploaded => "uploaded",
            Column::Ratio => "ratio",
            Column::Seeds => "seeds",
            Column::Peers => "peers",
            Column::Added => "added",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Category => "Category",
            Column::Size => "Size",
            Column::State => "State",
            Column::Progress => "Progress",
            Column::Up => "Up",
            Column::Down => "Down",
            Column::Uploaded => "Uploaded",
            Column::Ratio => "Ratio",
            Column::Seeds => "Seeds",
            Column::Peers => "Peers",
            Column::Added => "Added",
        }
    }

    fn cmp(self, a: &Row, b: &Row) -> Ordering {
        match self {
            Column::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            Column::Category => a.category.cmp(&b.category),
            Column::Size => a.size.cmp(&b.size),
            Column::State => a.state.cmp(&b.state),
            Column::Progress => a.progress.total_cmp(&b.progress),
            Column::Up => a.up_speed.cmp(&b.up_speed),
            Column::Down => a.dl_speed.cmp(&b.dl_speed),
            Column::Uploaded => a.uploaded.cmp(&b.uploaded),
            Column::Ratio => a.ratio().total_cmp(&b.ratio()),
            Column::Seeds => a.seeds.cmp(&b.seeds),
            Column::Peers => a.peers.cmp(&b.peers),
            Column::Added => a.added.cmp(&b.added),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Lower-case words that must all be in the name.
    pub text: String,
    pub state: Option<State>,
    pub category: Option<String>,
    pub sort: Column,
    pub desc: bool,
    /// 1-based.
    pub page: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            text: String::new(),
            state: None,
            category: None,
            sort: Column::Name,
            desc: false,
            page: 1,
        }
    }
}

impl Query {
    pub fn parse(raw: &str) -> Query {
        let get = |k: &str| query_param(raw, k).filter(|v| !v.is_empty());
        let d = Query::default();
        let sort = get("sort")
            .and_then(|s| Column::ALL.into_iter().find(|c| c.key() == s))
            .unwrap_or(d.sort);
        Query {
            text: get("q")
                .map(|q| q.chars().take(MAX_TEXT).collect::<String>().to_lowercase())
                .unwrap_or_default(),
            state: get("state").and_then(|s| State::parse(&s)),
            category: get("category").map(|c| c.chars().take(MAX_TEXT).collect()),
            sort,
            desc: get("dir").is_some_and(|d| d == "desc"),
            page: get("page")
                .and_then(|p| p.parse::<usize>().ok())
                .filter(|&p| p >= 1)
                .unwrap_or(1),
        }
    }

    /// This query as a URL query string, with `change` applied.
    pub fn href(&self, change: impl FnOnce(&mut Query)) -> String {
        let mut q = self.clone();
        change(&mut q);
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !q.text.is_empty() {
            s.append_pair("q", &q.text);
        }
        if let Some(st) = q.state {
            s.append_pair("state", st.word());
        }
        if let Some(c) = &q.category {
            s.append_pair("category", c);
        }
        s.append_pair("sort", q.sort.key());
        if q.desc {
            s.append_pair("dir", "desc");
        }
        if q.page > 1 {
            s.append_pair("page", &q.page.to_string());
        }
        format!("/dashboard/torrents?{}", s.finish())
    }

    fn keeps(&self, r: &Row) -> bool {
        self.state.is_none_or(|s| r.state == s)
            && self.category.as_ref().is_none_or(|c| &r.category == c)
            && (self.text.is_empty() || {
                let name = r.name.to_lowercase();
                self.text.split_whitespace().all(|w| name.contains(w))
            })
    }
}

/// One page of the rows `q` asks for.
pub struct Page<'a> {
    pub rows: Vec<&'a Row>,
    /// Rows matching the filters, over every page.
    pub matched: usize,
    pub pages: usize,
    /// The page shown (clamped to the last).
    pub page: usize,
}

/// Filters, sorts and cuts out a page. Only the page is sorted in full: the
/// rest are put in order by a selection that costs O(n) for the first pages.
pub fn select<'a>(rows: &'a [Row], q: &Query) -> Page<'a> {
    let mut kept: Vec<&Row> = rows.iter().filter(|r| q.keeps(r)).collect();
    let matched = kept.len();
    let pages = matched.div_ceil(PER_PAGE).max(1);
    let page = q.page.min(pages);
    let cmp = |a: &&Row, b: &&Row| {
        let o = q.sort.cmp(a, b).then_with(|| a.info_hash.cmp(&b.info_hash));
        if q.desc {
            o.reverse()
        } else {
            o
        }
    };
    let end = (page * PER_PAGE).min(matched);
    if end < matched && end > 0 {
        kept.select_nth_unstable_by(end - 1, cmp);
        kept.truncate(end);
    }
    kept.sort_unstable_by(cmp);
    let start = (page - 1) * PER_PAGE;
    let rows = kept.into_iter().skip(start).collect();
    Page {
        rows,
        matched,
        pages,
        page,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize, name: &str, state: State, category: &str) -> Row {
        Row {
            info_hash: format!("{i:040x}"),
            name: name.into(),
            category: category.into(),
            library: false,
            size: i as u64,
            state,
            progress: 1.0,
            up_speed: 0,
            dl_speed: 0,
            uploaded: 0,
            downloaded: 0,
            seeds: 0,
            peers: 0,
            added: 0,
            reason: None,
            tracker_message: None,
            tracker_error: None,
            announced: false,
        }
    }

    #[test]
    fn queries_parse_with_defaults_for_anything_unknown() {
        let q =
            Query::parse("q=The%20Movie&state=seeding&category=radarr&sort=size&dir=desc&page=3");
        assert_eq!(q.text, "the movie");
        assert_eq!(q.state, Some(State::Seeding));
        assert_eq!(q.category.as_deref(), Some("radarr"));
        assert_eq!((q.sort, q.desc, q.page), (Column::Size, true, 3));
        let bad = Query::parse("state=%3Cscript%3E&sort=drop&page=-1&dir=sideways&q=");
        assert_eq!(bad, Query::default());
        let long = Query::parse(&format!("q={}", "a".repeat(10_000)));
        assert_eq!(long.text.len(), MAX_TEXT);
        let href = q.href(|_| {});
        let query = href.strip_prefix("/dashboard/torrents?").unwrap();
        assert_eq!(Query::parse(query), q, "href round-trips");
    }

    #[test]
    fn filters_sort_and_pages_agree_with_a_full_sort() {
        let rows: Vec<Row> = (0..257)
            .map(|i| {
                let st = if i % 3 == 0 {
                    State::Downloading
                } else {
                    State::Seeding
                };
                row((i * 7919) % 257, &format!("Name {}", i % 10), st, "radarr")
            })
            .collect();
        let q = Query {
            sort: Column::Size,
            desc: true,
            page: 2,
            ..Query::default()
        };
        let p = select(&rows, &q);
        assert_eq!((p.matched, p.pages, p.page), (257, 6, 2));
        let mut all: Vec<u64> = rows.iter().map(|r| r.size).collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        let got: Vec<u64> = p.rows.iter().map(|r| r.size).collect();
        assert_eq!(got, all[PER_PAGE..2 * PER_PAGE]);

        let q = Query {
            text: "name 3".into(),
            state: Some(State::Downloading),
            page: 99,
            ..Query::default()
        };
        let p = select(&rows, &q);
        assert!(p
            .rows
            .iter()
            .all(|r| r.name == "Name 3" && r.state == State::Downloading));
        assert_eq!(p.page, p.pages, "a page past the end shows the last");
        assert!(!p.rows.is_empty());
        let none = select(
            &rows,
            &Query {
                category: Some("sonarr".into()),
                ..Query::default()
            },
        );
        assert_eq!((none.matched, none.pages, none.rows.len()), (0, 1, 0));
    }
}
