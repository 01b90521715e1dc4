//! Point 7: a download stopped half-way resumes where it stopped after a
//! restart of the client, whether it was stopped (SIGTERM) or killed
//! (`kill -9`, #16 point 14: the files on disk are hashed then, as the
//! bitfield may be stale), and completes with the library's bytes. librqbit keeps each torrent's piece bitfield in
//! `CLIENT_DATA_DIR/downloads-state/<info-hash>.bitv` (memory-mapped, beside
//! its `session.json`) and, with fastresume on, trusts it after checking one
//! claimed piece per file and a small random sample: no full recheck, and
//! only the missing pieces are fetched again.

use std::time::{Duration, Instant};

use super::two_clients::{grabs, same_as_library, wait_seeders};
use super::*;
use crate::harness::fake_arr::lay_out_library;

/// librqbit's line when it hashes every piece on disk (no usable fastresume).
const FULL_CHECK: &str = "Doing initial checksum validation";

/// Polls `torrents/info` for `ih` until `done` holds for it.
pub(super) async fn wait_info(
    qbt: &Qbt,
    sid: &str,
    ih: &str,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (s, body) = post(Some(sid), &qbt.url("torrents/info"), &[("hashes", ih)]).await;
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        if v.get(0).is_some_and(&done) {
            return v[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {v}\nclient log:\n{}",
            qbt.client.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How the client is ended half-way.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    Sigterm,
    Kill9,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_done_download_resumes_after_a_restart_without_a_full_recheck() {
    resumes_after(End::Sigterm).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_done_download_resumes_after_kill_9_and_completes_with_the_same_bytes() {
    resumes_after(End::Kill9).await;
}

async fn resumes_after(end: End) {
    let sw = swarm().await;
    let library = sw.root.join("alice-media");
    lay_out_library(&library);
    // Alice's seeder slowed down, so bob's client can be stopped half-way.
    let alice = start_member(&sw, &sw.alice, "alice", &[("UPLOAD_LIMIT", "192K")]);
    wait_seeders(&sw, 12, &alice.client).await;
    let found = grabs(&sw, &sw.bob.api_key).await;
    let movie = found
        .iter()
        .filter(|g| !g.multi)
        .max_by_key(|g| std::fs::metadata(&g.torrent).map(|m| m.len()).unwrap_or(0))
        .expect("a single-file movie");

    let bob = start_client(&sw, &[]);
    let sid = bob.login().await;
    let (s, body) = add_file(
        &bob,
        &sid,
        std::fs::read(&movie.torrent).unwrap(),
        &[("category", "radarr")],
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "Ok."));
    let ih = movie.info_hash.as_str();
    let half = wait_info(&bob, &sid, ih, "a third of the movie", |t| {
        t["progress"].as_f64().unwrap() >= 0.33
    })
    .await;
    match end {
        End::Sigterm => {
            let (status, log) = bob.client.stop();
            assert!(status.success(), "{log}");
        }
        // SIGKILL: nothing is flushed or closed on the way out.
        End::Kill9 => drop(bob),
    }
    let size = half["size"].as_u64().unwrap();
    let progress_at_stop = half["progress"].as_f64().unwrap();
    assert!(
        progress_at_stop < 0.9,
        "stopped too late to show a resume: {half}"
    );

    let bob = start_client(&sw, &[]);
    let sid = bob.login().await;
    let resumed = wait_info(&bob, &sid, ih, "the resumed state", |t| {
        t["state"] != "checkingDL" && t["progress"].as_f64().unwrap() > 0.0
    })
    .await;
    assert!(
        resumed["progress"].as_f64().unwrap() >= progress_at_stop * 0.9,
        "resumed from where it stopped: {resumed} after {half}"
    );
    let done = wait_info(&bob, &sid, ih, "the finished movie", |t| {
        t["progress"] == 1.0
            && ["uploading", "stalledUP", "stoppedUP"].contains(&t["state"].as_str().unwrap())
    })
    .await;
    let log = bob.client.log_text();
    // After a clean stop librqbit's bitfield is trusted; after kill -9 it may
    // be stale (written every 16 MiB), so what is on disk is hashed instead.
    assert_eq!(
        log.contains(FULL_CHECK),
        end == End::Kill9,
        "a full recheck after kill -9 only:\n{log}"
    );
    // The second run fetched only what was missing: a restart from zero
    // would have fetched the whole again.
    let downloaded = done["downloaded"].as_u64().unwrap();
    // What the counters grew by after the restart (its first piece aside).
    let this_run = downloaded - resumed["downloaded"].as_u64().unwrap();
    eprintln!(
        "resume after {end:?}: size {size}, {:.0}% at the stop, {this_run} bytes downloaded after \
         the restart ({:.3}x the size), {downloaded} counted over both runs",
        progress_at_stop * 100.0,
        this_run as f64 / size as f64
    );
    assert!(
        (this_run as f64) < size as f64 * (1.0 - progress_at_stop / 2.0),
        "only the missing part fetched again: {done}"
    );
    // Counters are written at a stop (and every 30 s): after SIGTERM both runs
    // add up to the movie about once; kill -9 loses what was not yet written.
    if end == End::Sigterm {
        assert!(downloaded >= size, "{done}");
        assert!(
            (downloaded as f64) < size as f64 * (1.0 + progress_at_stop / 2.0),
            "{done}"
        );
    }
    let dl = bob.downloads.canonicalize().unwrap().join("radarr");
    assert_eq!(same_as_library(&dl, &library), 1, "bytes identical");
}
