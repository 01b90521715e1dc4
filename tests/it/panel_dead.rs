//! Dead torrents (STALE_THRESHOLD) against the real server binary: a torrent
//! nobody seeds for longer than the threshold is gone from Torznab (feed,
//! searches and their totals) and listed as dead in the panel, never deleted;
//! a seeder's announce brings it back at once.

use std::time::{Duration, Instant};

use crate::harness::panel::*;
use crate::harness::*;

/// The info-hashes (guids) and the total of a Torznab answer.
async fn torznab(server: &Server, key: &str, query: &str) -> (Vec<String>, u64) {
    let url = server.url(&format!("/api?t=search&apikey={key}&{query}"));
    let body = client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let guids = doc
        .descendants()
        .filter(|n| n.has_tag_name("guid"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    let total = doc
        .descendants()
        .find(|n| n.has_tag_name("response"))
        .and_then(|n| n.attribute("total"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no total: {body}"));
    (guids, total)
}

/// Announces `member` as a seeder (`left=0`) of `ih`; the answer must not be a refusal.
async fn seed(server: &Server, member: &Keys, ih: &str, peer: u8) {
    let mut peer_id = *b"-PI0001-000000000000";
    peer_id[19] = b'a' + peer;
    let url = server.url(&format!(
        "/announce/{}?info_hash={}&peer_id={}&port={}&uploaded=0&downloaded=0&left=0&event=started",
        member.passkey,
        url_bytes(&hex::decode(ih).unwrap()),
        url_bytes(&peer_id),
        7000 + u16::from(peer),
    ));
    let body = get_bytes(url).await;
    let answer = privateindexer::bencode::decode(&body).unwrap();
    assert!(
        answer.get("failure reason").is_none(),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test]
async fn an_unseeded_torrent_dies_and_a_seeder_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            ("STALE_THRESHOLD_SECONDS", "3"),
            ("PEER_STALE_SECONDS", "600"),
        ],
    );
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let lonely = single_file_torrent("Lonely Show S01E01.mkv", 1, 40_000);
    let kept = single_file_torrent("Kept Show S01E01.mkv", 2, 40_000);
    let (lonely_ih, kept_ih) = (info_hash_hex(&lonely), info_hash_hex(&kept));
    for t in [lonely, kept] {
        upload_new(
            &server,
            &alice.api_key,
            t,
            serde_json::json!({"category": 5040}),
        )
        .await;
    }
    // Alice seeds one of them; nobody seeds the other.
    seed(&server, &alice, &kept_ih, 1).await;
    let (feed, total) = torznab(&server, &bob.api_key, "").await;
    assert_eq!((feed.len(), total), (2, 2), "both alive at first");

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (feed, _) = torznab(&server, &bob.api_key, "").await;
        if !feed.contains(&lonely_ih) {
            break;
        }
        assert!(Instant::now() < deadline, "the unseeded torrent never died");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Gone from the feed, searches and their totals; the seeded one stays.
    assert_eq!(
        torznab(&server, &bob.api_key, "").await,
        (vec![kept_ih.clone()], 1)
    );
    assert_eq!(
        torznab(&server, &bob.api_key, "q=show").await,
        (vec![kept_ih.clone()], 1)
    );
    assert_eq!(torznab(&server, &bob.api_key, "q=lonely").await.1, 0);
    // Never deleted: its page and file are still there.
    assert_eq!(
        download_status(&server, &lonely_ih, &bob.api_key).await,
        200
    );

    let mut v = Visitor::new(&server);
    v.login().await;
    let (_, dead) = v.page("/admin/torrents?state=dead").await;
    assert!(dead.contains("1 torrent match"), "{dead}");
    assert!(dead.contains("Lonely Show") && !dead.contains("Kept Show"));
    assert!(dead.contains("class=\"badge dead\""));
    let (_, alive) = v.page("/admin/torrents?state=alive").await;
    assert!(alive.contains("Kept Show") && !alive.contains("Lonely Show"));
    let (_, all) = v.page("/admin/torrents").await;
    assert!(all.contains("2 torrents") && all.matches("class=\"badge dead\"").count() == 1);
    let (_, detail) = v.page(&format!("/admin/torrents/{lonely_ih}")).await;
    assert!(detail.contains("Dead"), "the torrent's page says so");

    // Bob seeds it: back at once, without waiting for a sweep.
    seed(&server, &bob, &lonely_ih, 2).await;
    let (feed, total) = torznab(&server, &bob.api_key, "").await;
    assert_eq!(total, 2);
    assert!(feed.contains(&lonely_ih));
    let (_, dead) = v.page("/admin/torrents?state=dead").await;
    assert!(dead.contains("0 torrents match"), "{dead}");
}
