//! Transfer credited by deltas across restarts; hybrid torrents as one swarm.
use super::*;

async fn member(server: &Server, id: u64) -> serde_json::Value {
    let list: Vec<serde_json::Value> = admin_get(server, "/admin/api/users").await;
    list.into_iter().find(|m| m["id"] == id).unwrap()
}

#[tokio::test]
async fn transfer_is_credited_by_deltas_and_survives_a_clean_restart() {
    let (dir, server, alice, bob, ih) = setup(&[("FLUSH_INTERVAL", "3600")]).await;
    let mut seed = Ann::new(&ih, 1, 0);
    seed.event = "started";
    seed.uploaded = 7_000; // totals from before this session are not credited
    announce(&announce_url(&server, &alice), &seed).await;
    let mut leech = Ann::new(&ih, 2, 50_000);
    leech.event = "started";
    announce(&announce_url(&server, &bob), &leech).await;

    leech.event = "";
    leech.downloaded = 20_000;
    leech.left = 30_000;
    announce(&announce_url(&server, &bob), &leech).await;
    leech.event = "completed";
    leech.downloaded = 50_000;
    leech.left = 0;
    let r = announce(&announce_url(&server, &bob), &leech).await;
    assert_eq!(int(&r, "downloaded"), 1);
    let r = announce(&announce_url(&server, &bob), &leech).await; // a repeated completed is not a second snatch
    assert_eq!(int(&r, "downloaded"), 1);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (2, 0));

    seed.event = "";
    seed.uploaded = 7_000 + 30_000;
    announce(&announce_url(&server, &alice), &seed).await;
    seed.uploaded = 100; // counter went backwards: a new base, never a debit
    announce(&announce_url(&server, &alice), &seed).await;
    seed.event = "stopped";
    seed.uploaded = 100 + 20_000;
    announce(&announce_url(&server, &alice), &seed).await;

    // FLUSH_INTERVAL is an hour: only the clean shutdown writes the counters.
    assert!(server.stop().success());
    let server = Server::start(dir.path());
    let a = member(&server, alice.id).await;
    let b = member(&server, bob.id).await;
    assert_eq!(
        (a["uploaded"].as_u64(), a["downloaded"].as_u64()),
        (Some(50_000), Some(0))
    );
    assert_eq!(
        (
            b["uploaded"].as_u64(),
            b["downloaded"].as_u64(),
            b["snatches"].as_u64()
        ),
        (Some(0), Some(50_000), Some(1))
    );
    // The torrent's snatch count was stored too.
    let s = get(
        &server.url(&format!(
            "/scrape/{}?info_hash={}",
            bob.passkey,
            url_bytes(&ih)
        )),
        &[],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&s).contains("downloadedi1e"),
        "{:?}",
        String::from_utf8_lossy(&s)
    );
}

/// A hybrid (v1 + v2) private torrent; returns it with its truncated v2 hash.
fn hybrid_torrent() -> (Vec<u8>, [u8; 20]) {
    let data = content(77, 40_000);
    let piece = 16 * 1024;
    let pieces: Vec<u8> = data
        .chunks(piece)
        .flat_map(|c| sha1::Sha1::digest(c).to_vec())
        .collect();
    let file_tree = dict([(
        "",
        dict([
            ("length", Owned::Int(data.len() as i64)),
            ("pieces root", Owned::Bytes(vec![1; 32])),
        ]),
    )]);
    let info = dict([
        ("name", Owned::str("Hybrid.Movie.2021.mkv")),
        ("piece length", Owned::Int(piece as i64)),
        ("pieces", Owned::Bytes(pieces)),
        ("length", Owned::Int(data.len() as i64)),
        ("private", Owned::Int(1)),
        ("meta version", Owned::Int(2)),
        (
            "file tree",
            Owned::Dict(
                [(b"Hybrid.Movie.2021.mkv".to_vec(), file_tree)]
                    .into_iter()
                    .collect(),
            ),
        ),
    ]);
    let info_bytes = info.encode();
    let v2: [u8; 32] = sha2::Sha256::digest(&info_bytes).into();
    let mut t = [0u8; 20];
    t.copy_from_slice(&v2[..20]);
    (dict([("info", Owned::Raw(info_bytes))]).encode(), t)
}

#[tokio::test]
async fn hybrid_torrent_is_one_swarm_and_withdrawal_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let (torrent, v2) = hybrid_torrent();
    let v1 = hash_bytes(&info_hash_hex(&torrent));
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;

    announce(&announce_url(&server, &alice), &Ann::new(&v1, 1, 0)).await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&v2, 2, 100)).await;
    assert!(failure(&r).is_none(), "{:?}", String::from_utf8_lossy(&r));
    assert_eq!(
        peer_ports(&r),
        vec![6001],
        "the v2 announcer meets the v1 seeder"
    );
    let r = announce(&announce_url(&server, &alice), &Ann::new(&v1, 1, 0)).await;
    assert_eq!(peer_ports(&r), vec![6002]);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 1));

    // Withdrawn: the swarm is gone and further announces are refused.
    let resp = client()
        .delete(server.url(&format!("/api/v1/torrents/{}", hex::encode(v1))))
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    for ih in [&v1, &v2] {
        let r = announce(&announce_url(&server, &bob), &Ann::new(ih, 2, 100)).await;
        assert!(failure(&r).unwrap().contains("not registered"));
    }
    let stats: serde_json::Value = admin_stats(&server).await;
    assert_eq!(stats["peers"].as_u64(), Some(0));
}
