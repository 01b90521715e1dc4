//! Hostile uploads against the real server: huge dictionaries, texts that would
//! mislead whoever reads them, impossible sizes. Each is refused with a named reason
//! and leaves nothing stored, or is accepted with the junk dropped.

mod common;

use common::*;
use serde_json::json;

fn movie_meta() -> serde_json::Value {
    json!({"category": 2040, "year": 2020})
}

/// A torrent whose top level holds `junk` extra keys, written in descending order
/// (as no canonical encoder would) so the parser's unsorted path is the one taken.
fn with_junk_keys(torrent: &[u8], junk: usize) -> Vec<u8> {
    let mut out = b"d".to_vec();
    for i in (0..junk).rev() {
        out.extend_from_slice(format!("9:z{i:08}i0e").as_bytes());
    }
    out.extend_from_slice(&torrent[1..]);
    out
}

async fn download_status(server: &Server, ih: &str, key: &str) -> u16 {
    api_get(server, &format!("/api/v1/torrents/{ih}/download"), key)
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_dictionary_of_many_keys_is_parsed_in_linear_time_or_refused_by_count() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;

    // 80,000 keys took seconds of a worker's CPU when duplicates were looked for
    // key by key; now they are a valid torrent whose unknown keys are dropped.
    let base = single_file_torrent("Many.Keys.2020.mkv", 11, 40_000);
    let ih = info_hash_hex(&base);
    let body = upload_new(
        &server,
        &alice.api_key,
        with_junk_keys(&base, 80_000),
        movie_meta(),
    )
    .await;
    assert_eq!(body["info_hash"], ih);
    let served = api_get(
        &server,
        &format!("/api/v1/torrents/{ih}/download"),
        &alice.api_key,
    )
    .await
    .bytes()
    .await
    .unwrap();
    let root = privateindexer::bencode::decode(&served).unwrap();
    assert!(root.get("z00000000").is_none(), "junk keys were stored");
    assert!(served.len() < base.len() + 200, "{} bytes", served.len());

    // Past the value budget the upload is refused before anything is stored.
    let other = single_file_torrent("Too.Many.Keys.2020.mkv", 12, 40_000);
    let other_ih = info_hash_hex(&other);
    let (status, body) = upload(
        &server,
        &alice.api_key,
        with_junk_keys(&other, 260_000),
        movie_meta(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("more than 500000 values"),
        "{body}"
    );
    assert_eq!(
        download_status(&server, &other_ih, &alice.api_key).await,
        404
    );
    // The server kept answering everyone else.
    assert_eq!(api_get(&server, "/api/v1/health", "").await.status(), 200);
}
