//! Item fields and links, markup and non-ASCII in titles.
use super::*;

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
