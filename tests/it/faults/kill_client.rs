//! kill -9 of the client in the middle of its first scan: the next run
//! uploads what was left, nothing twice and nothing lost, and the media is
//! untouched throughout.

use crate::harness::client::{run_once, server_hashes, snapshot, Apps, RunningClient};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_scan_then_a_rerun_uploads_each_item_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (server_dir, client_dir, media) = (
        tmp.path().join("server"),
        tmp.path().join("client"),
        tmp.path().join("media"),
    );
    lay_out_library(&media);
    let before = snapshot(&media);
    let apps = Apps::start();
    let server = Server::start(&server_dir);
    let alice = add_member(&server, "alice").await;

    let mut client = RunningClient::start(
        &server.url(""),
        &alice.api_key,
        &client_dir,
        &apps.env(&media),
    );
    client.wait_log("a first upload", |log| log.contains("uploaded \""));
    let mut child = client.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL, mid-scan or mid-queue
    child.wait().unwrap();
    let partial = server_hashes(&server, &alice.api_key).await.len();

    let (status, log) = run_once(
        &server.url(""),
        &alice.api_key,
        &client_dir,
        &apps.env(&media),
    );
    assert!(status.success(), "{log}");
    let hashes = server_hashes(&server, &alice.api_key).await;
    // The fixture library is 12 torrents (10 files, a season pack, an album).
    assert_eq!(hashes.len(), 12, "after {partial} before the kill:\n{log}");
    let stats = admin_stats(&server).await;
    assert_eq!(
        stats["torrents"].as_u64(),
        Some(12),
        "no duplicate uploads: {stats}"
    );
    assert_eq!(snapshot(&media), before, "media untouched");
}
