//! Upload parsing: our strict bencode decoder and the whole upload validation
//! against libtorrent 2.0's own (Debian's python3-libtorrent: `bdecode`, and
//! `torrent_info` for the full check), on the same bytes in the same run.
//! The dictionaries of many keys are the attack of issue #16 (80,000 keys took
//! 6-8 s when duplicates were looked for key by key).
//! Run: `cargo bench --bench bencode`.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use privateindexer::bencode::{self, dict, Owned};
use privateindexer::metainfo;

const PYTHON: &str = "/usr/bin/python3";

/// A private multi-file torrent of `files` files (real structure, dummy piece hashes).
fn big_torrent(files: usize) -> Vec<u8> {
    let piece = 1 << 20;
    let file_len = 3_000_000i64;
    let total = file_len as usize * files;
    let list = (0..files)
        .map(|i| {
            dict([
                ("length", Owned::Int(file_len)),
                (
                    "path",
                    Owned::List(vec![
                        Owned::str(&format!("Disc {}", i / 100)),
                        Owned::str(&format!("{i:05} - Track.flac")),
                    ]),
                ),
            ])
        })
        .collect();
    dict([
        ("announce", Owned::str("http://tracker.example/announce")),
        (
            "info",
            dict([
                ("name", Owned::str("Discography")),
                ("piece length", Owned::Int(piece as i64)),
                ("pieces", Owned::Bytes(vec![7; 20 * total.div_ceil(piece)])),
                ("private", Owned::Int(1)),
                ("files", Owned::List(list)),
            ]),
        ),
    ])
    .encode()
}

/// A valid torrent whose top level also holds `keys` junk keys, in descending order.
fn junk_keys(keys: usize) -> Vec<u8> {
    let base = big_torrent(1);
    let mut out = b"d".to_vec();
    for i in (0..keys).rev() {
        out.extend_from_slice(format!("9:z{i:08}i0e").as_bytes());
    }
    out.extend_from_slice(&base[1..]);
    out
}

/// Median seconds of `f` over enough runs to take about a second (at least 5).
fn median(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    let one = t.elapsed().as_secs_f64();
    let runs = ((1.0 / one.max(1e-6)) as usize).clamp(5, 1000);
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// libtorrent's medians (seconds) for `bdecode` and `torrent_info` on the file.
fn libtorrent(path: &std::path::Path) -> Option<(f64, f64)> {
    let script = r#"
import sys, time, libtorrent as lt
data = open(sys.argv[1], 'rb').read()
def median(f):
    t = time.perf_counter(); f(); one = time.perf_counter() - t
    runs = max(5, min(1000, int(1.0 / max(one, 1e-6))))
    ts = []
    for _ in range(runs):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[runs // 2]
print(median(lambda: lt.bdecode(data)), median(lambda: lt.torrent_info(data)))
"#;
    let out = Command::new(PYTHON)
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some((it.next()??, it.next()??))
}

fn ms(s: f64) -> String {
    format!("{:.2} ms", s * 1000.0)
}

fn main() {
    let cases = [
        ("torrent of 10,000 files", big_torrent(10_000)),
        ("torrent of 40,000 files", big_torrent(40_000)),
        ("80,000 junk keys (unsorted)", junk_keys(80_000)),
        ("160,000 junk keys (unsorted)", junk_keys(160_000)),
    ];
    println!("| input | size | our decode | our validation | libtorrent bdecode | libtorrent torrent_info |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (what, bytes) in cases {
        assert!(metainfo::parse(&bytes).is_ok(), "{what} is not accepted");
        let decode = median(|| {
            std::hint::black_box(bencode::decode(&bytes).unwrap());
        });
        let validate = median(|| {
            std::hint::black_box(metainfo::parse(&bytes).unwrap());
        });
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        let (lt_decode, lt_info) = match libtorrent(file.path()) {
            Some((d, i)) => (ms(d), ms(i)),
            None => ("n/a".into(), "n/a (python3-libtorrent missing)".into()),
        };
        println!(
            "| {what} | {:.1} MiB | {} | {} | {lt_decode} | {lt_info} |",
            bytes.len() as f64 / (1 << 20) as f64,
            ms(decode),
            ms(validate)
        );
    }
}
