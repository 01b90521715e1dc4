//! The client API over real HTTP: members, uploads, downloads, sync, withdrawal.

use crate::harness::*;
use serde_json::json;

fn movie_meta() -> serde_json::Value {
    json!({"category": 2040, "title": "Movie (2020) [Bluray-1080p]-GRP", "imdb_id": "tt0133093", "year": 2020})
}

fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let pos = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    [&hay[..pos], to, &hay[pos + from.len()..]].concat()
}

/// `GET /api/v1/me` as JSON.
async fn me_json(server: &Server, key: &str) -> serde_json::Value {
    api_get(server, "/api/v1/me", key)
        .await
        .json()
        .await
        .unwrap()
}

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

#[tokio::test]
async fn rotation_and_disabling_take_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let admin = |path: String| admin_request(&server, reqwest::Method::POST, &path);

    let rotated: Keys = admin(format!("/admin/api/users/{}/rotate", alice.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated.api_key, alice.api_key);
    assert_ne!(rotated.passkey, alice.passkey);
    assert_eq!(
        api_get(&server, "/api/v1/me", &alice.api_key)
            .await
            .status(),
        401
    );
    let me = me_json(&server, &rotated.api_key).await;
    assert_eq!(me["announce_url"], rotated.announce_url.as_str());

    assert_eq!(
        admin(format!("/admin/api/users/{}/disable", alice.id))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let resp = api_get(&server, "/api/v1/me", &rotated.api_key).await;
    assert_eq!(resp.status(), 403);
    assert!(resp.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    let (s, _) = upload(
        &server,
        &rotated.api_key,
        single_file_torrent("x", 5, 1000),
        movie_meta(),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        admin(format!("/admin/api/users/{}/enable", alice.id))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        api_get(&server, "/api/v1/me", &rotated.api_key)
            .await
            .status(),
        200
    );

    let list: serde_json::Value = admin_get(&server, "/admin/api/users").await;
    let text = list.to_string();
    assert!(
        !text.contains(&rotated.api_key) && !text.contains(&rotated.passkey),
        "keys must never be listed"
    );
    assert_eq!(list[0]["label"], "alice");

    let del = admin_request(
        &server,
        reqwest::Method::DELETE,
        &format!("/admin/api/users/{}", alice.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(
        api_get(&server, "/api/v1/me", &rotated.api_key)
            .await
            .status(),
        401
    );
    assert_eq!(
        admin("/admin/api/users/999/rotate".into())
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        admin("/admin/api/users/abc/disable".into())
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn admin_api_refuses_bad_credentials_and_bad_labels() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let resp = client()
        .get(server.url("/admin/api/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = client()
        .get(server.url("/admin/api/users"))
        .basic_auth("admin", Some("wrong password!"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client()
        .get(server.url("/admin/api/users"))
        .basic_auth("root", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let post = |body: serde_json::Value| {
        admin_request(&server, reqwest::Method::POST, "/admin/api/users")
            .json(&body)
            .send()
    };
    assert_eq!(post(json!({"label": ""})).await.unwrap().status(), 422);
    assert_eq!(
        post(json!({"label": "a\u{7}b"})).await.unwrap().status(),
        422
    );
    assert_eq!(
        post(json!({"label": "x".repeat(65)}))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(post(json!({"nope": 1})).await.unwrap().status(), 400);
    assert_eq!(post(json!({"label": "carol"})).await.unwrap().status(), 201);
    assert_eq!(post(json!({"label": "Carol"})).await.unwrap().status(), 409);
}

#[tokio::test]
async fn repeated_admin_failures_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut last = 0;
    for _ in 0..11 {
        last = client()
            .get(server.url("/admin/api/stats"))
            .basic_auth("admin", Some("not the password"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    // Even the right password waits out the block.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
}

/// Status of an admin API call with a wrong password, sent with these forwarding headers.
async fn failed_admin_call(server: &Server, headers: &[(&str, &str)]) -> u16 {
    let mut req = client()
        .get(server.url("/admin/api/stats"))
        .basic_auth("admin", Some("not the password"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_count_per_forwarded_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("TRUSTED_PROXIES", "127.0.0.1")]);
    let mallory = [("X-Forwarded-For", "203.0.113.9")];
    for _ in 0..10 {
        assert_eq!(failed_admin_call(&server, &mallory).await, 401);
    }
    assert_eq!(failed_admin_call(&server, &mallory).await, 429);
    // Another client behind the same proxy is not locked out by mallory.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .header("X-Real-IP", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(server);

    // Without TRUSTED_PROXIES the headers are not believed: changing them does not dodge the limit.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for i in 0..10 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(
            failed_admin_call(&server, &[("X-Forwarded-For", &ip)]).await,
            401
        );
    }
    assert_eq!(
        failed_admin_call(&server, &[("X-Real-IP", "198.51.100.77")]).await,
        429
    );
}

#[tokio::test]
async fn sync_reports_missing_and_orphaned_torrents() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let a1 = single_file_torrent("a1", 10, 20_000);
    let a2 = single_file_torrent("a2", 11, 20_000);
    let b1 = single_file_torrent("b1", 12, 20_000);
    let (h1, h2, hb) = (info_hash_hex(&a1), info_hash_hex(&a2), info_hash_hex(&b1));
    for (key, t) in [
        (&alice.api_key, a1),
        (&alice.api_key, a2),
        (&bob.api_key, b1),
    ] {
        assert_eq!(upload(&server, key, t, movie_meta()).await.0, 201);
    }
    let unknown = "ab".repeat(20);
    let resp = client()
        .post(server.url("/api/v1/sync"))
        .header("X-Api-Key", &alice.api_key)
        .json(&json!({"info_hashes": [h1, hb, unknown.to_uppercase()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["missing"], json!([unknown]));
    assert_eq!(body["orphaned"], json!([h2]));

    for bad in [
        json!({"info_hashes": ["xyz"]}),
        json!({"hashes": []}),
        json!([1, 2]),
    ] {
        let resp = client()
            .post(server.url("/api/v1/sync"))
            .header("X-Api-Key", &alice.api_key)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn only_the_uploader_or_admin_withdraws() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let t1 = single_file_torrent("w1", 20, 20_000);
    let t2 = single_file_torrent("w2", 21, 20_000);
    let (h1, h2) = (info_hash_hex(&t1), info_hash_hex(&t2));
    upload(&server, &alice.api_key, t1, movie_meta()).await;
    upload(&server, &alice.api_key, t2, movie_meta()).await;
    let del = |ih: &str| client().delete(server.url(&format!("/api/v1/torrents/{ih}")));

    assert_eq!(
        del(&h1)
            .header("X-Api-Key", &bob.api_key)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        del(&h1)
            .header("X-Api-Key", &alice.api_key)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(download_status(&server, &h1, &bob.api_key).await, 404);
    assert_eq!(
        del(&h1)
            .header("X-Api-Key", &alice.api_key)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        del("zz")
            .header("X-Api-Key", &alice.api_key)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        del(&h2)
            .basic_auth("admin", Some("bad password!!"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        del(&h2)
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(download_status(&server, &h2, &alice.api_key).await, 404);
    let me = me_json(&server, &alice.api_key).await;
    assert_eq!(me["uploads"], 0);
    // Withdrawn torrents can be shared again.
    upload_new(
        &server,
        &bob.api_key,
        single_file_torrent("w1", 20, 20_000),
        movie_meta(),
    )
    .await;
}

#[tokio::test]
async fn a_restart_keeps_members_torrents_and_counters() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let t = single_file_torrent("keep.mkv", 30, 60_000);
    let ih = info_hash_hex(&t);
    assert_eq!(
        upload(&server, &alice.api_key, t, movie_meta()).await.0,
        201
    );
    assert_eq!(download_status(&server, &ih, &bob.api_key).await, 200);
    let status = server.stop();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    let server = Server::start(dir.path());
    assert_eq!(download_status(&server, &ih, &bob.api_key).await, 200);
    let me = me_json(&server, &alice.api_key).await;
    assert_eq!(me["uploads"], 1);
    assert_eq!(me["popularity"], 2);
    let me_bob = me_json(&server, &bob.api_key).await;
    // The port differs after a restart on port 0; the passkey must not.
    assert!(me_bob["announce_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/announce/{}", bob.passkey)));
    assert!(
        !server.log_text().contains(&alice.api_key),
        "keys must never be logged"
    );
}
