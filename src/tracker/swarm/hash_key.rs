//! The hasher of the tracker's maps keyed by info-hash.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Info-hashes are SHA digests and only registered ones are ever inserted,
/// so their first bytes are already a good hash; SipHash would be wasted work.
#[derive(Default)]
pub struct HashKeyHasher(u64);

impl Hasher for HashKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Arrays hash their length first (as usize), then the bytes: keep the bytes.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }
    fn write_usize(&mut self, _: usize) {}
}

pub type HashKeyMap<V> = HashMap<[u8; 20], V, BuildHasherDefault<HashKeyHasher>>;
