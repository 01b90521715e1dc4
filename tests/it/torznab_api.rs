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

#[tokio::test]
async fn caps_answers_with_or_without_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    for path in [
        "/api?t=caps".to_string(),
        format!("/api?t=caps&apikey={}", alice.api_key),
        "/torznab/api?t=caps&apikey=wrong".to_string(),
    ] {
        let a = get(&server, &path).await;
        assert_eq!(a.status, 200, "{path}");
        assert!(a.content_type.contains("xml"));
        let doc = roxmltree::Document::parse(&a.body).unwrap();
        let caps = doc.root_element();
        assert_eq!(caps.tag_name().name(), "caps");
        let find = |name: &str| caps.descendants().find(|n| n.has_tag_name(name)).unwrap();
        assert!(find("server").attribute("title").is_some());
        assert_eq!(find("limits").attribute("default"), Some("100"));
        assert_eq!(find("limits").attribute("max"), Some("1000"));
        for (mode, avail, params) in [
            ("search", "yes", "q"),
            ("tv-search", "yes", "q,season,ep,imdbid,tvdbid,tmdbid"),
            ("movie-search", "yes", "q,imdbid,tmdbid"),
            ("music-search", "yes", "q,artist,album"),
            ("audio-search", "yes", "q,artist,album"),
        ] {
            let m = find(mode);
            assert_eq!(m.attribute("available"), Some(avail), "{mode}");
            assert_eq!(m.attribute("supportedParams"), Some(params), "{mode}");
        }
        assert_eq!(find("book-search").attribute("available"), Some("no"));
        let cats: Vec<CapsCategory> = caps
            .descendants()
            .filter(|n| n.has_tag_name("category"))
            .map(|c| {
                (
                    c.attribute("id").unwrap().into(),
                    c.attribute("name").unwrap().into(),
                    c.children()
                        .filter(|s| s.has_tag_name("subcat"))
                        .map(|s| {
                            (
                                s.attribute("id").unwrap().into(),
                                s.attribute("name").unwrap().into(),
                            )
                        })
                        .collect(),
                )
            })
            .collect();
        let sub = |parent: &str, id: &str, name: &str| {
            let (_, _, subs) = cats.iter().find(|(i, _, _)| i == parent).unwrap();
            assert!(
                subs.iter().any(|(i, n)| i == id && n == name),
                "{parent} lacks {id} {name}"
            );
        };
        for (id, name) in [("2000", "Movies"), ("5000", "TV"), ("3000", "Audio")] {
            assert!(cats.iter().any(|(i, n, _)| i == id && n == name));
        }
        sub("2000", "2030", "Movies/SD");
        sub("2000", "2040", "Movies/HD");
        sub("2000", "2045", "Movies/UHD");
        sub("5000", "5030", "TV/SD");
        sub("5000", "5040", "TV/HD");
        sub("5000", "5045", "TV/UHD");
        sub("3000", "3010", "Audio/MP3");
        sub("3000", "3040", "Audio/Lossless");
    }
}

#[tokio::test]
async fn the_apps_test_requests_return_the_newest_items() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    library(&server, &alice.api_key).await;
    let k = &bob.api_key;

    // Sonarr
    let p = search(
        &server,
        k,
        "t=tvsearch&cat=5030,5040&extended=1&offset=0&limit=100",
    )
    .await;
    assert_eq!(p.total, 4);
    assert_eq!(
        p.items[0].title,
        "Breaking Bad (2008) - S00E01 Special [SDTV]"
    );
    // Radarr
    let p = search(&server, k, "t=movie&cat=2000,2040").await;
    assert_eq!(
        p.titles(),
        [
            "Amélie (2001) [WEBDL-2160p]-FR",
            "The Shawshank Redemption (1994) [Bluray-1080p]-GRP"
        ]
    );
    // Lidarr
    let p = search(&server, k, "t=music&cat=3000").await;
    assert_eq!(p.total, 2);
    assert_eq!(p.items[0].title, "Björk - Homogenic (1997) [MP3-320]");
    // Prowlarr: no q, no cat — everything, newest first.
    let p = search(&server, k, "t=search&extended=1").await;
    assert_eq!(p.total, 8);
    assert_eq!(p.offset, 0);
    assert_eq!(p.items[0].title, "Björk - Homogenic (1997) [MP3-320]");
    assert_eq!(
        p.items[7].title,
        "The Shawshank Redemption (1994) [Bluray-1080p]-GRP"
    );
    // The same at /torznab/api, key in the header.
    let resp = client()
        .get(server.url("/torznab/api?t=search"))
        .header("X-Api-Key", k)
        .send()
        .await
        .unwrap();
    let a = Answer {
        status: resp.status().as_u16(),
        content_type: resp.headers()["content-type"].to_str().unwrap().into(),
        body: resp.text().await.unwrap(),
    };
    assert_eq!(parse_feed(&a).total, 8);
}

