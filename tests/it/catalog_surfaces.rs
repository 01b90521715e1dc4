//! A member disabled or a torrent deleted from any surface (admin API, client
//! API, admin panel) is refused by the tracker and gone from Torznab at once:
//! every surface goes through the one catalog service.

use privateindexer::bencode::decode;
use serde_json::json;

use crate::harness::panel::{location, Visitor};
use crate::harness::*;

/// The tracker's `failure reason` for `who` announcing `info_hash`, None when served.
async fn refusal(who: &Keys, info_hash: &str) -> Option<String> {
    let ih = url_bytes(&hex::decode(info_hash).unwrap());
    let url = format!(
        "{}?info_hash={ih}&peer_id=-PI0001-{:012}&port=6881&uploaded=0&downloaded=0&left=0&compact=1",
        who.announce_url, who.id
    );
    let body = get_bytes(url).await;
    decode(&body)
        .unwrap()
        .get("failure reason")
        .and_then(|f| f.as_str())
        .map(str::to_string)
}

/// The Torznab answer to `who` searching `q`.
async fn torznab(server: &Server, who: &Keys, q: &str) -> String {
    torznab_search(server, &who.api_key, q).await.1
}

/// Alice shares one torrent; Bob finds it and both may announce it.
async fn shared(server: &Server) -> (Keys, Keys, String) {
    let alice = add_member(server, "alice").await;
    let bob = add_member(server, "bob").await;
    let torrent = single_file_torrent("Surfacing.2024.mkv", 41, 50_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        server,
        &alice.api_key,
        torrent,
        json!({"category": 2040, "title": "Surfacing 2024"}),
    )
    .await;
    assert!(torznab(server, &bob, "surfacing").await.contains(&ih));
    assert_eq!(refusal(&alice, &ih).await, None);
    assert_eq!(refusal(&bob, &ih).await, None);
    (alice, bob, ih)
}

fn suspended(answer: &str) -> bool {
    answer.contains(r#"<error code="101""#)
}

#[tokio::test]
async fn through_the_admin_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (alice, bob, ih) = shared(&server).await;

    let disable = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", bob.id),
    );
    assert_eq!(disable.send().await.unwrap().status(), 204);
    assert!(refusal(&bob, &ih)
        .await
        .is_some_and(|r| r.contains("disabled")));
    assert!(suspended(&torznab(&server, &bob, "surfacing").await));

    // The admin withdraws Alice's torrent through the client API's DELETE.
    let delete = admin_request(
        &server,
        reqwest::Method::DELETE,
        &format!("/api/v1/torrents/{ih}"),
    );
    assert_eq!(delete.send().await.unwrap().status(), 204);
    assert!(refusal(&alice, &ih).await.is_some());
    assert!(!torznab(&server, &alice, "surfacing").await.contains(&ih));
}

#[tokio::test]
async fn through_the_client_api() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (alice, bob, ih) = shared(&server).await;

    let withdraw = client()
        .delete(server.url(&format!("/api/v1/torrents/{ih}")))
        .header("X-Api-Key", &alice.api_key);
    assert_eq!(withdraw.send().await.unwrap().status(), 204);
    assert!(refusal(&bob, &ih).await.is_some());
    assert!(!torznab(&server, &bob, "surfacing").await.contains(&ih));
}

#[tokio::test]
async fn through_the_admin_panel() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (alice, bob, ih) = shared(&server).await;
    let mut v = Visitor::new(&server);
    v.login().await;

    let resp = v
        .submit(
            "/admin/users",
            &format!("/admin/users/{}/disable", bob.id),
            &[],
        )
        .await;
    assert_eq!(location(&resp), "/admin/users?done=disabled");
    assert!(refusal(&bob, &ih)
        .await
        .is_some_and(|r| r.contains("disabled")));
    assert!(suspended(&torznab(&server, &bob, "surfacing").await));

    let resp = v
        .submit(
            "/admin/torrents",
            &format!("/admin/torrents/{ih}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&resp), "/admin/torrents?done=deleted");
    assert!(refusal(&alice, &ih).await.is_some());
    assert!(!torznab(&server, &alice, "surfacing").await.contains(&ih));
}
