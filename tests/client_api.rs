//! The client API over real HTTP: members, uploads, downloads, sync, withdrawal.

mod common;

use common::*;

#[tokio::test]
async fn upload_then_download_keeps_the_info_hash_and_sets_the_announce_url() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;

    let torrent = single_file_torrent("Movie (2020).mkv", 1, 100_000);
    let ih = info_hash_hex(&torrent);
    let (status, body) = upload(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040, "title": "Movie (2020) [Bluray-1080p]-GRP"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["info_hash"], ih);

    let resp = client()
        .get(server.url(&format!("/api/v1/torrents/{ih}/download")))
        .header("X-Api-Key", &bob.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-bittorrent");
    let file = resp.bytes().await.unwrap();
    assert_eq!(info_hash_hex(&file), ih);
    let root = privateindexer::bencode::decode(&file).unwrap();
    assert_eq!(
        root.get("announce").unwrap().as_str().unwrap(),
        bob.announce_url
    );
    assert!(root.get("announce-list").is_none());
}
