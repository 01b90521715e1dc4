//! Damaged, missing, resized and changed files are never served nor touched;
//! hostile peers are dropped.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::*;

/// Rewrites one byte in the middle of a file, keeping its size and mtime: bit rot.
fn rot_one_byte(p: &Path) {
    let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(p)
        .unwrap();
    let len = f.metadata().unwrap().len();
    let mut data = Vec::new();
    f.read_to_end(&mut data).unwrap();
    data[len as usize / 2] ^= 0xff;
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0)).unwrap();
    f.write_all(&data).unwrap();
    f.set_modified(mtime).unwrap();
}

fn set_len_keep_mtime(p: &Path, len: u64) {
    let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    f.set_len(len).unwrap();
    f.set_modified(mtime).unwrap();
}

/// Reads until the peer closes; what came before is returned.
fn read_to_close(port: u16, ih: &str, then: &[u8]) -> Option<Vec<u8>> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut hs = vec![19u8];
    hs.extend_from_slice(b"BitTorrent protocol");
    hs.extend_from_slice(&[0; 8]);
    hs.extend_from_slice(&hex::decode(ih).unwrap());
    hs.extend_from_slice(b"-XX0000-hostilepeer2");
    s.write_all(&hs).unwrap();
    s.write_all(then).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).ok().map(|_| all)
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_missing_resized_and_changed_files_are_never_served_nor_touched() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    // Told to the tracker as a port nobody forwards: the server says so.
    let c = s.start_client(&s.media, &[("ANNOUNCE_PORT", free_port().to_string())]);
    s.wait_seeders(12, &c).await;
    c.wait_log("the reachability warning", |l| {
        l.contains("is not reachable from the server: forward it")
    });
    let torrents = s.torrents().await;
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");

    let file = |name: &str| {
        harness::snapshot(&s.media)
            .into_iter()
            .map(|f| f.0)
            .find(|p| p.to_str().unwrap().contains(name))
            .unwrap()
    };
    let by_name = |name: &str| {
        torrents
            .iter()
            .find(|t| t.0.contains(name))
            .unwrap_or_else(|| panic!("no torrent {name}"))
            .clone()
    };
    let rotten = by_name("Glass Harbor");
    rot_one_byte(&file("Glass Harbor"));
    let missing = by_name("Paper Moons");
    std::fs::remove_file(file("Paper Moons")).unwrap();
    let shorter = by_name("Quiet Orchard");
    let p = file("Quiet Orchard");
    set_len_keep_mtime(&p, std::fs::metadata(&p).unwrap().len() - 1000);
    // One episode of a season pack grows by 1000 bytes.
    let pack = torrents.iter().find(|t| t.1).unwrap().clone();
    let pack_file = harness::snapshot(&s.media)
        .into_iter()
        .map(|f| f.0)
        .find(|p| p.parent().unwrap().file_name().unwrap().to_str() == Some(pack.0.as_str()))
        .or_else(|| {
            harness::snapshot(&s.media)
                .into_iter()
                .map(|f| f.0)
                .find(|p| p.to_str().unwrap().contains(&pack.0))
        })
        .expect("a file of the pack");
    set_len_keep_mtime(
        &pack_file,
        std::fs::metadata(&pack_file).unwrap().len() + 1000,
    );
    // A file rewritten with the same size and a new mtime.
    let p = file("S02E01");
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(f);
    let before = snapshot(&s.media);

    let c = s.start_client(&s.media, &[]);
    c.wait_log("why each torrent is not served", |l| {
        l.contains("is missing")
            && l.matches("changed since it was hashed (size").count() >= 2
            && l.contains("was modified since it was hashed")
    });
    // Not served: the handshake gets no answer. (The touched file is served
    // again once the scan finds its content unchanged.)
    for t in [&missing, &shorter, &pack] {
        assert!(
            !handshake_answered(s.seed_port, &t.3, &[]),
            "{} must not be served",
            t.0
        );
    }
    // A peer breaking the protocol is dropped; the seeder goes on.
    let mut hostile = Vec::new();
    hostile.extend_from_slice(&u32::MAX.to_be_bytes());
    hostile.push(6);
    let answer = read_to_close(s.seed_port, &rotten.3, &hostile).expect("closed, not hung");
    assert!(answer.len() >= 68, "handshake answered before the drop");
    let mut past_end = vec![0, 0, 0, 1, 2, 0, 0, 0, 13, 6];
    past_end.extend_from_slice(&9999u32.to_be_bytes());
    past_end.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x40, 0]);
    read_to_close(s.seed_port, &rotten.3, &past_end).expect("closed, not hung");

    // Bit rot: every piece but the damaged one arrives; no bad byte is sent.
    let r = libtorrent_leech(&rotten.2, &s.tmp.path().join("lt-rot"), 1);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_eq!(r["hash_fails"], 0, "{r}");
    assert_eq!(
        r["pieces"].as_u64().unwrap() + 1,
        r["total"].as_u64().unwrap()
    );
    c.wait_log("the withheld piece", |l| {
        l.contains("does not match its SHA-1") && l.contains("withheld")
    });
    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert_eq!(
        snapshot(&s.media),
        before,
        "media untouched (bytes, sizes, mtimes)"
    );
    assert!(
        !file_exists_named(&s.media, "Paper Moons"),
        "a missing file is never re-created"
    );
}

fn file_exists_named(root: &Path, name: &str) -> bool {
    harness::snapshot(root)
        .iter()
        .any(|f| f.0.to_str().unwrap().contains(name))
}
