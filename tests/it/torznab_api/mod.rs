//! Torznab over real HTTP against the real server binary: caps, the *arr apps'
//! test requests, search semantics, item fields, errors. Every answer is parsed
//! with a strict XML parser (roxmltree).

use crate::harness::*;
use serde_json::json;

const NS: &str = "http://torznab.com/schemas/2015/feed";

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

async fn get(server: &Server, path_and_query: &str) -> Answer {
    let resp = client()
        .get(server.url(path_and_query))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.text().await.unwrap();
    Answer {
        status,
        content_type,
        body,
    }
}

#[derive(Debug, Default, Clone)]
struct Item {
    title: String,
    guid: String,
    link: String,
    comments: String,
    pub_date: String,
    size: String,
    categories: Vec<String>,
    enclosure: (String, String, String),
    attrs: Vec<(String, String)>,
}

impl Item {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn attrs_named(&self, name: &str) -> Vec<&str> {
        self.attrs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

struct Page {
    offset: usize,
    total: usize,
    items: Vec<Item>,
}

impl Page {
    fn titles(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.title.as_str()).collect()
    }
}

fn child_text(n: roxmltree::Node, name: &str) -> String {
    n.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .unwrap_or_default()
        .to_string()
}

/// Parses a result feed strictly; panics on anything that is not a Torznab RSS feed.
fn parse_feed(a: &Answer) -> Page {
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.content_type.contains("xml"), "{}", a.content_type);
    let doc = roxmltree::Document::parse(&a.body)
        .unwrap_or_else(|e| panic!("not well-formed XML ({e}): {}", a.body));
    let rss = doc.root_element();
    assert_eq!(rss.tag_name().name(), "rss", "{}", a.body);
    assert_eq!(rss.attribute("version"), Some("2.0"));
    let channel = rss.children().find(|c| c.has_tag_name("channel")).unwrap();
    let response = channel
        .children()
        .find(|c| c.has_tag_name((NS, "response")))
        .expect("torznab:response");
    let items = channel
        .children()
        .filter(|c| c.has_tag_name("item"))
        .map(|n| {
            let enc = n.children().find(|c| c.has_tag_name("enclosure")).unwrap();
            Item {
                title: child_text(n, "title"),
                guid: child_text(n, "guid"),
                link: child_text(n, "link"),
                comments: child_text(n, "comments"),
                pub_date: child_text(n, "pubDate"),
                size: child_text(n, "size"),
                categories: n
                    .children()
                    .filter(|c| c.has_tag_name("category"))
                    .map(|c| c.text().unwrap_or_default().to_string())
                    .collect(),
                enclosure: (
                    enc.attribute("url").unwrap().to_string(),
                    enc.attribute("length").unwrap().to_string(),
                    enc.attribute("type").unwrap().to_string(),
                ),
                attrs: n
                    .children()
                    .filter(|c| c.has_tag_name((NS, "attr")))
                    .map(|c| {
                        (
                            c.attribute("name").unwrap().to_string(),
                            c.attribute("value").unwrap().to_string(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Page {
        offset: response.attribute("offset").unwrap().parse().unwrap(),
        total: response.attribute("total").unwrap().parse().unwrap(),
        items,
    }
}

/// Parses a Torznab error strictly and returns its code.
fn error_code(a: &Answer) -> u16 {
    assert!(a.status < 500, "status {}: {}", a.status, a.body);
    assert!(a.content_type.contains("xml"), "{}", a.content_type);
    let doc = roxmltree::Document::parse(&a.body).unwrap();
    let e = doc.root_element();
    assert_eq!(e.tag_name().name(), "error", "{}", a.body);
    assert!(!e.attribute("description").unwrap().is_empty());
    e.attribute("code").unwrap().parse().unwrap()
}

async fn search(server: &Server, key: &str, query: &str) -> Page {
    parse_feed(&get(server, &format!("/api?apikey={key}&{query}")).await)
}

/// Uploads a one-file torrent with `meta`; returns its info-hash.
async fn share(server: &Server, key: &str, seed: u64, meta: serde_json::Value) -> String {
    let torrent = single_file_torrent(&format!("file {seed}.mkv"), seed, 20_000 + seed as usize);
    let ih = info_hash_hex(&torrent);
    upload_new(server, key, torrent, meta).await;
    ih
}

/// A small library from one member: movies, episodes, a season pack, specials, albums.
async fn library(server: &Server, key: &str) {
    let items = [
        json!({"category": 2040, "title": "The Shawshank Redemption (1994) [Bluray-1080p]-GRP", "imdb_id": 111161, "tmdb_id": 278, "year": 1994}),
        json!({"category": 2045, "title": "Amélie (2001) [WEBDL-2160p]-FR", "imdb_id": 211915, "tmdb_id": 194, "year": 2001}),
        json!({"category": 5040, "title": "Breaking Bad (2008) - S01 [Bluray-1080p]", "tvdb_id": 81189, "tmdb_id": 1396, "imdb_id": 903747, "season": 1}),
        json!({"category": 5040, "title": "Breaking Bad (2008) - S02E01 [HDTV-720p]", "tvdb_id": 81189, "season": 2, "episode": 1}),
        json!({"category": 5040, "title": "Breaking Bad (2008) - S02E02 [HDTV-720p]", "tvdb_id": 81189, "season": 2, "episode": 2}),
        json!({"category": 5030, "title": "Breaking Bad (2008) - S00E01 Special [SDTV]", "tvdb_id": 81189, "season": 0, "episode": 1}),
        json!({"category": 3040, "title": "Daft Punk - Random Access Memories (2013) [FLAC]", "artist": "Daft Punk", "album": "Random Access Memories", "year": 2013}),
        json!({"category": 3010, "title": "Björk - Homogenic (1997) [MP3-320]", "artist": "Björk", "album": "Homogenic", "year": 1997}),
    ];
    for (n, meta) in items.into_iter().enumerate() {
        share(server, key, 100 + n as u64, meta).await;
    }
}

/// id, name, and the (id, name) of each subcategory.
type CapsCategory = (String, String, Vec<(String, String)>);

mod caps_and_feed;
mod errors;
mod items;
mod search;
mod startup;
