//! With the same files, name, piece size, private flag and source, our
//! info-hash equals Debian mktorrent's (`mktorrent -p -s TAG -l LOG2`).

use std::path::Path;
use std::process::Command;

use crate::harness::bin;
use crate::harness::create::{have_tool, make, opts, write};
use privateindexer::metainfo;

fn mktorrent_hash(path: &Path, log2: u32, out: &Path) -> [u8; 20] {
    let status = Command::new("mktorrent")
        .args(["-p", "-s", "TESTSWARM", "-l", &log2.to_string(), "-o"])
        .arg(out)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    metainfo::parse(&std::fs::read(out).unwrap())
        .unwrap()
        .info_hash
}

#[test]
fn info_hash_matches_mktorrent() {
    if !have_tool("mktorrent", "mktorrent") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(&root.join("Movie (2020).mkv"), 200_000, 1);
    let season = root.join("Série (2021) - S01");
    write(&season.join("Série - S01E01.mkv"), 90_000, 2);
    write(&season.join("Série - S01E02.mkv"), 100_001, 3);
    write(&season.join("Subs/S01E01.fr.srt"), 3_000, 4);
    write(&season.join("Subs/S01E02.fr.srt"), 0, 5);
    // Whole-path byte order: "a b" < "a.x" < "a/x", not component order.
    write(&season.join("a b"), 10, 6);
    write(&season.join("a.x"), 11, 7);
    write(&season.join("a/x"), 12, 8);
    write(&season.join("ü/ä.nfo"), 500, 9);

    for (path, log2) in [
        (root.join("Movie (2020).mkv"), 15),
        (root.join("Movie (2020).mkv"), 18),
        (season.clone(), 15),
        (season.clone(), 16),
    ] {
        let theirs = mktorrent_hash(&path, log2, &root.join(format!("mk-{log2}.torrent")));
        let ours = make(&opts(&path, 1 << log2), None);
        assert_eq!(
            hex::encode(ours.info_hash),
            hex::encode(theirs),
            "{} at 2^{log2}",
            path.display()
        );
        std::fs::remove_file(root.join(format!("mk-{log2}.torrent"))).unwrap();
    }

    // The command line gives the same result.
    let out = root.join("cli.torrent");
    let run = Command::new(bin())
        .args([
            "create",
            "--no-cache",
            "--source",
            "TESTSWARM",
            "--piece-size",
            "32K",
            "-o",
        ])
        .arg(&out)
        .arg(&season)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let ours = metainfo::parse(&std::fs::read(&out).unwrap())
        .unwrap()
        .info_hash;
    assert_eq!(ours, mktorrent_hash(&season, 15, &root.join("mk.torrent")));
    assert!(String::from_utf8_lossy(&run.stdout).starts_with(&hex::encode(ours)));
}
