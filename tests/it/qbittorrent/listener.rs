//! The limits of the client's `CLIENT_BIND` listener (the qBittorrent API and
//! the dashboard), set through the same HTTP_* settings as the server's ports:
//! a head trickled from the connection's very first byte is closed at
//! HTTP_HEADER_TIMEOUT, connections past HTTP_MAX_CONNECTIONS are closed at
//! once, a login body over 16 MiB is `413`, and 50 parallel wrong logins get
//! exactly 5 password checks (`Fails.`), the rest `403`, with bounded memory.

use std::io::Write;
use std::net::TcpStream;

use super::*;
use crate::harness::sockets::{cap_refuses_then_frees, trickle_until_closed, wait_closed};

fn addr(qbt: &Qbt) -> String {
    format!("127.0.0.1:{}", qbt.port)
}

#[tokio::test(flavor = "multi_thread")]
async fn client_bind_closes_trickled_heads_and_connections_past_the_cap() {
    let sw = swarm().await;
    let qbt = start_client(
        &sw,
        &[
            ("HTTP_HEADER_TIMEOUT", "2"),
            ("HTTP_IDLE_TIMEOUT", "600"),
            ("HTTP_MAX_CONNECTIONS", "3"),
        ],
    );
    let addr = addr(&qbt);
    // The head's first bytes are the connection's first bytes: its deadline
    // starts there, not at the idle timeout of a connection that said nothing.
    let mut s = TcpStream::connect(&addr).unwrap();
    let closed = trickle_until_closed(
        &mut s,
        b"GET /api/v2/app/version HTTP/1.1\r\nHost: x\r\n",
        |i| format!("X-Slow-{i}: y\r\n"),
    );
    assert!(closed, "a trickled head was kept open for a minute");
    drop(s);

    // Three silent connections (idle for 600 s) fill the cap; once one goes,
    // there is room again (403: no session).
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    cap_refuses_then_frees(
        &addr,
        held,
        b"GET /api/v2/app/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"HTTP/1.1 403",
    );
}

/// Sends a login whose body is `len` bytes; the answer's first bytes.
fn login_body_of(addr: &str, len: usize) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST /api/v2/auth/login HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    // The body is sent from another thread, so the answer is read as soon as
    // it comes (the client stops reading at 16 MiB and closes).
    let mut w = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if w.write_all(&chunk[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    let answer = wait_closed(&mut s, addr);
    drop(s);
    let _ = sender.join();
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn client_bind_refuses_huge_logins_and_checks_only_five_of_fifty_parallel_wrong_ones() {
    let sw = swarm().await;
    let qbt = start_client(&sw, &[]);
    let addr = addr(&qbt);
    let answer = login_body_of(&addr, 16 * 1024 * 1024 + 1);
    assert!(
        answer.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let pid = qbt.client.child.as_ref().unwrap().id();
    let before = rss_kib(pid);
    let http = client();
    let calls = (0..50).map(|i| {
        let wrong = format!("wrong {i}");
        let req = http
            .post(qbt.url("auth/login"))
            .form(&[("username", USER), ("password", wrong.as_str())]);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let after = rss_kib(pid);
    let fails = answers
        .iter()
        .filter(|(s, body)| *s == 200 && body == "Fails.")
        .count();
    let banned = answers.iter().filter(|a| a.0 == 403).count();
    assert_eq!((fails, banned), (5, 45), "{answers:?}");
    // The ban holds for the right password too.
    let (s, _) = post(
        None,
        &qbt.url("auth/login"),
        &[("username", USER), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(s, 403);
    eprintln!("client RSS around 50 parallel wrong logins: {before} KiB before, {after} KiB after");
    assert!(after < 300 * 1024, "RSS {before} KiB → {after} KiB");
}
