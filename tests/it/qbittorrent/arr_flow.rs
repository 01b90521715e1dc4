//! (a) and (c): the *arr apps' calls through qbittorrent-api, with a
//! python3-libtorrent peer on the other side.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use super::*;
use crate::seeder_peers::libtorrent_leech;
use sha1::{Digest, Sha1};

/// (a) + (c): qbittorrent-api drives bob's client the way Radarr does while a
/// python3-libtorrent peer seeds; the file arrives byte for byte through the
/// real tracker; with that seeder gone, bob's client serves the finished
/// download to a libtorrent leecher; deleteFiles removes what the client
/// downloaded.
#[tokio::test]
async fn arr_flow_downloads_from_a_libtorrent_seeder() {
    if !python_has("libtorrent") || !python_has("qbittorrentapi") {
        eprintln!("NOTICE: skipping: {PYTHON} lacks libtorrent or qbittorrentapi (bash .ci/run installs both)");
        return;
    }
    let sw = swarm().await;
    let name = "Sintel.2010.1080p.BluRay.x264-GRP.mkv";
    let (data, ih) = shared_movie(&sw, name, 77, 3 * 1024 * 1024 + 4321).await;
    let seed_dir = sw.root.join("alice-media");
    std::fs::create_dir_all(&seed_dir).unwrap();
    std::fs::write(seed_dir.join(name), &data).unwrap();
    let alice_torrent = sw.root.join("alice.torrent");
    std::fs::write(
        &alice_torrent,
        member_torrent(&sw, &sw.alice.api_key, &ih).await,
    )
    .unwrap();
    let seeder = Seeder::start(&alice_torrent, &seed_dir);

    let qbt = start_client(&sw, &[]);
    // What Radarr fetched from the Torznab enclosure with bob's key.
    let bob_torrent = sw.root.join("bob.torrent");
    std::fs::write(
        &bob_torrent,
        member_torrent(&sw, &sw.bob.api_key, &ih).await,
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_arr_flow.py");
    let mut flow = Command::new(PYTHON)
        .arg(script)
        .args(["127.0.0.1", &qbt.port.to_string(), USER, PASSWORD])
        .arg(&bob_torrent)
        .args(["radarr", &ih])
        .env("PYTHONPATH", pydeps())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut flow_out = BufReader::new(flow.stdout.take().unwrap());
    let mut finished = String::new();
    flow_out.read_line(&mut finished).unwrap();
    if finished.is_empty() {
        let out = flow.wait_with_output().unwrap();
        panic!(
            "arr flow failed:\n{}\nclient log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            qbt.client.log_text()
        );
    }

    // (c) continued: alice's seeder leaves, and bob's finished download is
    // served to a libtorrent leecher (carol) by bob's client alone.
    assert!(
        seeder.stop() >= data.len() as u64,
        "the libtorrent seeder sent the file"
    );
    qbt.client.wait_log("the hand-over to bob's seeder", |l| {
        l.contains("handed to the library seeder")
    });
    let carol = add_member(&sw.server, "carol").await;
    let carol_torrent = sw.root.join("carol.torrent");
    std::fs::write(
        &carol_torrent,
        member_torrent(&sw, &carol.api_key, &ih).await,
    )
    .unwrap();
    let carol_dir = sw.root.join("carol");
    let leech = libtorrent_leech(&carol_torrent, &carol_dir, 0);
    assert_eq!(leech["failed_bytes"], 0, "{leech}");
    assert_eq!(leech["hash_fails"], 0, "{leech}");
    assert_eq!(
        std::fs::read(carol_dir.join(name)).unwrap(),
        data,
        "carol got bob's download byte for byte"
    );

    flow.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut all = String::new();
    flow_out.read_line(&mut all).unwrap();
    let out = flow.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "arr flow failed:\n{}\nclient log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        qbt.client.log_text()
    );
    let seen: serde_json::Value = serde_json::from_str(all.trim()).unwrap();
    eprintln!("qbittorrent-api saw: {seen}");
    assert!(seen["webapi"].as_str().unwrap().starts_with("2.11."));
    assert_eq!(seen["add"], "Ok.");
    assert_eq!(seen["listed_at_once"], serde_json::json!([ih]));
    assert_eq!(seen["prefs"]["dht"], false);
    assert_eq!(seen["prefs"]["queueing_enabled"], false);
    assert_eq!(seen["prefs"]["max_ratio_act"], 0);
    assert!(seen["categories"]
        .as_array()
        .unwrap()
        .contains(&"radarr".into()));
    let done = &seen["done"];
    assert_eq!(done["hash"], ih.as_str());
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["amount_left"], 0);
    assert_eq!(done["private"], true);
    assert!(
        done["downloaded"].as_u64().unwrap() >= data.len() as u64,
        "{done}"
    );
    assert_eq!(done["category"], "radarr");
    let radarr_dir = qbt.downloads.canonicalize().unwrap().join("radarr");
    assert_eq!(done["save_path"], radarr_dir.display().to_string());
    assert_eq!(
        done["content_path"],
        radarr_dir.join(name).display().to_string()
    );
    assert_eq!(seen["props_save_path"], done["save_path"]);
    assert_eq!(seen["files"], serde_json::json!([[name, data.len(), 1.0]]));
    assert_eq!(
        seen["trackers"],
        serde_json::json!([format!("http://{}", sw.server.addr)])
    );
    assert_eq!(
        seen["sha1"],
        hex::encode(Sha1::digest(&data)),
        "bytes identical"
    );
    assert_eq!(seen["after_delete"], serde_json::json!([]));
    assert!(
        !radarr_dir.join(name).exists(),
        "deleteFiles removed the download"
    );
    assert_eq!(
        std::fs::read(seed_dir.join(name)).unwrap(),
        data,
        "the seeder's file untouched"
    );
    qbt.client.wait_log("the completed announce", |l| {
        l.contains("download totals announced") || l.contains("download totals failed:")
    });
    let log = qbt.client.log_text();
    assert!(log.contains("download complete and verified"), "{log}");
    assert!(
        !log.contains("announce of the download totals failed"),
        "{log}"
    );
    assert!(!log.contains(&sw.bob.api_key), "no key in the log");

    // The tracker took bob's completed announce: after a clean stop its
    // counters show the snatch and the download.
    let data_dir = sw.root.join("server");
    assert!(sw.server.stop().success());
    let server = Server::start(&data_dir);
    let users: Vec<serde_json::Value> = admin_get(&server, "/admin/api/users").await;
    let bob = users.iter().find(|u| u["id"] == sw.bob.id).unwrap();
    assert_eq!(bob["snatches"].as_u64(), Some(1), "{bob}");
    assert!(
        bob["downloaded"].as_u64().unwrap() >= data.len() as u64,
        "{bob}"
    );
}
