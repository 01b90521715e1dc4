//! Limits every TCP listener applies (the server's main port and TRACKER_BIND,
//! the client's CLIENT_BIND, and the seeder through [`Cap`] and
//! [`AcceptBackoff`]): a cap on open connections (one more is closed at once),
//! a deadline for a request head counted from its first byte (a client that
//! trickles header lines is still closed), an idle timeout for connections
//! that move no bytes, and a backoff when accept() fails (out of descriptors)
//! instead of a spin, and an over-long request target answered in the
//! listener's dialect. Also a per-address token bucket for datagram surfaces.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::long_target::{Refusal, TargetWatch};

/// The connection limits of one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// A request head must be whole this long after its first byte.
    pub header_timeout: Duration,
    /// A connection that moves no byte either way for this long, between
    /// requests or in the middle of one, is closed.
    pub idle_timeout: Duration,
    /// On a stop, open requests get this long to finish; then every connection is closed.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            drain: Duration::from_secs(5),
        }
    }
}

/// The settings every HTTP listener's [`Limits`] come from: the server's
/// (`BIND`, `TRACKER_BIND`) and the client's (`CLIENT_BIND`), under the same names.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimitArgs {
    /// Open connections at most on each HTTP port (the server's BIND and TRACKER_BIND, the
    /// client's CLIENT_BIND); more are closed at once.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub http_max_connections: u64,

    /// Seconds a request head may take from its first byte (slow or trickling heads are closed).
    #[arg(long, env = "HTTP_HEADER_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_header_timeout: u64,

    /// Seconds a connection may move no byte (idle keep-alive, stalled requests) before it is closed.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub http_idle_timeout: u64,

    /// Seconds a stop (SIGTERM) lets open requests finish before every connection is closed.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=300))]
    pub shutdown_grace: u64,
}

impl From<&HttpLimitArgs> for Limits {
    fn from(a: &HttpLimitArgs) -> Limits {
        Limits {
            max_connections: a.http_max_connections as usize,
            header_timeout: Duration::from_secs(a.http_header_timeout),
            idle_timeout: Duration::from_secs(a.http_idle_timeout),
            drain: Duration::from_secs(a.shutdown_grace),
        }
    }
}

/// Counts a listener's open connections.
#[derive(Debug)]
pub struct Cap {
    open: AtomicUsize,
    max: usize,
}

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct Slot(Arc<Cap>);

impl Cap {
    pub fn new(max: usize) -> Arc<Cap> {
        Arc::new(Cap {
            open: AtomicUsize::new(0),
            max: max.max(1),
        })
    }

    /// A slot for a new connection, or None when `max` are open (close it).
    pub fn admit(self: &Arc<Self>) -> Option<Slot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.clone()))
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What to do after accept() failed: log at warn and wait, longer each time in
/// a row (10 ms doubling to 1 s), so a listener out of descriptors neither
/// spins nor floods the log.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    pub async fn failed(&mut self, listener: &str, e: &io::Error) {
        let wait = Duration::from_millis(10u64 << self.failures.min(7)).min(Duration::from_secs(1));
        self.failures = self.failures.saturating_add(1);
        if self.failures.is_power_of_two() {
            tracing::warn!(
                listener,
                error = %e,
                failures = self.failures,
                "accept failed; backing off {} ms",
                wait.as_millis()
            );
        }
        tokio::time::sleep(wait).await;
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
}

/// What a served connection is doing, shared by its I/O (bytes moved), its
/// service (requests in flight) and its watchdog ([`Activity::expired`]).
#[derive(Debug)]
pub struct Activity {
    start: Instant,
    /// Milliseconds since `start` of the first byte of a head not yet answered, or NONE.
    head_since: AtomicU64,
    /// Milliseconds since `start` of the last byte read or written.
    last: AtomicU64,
    in_flight: AtomicUsize,
    /// Requests whose head was parsed so far.
    requests: AtomicU64,
    /// Wakes the watchdog when a head begins: it may be sleeping out an idle timeout.
    head_began: tokio::sync::Notify,
}

const NONE: u64 = u64::MAX;

impl Activity {
    /// For a new connection; `head_started` when its first bytes are already read.
    pub fn new(head_started: bool) -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            head_since: AtomicU64::new(if head_started { 0 } else { NONE }),
            last: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            head_began: tokio::sync::Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn moved(&self, read: bool) {
        let now = self.now();
        self.last.store(now, Ordering::Release);
        if read
            && self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_since
                .compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.head_began.notify_one();
        }
    }

    /// A request's head is parsed and its handler runs until the guard drops.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::AcqRel);
        self.head_since.store(NONE, Ordering::Release);
        InFlight(self.clone())
    }

    /// The number of the request whose head is being read, or None while a
    /// handler runs (bytes read then are a body).
    fn reading_head(&self) -> Option<u64> {
        (self.in_flight.load(Ordering::Acquire) == 0).then(|| self.requests.load(Ordering::Acquire))
    }

    /// Resolves once the connection should be closed under `limits`: a head
    /// unfinished `header_timeout` after its first byte, or no byte moved for
    /// `idle_timeout` while no handler runs.
    pub async fn expired(&self, limits: &Limits) -> &'static str {
        let (header, idle) = (
            limits.header_timeout.as_millis() as u64,
            limits.idle_timeout.as_millis() as u64,
        );
        loop {
            let now = self.now();
            let wait = if self.in_flight.load(Ordering::Acquire) > 0 {
                header.min(idle)
            } else {
                let head = self.head_since.load(Ordering::Acquire);
                if head != NONE && now >= head + header {
                    return "header timeout";
                }
                let last = self.last.load(Ordering::Acquire);
                if now >= last + idle {
                    return "idle timeout";
                }
                let idle_left = last + idle - now;
                if head == NONE {
                    idle_left
                } else {
                    idle_left.min(head + header - now)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait.max(1))) => {}
                _ = self.head_began.notified() => {}
            }
        }
    }
}

