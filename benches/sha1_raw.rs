//! Raw SHA-1 throughput of the `sha1` crate on this machine, hashing a buffer
//! already in cache (no I/O): the ceiling for `privateindexer create`.
//! Run: `cargo bench --bench sha1_raw [-- THREADS…]` (default: 1 and every core).

use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

/// A buffer that stays in cache, as the hasher's 128 KiB reads do.
const BUF: usize = 128 * 1024;
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

fn main() {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    println!(
        "cpu sha extensions (sha_ni): {}",
        std::arch::is_x86_feature_detected!("sha")
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // `cargo bench` passes `--bench`; numbers are thread counts.
    let mut counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if counts.is_empty() {
        counts = vec![1, cores];
    }
    for n in counts {
        let t = Instant::now();
        let bytes: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n).map(|_| s.spawn(hash_for_a_while)).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        let secs = t.elapsed().as_secs_f64();
        println!(
            "sha1 raw, {n} threads: {:.0} MiB/s ({bytes} bytes in {secs:.2} s)",
            bytes as f64 / secs / (1024.0 * 1024.0)
        );
    }
}
