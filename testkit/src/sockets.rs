//! Raw TCP probes of a listener's limits: what a read says of a connection,
//! and waiting for the other side to close it.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What a read says of the connection: closed (EOF or reset), bytes, or nothing yet.
pub enum Read0 {
    Closed,
    Bytes(Vec<u8>),
    Nothing,
}

pub fn read_some(s: &mut TcpStream, wait: Duration) -> Read0 {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 4096];
    match s.read(&mut buf) {
        Ok(0) => Read0::Closed,
        Ok(n) => Read0::Bytes(buf[..n].to_vec()),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Read0::Nothing,
        Err(_) => Read0::Closed,
    }
}

/// Waits (generous deadline) for the other side to close `s`; the bytes it sent first.
pub fn wait_closed(s: &mut TcpStream, what: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    while Instant::now() < deadline {
        match read_some(s, Duration::from_millis(500)) {
            Read0::Closed => return got,
            Read0::Bytes(b) => got.extend(b),
            Read0::Nothing => {}
        }
    }
    panic!("{what}: still open after 60 s");
}

/// Writes `first`, then `line(i)` every 500 ms until the other side closes
/// (true) or a minute has passed (false): a head that never ends, with never
/// a pause long enough to look idle.
pub fn trickle_until_closed(
    s: &mut TcpStream,
    first: &[u8],
    line: impl Fn(usize) -> String,
) -> bool {
    use std::io::Write;
    if s.write_all(first).is_err() {
        return true;
    }
    for i in 0..120 {
        if s.write_all(line(i).as_bytes()).is_err() {
            return true;
        }
        if let Read0::Closed = read_some(s, Duration::from_millis(500)) {
            return true;
        }
    }
    false
}

/// With `held` filling a listener's connection cap: one more connection
/// sending `request` is closed unanswered (once the held ones are surely
/// accepted); after one held connection goes away, the answer starts with
/// `answered` (generous deadlines).
pub fn cap_refuses_then_frees(
    addr: &str,
    mut held: Vec<TcpStream>,
    request: &[u8],
    answered: &[u8],
) {
    use std::io::Write;
    let ask = || {
        let mut s = TcpStream::connect(addr).unwrap();
        let _ = s.write_all(request);
        wait_closed(&mut s, addr)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ask().is_empty() {
        assert!(
            Instant::now() < deadline,
            "{addr}: one past the cap was answered"
        );
    }
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ask().starts_with(answered) {
        assert!(
            Instant::now() < deadline,
            "{addr}: no room after one closed"
        );
    }
}
