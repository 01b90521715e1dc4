//! Announces: bencoded refusals, peers meeting, counts, jitter, both peer models.
use super::*;

#[tokio::test]
async fn refusals_are_bencoded_failures() {
    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let ok = Ann::new(&ih, 1, 10);
    let unknown = server.url(&format!("/announce/{}", "ab".repeat(32)));
    assert!(failure(&announce(&unknown, &ok).await)
        .unwrap()
        .contains("unknown passkey"));
    let garbage = server.url("/announce/not-a-key");
    assert!(failure(&announce(&garbage, &ok).await)
        .unwrap()
        .contains("unknown passkey"));
    let none = server.url("/announce");
    assert!(failure(&announce(&none, &ok).await)
        .unwrap()
        .contains("passkey"));

    let other = [9u8; 20];
    let r = announce(&announce_url(&server, &bob), &Ann::new(&other, 1, 10)).await;
    assert!(failure(&r).unwrap().contains("not registered"));

    let mut bad_port = Ann::new(&ih, 1, 10);
    bad_port.port = 0;
    assert!(
        failure(&announce(&announce_url(&server, &bob), &bad_port).await)
            .unwrap()
            .contains("port")
    );
    let short = format!(
        "{}?info_hash=%01%02&peer_id=x&port=1&uploaded=0&downloaded=0&left=0",
        announce_url(&server, &bob)
    );
    assert!(failure(&get(&short, &[]).await)
        .unwrap()
        .contains("info_hash"));
    let bad_peer = format!(
        "{}?info_hash={}&peer_id=short&port=1&uploaded=0&downloaded=0&left=0",
        announce_url(&server, &bob),
        url_bytes(&ih)
    );
    assert!(failure(&get(&bad_peer, &[]).await)
        .unwrap()
        .contains("peer_id"));
    let missing = format!(
        "{}?info_hash={}",
        announce_url(&server, &bob),
        url_bytes(&ih)
    );
    assert!(failure(&get(&missing, &[]).await)
        .unwrap()
        .contains("missing"));

    // Disabled: refused at once; enabled again: served.
    assert!(failure(&announce(&announce_url(&server, &alice), &ok).await).is_none());
    let admin = |path: String| admin_request(&server, reqwest::Method::POST, &path).send();
    assert_eq!(
        admin(format!("/admin/api/users/{}/disable", alice.id))
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(
        failure(&announce(&announce_url(&server, &alice), &ok).await)
            .unwrap()
            .contains("disabled")
    );
    assert_eq!(
        admin(format!("/admin/api/users/{}/enable", alice.id))
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(failure(&announce(&announce_url(&server, &alice), &ok).await).is_none());

    // Rotated: the old passkey stops at once, the new one works.
    let resp = admin(format!("/admin/api/users/{}/rotate", alice.id))
        .await
        .unwrap();
    let rotated: Keys = resp.json().await.unwrap();
    assert!(
        failure(&announce(&announce_url(&server, &alice), &ok).await)
            .unwrap()
            .contains("unknown passkey")
    );
    assert!(failure(&announce(&announce_url(&server, &rotated), &ok).await).is_none());

    // Scrape refusals.
    let s = get(&server.url(&format!("/scrape/{}", "cd".repeat(32))), &[]).await;
    assert!(failure(&s).is_some());
    let full = get(&server.url(&format!("/scrape/{}", bob.passkey)), &[]).await;
    assert!(failure(&full).unwrap().contains("full scrape"));
}

#[tokio::test]
async fn peers_meet_with_counts_jitter_and_both_peer_models() {
    let (_dir, server, alice, bob, ih) = setup(&[
        ("ANNOUNCE_INTERVAL", "1000"),
        ("ANNOUNCE_JITTER_PERCENT", "20"),
        ("MIN_ANNOUNCE_INTERVAL", "30"),
    ])
    .await;
    let mut seed = Ann::new(&ih, 1, 0);
    seed.event = "started";
    let r = announce(&announce_url(&server, &alice), &seed).await;
    assert_eq!(
        peer_ports(&r),
        Vec::<u16>::new(),
        "never the announcer itself"
    );
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 0));

    // Bob's second client and a leecher: the leecher gets the seeder first.
    let mut other = Ann::new(&ih, 3, 500);
    other.event = "started";
    announce(&announce_url(&server, &bob), &other).await;
    let mut leech = Ann::new(&ih, 2, 1000);
    leech.event = "started";
    leech.extra = "&numwant=1";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    assert_eq!(peer_ports(&r), vec![6001]);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 2));
    assert_eq!(int(&r, "min interval"), 30);

    // Jitter: every interval within ±20 %, and not all the same.
    let mut seen = std::collections::BTreeSet::new();
    leech.event = "";
    leech.extra = "";
    for _ in 0..40 {
        let r = announce(&announce_url(&server, &bob), &leech).await;
        let i = int(&r, "interval");
        assert!((800..=1200).contains(&i), "interval {i}");
        seen.insert(i);
        assert_eq!(peer_ports(&r), vec![6001, 6003]);
    }
    assert!(seen.len() > 1, "interval never varies: {seen:?}");

    // The dictionary model, with and without peer ids.
    leech.extra = "&compact=0";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    let n = decode(&r).unwrap();
    let peers = n.get("peers").unwrap().as_list().unwrap();
    assert_eq!(peers.len(), 2);
    for p in peers {
        assert_eq!(p.get("ip").unwrap().as_str(), Some("127.0.0.1"));
        assert!(p.get("peer id").unwrap().as_bytes().unwrap().len() == 20);
    }
    leech.extra = "&compact=0&no_peer_id=1";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    let n = decode(&r).unwrap();
    assert!(n.get("peers").unwrap().as_list().unwrap()[0]
        .get("peer id")
        .is_none());

    // The ?passkey= form and scrape in both forms.
    let q = server.url(&format!("/announce?passkey={}", bob.passkey));
    assert!(failure(&announce(&q, &leech).await).is_none());
    for url in [
        server.url(&format!(
            "/scrape/{}?info_hash={}&info_hash={}",
            bob.passkey,
            url_bytes(&ih),
            url_bytes(&[5; 20])
        )),
        server.url(&format!(
            "/scrape?passkey={}&info_hash={}",
            bob.passkey,
            url_bytes(&ih)
        )),
    ] {
        let s = get(&url, &[]).await;
        let n = decode(&s).unwrap();
        let files = n.get("files").unwrap();
        let f = match &files.value {
            privateindexer::bencode::Value::Dict(entries) => {
                assert_eq!(entries.len(), 1, "unregistered hashes are left out");
                assert_eq!(entries[0].0, &ih[..]);
                entries[0].1.clone()
            }
            _ => panic!("files is not a dict"),
        };
        assert_eq!(f.get("complete").unwrap().as_int(), Some(1));
        assert_eq!(f.get("incomplete").unwrap().as_int(), Some(2));
    }

    // Stopped peers leave the swarm.
    leech.event = "stopped";
    leech.extra = "";
    announce(&announce_url(&server, &bob), &leech).await;
    let r = announce(&announce_url(&server, &alice), &seed).await;
    assert_eq!(int(&r, "incomplete"), 1);
    assert_eq!(peer_ports(&r), vec![6003]);

    // Admin stats see the live swarm.
    let stats: serde_json::Value = admin_stats(&server).await;
    assert_eq!(
        (stats["seeders"].as_u64(), stats["leechers"].as_u64()),
        (Some(1), Some(1))
    );
}
