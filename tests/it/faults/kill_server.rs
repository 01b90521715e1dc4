//! kill -9 of the server while members upload and while counters flush: after
//! a restart every acknowledged upload is there, and the counters are exactly
//! what was committed (each flush is one transaction: all of it or none).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::*;

/// An upload that may meet a dead server: its status, or None.
async fn try_upload(url: &str, key: &str, torrent: Vec<u8>, n: u64) -> Option<u16> {
    let form = reqwest::multipart::Form::new()
        .part(
            "torrent",
            reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
        )
        .text(
            "meta",
            json!({"category": 2040, "title": format!("Movie {n} (2020) [Bluray-1080p]-GRP")})
                .to_string(),
        );
    let resp = client()
        .post(format!("{url}/api/v1/torrents"))
        .header("X-Api-Key", key)
        .multipart(form)
        .send()
        .await
        .ok()?;
    Some(resp.status().as_u16())
}

fn kill_9(server: &mut Server) {
    let mut child = server.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

async fn member(server: &Server, id: u64) -> serde_json::Value {
    let list: Vec<serde_json::Value> = admin_get(server, "/admin/api/users").await;
    list.into_iter().find(|m| m["id"] == id).unwrap()
}

#[tokio::test]
async fn kill_9_during_uploads_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut uploaders = Vec::new();
    for worker in 0..8u64 {
        let (url, key, acked) = (server.url(""), alice.api_key.clone(), acked.clone());
        uploaders.push(tokio::spawn(async move {
            for i in 0.. {
                let n = worker * 1_000_000 + i;
                let torrent = single_file_torrent(&format!("Movie {n}"), n, 40_000);
                let ih = info_hash_hex(&torrent);
                match try_upload(&url, &key, torrent, n).await {
                    Some(201) => acked.lock().unwrap().push(ih),
                    Some(other) => panic!("upload answered {other}"),
                    None => return, // the server is gone
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < 60 {
        assert!(Instant::now() < deadline, "uploads too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    kill_9(&mut server);
    for u in uploaders {
        u.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();

    let server = Server::start(dir.path());
    for ih in &acked {
        assert_eq!(
            download_status(&server, ih, &alice.api_key).await,
            200,
            "acknowledged upload {ih} lost"
        );
    }
    // The member's upload count was committed with each torrent, never apart.
    let stats = admin_stats(&server).await;
    let stored = stats["torrents"].as_u64().unwrap();
    assert!(stored >= acked.len() as u64, "{stats}");
    assert_eq!(
        member(&server, alice.id).await["uploads"].as_u64(),
        Some(stored)
    );
}

/// An announce of `peer` on `ih` with the totals given.
async fn announce(server: &Server, keys: &Keys, ih: &str, uploaded: u64, event: &str) -> bool {
    let ih = url_bytes(&hex::decode(ih).unwrap());
    let url = server.url(&format!(
        "/announce/{}?info_hash={ih}&peer_id=-PI0001-killtest0001&port=6001\
         &uploaded={uploaded}&downloaded=0&left=0&event={event}",
        keys.passkey
    ));
    client()
        .get(url)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

#[tokio::test]
async fn kill_9_during_counter_flushes_keeps_counters_exact() {
    const STEP: u64 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let env = [("FLUSH_INTERVAL", "1")];
    let mut server = Server::start_with(dir.path(), &env);
    let alice = add_member(&server, "alice").await;
    let torrent = single_file_torrent("Seeded", 9, 400_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        json!({"category": 2040, "title": "Seeded (2020) [Bluray-1080p]-GRP"}),
    )
    .await;

    // Credited, flushed (seen in the store through the admin API), then killed.
    assert!(announce(&server, &alice, &ih, 0, "started").await);
    for k in 1..=20 {
        assert!(announce(&server, &alice, &ih, k * STEP, "").await);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while member(&server, alice.id).await["uploaded"].as_u64() != Some(20 * STEP) {
        assert!(Instant::now() < deadline, "counters never flushed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    kill_9(&mut server);
    let mut server = Server::start_with(dir.path(), &env);
    assert_eq!(
        member(&server, alice.id).await["uploaded"].as_u64(),
        Some(20 * STEP),
        "flushed counters exactly as committed"
    );

    // Now killed while announces keep coming and flushes run every second.
    assert!(announce(&server, &alice, &ih, 0, "started").await);
    let mut sent = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2_500) {
        sent += 1;
        assert!(announce(&server, &alice, &ih, sent * STEP, "").await);
    }
    kill_9(&mut server);
    let server = Server::start_with(dir.path(), &env);
    let uploaded = member(&server, alice.id).await["uploaded"]
        .as_u64()
        .unwrap();
    assert!(
        uploaded > 20 * STEP && uploaded <= (20 + sent) * STEP,
        "flushed while announcing, never more than was credited: {uploaded} after {sent} announces"
    );
}
