//! The hash cache: unchanged media is not hashed again, changed files are, and
//! pieces spanning several files stay correct.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::harness::bin;
use crate::harness::create::{make, opts, write};
use privateindexer::create::{create_torrent, HashCache, Progress};

/// Rewrites a file with new content of `len` bytes and moves its mtime on.
fn change(path: &Path, len: usize, seed: u64) {
    let before = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, crate::harness::content(seed, len)).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(before + Duration::from_secs(5)).unwrap();
}

#[test]
fn prune_drops_changed_and_deleted_files_but_keeps_unmounted_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = HashCache::open_in(&tmp.path().join("data")).unwrap();
    let library = tmp.path().join("library");
    let disk = tmp.path().join("disk");
    let (kept, changed, deleted) = (
        library.join("kept.mkv"),
        library.join("changed.mkv"),
        library.join("deleted.mkv"),
    );
    let unmounted = disk.join("show").join("e01.mkv");
    for (i, f) in [&kept, &changed, &deleted, &unmounted]
        .into_iter()
        .enumerate()
    {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        write(f, 100_000, i as u64);
        make(&opts(f, 16 * 1024), Some(&cache));
    }
    assert_eq!(cache.prune().unwrap().entries, 0, "nothing stale yet");

    change(&changed, 100_000, 9);
    std::fs::remove_file(&deleted).unwrap();
    // The unmounted disk: its folders are gone with the file.
    std::fs::rename(&disk, tmp.path().join("elsewhere")).unwrap();
    let pruned = cache.prune().unwrap();
    assert_eq!(pruned.entries, 2);
    assert!(pruned.bytes > 2 * 6 * 20, "{pruned:?}");
    assert_eq!(cache.prune().unwrap().entries, 0);

    // What was kept still hits; the disk's entry survived for when it is back.
    assert_eq!(make(&opts(&kept, 16 * 1024), Some(&cache)).bytes_hashed, 0);
    std::fs::rename(tmp.path().join("elsewhere"), &disk).unwrap();
    assert_eq!(
        make(&opts(&unmounted, 16 * 1024), Some(&cache)).bytes_hashed,
        0
    );
}

#[test]
fn unchanged_single_file_is_not_hashed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = HashCache::open_in(&tmp.path().join("data")).unwrap();
    let movie = tmp.path().join("movie.mkv");
    write(&movie, 200_000, 1);
    let o = opts(&movie, 16 * 1024);
    let first = make(&o, Some(&cache));
    assert_eq!(first.bytes_hashed, 200_000);
    let again = make(&o, Some(&cache));
    assert_eq!(again.bytes_hashed, 0);
    assert_eq!(again.info_hash, first.info_hash);

    // Progress reports add up to what was hashed.
    change(&movie, 200_000, 2);
    let planned = AtomicU64::new(u64::MAX);
    let hashed = AtomicU64::new(0);
    let changed = create_torrent(&o, Some(&cache), &|e| match e {
        Progress::Planned { total, to_hash } => {
            assert_eq!(total, 200_000);
            planned.store(to_hash, Ordering::SeqCst);
        }
        Progress::Hashed(n) => {
            hashed.fetch_add(n, Ordering::SeqCst);
        }
    })
    .unwrap();
    assert_eq!(changed.bytes_hashed, 200_000);
    assert_eq!(planned.load(Ordering::SeqCst), 200_000);
    assert_eq!(hashed.load(Ordering::SeqCst), 200_000);
    assert_eq!(changed.info_hash, make(&o, None).info_hash);
    assert_ne!(changed.info_hash, first.info_hash);

    // Another piece size hashes its full pieces again (only the short last
    // piece, the same bytes at both sizes, may come from the cache).
    let other = opts(&movie, 32 * 1024);
    let bigger = make(&other, Some(&cache));
    assert!(
        bigger.bytes_hashed >= 6 * 32 * 1024,
        "{}",
        bigger.bytes_hashed
    );
    assert_eq!(bigger.info_hash, make(&other, None).info_hash);
    assert_eq!(make(&o, Some(&cache)).bytes_hashed, 0);
}

#[test]
fn folder_with_spanning_pieces_rehashes_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = HashCache::open_in(&tmp.path().join("data")).unwrap();
    let season = tmp.path().join("Show - S01");
    let sizes = [40_000usize, 100_003, 3, 0, 70_000, 5, 7, 65_536];
    for (i, &len) in sizes.iter().enumerate() {
        write(&season.join(format!("e{i}.mkv")), len, i as u64 + 1);
    }
    let total: usize = sizes.iter().sum();
    let o = opts(&season, 16 * 1024);
    let first = make(&o, Some(&cache));
    assert_eq!(first.bytes_hashed, total as u64);
    let again = make(&o, Some(&cache));
    assert_eq!(again.bytes_hashed, 0);
    assert_eq!(again.info_hash, first.info_hash);

    // Same size, new content: the file's own pieces and the pieces it shares
    // with its neighbours are hashed; the rest comes from the cache.
    change(&season.join("e1.mkv"), 100_003, 99);
    let changed = make(&o, Some(&cache));
    assert!(
        changed.bytes_hashed > 100_003 && changed.bytes_hashed < total as u64,
        "{}",
        changed.bytes_hashed
    );
    assert_eq!(changed.info_hash, make(&o, None).info_hash);
    assert_ne!(changed.info_hash, first.info_hash);

    // A tiny file inside a spanning piece changing size shifts every later piece.
    change(&season.join("e2.mkv"), 4, 100);
    let shifted = make(&o, Some(&cache));
    assert_eq!(shifted.info_hash, make(&o, None).info_hash);
    assert_eq!(make(&o, Some(&cache)).bytes_hashed, 0);
}

#[test]
fn a_file_cached_alone_is_reused_correctly_inside_a_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = HashCache::open_in(&tmp.path().join("data")).unwrap();
    let season = tmp.path().join("S01");
    write(&season.join("E01.mkv"), 50_001, 1);
    write(&season.join("E02.mkv"), 80_000, 2);
    // Each episode alone (aligned on the piece grid), then the pack (E02 is not).
    make(&opts(&season.join("E01.mkv"), 16 * 1024), Some(&cache));
    make(&opts(&season.join("E02.mkv"), 16 * 1024), Some(&cache));
    let pack = make(&opts(&season, 16 * 1024), Some(&cache));
    assert_eq!(
        pack.info_hash,
        make(&opts(&season, 16 * 1024), None).info_hash
    );
    // E01's whole pieces line up in both torrents and came from the cache.
    assert!(pack.bytes_hashed < 130_001, "{}", pack.bytes_hashed);
}

#[test]
fn command_line_uses_the_cache_in_the_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let movie = tmp.path().join("movie.mkv");
    write(&movie, 100_000, 1);
    let run = |out: &str| {
        let o = Command::new(bin())
            .args(["create", "--piece-size", "16K", "-o"])
            .arg(tmp.path().join(out))
            .arg(&movie)
            .env("DATA_DIR", tmp.path().join("data"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    assert!(run("a.torrent").contains(", 100000 bytes hashed)"));
    assert!(run("b.torrent").contains(", 0 bytes hashed)"));
    assert!(tmp.path().join("data/hash-cache.redb").is_file());
}
