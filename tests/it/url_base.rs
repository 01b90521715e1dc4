//! URL_BASE: with and without a base, every route is served under it and every
//! link the server hands out (panel pages, redirects, cookies, assets, Torznab
//! links/enclosures/comments, download links, announce URLs) carries it.

use std::collections::{BTreeSet, VecDeque};

use crate::harness::panel::{location, set_cookie, Visitor};
use crate::harness::*;
use privateindexer::bencode::decode;

/// The values of `attr="…"` in an HTML or XML text, entities undone.
fn attrs(text: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    text.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &text[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

/// The texts of `<tag>…</tag>`, entities undone.
fn elements(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.match_indices(&open)
        .filter_map(|(at, _)| {
            let rest = &xml[at + open.len()..];
            rest.find(&close)
                .map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

/// Logs in and follows every link, asset and GET form of the panel; each must
/// start with `base` and answer 200. Returns the pages read.
async fn crawl_panel(server: &Server, base: &str) -> BTreeSet<String> {
    let mut v = Visitor::under(server, base);
    let resp = v.get(&format!("{base}/admin")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), format!("{base}/admin/login"));
    let resp = v.get(&format!("{base}/admin/login")).await;
    let pre = set_cookie(&resp, "pi_pre").unwrap().to_string();
    assert!(pre.contains(&format!("Path={base}/admin;")), "{pre}");
    v.login().await;

    let mut seen = BTreeSet::new();
    let mut todo = VecDeque::from([format!("{base}/admin")]);
    while let Some(path) = todo.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let resp = v.get(&path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let html = resp
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap().starts_with("text/html"));
        let body = resp.text().await.unwrap();
        if !html {
            continue;
        }
        let actions = attrs(&body, "action");
        for link in attrs(&body, "href")
            .into_iter()
            .chain(attrs(&body, "src"))
            .chain(actions.iter().cloned())
        {
            if link == "#" {
                continue;
            }
            assert!(
                link.starts_with(&format!("{base}/")),
                "{path} links to {link} outside URL_BASE {base:?}"
            );
        }
        // Follow links, assets and the GET forms (the filter form); POST
        // actions were checked for the prefix above.
        let get_forms = body
            .match_indices("<form method=\"get\" action=\"")
            .filter_map(|(at, _)| attrs(&body[at..], "action").into_iter().next());
        for link in attrs(&body, "href")
            .into_iter()
            .chain(attrs(&body, "src"))
            .chain(get_forms)
        {
            if link != "#" && !seen.contains(&link) {
                todo.push_back(link);
            }
        }
    }
    seen
}

async fn everything_under(base: &str) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    // EXTERNAL_SERVER_URL without the base: the server appends URL_BASE.
    let bind = format!("127.0.0.1:{port}");
    let raw_base = format!("{base}/");
    let server = Server::start_with(
        dir.path(),
        &[
            ("BIND", &bind),
            ("EXTERNAL_SERVER_URL", &origin),
            ("URL_BASE", &raw_base),
        ],
    );
    let public = format!("{origin}{base}");
    let at = |p: &str| server.url(&format!("{base}{p}"));

    let health = client().get(at("/api/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    if !base.is_empty() {
        for outside in [
            "/api/v1/health",
            "/admin",
            "/api?t=caps",
            "/static/panel.css",
        ] {
            let r = client().get(server.url(outside)).send().await.unwrap();
            assert_eq!(r.status(), 404, "{outside} answered outside URL_BASE");
        }
    }

    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("{base}/admin/api/users"),
    )
    .json(&serde_json::json!({ "label": "alice" }))
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 201);
    let keys: Keys = resp.json().await.unwrap();
    assert_eq!(
        keys.announce_url,
        format!("{public}/announce/{}", keys.passkey)
    );

    let torrent = single_file_torrent("Some.Movie.2021.1080p.WEB-DL-GRP.mkv", 7, 40_000);
    let ih = info_hash_hex(&torrent);
    let form = reqwest::multipart::Form::new()
        .part(
            "torrent",
            reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
        )
        .text(
            "meta",
            serde_json::json!({"category": 2040, "title": "Some Movie (2021) [WEBDL-1080p]-GRP"})
                .to_string(),
        );
    let resp = client()
        .post(at("/api/v1/torrents"))
        .header("X-Api-Key", &keys.api_key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    // Torznab: caps and the feed's links all point under the base, and work.
    let caps = client()
        .get(at(&format!("/api?t=caps&apikey={}", keys.api_key)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(caps.contains(&format!("\"{public}/\"")), "{caps}");
    let feed = client()
        .get(at(&format!("/api?t=search&apikey={}", keys.api_key)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let links: Vec<String> = elements(&feed, "link")
        .into_iter()
        .chain(elements(&feed, "comments"))
        .chain(attrs(&feed, "url"))
        .chain(attrs(&feed, "href"))
        .collect();
    assert!(
        links.len() >= 5,
        "self, channel link, item link, comments, enclosure: {feed}"
    );
    for link in &links {
        assert!(link.starts_with(&format!("{public}/")), "{link}");
        // The channel's <link> is the site itself, which serves no page.
        if link.trim_end_matches('/') == public {
            continue;
        }
        let resp = client().get(link).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{link}");
    }
    let download = elements(&feed, "comments")[0].replace(
        &format!("/view/{ih}"),
        &format!("/api/v1/torrents/{ih}/download"),
    );
    assert!(elements(&feed, "link").contains(&download), "{feed}");
    let bytes = get_bytes(&download).await;
    let root = decode(&bytes).unwrap();
    let announce = root.get("announce").unwrap().as_str().unwrap().to_string();
    assert_eq!(announce, keys.announce_url);

    // The announce URL reaches the tracker: a bencoded answer, no failure.
    let mut ih_bytes = [0u8; 20];
    hex::decode_to_slice(&ih, &mut ih_bytes).unwrap();
    let answer = get_bytes(format!(
        "{announce}?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left=0",
        url_bytes(&ih_bytes),
        url_bytes(b"-PI0001-abcdefghijkl")
    ))
    .await;
    let answer = decode(&answer).unwrap();
    assert!(
        answer.get("failure reason").is_none() && answer.get("interval").is_some(),
        "announce under the base refused"
    );

    // The panel: every page, link and asset under the base; the overview
    // shows the URLs handed out.
    let pages = crawl_panel(&server, base).await;
    for must in [
        format!("{base}/admin/users"),
        format!("{base}/admin/torrents"),
        format!("{base}/admin/torrents/{ih}"),
        format!("{base}/static/panel.css"),
        format!("{base}/static/panel.js"),
    ] {
        assert!(pages.contains(&must), "{must} not linked: {pages:?}");
    }
    let mut v = Visitor::under(&server, base);
    v.login().await;
    let (_, overview) = v.page(&format!("{base}/admin")).await;
    assert!(
        overview.contains(&format!(r#"id="url-server">{public}<"#)),
        "{overview}"
    );
    assert!(overview.contains(&format!(r#"id="url-torznab">{public}/api<"#)));
    assert!(overview.contains(&format!(
        r#"id="url-tracker">{public}/announce/{{passkey}}<"#
    )));
}

#[tokio::test]
async fn every_route_and_link_lives_under_url_base() {
    everything_under("/indexer").await;
}

#[tokio::test]
async fn without_url_base_everything_is_at_the_root() {
    everything_under("").await;
}

#[tokio::test]
async fn a_bad_url_base_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .args(["server", "--url-base", "/a/../b"])
        .env("DATA_DIR", dir.path())
        .env("BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("URL_BASE"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
