//! While librqbit checks a torrent just added, its own progress figure is how
//! far the check has read, and with the files absent that is every byte at
//! once. `torrents/info` must show only verified bytes: nothing done until
//! pieces really arrive, and every field of one answer telling the same story.

use super::*;

const DL_STATES: [&str; 5] = [
    "checkingDL",
    "stalledDL",
    "downloading",
    "stoppedDL",
    "queuedDL",
];
const DONE_STATES: [&str; 3] = ["uploading", "stalledUP", "stoppedUP"];

/// One `torrents/info` entry's figures agree: progress, completed, amount
/// left, ETA and state say the same thing. Whether it is complete.
fn consistent(t: &serde_json::Value) -> bool {
    let size = t["size"].as_u64().unwrap();
    let completed = t["completed"].as_u64().unwrap();
    let progress = t["progress"].as_f64().unwrap();
    let state = t["state"].as_str().unwrap();
    assert_eq!(t["amount_left"].as_u64(), Some(size - completed), "{t}");
    assert!(
        (progress - completed as f64 / size as f64).abs() < 1e-9,
        "{t}"
    );
    let done = completed == size;
    if done {
        assert!(DONE_STATES.contains(&state), "every byte verified: {t}");
        assert_eq!(t["eta"], 0, "{t}");
    } else {
        assert!(progress < 1.0, "{t}");
        assert!(DL_STATES.contains(&state), "bytes missing: {t}");
        assert_ne!(t["eta"], 0, "{t}");
    }
    done
}

async fn info(qbt: &Qbt, sid: &str, ih: &str) -> serde_json::Value {
    let (s, body) = post(Some(sid), &qbt.url("torrents/info"), &[("hashes", ih)]).await;
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_torrent_shows_only_verified_bytes_while_checked_and_after() {
    let sw = swarm().await;
    let name = "Checked.2011.1080p.BluRay.x264-GRP.mkv";
    let (data, ih) = shared_movie(&sw, name, 13, 4 * 1024 * 1024 + 777).await;
    let qbt = start_client(&sw, &[]);
    let sid = qbt.login().await;
    let (s, body) = add_file(
        &qbt,
        &sid,
        member_torrent(&sw, &sw.bob.api_key, &ih).await,
        &[("category", "radarr")],
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "Ok."));

    // No seeder yet: from the first answer on, through the check and after
    // it, nothing is done (the check's window is a few milliseconds, so the
    // first answers come as fast as they can).
    let mut states = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut after_check = 0;
    while after_check < 20 {
        let t = info(&qbt, &sid, &ih).await;
        assert!(!consistent(&t), "nothing arrived yet: {t}");
        assert_eq!(t["completed"], 0, "{t}");
        let state = t["state"].as_str().unwrap().to_string();
        if state != "checkingDL" {
            after_check += 1;
        }
        if states.last() != Some(&state) {
            states.push(state);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the check never ended: {t}"
        );
    }
    eprintln!("states before any peer: {states:?}");

    // The bytes arrive: every answer stays consistent until the last piece.
    let seed_dir = sw.root.join("alice-media");
    std::fs::create_dir_all(&seed_dir).unwrap();
    std::fs::write(seed_dir.join(name), &data).unwrap();
    let alice_torrent = sw.root.join("alice.torrent");
    std::fs::write(
        &alice_torrent,
        member_torrent(&sw, &sw.alice.api_key, &ih).await,
    )
    .unwrap();
    let _seeder = Seeder::start(&alice_torrent, &seed_dir);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let t = info(&qbt, &sid, &ih).await;
        if consistent(&t) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never finished: {t}\n{}",
            qbt.client.log_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got = qbt.downloads.join("radarr").join(name);
    assert_eq!(std::fs::read(&got).unwrap(), data, "bytes identical");
}
