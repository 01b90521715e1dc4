//! Hostile input against the real server: uploads with huge dictionaries, texts that
//! would mislead whoever reads them and impossible sizes (refused with a named reason,
//! nothing stored, or accepted with the junk dropped); announces with absurd counters.

use crate::harness::*;
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

/// A private single-file torrent with these raw `info` fields.
fn raw_torrent(name: &str, piece_length: i64, pieces: usize, length: i64) -> Vec<u8> {
    use privateindexer::bencode::{dict, Owned};
    dict([(
        "info",
        dict([
            ("name", Owned::str(name)),
            ("piece length", Owned::Int(piece_length)),
            ("pieces", Owned::Bytes(vec![7; 20 * pieces])),
            ("length", Owned::Int(length)),
            ("private", Owned::Int(1)),
        ]),
    )])
    .encode()
}

#[tokio::test]
async fn misleading_names_and_impossible_sizes_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let long_name = "n".repeat(100_000);
    let cases: Vec<(&str, Vec<u8>, serde_json::Value, &str)> = vec![
        (
            "right-to-left override in info.name",
            raw_torrent("Movie.2020.\u{202E}vkm.exe", 16384, 1, 1000),
            movie_meta(),
            "info.name holds a bidirectional control character (U+202E)",
        ),
        (
            "CR/LF in info.name",
            raw_torrent("Movie\r\nX-Injected: 1", 16384, 1, 1000),
            movie_meta(),
            "info.name holds a control character",
        ),
        (
            "100 KB info.name",
            raw_torrent(&long_name, 16384, 1, 1000),
            movie_meta(),
            "info.name is longer than 255 characters",
        ),
        (
            "i64::MAX length in one i64::MAX piece",
            raw_torrent("Huge.mkv", i64::MAX, 1, i64::MAX),
            movie_meta(),
            "piece length must be a power of two",
        ),
        (
            "bidi isolate in a file name",
            make_torrent(
                "Album",
                &[
                    TestFile {
                        path: vec!["01 \u{2067}3pm.flac"],
                        data: content(1, 20_000),
                    },
                    TestFile {
                        path: vec!["02.flac"],
                        data: content(2, 20_000),
                    },
                ],
                16384,
                true,
            ),
            json!({"category": 3040}),
            "info.files.path holds a bidirectional control character (U+2067)",
        ),
        (
            "right-to-left override in meta.title",
            single_file_torrent("Fine.Name.mkv", 5, 30_000),
            json!({"category": 2040, "title": "Movie \u{202E}4pm.exe"}),
            "meta.title holds a bidirectional control character (U+202E)",
        ),
    ];
    for (what, torrent, meta, needle) in cases {
        let ih = info_hash_hex(&torrent);
        let (status, body) = upload(&server, &alice.api_key, torrent, meta).await;
        assert_eq!(status, 422, "{what}: {body}");
        let msg = body["error"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{what}: {msg:?}");
        assert!(msg.len() < 200, "{what}: the error echoes the input");
        assert_eq!(download_status(&server, &ih, &alice.api_key).await, 404);
    }
    // The same check holds for member labels.
    let resp = admin_request(&server, reqwest::Method::POST, "/admin/api/users")
        .json(&json!({"label": "bob\u{202E}nimda"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("label holds a bidirectional control character"),
        "{body}"
    );
}

/// An announce of `peer` (one byte of its id) on `ih` with these counters.
fn announce_query(
    ih: &str,
    peer: u8,
    uploaded: u64,
    downloaded: u64,
    left: u64,
    event: &str,
) -> String {
    let ih = url_bytes(&hex::decode(ih).unwrap());
    format!(
        "info_hash={ih}&peer_id=-PI0001-00000000000{peer}&port={}&uploaded={uploaded}\
         &downloaded={downloaded}&left={left}&event={event}",
        6000 + u16::from(peer)
    )
}

async fn announce(server: &Server, passkey: &str, query: &str) {
    let resp = client()
        .get(server.url(&format!("/announce/{passkey}?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.unwrap();
    let root = privateindexer::bencode::decode(&body).unwrap();
    assert!(root.get("failure reason").is_none(), "{body:?}");
}

#[tokio::test]
async fn absurd_announce_counters_credit_at_most_size_times_peers_and_totals_stay_true() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("FLUSH_INTERVAL", "3600")]);
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let torrent = single_file_torrent("Counted.2020.mkv", 21, 50_000);
    let ih = info_hash_hex(&torrent);
    upload_new(&server, &alice.api_key, torrent, movie_meta()).await;

    // (member, peer, uploaded, downloaded, left, event)
    let steps: [(&Keys, u8, u64, u64, u64, &str); 6] = [
        // Alice seeds alone and claims 2^64 - 1 bytes uploaded: one peer, 50,000 bytes.
        (&alice, 1, 0, 0, 0, "started"),
        (&alice, 1, u64::MAX, 0, 0, ""),
        // Bob joins and claims as much downloaded: two peers, 100,000 bytes.
        (&bob, 2, 0, 0, 50_000, "started"),
        (&bob, 2, 0, u64::MAX, 0, ""),
        // A plausible delta in a new session is credited in full.
        (&alice, 1, 0, 0, 0, "started"),
        (&alice, 1, 30_000, 0, 0, ""),
    ];
    for (member, peer, up, down, left, event) in steps {
        let query = announce_query(&ih, peer, up, down, left, event);
        announce(&server, &member.passkey, &query).await;
    }
    server.wait_log("the implausible-transfer warning", |l| {
        l.contains("implausible transfer reported")
    });

    assert!(server.stop().success());
    let server = Server::start(dir.path());
    let members: Vec<serde_json::Value> = admin_get(&server, "/admin/api/users").await;
    let counters = |id: u64| {
        let m = members.iter().find(|m| m["id"] == id).unwrap();
        (
            m["uploaded"].as_u64().unwrap(),
            m["downloaded"].as_u64().unwrap(),
        )
    };
    assert_eq!(counters(alice.id), (50_000 + 30_000, 0));
    assert_eq!(counters(bob.id), (0, 100_000));
    let stats = admin_stats(&server).await;
    assert_eq!(
        (stats["uploaded"].as_u64(), stats["downloaded"].as_u64()),
        (Some(80_000), Some(100_000))
    );
}

/// Sends `parts` on one connection, each as its own write (Nagle off, a pause between so
/// they leave as separate segments), then reads until the server has answered `answers`
/// times or closed.
fn send_in_parts(addr: std::net::SocketAddr, parts: &[String], answers: usize) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    for p in parts {
        s.write_all(p.as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count()
        < answers
    {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn no_key_reaches_the_log_even_at_trace() {
    let dir = tempfile::tempdir().unwrap();
    let tracker_port = free_port();
    let tracker_bind = format!("127.0.0.1:{tracker_port}");
    let server = Server::start_with(
        dir.path(),
        &[("LOG_LEVEL", "trace"), ("TRACKER_BIND", &tracker_bind)],
    );
    let alice = add_member(&server, "alice").await;
    let torrent = single_file_torrent("Logged.2020.mkv", 31, 40_000);
    let ih = info_hash_hex(&torrent);
    upload_new(&server, &alice.api_key, torrent, movie_meta()).await;
    let query = announce_query(&ih, 1, 0, 0, 0, "started");
    let request = |path: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nX-Api-Key: {}\r\n\r\n",
            alice.api_key
        )
    };
    let announce_path = format!("/announce/{}?{query}", alice.passkey);
    let (head, tail) = announce_path.split_at(14); // the passkey split across two segments
    let split = vec![
        format!("GET {head}"),
        format!("{tail} HTTP/1.1\r\nHost: x\r\n\r\n"),
    ];
    for addr in [server.addr, tracker_bind.parse().unwrap()] {
        // Split across segments, then a second request on the same connection: the
        // paths that leave the inline fast path for the full HTTP stack.
        let mut parts = split.clone();
        parts.push(request(&announce_path));
        let answer = send_in_parts(addr, &parts, 2);
        assert_eq!(
            answer.matches("HTTP/1.1 200").count(),
            2,
            "{addr}: {answer}"
        );
        assert!(!answer.contains("failure reason"), "{answer}");
    }
    // The client API with the key in the query and in the header.
    let answer = send_in_parts(
        server.addr,
        &[
            request(&format!("/api/v1/me?apikey={}", alice.api_key)),
            request(&format!("/api?t=search&q=logged&apikey={}", alice.api_key)),
        ],
        2,
    );
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 2, "{answer}");
    let log = server.log_text();
    for (what, secret) in [("passkey", &alice.passkey), ("API key", &alice.api_key)] {
        assert!(
            !log.contains(secret.as_str()),
            "the {what} is in the log:\n{}",
            log.lines()
                .filter(|l| l.contains(secret.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test]
async fn torznab_paths_answer_torznab_xml_for_any_method_and_any_key_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let send = |method: reqwest::Method, path: &str| client().request(method, server.url(path));
    for path in ["/api?t=caps", "/torznab/api?t=caps"] {
        let resp = send(reqwest::Method::POST, path).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.text().await.unwrap().contains("<caps>"));
    }
    let resp = send(reqwest::Method::PUT, "/api?t=caps")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("xml"));
    assert!(resp.text().await.unwrap().contains(r#"<error code="202""#));
    // A key that is not UTF-8 is a wrong key, said in XML.
    let bad_key = reqwest::header::HeaderValue::from_bytes(b"\xff\xfe-key").unwrap();
    let resp = send(reqwest::Method::GET, "/api?t=search&q=x")
        .header("X-Api-Key", bad_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains(r#"<error code="100" description="Incorrect user credentials""#));
    // The right key in the header still works.
    let resp = send(reqwest::Method::POST, "/api?t=search&q=x")
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("<rss"));
}