#[tokio::test]
async fn search_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    library(&server, &alice.api_key).await;
    let k = &bob.api_key;
    let titles = |p: Page| -> Vec<String> { p.titles().iter().map(|s| s.to_string()).collect() };

    // Words: case, accents, punctuation and separators folded, any order, all required.
    for q in ["amelie", "AMÉLIE", "2160p.amelie", "amelie_2001", "Amélie!"] {
        let p = search(&server, k, &format!("t=search&q={q}")).await;
        assert_eq!(p.titles(), ["Amélie (2001) [WEBDL-2160p]-FR"], "{q}");
    }
    assert_eq!(
        search(&server, k, "t=search&q=redemption%20shawshank")
            .await
            .total,
        1
    );
    assert_eq!(
        search(&server, k, "t=search&q=shawshank%20amelie")
            .await
            .total,
        0
    );
    assert_eq!(search(&server, k, "t=search&q=bjork").await.total, 1);
    assert_eq!(search(&server, k, "t=search&q=breaking+bad").await.total, 4);

    // Categories: a parent matches its children; a child only itself.
    assert_eq!(search(&server, k, "t=search&cat=5000").await.total, 4);
    assert_eq!(search(&server, k, "t=search&cat=5030").await.total, 1);
    assert_eq!(search(&server, k, "t=search&cat=2000,3040").await.total, 3);
    assert_eq!(search(&server, k, "t=search&cat=2030").await.total, 0);

    // Ids, imdb with or without tt.
    for id in ["tt0111161", "0111161", "111161"] {
        let p = search(&server, k, &format!("t=movie&imdbid={id}")).await;
        assert_eq!(p.total, 1, "{id}");
    }
    assert_eq!(
        search(&server, k, "t=movie&tmdbid=194").await.items[0].title,
        "Amélie (2001) [WEBDL-2160p]-FR"
    );
    assert_eq!(search(&server, k, "t=tvsearch&tvdbid=81189").await.total, 4);
    assert_eq!(search(&server, k, "t=tvsearch&tmdbid=1396").await.total, 1);
    assert_eq!(
        search(&server, k, "t=tvsearch&imdbid=tt0903747")
            .await
            .total,
        1
    );
    assert_eq!(
        search(&server, k, "t=movie&imdbid=tt9999999").await.total,
        0
    );
    // Radarr sends every id it knows; one of them matching is enough.
    let p = search(
        &server,
        k,
        "t=movie&cat=2000&imdbid=tt0111161&tmdbid=999999",
    )
    .await;
    assert_eq!(p.total, 1);

    // Seasons: packs and episodes of the season; specials are season 00; ep narrows.
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=1").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S01 [Bluray-1080p]"]);
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=2").await;
    assert_eq!(
        titles(p),
        [
            "Breaking Bad (2008) - S02E02 [HDTV-720p]",
            "Breaking Bad (2008) - S02E01 [HDTV-720p]"
        ]
    );
    let p = search(&server, k, "t=tvsearch&tvdbid=81189&season=2&ep=1").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S02E01 [HDTV-720p]"]);
    let p = search(&server, k, "t=tvsearch&q=breaking%20bad&season=00").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S00E01 Special [SDTV]"]);
    let p = search(&server, k, "t=tvsearch&q=Breaking.Bad&season=2&ep=02").await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S02E02 [HDTV-720p]"]);

    // Music by artist and album.
    let p = search(&server, k, "t=music&artist=daft%20punk").await;
    assert_eq!(
        p.titles(),
        ["Daft Punk - Random Access Memories (2013) [FLAC]"]
    );
    let p = search(&server, k, "t=music&artist=Bjork&album=homogenic").await;
    assert_eq!(p.total, 1);
    assert_eq!(
        search(&server, k, "t=music&artist=bjork&album=memories")
            .await
            .total,
        0
    );

    // Paging: total counts every match, offset/limit pick the page.
    let all = titles(search(&server, k, "t=search").await);
    let p = search(&server, k, "t=search&limit=3&offset=2").await;
    assert_eq!((p.offset, p.total), (2, 8));
    assert_eq!(titles(p), all[2..5]);
    let p = search(&server, k, "t=search&q=breaking&limit=2&offset=3").await;
    assert_eq!((p.total, p.items.len()), (4, 1));
    let p = search(&server, k, "t=search&offset=100").await;
    assert_eq!((p.total, p.items.len()), (8, 0));

    // The caller's own uploads: in the feed (an *arr app's Test on a fresh
    // server), in searches only on request.
    assert_eq!(search(&server, &alice.api_key, "t=search").await.total, 8);
    assert_eq!(search(&server, &alice.api_key, "t=movie").await.total, 2);
    assert_eq!(
        search(&server, &alice.api_key, "t=search&q=amelie")
            .await
            .total,
        0
    );
    assert_eq!(
        search(&server, &alice.api_key, "t=search&include_my_uploads=1")
            .await
            .total,
        8
    );
    assert_eq!(
        search(
            &server,
            &alice.api_key,
            "t=tvsearch&tvdbid=81189&include_my_uploads=1"
        )
        .await
        .total,
        4
    );
}

