//! Torznab query strings: parsed into a search or a Torznab error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::torznab::query::{parse, Function, Params, MAX_LIMIT};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Function::Search(s)) = parse(&Params::parse(query)) {
        assert!(s.limit <= MAX_LIMIT);
    }
});
