//! Two real BitTorrent clients (Debian's python3-libtorrent) exchange a private
//! torrent from our server through our tracker; the members' counters follow.

use std::process::Command;

use crate::harness::*;

const PYTHON: &str = "/usr/bin/python3";

fn libtorrent_available() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import libtorrent"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

async fn download_torrent(server: &Server, api_key: &str, ih: &str) -> Vec<u8> {
    let resp = client()
        .get(server.url(&format!("/api/v1/torrents/{ih}/download")))
        .header("X-Api-Key", api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn two_libtorrent_clients_exchange_a_file_and_are_credited() {
    if !libtorrent_available() {
        eprintln!(
            "NOTICE: skipping the real-client tracker test: {PYTHON} cannot import libtorrent \
             (apt-get install python3-libtorrent)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The announce URL in the .torrent must name 127.0.0.1 (localhost may resolve to ::1 first).
    let data_dir = dir.path().join("data");
    let server = Server::start_on(
        std::net::Ipv4Addr::LOCALHOST,
        &data_dir,
        &[("FLUSH_INTERVAL", "3600")],
    );
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;

    let name = "Big.Buck.Bunny.2008.mkv";
    let data = content(2024, 1024 * 1024 + 12_345);
    let torrent = make_torrent(
        name,
        &[TestFile {
            path: vec![],
            data: data.clone(),
        }],
        32 * 1024,
        true,
    );
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;

    let seed_dir = dir.path().join("seed");
    let leech_dir = dir.path().join("leech");
    std::fs::create_dir_all(&seed_dir).unwrap();
    std::fs::create_dir_all(&leech_dir).unwrap();
    std::fs::write(seed_dir.join(name), &data).unwrap();
    let seed_torrent = dir.path().join("alice.torrent");
    let leech_torrent = dir.path().join("bob.torrent");
    std::fs::write(
        &seed_torrent,
        download_torrent(&server, &alice.api_key, &ih).await,
    )
    .unwrap();
    std::fs::write(
        &leech_torrent,
        download_torrent(&server, &bob.api_key, &ih).await,
    )
    .unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/tracker_libtorrent.py"
    );
    let out = tokio::task::spawn_blocking({
        let args = [&seed_torrent, &seed_dir, &leech_torrent, &leech_dir]
            .map(|p| p.to_string_lossy().into_owned());
        move || {
            Command::new(PYTHON)
                .arg(script)
                .args(args)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "libtorrent exchange failed:\n{stderr}\nserver log:\n{}",
        server.log_text()
    );
    let seen: serde_json::Value =
        serde_json::from_slice(out.stdout.trim_ascii()).expect("one JSON line from the script");
    assert_eq!(
        std::fs::read(leech_dir.join(name)).unwrap(),
        data,
        "the leecher got the file"
    );
    assert!(!stderr.contains("failure reason"), "{stderr}");

    // A clean stop writes the counters (FLUSH_INTERVAL is an hour).
    assert!(server.stop().success());
    let server = Server::start(&data_dir);
    let users: Vec<serde_json::Value> = admin_get(&server, "/admin/api/users").await;
    let find = |id: u64| users.iter().find(|u| u["id"] == id).unwrap().clone();
    let (a, b) = (find(alice.id), find(bob.id));
    let len = data.len() as u64;
    let bob_down = b["downloaded"].as_u64().unwrap();
    let alice_up = a["uploaded"].as_u64().unwrap();
    eprintln!("clients saw {seen}; server credited alice up {alice_up}, bob down {bob_down}");
    assert!(
        bob_down >= len,
        "bob credited {bob_down} of {len} downloaded"
    );
    assert!(
        alice_up >= len,
        "alice credited {alice_up} of {len} uploaded"
    );
    // Credits are what the clients reported, never more.
    assert!(bob_down <= seen["leech_downloaded"].as_u64().unwrap());
    assert!(alice_up <= seen["seed_uploaded"].as_u64().unwrap());
    assert_eq!(b["snatches"].as_u64(), Some(1));
    assert_eq!(a["downloaded"].as_u64(), Some(0));
}
