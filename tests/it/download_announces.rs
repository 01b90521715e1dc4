//! A download still in the engine announces through the client's relay: its
//! dashboard page lists the announces and what the server's tracker said,
//! the member can ask for one (dashboard and qBittorrent API), a stop is
//! announced, and the passkey reaches neither librqbit's files nor the log.

use crate::harness::dashboard::{self, wait_page};
use crate::harness::panel::location;
use crate::harness::*;

fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_containing(&p, needle));
        } else if std::fs::read(&p)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
        {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_announces_through_the_relay_and_can_be_asked_to() {
    let d = dashboard::start(&[("LOG_LEVEL", "debug")]).await;
    // Alice shares it but runs no client: bob's download finds no seed and
    // stays in the engine, announcing.
    let ih = d
        .add_download(
            "Lonely Movie (2024).mkv",
            &[TestFile {
                path: vec![],
                data: content(21, 50_000),
            }],
            "radarr",
        )
        .await;
    let mut m = d.member().await;
    let page = format!("/dashboard/torrents/{ih}");

    // librqbit's `started`, relayed to the server's tracker, and its answer.
    let body = wait_page(&mut m, &page, "the engine's started announce", |b| {
        b.contains("id=\"announces\"") && b.contains("<td>started</td>")
    })
    .await;
    let announces = body.split("id=\"announces\"").nth(1).unwrap();
    assert!(announces.contains("ok: next in"), "{announces}");
    assert!(
        body.contains("Last announce answered"),
        "the tracker status"
    );
    assert!(
        body.contains("/reannounce\">Re-announce…"),
        "it can be asked for"
    );

    // Asked on the dashboard: to the tracker at once.
    let before = d.server_announces().await;
    let re = format!("{page}/reannounce");
    let resp = m.post(&re, &[("csrf", "forged")]).await;
    assert_eq!(resp.status(), 403);
    let resp = m.submit(&re, &re, &[]).await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, page.clone()),
        "MIN_ANNOUNCE_INTERVAL=1 is long over: announced at once"
    );
    wait_page(&mut m, &page, "the asked announce", |b| {
        b.contains("<td>regular (asked)</td>")
    })
    .await;
    assert!(d.server_announces().await > before, "the tracker saw it");

    // The qBittorrent API: torrents/reannounce asks the same, and
    // torrents/trackers says the tracker works.
    let resp = d
        .qbt_post("torrents/reannounce", &[("hashes", ih.as_str())])
        .await;
    assert_eq!(resp.status(), 200);
    wait_page(&mut m, &page, "the API's announce", |b| {
        b.matches("<td>regular (asked)</td>").count() == 2
    })
    .await;
    let trackers: serde_json::Value = d
        .qbt_post("torrents/trackers", &[("hash", ih.as_str())])
        .await
        .json()
        .await
        .unwrap();
    let ours = trackers
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tier"] == 0)
        .expect("the torrent's tracker");
    assert_eq!(ours["status"], 2, "working: {trackers}");

    // Stopped: the tracker is told, and there is nothing to re-announce.
    let stop = format!("{page}/stop");
    let resp = m.submit(&stop, &stop, &[]).await;
    assert_eq!(resp.status(), 303);
    let body = wait_page(&mut m, &page, "the stopped announce", |b| {
        b.contains("<td>stopped</td>")
    })
    .await;
    assert!(!body.contains("/reannounce\">Re-announce…"));
    let resp = m.submit(&re, &re, &[]).await;
    assert_eq!(resp.status(), 409, "a stopped download does not announce");

    // The passkey stays with the client: librqbit's own files and the log
    // (at debug) hold neither it nor the relay's URL with its token.
    let state = d.downloads.parent().unwrap().join("bob/downloads-state");
    assert!(state.is_dir(), "{state:?}");
    assert_eq!(
        files_containing(&state, &d.bob.passkey),
        Vec::<std::path::PathBuf>::new()
    );
    let log = d.client.log_text();
    let relay = log
        .lines()
        .find(|l| l.contains("tracker relay listening"))
        .and_then(|l| l.split("addr=").nth(1))
        .and_then(|a| a.split_whitespace().next())
        .unwrap_or_else(|| panic!("no relay address in the log:\n{log}"))
        .to_string();
    assert!(!log.contains(&d.bob.passkey), "the passkey is never logged");
    assert!(
        !log.contains(&format!("{relay}/announce/")),
        "the relay's token is never logged"
    );
}
