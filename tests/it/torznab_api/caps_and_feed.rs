//! caps and the *arr apps' test requests (the empty-query feed).
use super::*;

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
