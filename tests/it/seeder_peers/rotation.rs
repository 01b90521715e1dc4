//! A member's keys rotated by the operator: the client takes the new API key
//! from `API_KEY_FILE` at its next sync, without a restart, and every torrent
//! re-announces under the new passkey while a real peer keeps downloading.

use std::path::Path;

use super::*;
use crate::harness::{admin_get, server::bin, url_bytes, ADMIN_PASSWORD};

/// `privateindexer admin rotate` against the running server: the new keys.
fn rotate_with_cli(server: &Server, id: u64) -> Keys {
    let out = Command::new(bin())
        .args(["admin", "--server", &server.url(""), "--json", "rotate"])
        .arg(id.to_string())
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Replaces the key file in one step, as a secret mount does.
fn write_key(path: &Path, key: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, format!("{key}\n")).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Alice's `uploaded` as the server credits it.
async fn credited_upload(s: &Swarm) -> u64 {
    let users: Vec<serde_json::Value> = admin_get(&s.server, "/admin/api/users").await;
    users
        .iter()
        .find(|u| u["id"].as_u64() == Some(s.alice.id))
        .and_then(|u| u["uploaded"].as_u64())
        .expect("alice in the member list")
}

/// What the tracker answers an announce under `announce_url`.
async fn announce_answer(announce_url: &str, ih: &str) -> String {
    let ih = url_bytes(&hex::decode(ih).unwrap());
    let url = format!(
        "{announce_url}?info_hash={ih}&peer_id=-XX0000-rotationtest&port=9&uploaded=0&downloaded=0&left=0"
    );
    let body = client().get(url).send().await.unwrap().bytes().await;
    String::from_utf8_lossy(&body.unwrap()).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_key_written_to_api_key_file_is_used_at_the_next_sync_without_a_restart() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    let before = snapshot(&s.media);
    let key_file = s.tmp.path().join("alice.key");
    write_key(&key_file, &s.alice.api_key);
    let c = s.start_client(
        &s.media,
        &[
            // The key comes from the file only (the harness sets API_KEY).
            ("API_KEY", String::new()),
            ("API_KEY_FILE", key_file.display().to_string()),
            ("SYNC_INTERVAL", "2s".into()),
        ],
    );
    s.wait_seeders(12, &c).await;
    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv") && t.0.contains("(20"))
        .expect("a single-file movie");
    let pack = torrents.iter().find(|t| t.1).expect("a season pack");

    let new = rotate_with_cli(&s.server, s.alice.id);
    assert_ne!(new.passkey, s.alice.passkey);
    let refused = announce_answer(&s.alice.announce_url, &movie.3).await;
    assert!(
        refused.contains("unknown passkey"),
        "the old passkey is refused at once: {refused}"
    );
    c.wait_log("a sync refused with the old key", |l| {
        l.contains("sync: the server refused API_KEY")
    });

    // Seeding goes on through the rotation: a real peer downloads the movie.
    let credited = credited_upload(&s).await;
    let r = libtorrent_leech(&movie.2, &s.tmp.path().join("lt-movie"), 0);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_eq!(
        assert_same_bytes(&s.tmp.path().join("lt-movie"), &before),
        1
    );
    let movie_size = harness::snapshot(&s.tmp.path().join("lt-movie"))[0].1;

    write_key(&key_file, &new.api_key);
    c.wait_log("the new key and the re-announces", |l| {
        l.contains("API_KEY_FILE holds a new API key")
            && l.contains("new announce URL: re-announcing every torrent")
    });
    // Only an announce under the new passkey credits what the movie's peer
    // got (the regular re-announce is many minutes away).
    let deadline = Instant::now() + Duration::from_secs(120);
    while credited_upload(&s).await < credited + movie_size {
        assert!(
            Instant::now() < deadline,
            "the tracker never credited the upload under the new passkey; client log:\n{}",
            c.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(admin_stats(&s.server).await["seeders"], 12);

    // And it keeps seeding under the new key: the pack downloads too.
    let r = libtorrent_leech(&pack.2, &s.tmp.path().join("lt-pack"), 0);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert!(assert_same_bytes(&s.tmp.path().join("lt-pack"), &before) > 1);

    let (status, log) = c.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("event=stopped sent for 12 of 12 torrent(s)"),
        "every stopped is accepted under the new passkey:\n{log}"
    );
    for secret in [
        &s.alice.api_key,
        &s.alice.passkey,
        &new.api_key,
        &new.passkey,
    ] {
        assert!(!log.contains(secret.as_str()), "a key in the log:\n{log}");
    }
    assert_eq!(snapshot(&s.media), before, "media untouched");
}
