//! A full disk under DATA_DIR: uploads answer 507 with a message and store
//! nothing, health answers 503 with the reason, and once space is freed writes
//! succeed again without a restart (the store is reopened after redb's I/O error).

use std::io::Write;
use std::time::{Duration, Instant};

use privateindexer::bencode::{dict, Owned};
use serde_json::json;

use super::tmpfs_or_skip;
use crate::harness::*;

/// A private torrent with `pieces` piece hashes (about 20 bytes each in the file).
fn torrent_with_pieces(n: u64, pieces: usize) -> Vec<u8> {
    let piece_len = 16 * 1024;
    dict([(
        "info",
        dict([
            ("name", Owned::str(&format!("Filler {n}"))),
            ("piece length", Owned::Int(piece_len)),
            ("pieces", Owned::Bytes(content(n, pieces * 20))),
            ("length", Owned::Int(piece_len * pieces as i64)),
            ("private", Owned::Int(1)),
        ]),
    )])
    .encode()
}

fn meta(n: u64) -> serde_json::Value {
    json!({"category": 2040, "title": format!("Filler {n} (2020) [Bluray-1080p]-GRP")})
}

async fn health(server: &Server) -> (u16, serde_json::Value) {
    let resp = client()
        .get(server.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// Polls health until it answers `status` (the probe is cached a few seconds).
async fn wait_health(server: &Server, status: u16) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, body) = health(server).await;
        if s == status {
            return body;
        }
        assert!(Instant::now() < deadline, "health stayed {s}: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_full_disk_refuses_uploads_clearly_and_recovers_without_a_restart() {
    let Some(disk) = tmpfs_or_skip("24m", "a_full_disk_…") else {
        return;
    };
    let data = disk.path().join("data");
    let server = Server::start(&data);
    let member = add_member(&server, "alice").await;
    assert_eq!(wait_health(&server, 200).await["status"], "ok");

    // Fill the disk around the store, then upload until the store cannot grow.
    let filler_path = disk.path().join("filler");
    let mut filler = std::fs::File::create(&filler_path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while filler.write_all(&chunk).is_ok() {}
    drop(filler);
    let mut stored = Vec::new();
    let refused = loop {
        let n = stored.len() as u64;
        assert!(n < 5000, "the full disk never refused an upload");
        let torrent = torrent_with_pieces(n, 2000);
        let ih = info_hash_hex(&torrent);
        let (status, body) = upload(&server, &member.api_key, torrent.clone(), meta(n)).await;
        match status {
            201 => stored.push(ih),
            507 | 503 => {
                let msg = body["error"].as_str().unwrap_or_default();
                assert!(msg.contains("nothing was stored"), "clear message: {body}");
                break (n, torrent, ih);
            }
            other => panic!("unexpected answer {other}: {body}"),
        }
    };
    let body = wait_health(&server, 503).await;
    assert!(
        body["reason"].as_str().unwrap_or_default().contains("full"),
        "health names the reason: {body}"
    );
    // Nothing half-stored: the refused torrent is not there.
    assert_eq!(
        download_status(&server, &refused.2, &member.api_key).await,
        404
    );

    // Free the space: the same upload goes through, no restart.
    std::fs::remove_file(&filler_path).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) =
            upload(&server, &member.api_key, refused.1.clone(), meta(refused.0)).await;
        if status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes did not come back: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stored.push(refused.2);
    wait_health(&server, 200).await;
    for ih in &stored {
        assert_eq!(download_status(&server, ih, &member.api_key).await, 200);
    }
    // And the file is sound for the next start.
    assert!(server.stop().success());
    let server = Server::start(&data);
    for ih in &stored {
        assert_eq!(download_status(&server, ih, &member.api_key).await, 200);
    }
}