#[tokio::test]
async fn items_carry_every_field_and_links_work_until_the_key_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let base = "https://indexer.example/pi";
    let server = Server::start_with(dir.path(), &[("EXTERNAL_SERVER_URL", base)]);
    // Links are absolute, on the public URL; fetch them here through the local address.
    let local = |url: &str| server.url(url.strip_prefix(base).unwrap());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let torrent = make_torrent(
        "Breaking.Bad.S01",
        &[
            TestFile {
                path: vec!["e1.mkv"],
                data: content(1, 40_000),
            },
            TestFile {
                path: vec!["e2.mkv"],
                data: content(2, 30_000),
            },
        ],
        16 * 1024,
        true,
    );
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        json!({"category": 5040, "title": "Breaking Bad (2008) - S01 [Bluray-1080p]", "imdb_id": 903747, "tmdb_id": 1396, "tvdb_id": 81189, "season": 1, "year": 2008}),
    )
    .await;
    let album = share(
        &server,
        &alice.api_key,
        9,
        json!({"category": 3040, "title": "Daft Punk - Discovery", "artist": "Daft Punk", "album": "Discovery", "year": 2001}),
    )
    .await;

    let p = search(&server, &bob.api_key, "t=tvsearch&tvdbid=81189").await;
    assert_eq!(p.items.len(), 1);
    let it = &p.items[0];
    assert_eq!(it.guid, ih);
    assert_eq!(ih, ih.to_lowercase());
    let link = format!(
        "{base}/api/v1/torrents/{ih}/download?apikey={}",
        bob.api_key
    );
    assert_eq!(it.link, link);
    assert_eq!(
        it.enclosure,
        (
            link.clone(),
            "70000".into(),
            "application/x-bittorrent".into()
        )
    );
    assert_eq!(
        it.comments,
        format!("{base}/view/{ih}?apikey={}", bob.api_key)
    );
    assert_eq!(it.size, "70000");
    assert_eq!(it.categories, ["5040", "5000"]);
    // RFC 822, from the upload time (within the last few minutes).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (0..300).any(|ago| it.pub_date == privateindexer::torznab::render::rfc822(now - ago)),
        "{}",
        it.pub_date
    );
    assert!(it.pub_date.ends_with(" +0000"));
    assert_eq!(it.attrs_named("category"), ["5040", "5000"]);
    for (name, value) in [
        ("size", "70000"),
        ("files", "2"),
        ("grabs", "0"),
        ("seeders", "0"),
        ("leechers", "0"),
        ("peers", "0"),
        ("infohash", ih.as_str()),
        ("downloadvolumefactor", "1"),
        ("uploadvolumefactor", "1"),
        ("imdb", "0903747"),
        ("imdbid", "tt0903747"),
        ("tmdbid", "1396"),
        ("tvdbid", "81189"),
        ("season", "1"),
        ("year", "2008"),
    ] {
        assert_eq!(it.attr(name), Some(value), "{name}");
    }
    assert_eq!(it.attr("episode"), None);
    assert_eq!(it.attr("magneturl"), None);

    let p = search(&server, &bob.api_key, "t=music&artist=daft+punk").await;
    let it = &p.items[0];
    assert_eq!(it.guid, album);
    assert_eq!(it.attr("artist"), Some("Daft Punk"));
    assert_eq!(it.attr("album"), Some("Discovery"));
    assert_eq!(it.attrs_named("category"), ["3040", "3000"]);

    // The enclosure downloads the torrent, and the grab is counted.
    let resp = client().get(local(&link)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(info_hash_hex(&resp.bytes().await.unwrap()), ih);
    let p = search(&server, &bob.api_key, "t=tvsearch&tvdbid=81189").await;
    assert_eq!(p.items[0].attr("grabs"), Some("1"));

    // Rotating bob's keys revokes the old link at once.
    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/rotate", bob.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let new_key = resp.json::<serde_json::Value>().await.unwrap()["api_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        client().get(local(&link)).send().await.unwrap().status(),
        401
    );
    let p = search(&server, &new_key, "t=tvsearch&tvdbid=81189").await;
    assert!(p.items[0].link.ends_with(&new_key));
}

