//! The seeder's peer-wire parser: a handshake, then length-prefixed messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::client::seeder::wire::{self, Handshake, Message, HANDSHAKE_LEN, MAX_FRAME};

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.first_chunk::<HANDSHAKE_LEN>() {
        if let Ok(parsed) = Handshake::parse(h) {
            assert_eq!(&Handshake::encode(&parsed.info_hash, &parsed.peer_id)[28..], &h[28..]);
        }
    }
    // Messages cut off the front one by one, as the peer loop does.
    let mut rest = data;
    while let Ok(Some((msg, used))) = wire::parse(rest) {
        assert!(used >= 4 && used <= rest.len() && used as u64 <= 4 + u64::from(MAX_FRAME));
        if let Message::Bitfield(bits) = msg {
            let _ = wire::bitfield_is_full(bits, bits.len() * 8);
        }
        if let Message::Extended { payload, .. } = msg {
            let _ = wire::peer_reqq(payload);
        }
        rest = &rest[used..];
    }
});