/// A request in flight (see [`Activity::begin`]).
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last.store(self.0.now(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's I/O, telling its [`Activity`] of every byte moved, with
/// each request line measured on the way in (see [`TargetWatch`]).
pub struct Watched<I> {
    io: I,
    activity: Arc<Activity>,
    target: TargetWatch,
    refusing: Option<Refusing>,
}

/// An over-long target's answer being sent, then the rest of the request read off.
struct Refusing {
    answer: Vec<u8>,
    sent: usize,
    shut: bool,
    /// Bytes still read off before closing, so the close does not reset the
    /// connection before the answer is read.
    drain: usize,
}

impl<I> Watched<I> {
    pub fn new(io: I, activity: Arc<Activity>, refusal: Refusal) -> Self {
        Watched {
            io,
            activity,
            target: TargetWatch::new(refusal),
            refusing: None,
        }
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> Watched<I> {
    /// Sends the refusal, half-closes, reads off the rest, then fails the read
    /// so hyper drops the connection without an answer of its own.
    fn poll_refuse(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(r) = self.refusing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while r.sent < r.answer.len() {
            match Pin::new(&mut self.io).poll_write(cx, &r.answer[r.sent..]) {
                Poll::Ready(Ok(0)) => break,
                Poll::Ready(Ok(n)) => r.sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        if !r.shut {
            if Pin::new(&mut self.io).poll_shutdown(cx).is_pending() {
                return Poll::Pending;
            }
            r.shut = true;
        }
        let mut sink = [0u8; 8192];
        while r.drain > 0 {
            let mut buf = ReadBuf::new(&mut sink);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    r.drain = r.drain.saturating_sub(buf.filled().len())
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(_) => break,
            }
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "request target too long",
        )))
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.refusing.is_some() {
            return self.poll_refuse(cx);
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.moved(true);
            if let Some(request) = self.activity.reading_head() {
                if let Some(answer) = self.target.read(request, &buf.filled()[before..]) {
                    // hyper never sees the line.
                    buf.set_filled(before);
                    self.refusing = Some(Refusing {
                        answer,
                        sent: 0,
                        shut: false,
                        drain: 1 << 20,
                    });
                    return self.poll_refuse(cx);
                }
            }
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Runs `fut` (a connection's service) until it ends or `activity` expires.
pub async fn until_expired<F: Future<Output = ()>>(
    fut: F,
    activity: &Activity,
    limits: &Limits,
    peer: std::net::SocketAddr,
) {
    tokio::select! {
        _ = fut => {}
        why = activity.expired(limits) => tracing::debug!(%peer, "connection closed: {why}"),
    }
}

/// Bound on addresses a [`RateLimit`] tracks, so a spray of sources cannot grow memory.
const MAX_TRACKED: usize = 100_000;

/// A token bucket per address: `per_sec` on average, bursts of `burst`.
pub struct RateLimit {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimit {
    pub fn new(per_sec: u32, burst: u32) -> Self {
        RateLimit {
            per_sec: f64::from(per_sec.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ip` may do one more now (and counts it).
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            // Full buckets are the same as no entry: drop them.
            let (rate, burst) = (self.per_sec, self.burst);
            buckets.retain(|_, (t, at)| *t + at.elapsed().as_secs_f64() * rate < burst);
            if buckets.len() >= MAX_TRACKED {
                return false;
            }
        }
        let (tokens, at) = buckets.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_up_to_its_max_and_frees_on_drop() {
        let cap = Cap::new(2);
        let a = cap.admit().unwrap();
        let _b = cap.admit().unwrap();
        assert!(cap.admit().is_none());
        drop(a);
        assert_eq!(cap.open(), 1);
        assert!(cap.admit().is_some());
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_the_rate() {
        let r = RateLimit::new(1, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!((0..3).all(|_| r.allow(a)));
        assert!(!r.allow(a));
        assert!(r.allow("192.0.2.2".parse().unwrap()), "per address");
    }

    #[tokio::test]
    async fn a_head_expires_from_its_first_byte_and_a_silent_connection_when_idle() {
        let limits = Limits {
            max_connections: 1,
            header_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(300),
            drain: Duration::ZERO,
        };
        // Idle: nothing read at all.
        let idle = Activity::new(false);
        assert_eq!(idle.expired(&limits).await, "idle timeout");
        // A head started; bytes keep coming (every 50 ms) but it never ends.
        let head = Activity::new(true);
        let trickle = async {
            loop {
                head.moved(true);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            why = head.expired(&limits) => assert_eq!(why, "header timeout"),
            _ = trickle => unreachable!(),
        }
        // A new connection quiet at first, then the first bytes of a head that
        // never ends: the head deadline runs from those bytes, not from the
        // idle timeout the watchdog was waiting for when they came.
        let long_idle = Limits {
            idle_timeout: Duration::from_secs(600),
            ..limits
        };
        let fresh = Activity::new(false);
        let trickle = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            // Far longer than the 100 ms head deadline, far shorter than idle.
            for _ in 0..200 {
                fresh.moved(true);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            why = fresh.expired(&long_idle) => assert_eq!(why, "header timeout"),
            _ = trickle => panic!("a head begun on a quiet connection outlived its deadline"),
        }
        // A handler running is never cut.
        let busy = Activity::new(true);
        let guard = busy.begin();
        let cut = tokio::time::timeout(Duration::from_secs(1), busy.expired(&limits)).await;
        assert!(cut.is_err());
        drop(guard);
        assert_eq!(busy.expired(&limits).await, "idle timeout");
    }
}
