//! Sync, withdrawal and restarts: what the server keeps of a member's catalogue.
use super::*;

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
