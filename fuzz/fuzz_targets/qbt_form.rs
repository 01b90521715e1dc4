//! The qBittorrent API's forms: the query and a urlencoded or multipart body,
//! then the field parsers the handlers use (hashes, tags, category names).
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use privateindexer::client::qbittorrent::form::{self, Params, MAX_ITEMS};

/// `Params::parse` over a body already in memory never waits.
fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("parsing an in-memory body waited"),
    }
}

fuzz_target!(|data: &[u8]| {
    // First byte: which content type; then a query line; then the body.
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let (query, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let query = String::from_utf8_lossy(query);
    let content_type = match kind % 3 {
        0 => None,
        1 => Some("application/x-www-form-urlencoded"),
        _ => Some("multipart/form-data; boundary=X"),
    };
    let body = bytes::Bytes::copy_from_slice(body);
    let Ok(p) = ready(Params::parse(&query, content_type, body)) else {
        return;
    };
    assert!(p.files.len() <= MAX_ITEMS);
    if let Ok(Some(set)) = form::hashes(p.get("hashes")) {
        assert!(set.iter().all(|h| h.len() == 40));
    }
    let _ = form::tag_list(p.get("tags"));
    if let Some(c) = p.get("category") {
        let _ = form::category_name(c);
    }
    let _ = form::number::<u64>(&p, "limit");
});
