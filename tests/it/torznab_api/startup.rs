//! The index is rebuilt from the store at start-up.
use super::*;

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
    server.wait_log("the index size line", |l| {
        l.contains("search index: 8 torrents")
    });
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
