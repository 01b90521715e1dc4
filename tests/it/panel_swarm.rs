//! "Who seeds what" in the panel, against the real server binary: a torrent's
//! peers (member, client, progress, seeding since), a member's page (uploads,
//! what they seed and download, last announces and refused ones with the
//! reason), the uploader filter, local-time markup, and the overview's JSON figures.

use crate::harness::panel::*;
use crate::harness::*;

/// Announces on the main port with a client's peer id; returns the bencoded answer's failure, if any.
async fn announce(
    server: &Server,
    passkey: &str,
    ih: &[u8],
    peer_id: &[u8; 20],
    left: u64,
) -> Option<String> {
    let url = server.url(&format!(
        "/announce/{passkey}?info_hash={}&peer_id={}&port=7001&uploaded=0&downloaded=0&left={left}&event=started",
        url_bytes(ih),
        url_bytes(peer_id),
    ));
    let body = get_bytes(url).await;
    let answer = privateindexer::bencode::decode(&body).unwrap();
    answer
        .get("failure reason")
        .and_then(|f| f.as_str())
        .map(str::to_string)
}

#[tokio::test]
async fn torrent_and_member_pages_show_who_seeds_what() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let torrent = single_file_torrent("Seeded Film (2001).mkv", 4, 80_000);
    let ih_hex = info_hash_hex(&torrent);
    let ih = hex::decode(&ih_hex).unwrap();
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;

    // Alice seeds with qBittorrent, Bob has half of it in Transmission.
    assert_eq!(
        announce(&server, &alice.passkey, &ih, b"-qB4650-aaaaaaaaaaaa", 0).await,
        None
    );
    assert_eq!(
        announce(&server, &bob.passkey, &ih, b"-TR4060-bbbbbbbbbbbb", 40_000).await,
        None
    );
    // Bob's client also announces a torrent the tracker does not know.
    let refused = announce(
        &server,
        &bob.passkey,
        &[7u8; 20],
        b"-TR4060-bbbbbbbbbbbb",
        5,
    )
    .await;
    assert_eq!(
        refused.as_deref(),
        Some("torrent not registered with this tracker")
    );

    let mut v = Visitor::new(&server);
    v.login().await;
    let (status, page) = v.page(&format!("/admin/torrents/{ih_hex}")).await;
    assert_eq!(status, 200);
    for needle in [
        "Peers (2)",
        "qBittorrent 4.6.5",
        "Transmission 4.0.6",
        &format!("href=\"/admin/users/{}\">alice<", alice.id),
        &format!("href=\"/admin/users/{}\">bob<", bob.id),
        "value=\"50\"",
        "leeching",
        "<time datetime=\"",
    ] {
        assert!(
            page.contains(needle),
            "{needle} missing from the torrent page"
        );
    }
    // Seeders come first.
    assert!(page.find("qBittorrent").unwrap() < page.find("Transmission").unwrap());

    let (status, bob_page) = v.page(&format!("/admin/users/{}", bob.id)).await;
    assert_eq!(status, 200);
    for needle in [
        "Seeding now (0)",
        "Downloading now (1)",
        "Seeded Film (2001).mkv",
        "Uploads (0)",
        "torrent not registered with this tracker",
        "Transmission 4.0.6",
    ] {
        assert!(
            bob_page.contains(needle),
            "{needle} missing from bob's page"
        );
    }
    let (_, alice_page) = v.page(&format!("/admin/users/{}", alice.id)).await;
    assert!(alice_page.contains("Seeding now (1)") && alice_page.contains("Uploads (1)"));
    assert!(
        alice_page.contains("None since the server started"),
        "no refusals"
    );

    // A disabled member's announce is refused, and the reason shows on their page.
    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", bob.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    let refused = announce(&server, &bob.passkey, &ih, b"-TR4060-bbbbbbbbbbbb", 40_000).await;
    assert_eq!(refused.as_deref(), Some("your membership is disabled"));
    let (_, bob_page) = v.page(&format!("/admin/users/{}", bob.id)).await;
    assert!(
        bob_page.contains("your membership is disabled"),
        "{bob_page}"
    );
    assert!(
        bob_page.contains("Downloading now (0)"),
        "a disabled member's peers are dropped"
    );

    // Filter by uploader.
    let (_, mine) = v
        .page(&format!("/admin/torrents?uploader={}", alice.id))
        .await;
    assert!(mine.contains("1 torrent match") && mine.contains("Seeded Film"));
    let (_, none) = v
        .page(&format!("/admin/torrents?uploader={}", bob.id))
        .await;
    assert!(none.contains("0 torrents match"));
    assert!(none.contains(&format!(
        "<option value=\"{}\" selected>bob</option>",
        bob.id
    )));
    assert_eq!(v.page("/admin/users/999").await.0, 404);
    assert_eq!(v.page("/admin/users/nope").await.0, 404);

    // The overview's figures as JSON for its refresh; the page itself works without it.
    let resp = v.get("/admin/figures").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("connect-src 'self'"));
    let f: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (f["members"].as_u64(), f["torrents"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (f["seeders"].as_u64(), f["dead"].as_u64()),
        (Some(1), Some(0))
    );
    let (_, overview) = v.page("/admin").await;
    assert!(overview.contains("data-figures=\"/admin/figures\""));
    assert!(overview.contains(r#"id="stat-seeders">1<"#));
    // Without a session: sent to log in, no figures.
    let resp = Visitor::new(&server).get("/admin/figures").await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/admin/login".into())
    );
}
