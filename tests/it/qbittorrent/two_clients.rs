//! (b): two members' clients end to end. Alice's client seeds her library
//! (the fake *arr apps over the shared fixtures); bob's is handed a movie and
//! a season pack the way Radarr and Sonarr do, from the Torznab enclosure
//! links with bob's key, and downloads both from alice's seeder.

use std::time::{Duration, Instant};

use super::*;
use crate::harness::client::snapshot;
use crate::harness::fake_arr::lay_out_library;

/// Waits until the tracker counts `n` seeders in all.
pub(super) async fn wait_seeders(sw: &Swarm, n: u64, c: &RunningClient) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let s = admin_stats(&sw.server).await;
        if s["seeders"].as_u64() >= Some(n) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tracker shows {s}, want {n} seeders; client log:\n{}",
            c.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A Torznab result: its title, the .torrent its enclosure link gave, saved.
pub(super) struct Grab {
    pub name: String,
    pub multi: bool,
    pub torrent: PathBuf,
    pub info_hash: String,
}

/// Searches the Torznab feed with `key` and fetches every enclosure, as
/// Prowlarr's grab does.
pub(super) async fn grabs(sw: &Swarm, key: &str) -> Vec<Grab> {
    let resp = client()
        .get(
            sw.server
                .url(&format!("/api?t=search&apikey={key}&limit=100")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    let doc = roxmltree::Document::parse(&body).unwrap();
    let links: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("enclosure"))
        .map(|n| n.attribute("url").unwrap().to_string())
        .collect();
    assert!(!links.is_empty(), "no result in the feed: {body}");
    let mut out = Vec::new();
    for (i, link) in links.iter().enumerate() {
        assert!(
            link.starts_with(&format!("http://{}/", sw.server.addr)),
            "{link}"
        );
        let resp = client().get(link).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{link}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let root = privateindexer::bencode::decode(&bytes).unwrap();
        let info = root.get("info").unwrap();
        let torrent = sw.root.join(format!("grab-{i}.torrent"));
        std::fs::write(&torrent, &bytes).unwrap();
        out.push(Grab {
            name: info.get("name").unwrap().as_str().unwrap().to_string(),
            multi: info.get("files").is_some(),
            info_hash: info_hash_hex(&bytes),
            torrent,
        });
    }
    out
}

/// Runs tests/it/qbt_grab.py against `qbt`: the finished `torrents/info`
/// entry of each (category, torrent), in order.
pub(super) fn grab(qbt: &Qbt, what: &[(&str, &Path)]) -> Vec<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_grab.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .args(["127.0.0.1", &qbt.port.to_string(), USER, PASSWORD])
        .args(what.iter().map(|(cat, t)| format!("{cat}={}", t.display())))
        .env("PYTHONPATH", pydeps())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "grab failed:\n{}\nclient log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        qbt.client.log_text()
    );
    serde_json::from_slice(out.stdout.trim_ascii()).unwrap()
}

/// Every file under `dir` equals the library file of the same name; their count.
pub(super) fn same_as_library(dir: &Path, library: &Path) -> usize {
    let media = snapshot(library);
    let got = snapshot(dir);
    assert!(!got.is_empty(), "nothing under {}", dir.display());
    for (p, size, digest) in &got {
        let twin = media
            .iter()
            .find(|m| m.0.file_name() == p.file_name())
            .unwrap_or_else(|| panic!("{} is not a library file", p.display()));
        assert_eq!(
            (&twin.1, &twin.2),
            (size, digest),
            "{} differs",
            p.display()
        );
    }
    got.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn bob_downloads_a_movie_and_a_season_pack_from_alices_library() {
    if !python_has("qbittorrentapi") {
        eprintln!("NOTICE: skipping: {PYTHON} lacks qbittorrentapi (bash .ci/run installs it)");
        return;
    }
    let sw = swarm().await;
    let library = sw.root.join("alice-media");
    lay_out_library(&library);
    let before = snapshot(&library);
    let alice = start_member(&sw, &sw.alice, "alice", &[]);
    wait_seeders(&sw, 12, &alice.client).await;

    let found = grabs(&sw, &sw.bob.api_key).await;
    let movie = found
        .iter()
        .find(|g| !g.multi && g.name.ends_with(".mkv") && g.name.contains("(20"))
        .expect("a single-file movie");
    let pack = found.iter().find(|g| g.multi).expect("a season pack");
    let bob = start_client(&sw, &[]);
    let done = grab(
        &bob,
        &[("radarr", &movie.torrent), ("tv-sonarr", &pack.torrent)],
    );
    eprintln!("bob's client saw: {done:?}");
    for (t, g) in done.iter().zip([movie, pack]) {
        assert_eq!(t["hash"], g.info_hash.as_str());
        assert_eq!(t["progress"], 1.0, "{t}");
        assert_eq!(t["amount_left"], 0, "{t}");
        assert!(
            t["downloaded"].as_u64().unwrap() >= t["size"].as_u64().unwrap(),
            "{t}"
        );
        let states: Vec<&str> = t["states_seen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(
            ["uploading", "stalledUP", "stoppedUP"].contains(states.last().unwrap()),
            "{states:?}"
        );
    }
    // Where the apps look: the category folders, a pack in its own folder.
    let movie_path = PathBuf::from(done[0]["content_path"].as_str().unwrap());
    let dl = bob.downloads.canonicalize().unwrap();
    assert_eq!(movie_path, dl.join("radarr").join(&movie.name));
    assert_eq!(same_as_library(&dl.join("radarr"), &library), 1);
    let pack_path = PathBuf::from(done[1]["content_path"].as_str().unwrap());
    assert_eq!(pack_path, dl.join("tv-sonarr").join(&pack.name));
    let files = same_as_library(&pack_path, &library);
    assert!(files > 1, "a pack has several files");
    assert_eq!(done[1]["files"].as_array().unwrap().len(), files);

    // A clean stop of both: the tracker hears every stopped announce.
    let (status, log) = bob.client.stop();
    assert!(status.success(), "{log}");
    assert!(!log.contains(&sw.bob.api_key), "no key in bob's log");
    let (status, log) = alice.client.stop();
    assert!(status.success(), "{log}");
    assert_eq!(snapshot(&library), before, "alice's media untouched");

    let wanted: u64 = done.iter().map(|t| t["size"].as_u64().unwrap()).sum();
    // The server's counters as flushed at its clean stop.
    let data_dir = sw.root.join("server");
    assert!(sw.server.stop().success());
    let server = Server::start(&data_dir);
    let users: Vec<serde_json::Value> = admin_get(&server, "/admin/api/users").await;
    let find = |id: u64| users.iter().find(|u| u["id"] == id).unwrap().clone();
    let (a, b) = (find(sw.alice.id), find(sw.bob.id));
    assert!(a["uploaded"].as_u64().unwrap() >= wanted, "alice: {a}");
    assert!(b["downloaded"].as_u64().unwrap() >= wanted, "bob: {b}");
    assert_eq!(b["snatches"].as_u64(), Some(2), "{b}");
}
