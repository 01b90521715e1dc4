//! Raw SHA-1 throughput of the `sha1` crate on this machine: one core and every
//! core, hashing a buffer already in cache (no I/O), the ceiling for
//! `privateindexer create`. Run: `cargo bench --bench sha1_raw`.

use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

/// A buffer that stays in L2, as the hasher's 256 KiB reads do.
const BUF: usize = 256 * 1024;
const RUN: Duration = Duration::from_secs(3);

/// Hashes for `RUN` on one thread and returns the bytes hashed.
fn hash_for_a_while() -> u64 {
    let buf = vec![0x5au8; BUF];
    let start = Instant::now();
    let mut bytes = 0u64;
    let mut sha = Sha1::new();
    while start.elapsed() < RUN {
        for _ in 0..64 {
            sha.update(&buf);
        }
        bytes += 64 * BUF as u64;
    }
    std::hint::black_box(sha.finalize());
    bytes
}

fn mib_s(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / (1024.0 * 1024.0)
}

fn main() {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    println!("cpu sha extensions (sha_ni): {}", std::arch::is_x86_feature_detected!("sha"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let t = Instant::now();
    let one = hash_for_a_while();
    println!("sha1 raw, 1 core: {:.0} MiB/s", mib_s(one, t.elapsed().as_secs_f64()));

    let t = Instant::now();
    let all: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores).map(|_| s.spawn(hash_for_a_while)).collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    println!("sha1 raw, {cores} cores: {:.0} MiB/s", mib_s(all, t.elapsed().as_secs_f64()));
}
