//! Uploads and downloads: the info-hash kept, announce URLs written, bad uploads refused, duplicates.
use super::*;

#[tokio::test]
async fn upload_then_download_keeps_the_info_hash_and_sets_the_announce_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;

    let torrent = single_file_torrent("Movie (2020).mkv", 1, 100_000);
    let ih = info_hash_hex(&torrent);
    let body = upload_new(&server, &alice.api_key, torrent, movie_meta()).await;
    assert_eq!(body["info_hash"], ih);
    assert_eq!(body["size"], 100_000);
    assert_eq!(body["title"], "Movie (2020) [Bluray-1080p]-GRP");

    let resp = api_get(
        &server,
        &format!("/api/v1/torrents/{ih}/download"),
        &bob.api_key,
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-bittorrent");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("Movie (2020).mkv.torrent"));
    let file = resp.bytes().await.unwrap();
    assert_eq!(info_hash_hex(&file), ih);
    let root = privateindexer::bencode::decode(&file).unwrap();
    assert_eq!(
        root.get("announce").unwrap().as_str().unwrap(),
        bob.announce_url
    );
    assert!(bob
        .announce_url
        .ends_with(&format!("/announce/{}", bob.passkey)));
    assert!(root.get("announce-list").is_none());

    // The `apikey` query form works too, and the grab is counted for both sides.
    let resp = client()
        .get(server.url(&format!(
            "/api/v1/torrents/{ih}/download?apikey={}",
            bob.api_key
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let me_bob = me_json(&server, &bob.api_key).await;
    assert_eq!(me_bob["grabs"], 2);
    assert_eq!(me_bob["label"], "bob");
    assert_eq!(me_bob["announce_url"], bob.announce_url.as_str());
    let me_alice = me_json(&server, &alice.api_key).await;
    assert_eq!(me_alice["uploads"], 1);
    assert_eq!(me_alice["popularity"], 2);

    // The uploader fetching their own torrent is not a grab.
    assert_eq!(download_status(&server, &ih, &alice.api_key).await, 200);
    let me_alice = me_json(&server, &alice.api_key).await;
    assert_eq!(me_alice["grabs"], 0);
    assert_eq!(me_alice["popularity"], 2);
}

#[tokio::test]
async fn health_needs_no_key_and_everything_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let resp = client()
        .get(server.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for (path, key) in [
        ("/api/v1/me", ""),
        ("/api/v1/me", "nothex"),
        ("/api/v1/me", &"a".repeat(64)),
    ] {
        let resp = api_get(&server, path, key).await;
        assert_eq!(resp.status(), 401);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("API key"));
    }
    let resp = client()
        .get(server.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.json::<serde_json::Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_named_reason_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let good = single_file_torrent("a.mkv", 2, 50_000);
    let good_ih = info_hash_hex(&good);

    let public = make_torrent(
        "p.mkv",
        &[TestFile {
            path: vec![],
            data: content(3, 40_000),
        }],
        16384,
        false,
    );
    let mut truncated = good.clone();
    truncated.truncate(good.len() - 10);
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"junk");
    let no_info =
        privateindexer::bencode::dict([("announce", privateindexer::bencode::Owned::str("x"))])
            .encode();
    let zero_piece = replace_bytes(&good, b"12:piece lengthi16384e", b"12:piece lengthi0e");
    let mut oversized = b"d4:infod6:lengthi1e4:name1:a12:piece lengthi1e6:pieces".to_vec();
    // Just over the 10 MiB torrent cap, so the whole form still fits the body limit.
    let big = 10 * 1024 * 1024 + 20_000;
    oversized.extend_from_slice(format!("{big}:").as_bytes());
    oversized.extend(vec![0u8; big]);
    oversized.extend_from_slice(b"ee");
    // Pieces for 50 000 bytes at 16 KiB are 4; claim a bigger file so the count mismatches.
    let wrong_count = replace_bytes(&good, b"6:lengthi50000e", b"6:lengthi90000e");

    let cases: Vec<(&str, Vec<u8>, serde_json::Value, u16, &str)> = vec![
        (
            "not bencode",
            b"hello world".to_vec(),
            movie_meta(),
            400,
            "bencode",
        ),
        ("truncated", truncated, movie_meta(), 400, "end of data"),
        ("trailing bytes", trailing, movie_meta(), 400, "trailing"),
        ("no info", no_info, movie_meta(), 422, "info"),
        ("not private", public, movie_meta(), 422, "private"),
        (
            "zero piece length",
            zero_piece,
            movie_meta(),
            422,
            "piece length",
        ),
        ("piece count", wrong_count, movie_meta(), 422, "pieces"),
        ("oversized", oversized, movie_meta(), 413, "large"),
        (
            "bad category",
            good.clone(),
            json!({"category": 4000}),
            422,
            "category",
        ),
        (
            "unknown meta field",
            good.clone(),
            json!({"category": 2040, "bogus": 1}),
            422,
            "bogus",
        ),
        ("meta not json", good.clone(), json!("nope"), 422, "meta"),
        (
            "bad imdb",
            good.clone(),
            json!({"category": 2040, "imdb_id": "nm123"}),
            422,
            "IMDb",
        ),
        (
            "season on a movie",
            good.clone(),
            json!({"category": 2040, "season": 1}),
            422,
            "season",
        ),
        (
            "bad year",
            good.clone(),
            json!({"category": 2040, "year": 3000}),
            422,
            "year",
        ),
        (
            "control chars",
            good.clone(),
            json!({"category": 2040, "title": "a\nb"}),
            422,
            "title",
        ),
    ];
    for (what, torrent, meta, status, needle) in cases {
        let (got, body) = upload(&server, &alice.api_key, torrent, meta).await;
        assert_eq!(got, status, "{what}: {body}");
        let msg = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no error field in {body}"));
        assert!(
            msg.contains(needle),
            "{what}: {msg:?} should mention {needle:?}"
        );
    }

    // Missing parts.
    let form = reqwest::multipart::Form::new().text("meta", movie_meta().to_string());
    let resp = client()
        .post(server.url("/api/v1/torrents"))
        .header("X-Api-Key", &alice.api_key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("torrent"));
    // Not multipart at all.
    let resp = client()
        .post(server.url("/api/v1/torrents"))
        .header("X-Api-Key", &alice.api_key)
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());

    // Nothing was stored by any of the above.
    let me = me_json(&server, &alice.api_key).await;
    assert_eq!(me["uploads"], 0);
    assert_eq!(
        download_status(&server, &good_ih, &alice.api_key).await,
        404
    );
    let stats: serde_json::Value = admin_stats(&server).await;
    assert_eq!(stats["torrents"], 0);
}

#[tokio::test]
async fn duplicates_update_for_the_uploader_and_conflict_for_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let t = single_file_torrent("Show.S01E01.mkv", 4, 30_000);

    let (s, _) = upload(
        &server,
        &alice.api_key,
        t.clone(),
        json!({"category": 5040, "title": "Show - S01E01", "season": 1, "episode": 1}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, body) = upload(&server, &alice.api_key, t.clone(), json!({"category": 5040, "title": "Show (2019) - S01E01", "season": 1, "episode": 1, "tvdb_id": 42})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["title"], "Show (2019) - S01E01");
    assert_eq!(body["created"], false);
    let (s, body) = upload(&server, &bob.api_key, t.clone(), json!({"category": 5040})).await;
    assert_eq!(s, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("already"));

    // A different announce URL does not make a different torrent: the info-hash decides.
    let mut other_announce = t.clone();
    let pos = other_announce
        .windows(8)
        .position(|w| w == b"elsewher")
        .unwrap();
    other_announce[pos] = b'E';
    let (s, _) = upload(
        &server,
        &bob.api_key,
        other_announce,
        json!({"category": 5040}),
    )
    .await;
    assert_eq!(s, 409);

    let me = me_json(&server, &alice.api_key).await;
    assert_eq!(me["uploads"], 1);
}
