//! Upload validation: a torrent that passes is stored as bytes that pass again
//! with the same info-hash, and its texts are safe to show.
#![no_main]

use libfuzzer_sys::fuzz_target;
use privateindexer::metainfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = metainfo::parse(data) {
        let served = metainfo::with_announce(&m.stored, "http://t/announce/k").unwrap();
        let again = metainfo::parse(&served).unwrap();
        assert_eq!(again.info_hash, m.info_hash);
        assert_eq!(again.size, m.size);
        assert!(!m.name.chars().any(char::is_control));
    }
});
