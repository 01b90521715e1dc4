//! hyper refuses a request target over 65,534 bytes with an empty 414 before
//! any route sees it. [`TargetWatch`] sits in every served connection's read
//! path (see `limits::Watched`) and measures the request line of each request
//! on it, the first or a later one on a kept-alive connection: an over-long one
//! never reaches hyper; the listener's [`Refusal`] is sent instead (its
//! surface's dialect), then the connection is closed. Pipelined requests sent
//! in one segment with an earlier one are measured from where hyper left off.

/// hyper's own bound on a request target.
pub const MAX_TARGET: usize = 65_534;

/// Builds the whole answer (status line to body) for an over-long target
/// from its first bytes (at most [`PREFIX`]).
pub type Refusal = fn(&[u8]) -> Vec<u8>;

/// How much of a request line is kept for the [`Refusal`] to choose its dialect.
pub const PREFIX: usize = 256;

/// A JSON 414, for surfaces without a dialect of their own.
pub fn json_refusal(_target: &[u8]) -> Vec<u8> {
    response(
        "414 URI Too Long",
        "application/json",
        br#"{"error":"request target too long"}"#,
    )
}

/// A whole HTTP/1.1 answer that closes the connection.
pub fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The request line being read on one connection.
#[derive(Debug)]
pub struct TargetWatch {
    refusal: Refusal,
    /// Which request (see `Activity::requests`) the line belongs to.
    request: u64,
    /// Bytes of the line so far (leading empty lines not counted, as hyper skips them).
    len: usize,
    first_space: Option<usize>,
    last_space: Option<usize>,
    prefix: Vec<u8>,
    /// The line ended (or the connection speaks h2): nothing to measure until the next request.
    done: bool,
    h2: bool,
}

impl TargetWatch {
    pub fn new(refusal: Refusal) -> Self {
        TargetWatch {
            refusal,
            request: 0,
            len: 0,
            first_space: None,
            last_space: None,
            prefix: Vec::new(),
            done: false,
            h2: false,
        }
    }

    /// Takes `bytes` just read while no request is being handled, as part of
    /// request number `request`'s head; the answer to send instead when the
    /// line is too long.
    pub fn read(&mut self, request: u64, mut bytes: &[u8]) -> Option<Vec<u8>> {
        if self.h2 {
            return None;
        }
        if request != self.request {
            *self = TargetWatch {
                request,
                ..TargetWatch::new(self.refusal)
            };
        }
        if self.done {
            return None;
        }
        if self.len == 0 {
            let start = bytes.iter().position(|b| !matches!(b, b'\r' | b'\n'));
            bytes = &bytes[start.unwrap_or(bytes.len())..];
        }
        let (line, ended) = match bytes.iter().position(|b| *b == b'\n') {
            Some(end) => (&bytes[..end], true),
            None => (bytes, false),
        };
        if self.first_space.is_none() {
            self.first_space = line.iter().position(|b| *b == b' ').map(|at| self.len + at);
        }
        if let Some(at) = line.iter().rposition(|b| *b == b' ') {
            self.last_space = Some(self.len + at);
        }
        let keep = (PREFIX - self.prefix.len()).min(line.len());
        self.prefix.extend_from_slice(&line[..keep]);
        self.len += line.len();
        if ended {
            self.done = true;
            self.h2 = self.prefix.starts_with(b"PRI * HTTP/2.0");
        }
        self.over_long(ended).then(|| {
            let start = self
                .first_space
                .map_or(0, |at| at + 1)
                .min(self.prefix.len());
            (self.refusal)(&self.prefix[start..])
        })
    }

    /// Whether the line's target is longer than hyper takes: a whole line's
    /// target ends at its last space, an unfinished one is all target so far.
    /// Only what looks like a request line (a method, then a space) is judged;
    /// hyper answers anything else.
    fn over_long(&self, ended: bool) -> bool {
        let Some(first) = self.first_space else {
            return false;
        };
        let method = &self.prefix[..first.min(self.prefix.len())];
        if method.is_empty() || !method.iter().all(u8::is_ascii_uppercase) {
            return false;
        }
        let end = match self.last_space {
            Some(last) if ended && last > first => last,
            _ => self.len,
        };
        end - first - 1 > MAX_TARGET
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(target: &[u8]) -> Vec<u8> {
        target[..4].to_vec()
    }

    #[test]
    fn a_target_over_the_bound_is_refused_whole_or_in_pieces_and_per_request() {
        let mut w = TargetWatch::new(tag);
        let ok = format!("GET /ok?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(65_530));
        assert_eq!(w.read(0, ok.as_bytes()), None);
        // The next request on the connection, in pieces, the line never ending.
        let long = format!("\r\nGET /api?{}", "b".repeat(70_000));
        let (a, b) = long.as_bytes().split_at(1000);
        assert_eq!(w.read(1, a), None);
        assert_eq!(w.read(1, b), Some(b"/api".to_vec()));
        // Exactly the bound passes, one more is refused (a whole line).
        let at = |n: usize| format!("GET /{} HTTP/1.1\r\n", "c".repeat(n - 1));
        assert_eq!(
            TargetWatch::new(tag).read(0, at(MAX_TARGET).as_bytes()),
            None
        );
        assert!(TargetWatch::new(tag)
            .read(0, at(MAX_TARGET + 1).as_bytes())
            .is_some());
        // Not a request line (a body hyper drains, an h2 connection): not judged.
        let body = vec![b'x'; 100_000];
        assert_eq!(TargetWatch::new(tag).read(0, &body), None);
        let mut h2 = TargetWatch::new(tag);
        assert_eq!(h2.read(0, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), None);
        assert_eq!(
            h2.read(1, format!("GET /{}", "d".repeat(70_000)).as_bytes()),
            None
        );
    }
}
