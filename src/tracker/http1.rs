//! A minimal HTTP/1.1 server for the TRACKER_BIND port: announces are tiny
//! GETs, so parsing just the request line and three headers saves most of a
//! general-purpose stack's per-connection cost. Keep-alive and pipelining are
//! honoured; anything that is not a tracker route gets a bencoded refusal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{response, Origin, Tracker};
use crate::server::state::AppState;

/// Requests larger than this (request line + headers) are refused.
const MAX_HEAD: usize = 8 * 1024;
/// Idle keep-alive connections are closed after this long.
const IDLE: Duration = Duration::from_secs(30);

/// Runs the tracker port on its own thread with a single-threaded runtime, as
/// opentracker does: short announce connections then never hop between cores.
pub fn spawn_dedicated(
    listener: std::net::TcpListener,
    tracker: Arc<Tracker>,
    state: Arc<AppState>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("tracker-http".into())
        .spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(l) => serve(l, tracker, state, stop).await,
                    Err(e) => tracing::error!("TRACKER_BIND: cannot use the listener: {e}"),
                }
            })
        })
}

/// Accepts until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    tracker: Arc<Tracker>,
    state: Arc<AppState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // The watch guard must not live across an await (it is not Send).
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, remote, tracker.clone(), state.clone()));
                }
                Err(e) => {
                    tracing::debug!("tracker accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = &mut stopped => return,
        }
    }
}

struct Head<'a> {
    target: &'a str,
    keep_alive: bool,
    body_len: usize,
    forwarded_for: Option<&'a str>,
    real_ip: Option<&'a str>,
}

fn parse_head(head: &str) -> Option<Head<'_>> {
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let _method = parts.next()?;
    let target = parts.next()?;
    let version = parts.next()?;
    let mut h = Head {
        target,
        keep_alive: version == "HTTP/1.1",
        body_len: 0,
        forwarded_for: None,
        real_ip: None,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                h.keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                h.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            h.body_len = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("x-forwarded-for") {
            h.forwarded_for = Some(value);
        } else if name.eq_ignore_ascii_case("x-real-ip") {
            h.real_ip = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return None; // no request bodies here
        }
    }
    Some(h)
}

/// The bencoded answer to one request target.
fn answer(tracker: &Tracker, state: &AppState, h: &Head<'_>, remote: SocketAddr) -> Vec<u8> {
    let (path, query) = h.target.split_once('?').unwrap_or((h.target, ""));
    let (route, passkey) = match path.trim_start_matches('/').split_once('/') {
        Some((r, k)) => (r, Some(k.trim_end_matches('/'))),
        None => (path.trim_start_matches('/'), None),
    };
    match route {
        "announce" => {
            let origin = Origin {
                remote: Some(remote.ip()),
                forwarded_for: h.forwarded_for.map(str::to_string),
                real_ip: h.real_ip.map(str::to_string),
            };
            tracker.http_announce(passkey, query, &origin, &state.counters)
        }
        "scrape" => tracker.http_scrape(passkey, query),
        _ => response::failure("no such tracker route"),
    }
}

async fn connection(
    mut stream: TcpStream,
    remote: SocketAddr,
    tracker: Arc<Tracker>,
    state: Arc<AppState>,
) {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    loop {
        // Read until a whole head is buffered.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if buf.len() > MAX_HEAD {
                let _ = stream
                    .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
                return;
            }
            let mut chunk = [0u8; 2048];
            match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let Ok(head) = std::str::from_utf8(&buf[..end]) else {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            return;
        };
        let Some(h) = parse_head(head).filter(|h| h.body_len <= MAX_HEAD) else {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            return;
        };
        let body = answer(&tracker, &state, &h, remote);
        let keep_alive = h.keep_alive;
        let consumed = end + 4 + h.body_len;
        out.clear();
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: ");
        out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
        out.extend_from_slice(if keep_alive {
            b"\r\n\r\n".as_slice()
        } else {
            b"\r\nConnection: close\r\n\r\n".as_slice()
        });
        out.extend_from_slice(&body);
        if stream.write_all(&out).await.is_err() || !keep_alive {
            return;
        }
        // Drop this request (and any body) from the buffer; a pipelined next one stays.
        while buf.len() < consumed {
            let mut chunk = [0u8; 2048];
            match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..consumed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads() {
        let h = parse_head(
            "GET /announce/k?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Real-IP: 1.2.3.4",
        )
        .unwrap();
        assert_eq!(h.target, "/announce/k?x=1");
        assert!(!h.keep_alive);
        assert_eq!(h.real_ip, Some("1.2.3.4"));
        let h = parse_head("GET / HTTP/1.0\r\nconnection: Keep-Alive").unwrap();
        assert!(h.keep_alive);
        assert!(parse_head("GET / HTTP/1.1\r\nContent-Length: x").is_none());
        assert!(parse_head("garbage").is_none());
    }
}
