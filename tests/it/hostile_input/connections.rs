//! Connections that hold on or pile up, on every TCP port of the server (BIND
//! and TRACKER_BIND): a head trickled a line at a time is closed at
//! HTTP_HEADER_TIMEOUT from its first byte, a silent keep-alive connection at
//! HTTP_IDLE_TIMEOUT, connections past HTTP_MAX_CONNECTIONS are closed at once,
//! and SIGTERM is not held up by a client in the middle of a request.

use std::io::Write;
use std::net::TcpStream;

use crate::harness::sockets::{cap_refuses_then_frees, trickle_until_closed, wait_closed};
use crate::harness::*;

/// The TRACKER_BIND address the server logged.
fn tracker_addr(server: &Server) -> String {
    let log = server.log_text();
    log.split("tracker also on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no tracker line in {log}"))
        .to_string()
}

fn both_ports(server: &Server) -> [String; 2] {
    [server.addr.to_string(), tracker_addr(server)]
}

#[tokio::test]
async fn a_head_trickled_a_line_at_a_time_is_closed_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            ("TRACKER_BIND", "127.0.0.1:0"),
            ("HTTP_HEADER_TIMEOUT", "2"),
            ("HTTP_IDLE_TIMEOUT", "600"),
        ],
    );
    for (addr, path) in both_ports(&server)
        .iter()
        .zip(["/api/v1/health", "/scrape"])
    {
        let mut s = TcpStream::connect(addr).unwrap();
        let first = format!("GET {path} HTTP/1.1\r\nHost: x\r\n");
        let closed =
            trickle_until_closed(&mut s, first.as_bytes(), |i| format!("X-Slow-{i}: y\r\n"));
        assert!(closed, "{addr}: a trickled head was kept open for a minute");
    }
    // Both ports still answer whole requests.
    assert_eq!(api_get(&server, "/api/v1/health", "").await.status(), 200);
}

#[tokio::test]
async fn a_silent_keep_alive_connection_is_closed_at_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[("TRACKER_BIND", "127.0.0.1:0"), ("HTTP_IDLE_TIMEOUT", "2")],
    );
    for (addr, path) in both_ports(&server)
        .iter()
        .zip(["/api/v1/health", "/scrape"])
    {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let answer = String::from_utf8(wait_closed(&mut s, addr)).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{addr}: {answer}");
        assert!(!answer.to_ascii_lowercase().contains("connection: close"));
    }
}

#[tokio::test]
async fn connections_past_the_cap_are_closed_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            ("TRACKER_BIND", "127.0.0.1:0"),
            ("HTTP_MAX_CONNECTIONS", "3"),
            ("HTTP_HEADER_TIMEOUT", "600"),
            ("HTTP_IDLE_TIMEOUT", "600"),
        ],
    );
    for addr in both_ports(&server) {
        // Three connections hold partial heads (sent, so the server accepted them).
        let held: Vec<TcpStream> = (0..3)
            .map(|_| {
                let mut s = TcpStream::connect(&addr).unwrap();
                s.write_all(b"GET /scrape HTTP/1.1\r\n").unwrap();
                s
            })
            .collect();
        cap_refuses_then_frees(
            &addr,
            held,
            b"GET /scrape HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"HTTP/1.1 200",
        );
    }
}

#[tokio::test]
async fn sigterm_is_not_held_up_by_a_partial_request_and_counters_are_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("TRACKER_BIND", "127.0.0.1:0"),
        ("HTTP_HEADER_TIMEOUT", "600"),
        ("HTTP_IDLE_TIMEOUT", "600"),
        ("SHUTDOWN_GRACE", "1"),
        ("FLUSH_INTERVAL", "3600"),
    ];
    let server = Server::start_with(dir.path(), &env);
    let alice = add_member(&server, "alice").await;
    let torrent = single_file_torrent("Flushed.At.Stop.2020.mkv", 7, 40_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040, "year": 2020}),
    )
    .await;
    let ih_bytes: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&ih[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let ih_q = url_bytes(&ih_bytes);
    for (uploaded, event) in [(0, "&event=started"), (12_345, "")] {
        let url = server.url(&format!(
            "/announce/{}?info_hash={ih_q}&peer_id=-TT0001-000000000001&port=6001\
             &uploaded={uploaded}&downloaded=0&left=0&compact=1{event}",
            alice.passkey
        ));
        let body = get_bytes(url).await;
        assert!(!body.windows(7).any(|w| w == b"failure"), "{body:?}");
    }
    // Partial requests on both ports, held open through the stop.
    let _held: Vec<TcpStream> = both_ports(&server)
        .iter()
        .map(|addr| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let status = server.stop();
    assert!(status.success(), "{status:?}");

    let server = Server::start_with(dir.path(), &env);
    let members: serde_json::Value = admin_get(&server, "/admin/api/users").await;
    let alice_now = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"] == "alice")
        .unwrap()
        .clone();
    assert_eq!(alice_now["uploaded"], 12_345, "{alice_now}");
}
