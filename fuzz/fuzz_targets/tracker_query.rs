//! Announce and scrape query strings (both HTTP ports parse them the same way).
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::tracker::announce::{param, parse_announce, parse_scrape};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_announce(query);
    if let Ok(s) = parse_scrape(query) {
        assert!(s.info_hashes.len() <= privateindexer::tracker::announce::MAX_SCRAPE_HASHES);
    }
    let _ = param(query, "passkey");
});
