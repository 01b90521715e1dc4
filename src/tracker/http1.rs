//! A minimal HTTP/1.1 server for the tracker: the whole of the TRACKER_BIND
//! port, and the main port's path for new connections that announce (see
//! `server::main_port`). Announces are tiny GETs, so parsing just the request
//! line and three headers (with `httparse`) saves most of a general-purpose stack's
//! per-connection cost. Keep-alive and pipelining are honoured; on TRACKER_BIND
//! anything that is not a tracker route gets a bencoded refusal.
//!
//! Most BitTorrent clients open a new connection per announce, so that path is
//! kept short: the kernel hands a connection to accept() only once its request
//! has arrived (TCP_DEFER_ACCEPT), the request is read and answered right in the
//! accept loop without registering the socket with epoll, and the answer of a
//! closing request leaves in the same segment as the FIN (MSG_MORE, then close).
//! Only slow, partial, pipelined or keep-alive connections become tasks.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::SockRef;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{response, Tracker};
use crate::core::counters::Counters;
use crate::web::client_ip::Origin;
use crate::web::limits::{AcceptBackoff, Cap, Limits, Slot};

/// Requests larger than this (request line + headers) are refused with 431; a
/// scrape of the 128 hashes allowed is some 8.5 KiB.
pub const MAX_HEAD: usize = 16 * 1024;
/// Header lines read per request; more is refused as too large (clients send ~5).
pub const MAX_HEADERS: usize = 48;
/// Connections accepted per wake-up before the connection tasks get a turn.
const ACCEPT_BATCH: usize = 64;
const READ_CHUNK: usize = 2048;

const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Runs the tracker port on its own thread with a single-threaded runtime, as
/// opentracker does: short announce connections then never hop between cores.
pub fn spawn_dedicated(
    listener: std::net::TcpListener,
    tracker: Arc<Tracker>,
    counters: Arc<Counters>,
    stop: tokio::sync::watch::Receiver<bool>,
    limits: Limits,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("tracker-http".into())
        .spawn(move || {
            runtime.block_on(async move {
                match prepare(listener) {
                    Ok(l) => {
                        let cap = Cap::new(limits.max_connections);
                        accept_loop(l, stop, &cap, "TRACKER_BIND", |stream, remote, slot| {
                            first_request(stream, remote, slot, &tracker, &counters, limits)
                        })
                        .await
                    }
                    Err(e) => tracing::error!("TRACKER_BIND: cannot use the listener: {e}"),
                }
            })
        })
}

