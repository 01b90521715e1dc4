//! hyper refuses a request target over 65,534 bytes with an empty 414 before
//! any route sees it. On the main port the first request line of a connection
//! is read here first, so an over-long Torznab request still gets Torznab XML
//! (error 201, as the *arr apps read only the XML) and any other a JSON 414.
//! Later requests on a kept-alive connection meet hyper's limit directly.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::torznab::{render, TorznabError};

/// hyper's own bound on a request target.
pub const MAX_TARGET: usize = 65_534;

/// What to do with a connection after its first request line.
#[derive(Debug, PartialEq, Eq)]
pub enum Gate {
    /// The line is short enough (or not there yet): hyper takes it.
    Pass,
    /// Send this, then close.
    Refuse(Vec<u8>),
    /// Closed, broken or too slow: drop it.
    Close,
}

/// Reads on until `buf` holds the first request line or is longer than any
/// line hyper takes; `wait` bounds the whole.
pub async fn check<R: AsyncRead + Unpin>(read: &mut R, buf: &mut Vec<u8>, wait: Duration) -> Gate {
    if buf.is_empty() {
        return Gate::Pass;
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.iter().position(|b| *b == b'\n') {
            return judge(&buf[..end], true);
        }
        if buf.len() > MAX_TARGET + 32 {
            return judge(buf, false);
        }
        match tokio::time::timeout_at(deadline, read.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return Gate::Close,
        }
    }
}

/// A request line (`whole`, or the start of one) judged by its target's length.
fn judge(line: &[u8], whole: bool) -> Gate {
    let rest = match line.iter().position(|b| *b == b' ') {
        Some(at) => &line[at + 1..],
        None => line,
    };
    // A whole line's target ends before the version.
    let target = match rest.iter().rposition(|b| *b == b' ') {
        Some(at) if whole => &rest[..at],
        _ => rest,
    };
    if target.len() <= MAX_TARGET {
        return Gate::Pass;
    }
    let path = target.split(|b| *b == b'?').next().unwrap_or_default();
    Gate::Refuse(if path == b"/api" || path == b"/torznab/api" {
        let e = TorznabError::new(
            201,
            format!("Incorrect parameter: the request is longer than {MAX_TARGET} bytes"),
        );
        response(
            "200 OK",
            "application/xml; charset=utf-8",
            &render::error(&e),
        )
    } else {
        response(
            "414 URI Too Long",
            "application/json",
            br#"{"error":"request target too long"}"#,
        )
    })
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn long_targets_are_refused_in_their_surfaces_dialect() {
        let wait = Duration::from_secs(5);
        let mut short = b"GET /api?t=caps HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        assert_eq!(check(&mut &b""[..], &mut short, wait).await, Gate::Pass);
        let long_q = "a".repeat(100_000);
        let whole = format!("GET /api?t=search&q={long_q} HTTP/1.1\r\nHost: x\r\n\r\n");
        let (first, rest) = whole.as_bytes().split_at(2048);
        let mut buf = first.to_vec();
        let Gate::Refuse(answer) = check(&mut &rest[..], &mut buf, wait).await else {
            panic!("passed");
        };
        let answer = String::from_utf8(answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains(r#"<error code="201""#), "{answer}");
        let other = format!("GET /api/v1/x?{long_q} HTTP/1.1\r\n\r\n");
        let mut buf = other.as_bytes()[..100].to_vec();
        let Gate::Refuse(answer) = check(&mut &other.as_bytes()[100..], &mut buf, wait).await
        else {
            panic!("passed");
        };
        assert!(answer.starts_with(b"HTTP/1.1 414"));
        // Cut short before the line ends: closed, not passed on.
        let mut buf = b"GET /api?q=aaaa".to_vec();
        assert_eq!(check(&mut &b"aaa"[..], &mut buf, wait).await, Gate::Close);
    }
}
