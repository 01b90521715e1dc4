//! The TRACKER_BIND port and the main port's inline answers: IPv6, proxies, keep-alive, slow and bad clients.
use super::*;

fn tracker_port(server: &Server) -> String {
    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("tracker also on http://"))
        .unwrap_or_else(|| panic!("no tracker line in {log}"));
    line.split("tracker also on http://")
        .nth(1)
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn second_port_serves_ipv6_peers_in_peers6() {
    let (_dir, server, alice, bob, ih) = setup(&[("TRACKER_BIND", "[::1]:0")]).await;
    let addr = tracker_port(&server);
    let v6_url = format!("http://{addr}/announce/{}", alice.passkey);
    let r = announce(&v6_url, &Ann::new(&ih, 1, 0)).await;
    assert!(failure(&r).is_none(), "{:?}", String::from_utf8_lossy(&r));
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let n = decode(&r).unwrap();
    assert_eq!(n.get("peers").unwrap().as_bytes().unwrap().len(), 0);
    let p6 = n.get("peers6").unwrap().as_bytes().unwrap();
    assert_eq!(p6.len(), 18);
    assert_eq!(&p6[..16], &std::net::Ipv6Addr::LOCALHOST.octets());
    assert_eq!(u16::from_be_bytes([p6[16], p6[17]]), 6001);
    // Anything else on the tracker port is a bencoded refusal too.
    let other = get(&format!("http://{addr}/api/v1/health"), &[]).await;
    assert!(failure(&other).is_some());
}

#[tokio::test]
async fn forwarded_addresses_only_from_trusted_proxies() {
    let (_dir, server, alice, bob, ih) =
        setup(&[("TRUSTED_PROXIES", "127.0.0.0/8,10.9.9.9")]).await;
    let url = format!(
        "{}?{}",
        announce_url(&server, &alice),
        Ann::new(&ih, 1, 0).query()
    );
    get(&url, &[("X-Forwarded-For", "203.0.113.7, 10.9.9.9")]).await;
    let url = format!(
        "{}?{}&ip=198.51.100.2",
        announce_url(&server, &bob),
        Ann::new(&ih, 3, 0).query()
    );
    get(&url, &[]).await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let n = decode(&r).unwrap();
    let mut ips: Vec<[u8; 4]> = n
        .get("peers")
        .unwrap()
        .as_bytes()
        .unwrap()
        .chunks(6)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    ips.sort();
    assert_eq!(ips, vec![[198, 51, 100, 2], [203, 0, 113, 7]]);
    drop(server);

    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let url = format!(
        "{}?{}&ip=198.51.100.2",
        announce_url(&server, &alice),
        Ann::new(&ih, 1, 0).query()
    );
    get(
        &url,
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Real-IP", "203.0.113.8"),
        ],
    )
    .await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let peers = decode(&r)
        .unwrap()
        .get("peers")
        .unwrap()
        .as_bytes()
        .unwrap()
        .to_vec();
    assert_eq!(
        &peers[..4],
        &[127, 0, 0, 1],
        "untrusted forwarding is ignored"
    );
}

#[tokio::test]
async fn tracker_port_keeps_connections_alive_and_answers_pipelined_requests() {
    use std::io::{Read, Write};
    let (_dir, server, _alice, bob, ih) = setup(&[("TRACKER_BIND", "127.0.0.1:0")]).await;
    let addr = tracker_port(&server);
    let q = Ann::new(&ih, 2, 100).query();
    let req = format!(
        "GET /announce/{}?{q} HTTP/1.1\r\nHost: x\r\n\r\n",
        bob.passkey
    );
    let last = format!(
        "GET /scrape/{}?info_hash={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        bob.passkey,
        url_bytes(&ih)
    );
    let text = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(format!("{req}{req}{last}").as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap(); // ends because the last request asked to close
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3, "{text}");
    assert_eq!(text.matches("8:intervali").count(), 2, "{text}");
    assert!(text.contains("5:filesd20:"), "{text}");
    assert!(!text.contains("failure reason"), "{text}");
}

/// Sends `parts` with a pause between them on one connection; everything read until the server closes.
async fn raw_exchange(addr: String, parts: Vec<Vec<u8>>) -> Vec<u8> {
    use std::io::{Read, Write};
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
            s.write_all(part).unwrap();
        }
        let mut out = Vec::new();
        // A reset after the answer (unread bytes at close) still leaves the answer read.
        let _ = s.read_to_end(&mut out);
        out
    })
    .await
    .unwrap()
}

/// Status line and body of one HTTP answer; the body length must match Content-Length.
fn status_and_body(answer: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8_lossy(answer);
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {text:?}"));
    let head = String::from_utf8_lossy(&answer[..at]);
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let body = answer[at + 4..].to_vec();
    assert_eq!(body.len(), len, "{text}");
    (head.lines().next().unwrap().to_string(), body)
}

/// The answer is a 200 carrying an announce that was not refused.
fn announce_accepted(answer: &[u8]) {
    let (status, body) = status_and_body(answer);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        failure(&body).is_none(),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test]
