//! Torrents we make are parsed and checked against the data by outside tools:
//! Debian's python3-libtorrent (a full hash check) and transmission-show.

use std::path::Path;
use std::process::Command;

use crate::harness::create::{libtorrent_python, make, opts, write};
use privateindexer::{create::CreatedTorrent, metainfo};

/// Adds each torrent to a libtorrent session over its data and prints one JSON
/// line per torrent once libtorrent has checked every piece.
const LT_CHECK: &str = r#"
import json, sys, time
import libtorrent as lt
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False,
                  'alert_mask': lt.alert.category_t.status_notification | lt.alert.category_t.error_notification})
args = sys.argv[1:]
for torrent, save_path in zip(args[0::2], args[1::2]):
    ti = lt.torrent_info(torrent)
    h = ses.add_torrent({'ti': ti, 'save_path': save_path})
    # Waits for libtorrent's hash check of the data; the deadline only stops a
    # broken setup from hanging (it is not a speed check).
    deadline = time.time() + 120
    checked = False
    while not checked and time.time() < deadline:
        ses.wait_for_alert(500)
        checked = any(isinstance(a, lt.torrent_checked_alert) and a.handle == h for a in ses.pop_alerts())
    st = h.status()
    fs = ti.files()
    print(json.dumps({
        'info_hash': str(ti.info_hash()),
        'private': ti.priv(),
        'pieces': ti.num_pieces(),
        'checked': checked,
        'have': st.num_pieces,
        'name': ti.name(),
        'files': [[fs.file_path(i), fs.file_size(i)] for i in range(fs.num_files())],
    }))
    ses.remove_torrent(h)
"#;

struct Checked {
    json: serde_json::Value,
}

/// Runs libtorrent's check over `(torrent bytes, folder holding the data)` pairs.
fn libtorrent_check(py: &str, dir: &Path, items: &[(&CreatedTorrent, &Path)]) -> Vec<Checked> {
    let mut args = vec!["-c".to_string(), LT_CHECK.to_string()];
    for (i, (t, save)) in items.iter().enumerate() {
        let file = dir.join(format!("check-{i}.torrent"));
        std::fs::write(&file, &t.bytes).unwrap();
        args.push(file.display().to_string());
        args.push(save.display().to_string());
    }
    let out = Command::new(py).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "libtorrent: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| Checked {
            json: serde_json::from_str(l).unwrap(),
        })
        .collect()
}

fn assert_complete(c: &Checked, t: &CreatedTorrent) {
    let j = &c.json;
    assert_eq!(j["info_hash"], hex::encode(t.info_hash), "{j}");
    assert_eq!(j["private"], true, "{j}");
    assert_eq!(j["pieces"], t.piece_count as u64, "{j}");
    assert_eq!(
        j["checked"], true,
        "libtorrent did not finish checking: {j}"
    );
    assert_eq!(j["have"], j["pieces"], "libtorrent found bad pieces: {j}");
    // Our own upload validation accepts it too, with the same hash and size.
    let m = metainfo::parse(&t.bytes).unwrap();
    assert_eq!(m.info_hash, t.info_hash);
    assert_eq!(m.size, t.total_size);
}

#[test]
fn libtorrent_verifies_single_files_folders_and_edge_cases() {
    let Some(py) = libtorrent_python() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    const K: usize = 1024;

    // A single file of several pieces with a short last piece.
    write(&root.join("single/movie.mkv"), 300 * K + 123, 1);
    // A file smaller than one piece.
    write(&root.join("small/tiny.bin"), 1000, 2);
    // A folder: nested, an empty file, hidden and partial files skipped, non-ASCII names.
    let album = root.join("folder/Sigur Rós – Ágætis byrjun");
    write(&album.join("01 Intro.flac"), 70 * K, 3);
    write(&album.join("02 Svefn-g-englar.flac"), 130 * K + 7, 4);
    write(&album.join("Scans/front ✓.jpg"), 20 * K, 5);
    write(&album.join("日本語/トラック.flac"), 33 * K + 1, 6);
    write(&album.join("empty.cue"), 0, 7);
    write(&album.join(".DS_Store"), 100, 8);
    write(&album.join("03 Staralfur.flac.part"), 100, 9);
    write(&album.join("04 Flugufrelsarinn.flac.!qB"), 100, 10);
    // One piece spanning many small files.
    let many = root.join("many/Small Files");
    for i in 0..60 {
        write(
            &many.join(format!("f{i:03}.txt")),
            500 + i * 37,
            100 + i as u64,
        );
    }

    // A negative control: the same movie with one byte changed in its first piece.
    let mut bad = crate::harness::content(1, 300 * K + 123);
    bad[10] ^= 0xff;
    std::fs::create_dir_all(root.join("corrupt")).unwrap();
    std::fs::write(root.join("corrupt/movie.mkv"), bad).unwrap();

    let single = make(&opts(&root.join("single/movie.mkv"), 64 * K as u64), None);
    let small = make(&opts(&root.join("small/tiny.bin"), 256 * K as u64), None);
    let folder = make(&opts(&album, 32 * K as u64), None);
    let spanning = make(&opts(&many, 16 * K as u64), None);
    assert_eq!(small.piece_count, 1);
    assert_eq!(folder.file_count, 5, "hidden and partial files are skipped");
    assert!(
        spanning.piece_count * 5 <= 60,
        "a piece holds many small files"
    );

    let checked = libtorrent_check(
        py,
        root,
        &[
            (&single, &root.join("single")),
            (&small, &root.join("small")),
            (&folder, &root.join("folder")),
            (&spanning, &root.join("many")),
            (&single, &root.join("corrupt")),
        ],
    );
    assert_eq!(checked.len(), 5);
    assert_eq!(checked[4].json["checked"], true);
    assert_eq!(
        checked[4].json["have"],
        single.piece_count as u64 - 1,
        "the check must see a bad piece"
    );
    assert_complete(&checked[0], &single);
    assert_complete(&checked[1], &small);
    assert_complete(&checked[2], &folder);
    assert_complete(&checked[3], &spanning);

    let files: Vec<String> = checked[2].json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap().to_string())
        .collect();
    let base = "Sigur Rós – Ágætis byrjun";
    assert_eq!(
        files,
        [
            format!("{base}/01 Intro.flac"),
            format!("{base}/02 Svefn-g-englar.flac"),
            format!("{base}/Scans/front ✓.jpg"),
            format!("{base}/empty.cue"),
            format!("{base}/日本語/トラック.flac"),
        ]
    );
    assert_eq!(
        checked[0].json["files"][0],
        serde_json::json!(["movie.mkv", 300 * 1024 + 123])
    );
}

#[test]
fn transmission_show_reads_a_private_folder_torrent() {
    if !crate::harness::create::have_tool("transmission-show", "transmission-cli") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("Série Été");
    write(&dir.join("é1.mkv"), 50_000, 1);
    write(&dir.join("e2.mkv"), 70_000, 2);
    let t = make(&opts(&dir, 16 * 1024), None);
    let file = tmp.path().join("t.torrent");
    std::fs::write(&file, &t.bytes).unwrap();
    let out = Command::new("transmission-show")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&hex::encode(t.info_hash)), "{text}");
    assert!(text.contains("Private torrent"), "{text}");
    assert!(text.contains("Série Été/é1.mkv"), "{text}");
    assert!(
        text.contains(&format!("Piece Count: {}", t.piece_count)),
        "{text}"
    );
}
