//! Requests that must still get their surface's own answer: an over-long
//! Torznab query gets Torznab XML (not hyper's empty 414), odd panel requests
//! get the status that says what is wrong (413, 411, 400, not 405), and a
//! TRACKER_BIND scrape of the 128 hashes allowed fits its head limit.

use std::io::{Read, Write};

use crate::harness::*;

/// Sends `request` raw and reads the whole answer (the server closes).
fn exchange(addr: &str, request: &[u8]) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_100_kb_torznab_query_answers_torznab_xml() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let addr = server.addr.to_string();
    for len in [5_000, 100_000] {
        let q = "a".repeat(len);
        let req = format!(
            "GET /api?t=search&apikey={}&q={q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            alice.api_key
        );
        let answer = exchange(&addr, req.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 200 OK"),
            "{len}: {answer:.200}"
        );
        assert!(answer.contains("xml"), "{len}: {answer:.300}");
        assert!(
            answer.contains(r#"<error code="201""#),
            "{len}: {answer:.400}"
        );
    }
    // Another surface's over-long target is a JSON 414.
    let req = format!(
        "GET /api/v1/health?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "b".repeat(70_000)
    );
    let answer = exchange(&addr, req.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 414"), "{answer:.200}");
    assert!(answer.contains(r#"{"error":"#), "{answer:.300}");
    assert_eq!(api_get(&server, "/api/v1/health", "").await.status(), 200);
}

/// Reads one answer with a Content-Length body off `s`.
fn read_answer(s: &mut std::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "closed mid-head");
        got.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    let len: usize = head
        .split("content-length: ")
        .nth(1)
        .and_then(|v| v.split("\r\n").next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no length in {head}"));
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    got.extend_from_slice(&body);
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_later_request_on_a_kept_alive_connection_gets_its_dialect_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let addr = server.addr.to_string();
    for (path, dialect) in [
        (
            format!("/api?t=search&apikey={}&q=", alice.api_key),
            r#"<error code="201""#,
        ),
        ("/api/v1/health?x=".to_string(), r#"{"error":"#),
    ] {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .unwrap();
        s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let first = read_answer(&mut s);
        assert!(first.starts_with("HTTP/1.1 200"), "{first:.300}");
        let long = format!(
            "GET {path}{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "a".repeat(100_000)
        );
        s.write_all(long.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.contains(dialect), "{path}: {answer:.400}");
    }
}

#[tokio::test]
async fn odd_panel_requests_get_the_status_that_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let addr = server.addr.to_string();
    let big = format!("password={}", "x".repeat(20 * 1024));
    let resp = client()
        .post(server.url("/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let chunked = b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nx=abc\r\n0\r\n\r\n";
    let answer = exchange(&addr, chunked);
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer:.200}");
    let cookie = b"GET /admin/login HTTP/1.1\r\nHost: x\r\nCookie: pi_pre=\xff\xfe\r\nConnection: close\r\n\r\n";
    let answer = exchange(&addr, cookie);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:.200}");
    assert!(
        answer.contains("<html") || answer.contains("<!DOCTYPE"),
        "{answer:.400}"
    );
}

#[tokio::test]
async fn a_tracker_bind_scrape_of_128_hashes_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("TRACKER_BIND", "127.0.0.1:0")]);
    let alice = add_member(&server, "alice").await;
    let log = server.log_text();
    let tracker = log
        .split("tracker also on http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    let hashes: String = (0..128u8)
        .map(|i| format!("info_hash={}&", "%AB".repeat(19) + &format!("%{i:02X}")))
        .collect();
    let head = format!(
        "GET /scrape/{}?{hashes} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        alice.passkey
    );
    assert!(
        (8 * 1024..16 * 1024).contains(&head.len()),
        "{}",
        head.len()
    );
    for addr in [tracker.as_str(), &server.addr.to_string()] {
        let answer = exchange(addr, head.as_bytes());
        assert!(
            answer.starts_with("HTTP/1.1 200 OK"),
            "{addr}: {answer:.200}"
        );
        assert!(answer.contains("5:files"), "{addr}: {answer:.300}");
    }
    // Past the limit the tracker port still says 431.
    let over = format!(
        "GET /scrape/{}?{hashes} HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        alice.passkey,
        "p".repeat(16 * 1024)
    );
    let answer = exchange(&tracker, over.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.200}");
}