async fn tracker_port_serves_slow_and_closing_clients_and_refuses_bad_heads() {
    let (_dir, server, alice, bob, ih) = setup(&[("TRACKER_BIND", "127.0.0.1:0")]).await;
    let addr = tracker_port(&server);

    // A request trickling in over three writes is served once it is whole.
    let req = format!(
        "GET /announce/{}?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        alice.passkey,
        Ann::new(&ih, 1, 0).query()
    )
    .into_bytes();
    let parts = vec![req[..10].to_vec(), req[10..60].to_vec(), req[60..].to_vec()];
    let answer = raw_exchange(addr.clone(), parts).await;
    announce_accepted(&answer);
    assert!(String::from_utf8_lossy(&answer).contains("\r\nConnection: close\r\n"));

    // An HTTP/1.0 request in one write (answered inline) sees that peer, then the server closes.
    let req = format!(
        "GET /announce/{}?{} HTTP/1.0\r\n\r\n",
        bob.passkey,
        Ann::new(&ih, 2, 100).query()
    );
    let answer = raw_exchange(addr.clone(), vec![req.into_bytes()]).await;
    let (status, body) = status_and_body(&answer);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(peer_ports(&body), vec![6001]);

    // Bad heads: refused with an HTTP error and closed, never answered as announces.
    let long = format!(
        "GET /announce/{} HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        bob.passkey,
        "a".repeat(17_000)
    );
    let with_body = format!(
        "GET /announce/{} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        bob.passkey
    );
    let not_utf8 = b"GET /announce/\xff\xfe HTTP/1.1\r\n\r\n".to_vec();
    for (bad, want) in [
        (
            long.into_bytes(),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (with_body.into_bytes(), "HTTP/1.1 400 Bad Request"),
        (not_utf8, "HTTP/1.1 400 Bad Request"),
        (b"\r\n\r\n".to_vec(), "HTTP/1.1 400 Bad Request"),
    ] {
        let answer = raw_exchange(addr.clone(), vec![bad]).await;
        let (status, body) = status_and_body(&answer);
        assert_eq!(status, want);
        assert!(body.is_empty());
    }

    // The port still serves, and the refused requests announced nothing.
    let r = announce(
        &format!("http://{addr}/announce/{}", alice.passkey),
        &Ann::new(&ih, 3, 100),
    )
    .await;
    assert_eq!(peer_ports(&r), vec![6001, 6002]);
}

#[tokio::test]
async fn main_port_answers_announces_inline_and_the_rest_through_the_full_server() {
    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let addr = server.addr.to_string();
    let announce_req = |keys: &Keys, peer: u8, left: u64, close: bool| {
        format!(
            "GET /announce/{}?{} HTTP/1.1\r\nHost: x\r\n{}\r\n",
            keys.passkey,
            Ann::new(&ih, peer, left).query(),
            if close { "Connection: close\r\n" } else { "" }
        )
    };
    let health = |close: bool| {
        format!(
            "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{}\r\n",
            if close { "Connection: close\r\n" } else { "" }
        )
    };

    // A closing announce on a new connection: one answer, then the server closes.
    let answer = raw_exchange(
        addr.clone(),
        vec![announce_req(&alice, 1, 0, true).into_bytes()],
    )
    .await;
    announce_accepted(&answer);

    // Announce first, then another route on the same connection: both answered in order.
    let both = format!("{}{}", announce_req(&bob, 2, 100, false), health(true));
    let text = String::from_utf8_lossy(&raw_exchange(addr.clone(), vec![both.into_bytes()]).await)
        .into_owned();
    let at = text
        .find("\"status\"")
        .unwrap_or_else(|| panic!("no health answer: {text}"));
    let peers_at = text
        .find("5:peers")
        .unwrap_or_else(|| panic!("no announce answer: {text}"));
    assert!(peers_at < at, "{text}");
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");

    // Another route first, then an announce (all through the full server), and an announce
    // trickling in: the peers announced inline are in the swarm.
    let both = format!("{}{}", health(false), announce_req(&bob, 3, 100, true));
    let text = String::from_utf8_lossy(&raw_exchange(addr.clone(), vec![both.into_bytes()]).await)
        .into_owned();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    let slow = announce_req(&bob, 4, 100, true).into_bytes();
    let parts = vec![slow[..7].to_vec(), slow[7..].to_vec()];
    let answer = raw_exchange(addr.clone(), parts).await;
    let (_, body) = status_and_body(&answer);
    assert_eq!(peer_ports(&body), vec![6001, 6002, 6003]);
}

#[tokio::test]
async fn answers_in_the_accept_loop_have_a_request_span_without_the_key() {
    let (_dir, server, alice, _bob, ih) =
        setup(&[("LOG_LEVEL", "trace"), ("TRACKER_BIND", "127.0.0.1:0")]).await;
    let tracker = format!(
        "http://{}/announce/{}",
        tracker_port(&server),
        alice.passkey
    );
    for base in [announce_url(&server, &alice), tracker] {
        let r = announce(&base, &Ann::new(&ih, 1, 0)).await;
        assert!(failure(&r).is_none(), "{:?}", String::from_utf8_lossy(&r));
    }
    // One per port; the log's reader thread may lag behind the answers.
    server.wait_log("an accept-loop answer from each port", |log| {
        log.lines()
            .filter(|l| {
                l.contains("request{method=GET route=/announce/{passkey}}")
                    && l.contains("answered in the accept loop")
            })
            .count()
            >= 2
    });
    assert!(!server.log_text().contains(alice.passkey.as_str()));
}
