//! Finished downloads after the hand-over to the library seeder: share limits
//! (per torrent and global) stop them (`stoppedUP`), stop and start really
//! stop and resume seeding them, and the library's own seeds refuse delete,
//! move, recheck and a category with 409, touching nothing.

use std::time::{Duration, Instant};

use super::resume::wait_info;
use super::two_clients::{grabs, same_as_library, wait_seeders};
use super::*;
use crate::harness::client::snapshot;
use crate::harness::fake_arr::lay_out_library;
use crate::seeder_peers::{handshake_answered, libtorrent_leech};

const DONE: [&str; 3] = ["uploading", "stalledUP", "stoppedUP"];

fn finished(t: &serde_json::Value) -> bool {
    t["progress"] == 1.0 && DONE.contains(&t["state"].as_str().unwrap())
}

/// Waits until a handshake for `ih` is answered on one of `ports` (bob's
/// seeder and download engine), or on none of them (a generous deadline).
fn wait_served(ports: [u16; 2], ih: &str, served: bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while ports.iter().any(|p| handshake_answered(*p, ih, &[])) != served {
        assert!(
            Instant::now() < deadline,
            "{ih} still {}served",
            if served { "not " } else { "" }
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn share_limits_stop_and_start_apply_to_handed_over_downloads() {
    if !python_has("libtorrent") {
        eprintln!(
            "NOTICE: skipping: {PYTHON} lacks libtorrent (apt-get install python3-libtorrent)"
        );
        return;
    }
    let sw = swarm().await;
    let library = sw.root.join("alice-media");
    lay_out_library(&library);
    let before = snapshot(&library);
    let alice = start_member(&sw, &sw.alice, "alice", &[]);
    wait_seeders(&sw, 12, &alice.client).await;
    let found = grabs(&sw, &sw.bob.api_key).await;
    let singles: Vec<_> = found.iter().filter(|g| !g.multi).take(3).collect();
    assert_eq!(singles.len(), 3);

    // Library seeds: 409 and nothing touched, whatever the route.
    let sid = alice.login().await;
    let lib = singles[0].info_hash.as_str();
    post(
        Some(&sid),
        &alice.url("torrents/createCategory"),
        &[("category", "radarr")],
    )
    .await;
    for (route, extra) in [
        ("torrents/delete", ("deleteFiles", "true")),
        ("torrents/recheck", ("x", "")),
        ("torrents/setLocation", ("location", "/tmp")),
        ("torrents/setCategory", ("category", "radarr")),
    ] {
        let (s, body) = post(Some(&sid), &alice.url(route), &[("hashes", lib), extra]).await;
        assert_eq!(s, 409, "{route} on a library seed: {body}");
    }
    let (_, list) = post(Some(&sid), &alice.url("torrents/info"), &[("hashes", lib)]).await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["category"], "privateindexer", "{list}");
    assert_eq!(snapshot(&library), before, "library untouched");

    let ports = [free_port(), free_port()];
    let (seed, engine) = (ports[0].to_string(), ports[1].to_string());
    let bob = start_client(
        &sw,
        &[
            ("TORRENTING_PORT", seed.as_str()),
            ("DOWNLOAD_PORT", engine.as_str()),
        ],
    );
    let sid = bob.login().await;
    let (s, _) = post(
        Some(&sid),
        &bob.url("app/setPreferences"),
        &[("json", r#"{"max_ratio_enabled":true,"max_ratio":0}"#)],
    )
    .await;
    assert_eq!(s, 200);
    // Its own limit 0; the global limit 0; no limit, whatever the global one.
    let own: &[(&str, &str)] = &[("ratioLimit", "0"), ("seedingTimeLimit", "-1")];
    let global: &[(&str, &str)] = &[];
    let none: &[(&str, &str)] = &[("ratioLimit", "-1"), ("seedingTimeLimit", "-1")];
    for (g, fields) in singles.iter().zip([own, global, none]) {
        let (s, body) = add_file(&bob, &sid, std::fs::read(&g.torrent).unwrap(), fields).await;
        assert_eq!((s, body.as_str()), (200, "Ok."));
    }
    let (by_own, by_global, free) = (
        singles[0].info_hash.as_str(),
        singles[1].info_hash.as_str(),
        singles[2].info_hash.as_str(),
    );
    for ih in [by_own, by_global] {
        let t = wait_info(&bob, &sid, ih, "the share limit", |t| {
            t["state"] == "stoppedUP"
        })
        .await;
        assert_eq!(t["progress"], 1.0, "{t}");
    }
    // Seeding on: two ticks of seeding time counted, and still not stopped.
    let t = wait_info(&bob, &sid, free, "seeding time", |t| {
        finished(t) && t["seeding_time"].as_u64().unwrap() >= 4
    })
    .await;
    assert_ne!(t["state"], "stoppedUP", "{t}");
    let dl = bob.downloads.canonicalize().unwrap();
    assert_eq!(same_as_library(&dl, &library), 3);
    bob.client.wait_log("the limits' log lines", |l| {
        l.matches("share limit reached: stopped").count() == 2
    });
    // Stopped by a limit: bob's client refuses their peers.
    wait_served(ports, by_own, false);
    wait_served(ports, by_global, false);
    wait_served(ports, free, true);

    // Alice leaves: whatever carol downloads now comes from bob.
    let (status, log) = alice.client.stop();
    assert!(status.success(), "{log}");
    let (s, _) = post(Some(&sid), &bob.url("torrents/stop"), &[("hashes", free)]).await;
    assert_eq!(s, 200);
    let t = wait_info(&bob, &sid, free, "stopped", |t| t["state"] == "stoppedUP").await;
    assert_eq!(t["progress"], 1.0);
    wait_served(ports, free, false);
    bob.client
        .wait_log("the stop", |l| l.contains("stopped: the seeder let it go"));
    let (s, _) = post(Some(&sid), &bob.url("torrents/start"), &[("hashes", free)]).await;
    assert_eq!(s, 200);
    wait_info(&bob, &sid, free, "started", |t| {
        finished(t) && t["state"] != "stoppedUP"
    })
    .await;
    wait_served(ports, free, true);
    let carol = add_member(&sw.server, "carol").await;
    let torrent = sw.root.join("carol.torrent");
    let resp = api_get(
        &sw.server,
        &format!("/api/v1/torrents/{free}/download"),
        &carol.api_key,
    )
    .await;
    std::fs::write(&torrent, resp.bytes().await.unwrap()).unwrap();
    let carol_dir = sw.root.join("carol");
    let r = libtorrent_leech(&torrent, &carol_dir, 0);
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_eq!(same_as_library(&carol_dir, &library), 1);
    assert!(carol_dir.join(&singles[2].name).exists());
    let t = wait_info(&bob, &sid, free, "the upload counted", |t| {
        t["uploaded"].as_u64().unwrap() >= t["size"].as_u64().unwrap()
    })
    .await;
    assert!(t["ratio"].as_f64().unwrap() >= 1.0, "{t}");
    let (status, log) = bob.client.stop();
    assert!(status.success(), "{log}");
    assert_eq!(snapshot(&library), before, "alice's media untouched");
}
