//! BEP 15 datagrams: header and announce body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::tracker::udp::{decode_announce, decode_header};

fuzz_target!(|data: &[u8]| {
    if decode_header(data).is_some() {
        if let Ok(a) = decode_announce(data) {
            assert!(data.len() >= 98 && a.port != 0);
        }
    }
});