#[tokio::test]
async fn titles_with_markup_characters_and_non_ascii_stay_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let nasty = [
        "Tom & Jerry <The \"Movie\"> it's 'quoted' (2021)",
        "Брат 2 — 千と千尋の神隠し ]]> &amp; <!-- x -->",
        "Law & Order: SVU S01E01 <HDTV> ©®™ 😀",
    ];
    for (n, title) in nasty.iter().enumerate() {
        share(
            &server,
            &alice.api_key,
            500 + n as u64,
            json!({"category": 3040, "title": title, "artist": title, "album": title}),
        )
        .await;
    }
    let p = search(&server, &bob.api_key, "t=search").await;
    let mut got: Vec<&str> = p.titles();
    got.reverse();
    assert_eq!(got, nasty);
    for it in &p.items {
        assert_eq!(it.attr("artist"), Some(it.title.as_str()));
    }
    let p = search(&server, &bob.api_key, "t=search&q=tom%20%26%20jerry").await;
    assert_eq!(p.titles(), [nasty[0]]);
    let p = search(&server, &bob.api_key, "t=search&q=брат").await;
    assert_eq!(p.titles(), [nasty[1]]);
}

#[tokio::test]
async fn errors_are_torznab_xml_never_500() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let bob = add_member(&server, "bob").await;
    let carol = add_member(&server, "carol").await;
    let k = &bob.api_key;

    assert_eq!(error_code(&get(&server, "/api?t=search").await), 100);
    assert_eq!(
        error_code(&get(&server, "/api?t=search&apikey=nope").await),
        100
    );
    let wrong = "0".repeat(64);
    assert_eq!(
        error_code(&get(&server, &format!("/torznab/api?t=movie&apikey={wrong}")).await),
        100
    );
    for q in [
        "t=search&cat=abc",
        "t=search&limit=-1",
        "t=tvsearch&season=x",
        "t=tvsearch&ep=two",
        "t=movie&imdbid=ttx",
        "t=search&offset=-1",
        "t=tvsearch&tvdbid=-3",
    ] {
        assert_eq!(
            error_code(&get(&server, &format!("/api?apikey={k}&{q}")).await),
            201,
            "{q}"
        );
    }
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=nope")).await),
        202
    );
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=book")).await),
        203
    );
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}")).await),
        200
    );
    // Odd bytes in the query are still answered in XML.
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=search&limit=%FF%00")).await),
        201
    );

    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", carol.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={}&t=search", carol.api_key)).await),
        101
    );
    // The client API under /api/v1 is untouched by the Torznab route.
    let health = get(&server, "/api/v1/health").await;
    assert_eq!(health.status, 200);
    assert!(health.body.contains("ok"));
}

#[tokio::test]
async fn the_index_is_rebuilt_from_the_store_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    library(&server, &alice.api_key).await;
    // A withdrawn torrent leaves the index at once.
    let gone = share(
        &server,
        &alice.api_key,
        77,
        json!({"category": 2040, "title": "Withdrawn Movie (2020)"}),
    )
    .await;
    assert_eq!(
        search(&server, &bob.api_key, "t=search&q=withdrawn")
            .await
            .total,
        1
    );
    let resp = client()
        .delete(server.url(&format!("/api/v1/torrents/{gone}")))
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        search(&server, &bob.api_key, "t=search&q=withdrawn")
            .await
            .total,
        0
    );
    assert!(server.stop().success());

    let server = Server::start(dir.path());
    assert!(server.log_text().contains("search index: 8 torrents"));
    let p = search(&server, &bob.api_key, "t=search&q=breaking%20bad").await;
    assert_eq!(p.total, 4);
    let p = search(
        &server,
        &bob.api_key,
        "t=tvsearch&tvdbid=81189&season=2&ep=2",
    )
    .await;
    assert_eq!(p.titles(), ["Breaking Bad (2008) - S02E02 [HDTV-720p]"]);
    assert_eq!(
        search(&server, &bob.api_key, "t=search&q=withdrawn")
            .await
            .total,
        0
    );
}