/// The listener made non-blocking, with deferred accept, registered with the runtime.
pub fn prepare(listener: std::net::TcpListener) -> io::Result<AsyncFd<std::net::TcpListener>> {
    listener.set_nonblocking(true)?;
    defer_accept(&listener);
    // SAFETY: the AsyncFd owns the listener; its descriptor is neither closed
    // nor replaced while registered.
    unsafe { AsyncFd::register_with_interest(listener, tokio::io::Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
}

/// Wake accept() only when the request is there (or after a few seconds), so
/// the first read of a new connection does not wait, and connections that
/// never send anything cost no task.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn defer_accept(listener: &std::net::TcpListener) {
    use std::os::fd::AsRawFd;
    let secs: libc::c_int = 5;
    // SAFETY: a valid socket descriptor and a pointer to a c_int of the length given.
    let rc = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            (&secs as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        tracing::debug!("TCP_DEFER_ACCEPT not set: {}", io::Error::last_os_error());
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn defer_accept(_: &std::net::TcpListener) {}

/// send() flag for an answer followed by close(): hold it so the FIN goes out with it.
#[cfg(any(target_os = "linux", target_os = "android"))]
const LAST_SEND: libc::c_int = libc::MSG_MORE;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const LAST_SEND: libc::c_int = 0;

/// Accepts until `stop` turns true, handing each new connection (blocking
/// mode, not registered with the runtime) to `on_accept` with its slot under
/// `cap`; connections over the cap are closed at once.
pub async fn accept_loop(
    listener: AsyncFd<std::net::TcpListener>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    cap: &Arc<Cap>,
    name: &str,
    mut on_accept: impl FnMut(std::net::TcpStream, SocketAddr, Slot),
) {
    let mut backoff = AcceptBackoff::default();
    // The watch guard must not live across an await (it is not Send).
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    loop {
        let mut ready = tokio::select! {
            ready = listener.readable() => match ready {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("listener failed: {e}");
                    return;
                }
            },
            _ = &mut stopped => return,
        };
        let mut failed = None;
        for _ in 0..ACCEPT_BATCH {
            match listener.get_ref().accept() {
                Ok((stream, remote)) => {
                    backoff.succeeded();
                    // Over the cap the stream is dropped here: closed at once.
                    if let Some(slot) = cap.admit() {
                        on_accept(stream, remote, slot);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready.clear_ready();
                    break;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        drop(ready);
        match failed {
            // Out of descriptors and the like: back off instead of spinning.
            Some(e) => backoff.failed(name, &e).await,
            None => tokio::task::yield_now().await,
        }
    }
}

/// What is buffered on a connection and what it still owes.
pub struct Conn {
    /// Received bytes not answered yet.
    pub buf: Vec<u8>,
    /// Answer bytes not sent yet.
    pub out: Vec<u8>,
    /// False once a request asked to close: `out` is the last thing sent.
    pub open: bool,
}

impl Conn {
    fn fresh(buf: Vec<u8>) -> Conn {
        Conn {
            buf,
            out: Vec::new(),
            open: true,
        }
    }

    /// Answers the first request buffered, if it is all there: its answer goes
    /// to `out`, its bytes leave `buf`.
    fn advance(&mut self, tracker: &Tracker, counters: &Counters, remote: SocketAddr) -> Advance {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let (h, len) = match parse_head(&self.buf, &mut slots) {
            Parsed::Partial if self.buf.len() > MAX_HEAD => return Advance::Reject(TOO_LARGE),
            Parsed::Partial => return Advance::NeedMore,
            Parsed::TooLarge => return Advance::Reject(TOO_LARGE),
            Parsed::Bad => return Advance::Reject(BAD_REQUEST),
            Parsed::Head(_, len) if len > MAX_HEAD => return Advance::Reject(TOO_LARGE),
            Parsed::Head(h, len) => (h, len),
        };
        let body = answer(tracker, counters, &h, remote);
        let out = &mut self.out;
        out.extend_from_slice(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nContent-Length: ",
        );
        out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
        out.extend_from_slice(if h.keep_alive {
            b"\r\n\r\n".as_slice()
        } else {
            b"\r\nConnection: close\r\n\r\n".as_slice()
        });
        out.extend_from_slice(&body);
        self.open = h.keep_alive;
        self.buf.drain(..len);
        Advance::Answered
    }
}

enum Advance {
    /// No whole request head buffered yet.
    NeedMore,
    /// One request answered.
    Answered,
    /// Send this and close.
    Reject(&'static [u8]),
}

/// Reads what a freshly accepted connection has sent (without waiting) and, if
/// `answer_now` says so of it, answers it at once. What remains of the
/// connection (it is left non-blocking), or None when it is done with.
pub fn first_contact(
    stream: &std::net::TcpStream,
    remote: SocketAddr,
    tracker: &Tracker,
    counters: &Counters,
    answer_now: impl Fn(&[u8]) -> bool,
) -> Option<Conn> {
    let buf = read_first(stream)?;
    if !buf.is_empty() && answer_now(&buf) {
        answer_inline(stream, buf, tracker, counters, remote)
    } else {
        Some(Conn::fresh(buf))
    }
}

/// The first read of a new connection without waiting: what was there (maybe
/// nothing yet), or None once it is closed or broken. Leaves it non-blocking.
fn read_first(stream: &std::net::TcpStream) -> Option<Vec<u8>> {
    stream.set_nonblocking(true).ok()?;
    let mut chunk = [0u8; READ_CHUNK];
    match (&*stream).read(&mut chunk) {
        Ok(0) => None,
        Ok(n) => Some(chunk[..n].to_vec()),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Some(Vec::new()),
        Err(_) => None,
    }
}

/// Whether `buf` holds a whole request head for the tracker's routes.
pub fn is_tracker_request(buf: &[u8]) -> bool {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let Parsed::Head(h, _) = parse_head(buf, &mut slots) else {
        return false;
    };
    let path = h.target.split('?').next().unwrap_or_default();
    ["/announce", "/scrape"].iter().any(|route| {
        path.strip_prefix(route)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Answers what `buf` holds right away on the freshly accepted `stream`: the
/// connection's remaining state if it goes on (keep-alive, a partial request,
/// an answer not fully sent), None when it is done with.
fn answer_inline(
    stream: &std::net::TcpStream,
    buf: Vec<u8>,
    tracker: &Tracker,
    counters: &Counters,
    remote: SocketAddr,
) -> Option<Conn> {
    let mut conn = Conn::fresh(buf);
    match conn.advance(tracker, counters, remote) {
        Advance::NeedMore => Some(conn),
        Advance::Reject(answer) => {
            let _ = (&*stream).write(answer);
            None
        }
        Advance::Answered => {
            let flags = if conn.open { 0 } else { LAST_SEND };
            match SockRef::from(stream).send_with_flags(&conn.out, flags) {
                Ok(sent) => drop(conn.out.drain(..sent)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return None,
            }
            // Dropping a closing connection sends its answer with the FIN.
            (conn.open || !conn.out.is_empty()).then_some(conn)
        }
    }
}

/// TRACKER_BIND: serves a new connection's first request inline; anything that
/// cannot finish at once goes on in a task.
fn first_request(
    stream: std::net::TcpStream,
    remote: SocketAddr,
    slot: Slot,
    tracker: &Arc<Tracker>,
    counters: &Arc<Counters>,
    limits: Limits,
) {
    let Some(conn) = first_contact(&stream, remote, tracker, counters, |_| true) else {
        return;
    };
    let Ok(stream) = TcpStream::from_std(stream) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let (tracker, counters) = (tracker.clone(), counters.clone());
    tokio::spawn(async move {
        connection(stream, remote, &tracker, &counters, conn, limits).await;
        drop(slot);
    });
}

/// Serves a connection until it closes, asks to close, idles out
/// (`idle_timeout` with nothing buffered) or sends a head too slowly
/// (`header_timeout` from the head's first byte, however it trickles in).
async fn connection(
    mut stream: TcpStream,
    remote: SocketAddr,
    tracker: &Tracker,
    counters: &Counters,
    mut conn: Conn,
    limits: Limits,
) {
    let mut chunk = [0u8; READ_CHUNK];
    let mut head_since = (!conn.buf.is_empty()).then(tokio::time::Instant::now);
    loop {
        if !conn.out.is_empty() {
            if stream.write_all(&conn.out).await.is_err() {
                return;
            }
            conn.out.clear();
        }
        if !conn.open {
            return;
        }
        match conn.advance(tracker, counters, remote) {
            Advance::NeedMore => {
                let deadline = match head_since {
                    Some(t) => t + limits.header_timeout,
                    None => tokio::time::Instant::now() + limits.idle_timeout,
                };
                match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                    Ok(Ok(n)) if n > 0 => {
                        head_since.get_or_insert_with(tokio::time::Instant::now);
                        conn.buf.extend_from_slice(&chunk[..n]);
                    }
                    _ => return,
                }
            }
            Advance::Answered => {
                // A pipelined request already begun starts its own clock.
                head_since = (!conn.buf.is_empty()).then(tokio::time::Instant::now);
            }
            Advance::Reject(answer) => {
                let _ = stream.write_all(answer).await;
                return;
            }
        }
    }
}

struct Head<'a> {
    target: &'a str,
    keep_alive: bool,
    forwarded_for: Option<&'a str>,
    real_ip: Option<&'a str>,
}

/// What the start of a connection's buffer holds.
enum Parsed<'a> {
    /// A whole head, and its length in bytes (request line, headers, blank line).
    Head(Head<'a>, usize),
    /// Not all of the head has arrived yet.
    Partial,
    /// More header lines than a tracker request needs.
    TooLarge,
    /// Malformed, or announcing a body (announces and scrapes are bodiless GETs).
    Bad,
}

/// The request line and the headers the tracker reads, parsed by `httparse`.
fn parse_head<'a>(buf: &'a [u8], slots: &'a mut [httparse::Header<'a>]) -> Parsed<'a> {
    // httparse skips empty lines before a request; a tracker request never
    // starts with one, and without this a stray CRLF would wait for more.
    if matches!(buf.first(), Some(b'\r' | b'\n')) {
        return Parsed::Bad;
    }
    let mut req = httparse::Request::new(slots);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::TooLarge,
        Err(_) => return Parsed::Bad,
    };
    let (Some(target), Some(version)) = (req.path, req.version) else {
        return Parsed::Bad;
    };
    let mut h = Head {
        target,
        keep_alive: version == 1,
        forwarded_for: None,
        real_ip: None,
    };
    for header in req.headers.iter() {
        let Ok(value) = std::str::from_utf8(header.value.trim_ascii()) else {
            return Parsed::Bad;
        };
        let name = header.name;
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                h.keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                h.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            if value.parse::<u64>().ok() != Some(0) {
                return Parsed::Bad;
            }
        } else if name.eq_ignore_ascii_case("x-forwarded-for") {
            h.forwarded_for = Some(value);
        } else if name.eq_ignore_ascii_case("x-real-ip") {
            h.real_ip = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Parsed::Bad;
        }
    }
    Parsed::Head(h, len)
}

/// The bencoded answer to one request target.
fn answer(tracker: &Tracker, counters: &Counters, h: &Head<'_>, remote: SocketAddr) -> Vec<u8> {
    let (path, query) = h.target.split_once('?').unwrap_or((h.target, ""));
    let (route, passkey) = match path.trim_start_matches('/').split_once('/') {
        Some((r, k)) => (r, Some(k.trim_end_matches('/'))),
        None => (path.trim_start_matches('/'), None),
    };
    // The span every warp route gets (web::filters::request_span), here too for
    // the answers given in the accept loop: static labels, no allocation, no key.
    let label = match (route, passkey.is_some()) {
        ("announce", true) => "/announce/{passkey}",
        ("announce", false) => "/announce",
        ("scrape", true) => "/scrape/{passkey}",
        ("scrape", false) => "/scrape",
        _ => "/{other}",
    };
    let _span = tracing::info_span!("request", method = %"GET", route = %label).entered();
    let body = match route {
        "announce" => {
            let origin = Origin {
                remote: Some(remote.ip()),
                forwarded_for: h.forwarded_for.map(str::to_string),
                real_ip: h.real_ip.map(str::to_string),
                forwarded_proto: None,
            };
            tracker.http_announce(passkey, query, &origin, counters)
        }
        "scrape" => tracker.http_scrape(passkey, query),
        _ => response::failure("no such tracker route"),
    };
    tracing::trace!(bytes = body.len(), "answered in the accept loop");
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads() {
        let parse = |head: &str| {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            match parse_head(head.as_bytes(), &mut slots) {
                Parsed::Head(h, len) => Some((
                    h.target.to_string(),
                    h.keep_alive,
                    h.real_ip.map(str::to_string),
                    len,
                )),
                _ => None,
            }
        };
        let head = "GET /announce/k?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Real-IP: 1.2.3.4\r\n\r\n";
        let (target, keep_alive, real_ip, len) = parse(&format!("{head}rest")).unwrap();
        assert_eq!(target, "/announce/k?x=1");
        assert!(!keep_alive);
        assert_eq!(real_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(len, head.len());
        assert!(
            parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n")
                .unwrap()
                .1
        );
        assert!(!parse("GET / HTTP/1.0\r\nHost: a\r\n\r\n").unwrap().1);
        assert!(parse("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").is_some());
        assert!(parse("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").is_none());
        assert!(parse("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n").is_none());
        assert!(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").is_none());
        assert!(parse("garbage\r\n\r\n").is_none());
        assert!(parse("\r\n\r\n").is_none());
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        assert!(matches!(
            parse_head(b"GET /announce HTTP/1.1\r\nHost: a", &mut slots),
            Parsed::Partial
        ));
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "A: b\r\n".repeat(MAX_HEADERS + 1)
        );
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        assert!(matches!(
            parse_head(many.as_bytes(), &mut slots),
            Parsed::TooLarge
        ));
    }

    #[test]
    fn tells_tracker_requests() {
        assert!(is_tracker_request(b"GET /announce/k?x=1 HTTP/1.1\r\n\r\n"));
        assert!(is_tracker_request(
            b"GET /scrape HTTP/1.1\r\nHost: a\r\n\r\n"
        ));
        assert!(!is_tracker_request(b"GET /announcex HTTP/1.1\r\n\r\n"));
        assert!(!is_tracker_request(b"GET /api/v1/health HTTP/1.1\r\n\r\n"));
        assert!(!is_tracker_request(b"GET /announce HTTP/1.1\r\n"));
    }
}
