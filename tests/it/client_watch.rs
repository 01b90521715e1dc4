//! The long-running client: folder watching and reconciliation with the server.

use std::time::{Duration, Instant};

use crate::harness::client::{server_hashes, Apps, RunningClient};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::{add_member, Server};

/// What each test starts from: the library laid out under `tmp`, a server with one
/// member, the fake apps, and a client (with these settings on top of the apps')
/// that has shared the library's 12 torrents.
struct Shared {
    server: Server,
    member: crate::harness::Keys,
    apps: Apps,
    client: RunningClient,
    media: std::path::PathBuf,
}

async fn shared_library(tmp: &std::path::Path, who: &str, settings: &[(&str, &str)]) -> Shared {
    let media = tmp.join("media");
    lay_out_library(&media);
    let server = Server::start(&tmp.join("server"));
    let member = add_member(&server, who).await;
    let apps = Apps::start();
    let mut env = apps.env(&media);
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let client = RunningClient::start(&server.url(""), &member.api_key, &tmp.join("c"), &env);
    wait_count(&server, &member.api_key, 12, &client).await;
    Shared {
        server,
        member,
        apps,
        client,
        media,
    }
}

/// A client whose rescans are an hour apart (only the folder watch can notice an
/// import), once it watches `root` (a folder under the media dir).
async fn watching_client(tmp: &std::path::Path, who: &str, root: &str) -> Shared {
    let s = shared_library(tmp, who, &[("SCAN_INTERVAL", "1h")]).await;
    s.client.wait_log("the media folder being watched", |l| {
        l.contains(&format!("watching {}", s.media.join(root).display()))
    });
    s
}

/// Polls until the server holds `n` torrents of this member (generous deadline).
async fn wait_count(server: &Server, key: &str, n: usize, client: &RunningClient) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if server_hashes(server, key).await.len() == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "server never held {n} torrents; client log:\n{}",
            client.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_import_is_shared_without_waiting_for_a_rescan() {
    let tmp = tempfile::tempdir().unwrap();
    let Shared {
        server,
        member,
        apps,
        client,
        media,
    } = watching_client(tmp.path(), "alice", "movies").await;

    // Radarr imports Northern Static: the file lands, then Radarr records it.
    let arr_path = "/media/movies/Northern Static (2024)/Northern Static (2024) WEBDL-1080p.mkv";
    let file = crate::harness::fake_arr::local(&media, "/media", arr_path);
    crate::harness::fake_arr::write_file(&file, 77, 1_234_567);
    tokio::time::sleep(Duration::from_millis(500)).await;
    apps.radarr.edit("/api/v3/movie", |v| {
        for m in v.as_array_mut().unwrap() {
            if m["id"] == 4 {
                m["hasFile"] = true.into();
                m["movieFile"] = serde_json::json!({
                    "movieId": 4, "id": 9, "path": arr_path, "size": 1_234_567,
                    "relativePath": "Northern Static (2024) WEBDL-1080p.mkv",
                    "releaseGroup": "FROST",
                    "quality": {"quality": {"id": 3, "name": "WEBDL-1080p", "source": "webdl", "resolution": 1080, "modifier": "none"},
                                "revision": {"version": 1, "real": 0, "isRepack": false}},
                    "mediaInfo": {"audioCodec": "AAC", "audioChannels": 2, "videoCodec": "h264", "videoDynamicRangeType": ""}
                });
            }
        }
    });
    wait_count(&server, &member.api_key, 13, &client).await;
    assert!(client
        .log_text()
        .contains("uploaded \"Northern Static (2024) [WEBDL-1080p][AAC 2.0][h264]-FROST\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_episode_import_rereads_only_its_series() {
    let tmp = tempfile::tempdir().unwrap();
    let Shared {
        server,
        member,
        apps,
        client,
        media,
    } = watching_client(tmp.path(), "dana", "tv").await;
    let before = apps.sonarr.requests().len();

    // Sonarr imports The Lantern Keepers S02E02 (S02E03 is still missing: no pack yet).
    let arr_path =
        "/media/tv/The Lantern Keepers/Season 2/The Lantern Keepers - S02E02 - Undertow WEBDL-1080p.mkv";
    crate::harness::fake_arr::write_file(
        &crate::harness::fake_arr::local(&media, "/media", arr_path),
        78,
        1_500_000,
    );
    apps.sonarr.edit("/api/v3/episodefile?seriesId=1", |v| {
        let list = v.as_array_mut().unwrap();
        let mut f = list[3].clone();
        f["id"] = 9.into();
        f["path"] = arr_path.into();
        f["relativePath"] =
            "Season 2/The Lantern Keepers - S02E02 - Undertow WEBDL-1080p.mkv".into();
        f["size"] = 1_500_000.into();
        list.push(f);
    });
    apps.sonarr.edit("/api/v3/episode?seriesId=1", |v| {
        for e in v.as_array_mut().unwrap() {
            if e["id"] == 5 {
                e["hasFile"] = true.into();
                e["episodeFileId"] = 9.into();
            }
        }
    });
    wait_count(&server, &member.api_key, 13, &client).await;
    client.wait_log("the folder rescan", |l| {
        l.contains("folder rescan complete")
    });
    assert!(
        client.log_text().contains("S02E02"),
        "{}",
        client.log_text()
    );

    // Only that series was read again: not the series list, not the other series.
    let after: Vec<String> = apps.sonarr.requests()[before..].to_vec();
    assert!(
        after.iter().any(|r| r == "/api/v3/episodefile?seriesId=1"),
        "{after:?}"
    );
    assert!(
        after.iter().all(|r| r.contains("seriesId=1")),
        "a folder event re-read more than its series: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_restores_what_the_server_lost_and_withdraws_what_the_client_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let settings = [
        ("SCAN_INTERVAL", "1h"),
        ("SYNC_INTERVAL", "1s"),
        ("NO_WATCH", "true"),
    ];
    let Shared {
        server,
        member,
        client,
        ..
    } = shared_library(tmp.path(), "bob", &settings).await;

    // The admin removes one of the member's torrents: the next sync sends it again.
    let gone = server_hashes(&server, &member.api_key).await[0].clone();
    let resp = crate::harness::client()
        .delete(server.url(&format!("/api/v1/torrents/{gone}")))
        .basic_auth("admin", Some(crate::harness::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !server_hashes(&server, &member.api_key)
        .await
        .contains(&gone)
    {
        assert!(Instant::now() < deadline, "{}", client.log_text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Something under the member's name the client does not share is withdrawn.
    let stray = crate::harness::single_file_torrent("stray.mkv", 5, 40_000);
    crate::harness::upload_new(
        &server,
        &member.api_key,
        stray,
        serde_json::json!({"category": 2000}),
    )
    .await;
    // 13 for a moment, then back to the client's 12.
    wait_count(&server, &member.api_key, 12, &client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_periodic_rescan_catches_a_rename_without_folder_watching() {
    let tmp = tempfile::tempdir().unwrap();
    let settings = [("SCAN_INTERVAL", "1s"), ("NO_WATCH", "true")];
    let Shared {
        server,
        member,
        apps,
        client,
        media,
    } = shared_library(tmp.path(), "carol", &settings).await;
    let before = server_hashes(&server, &member.api_key).await;

    // Lidarr renames a track of the incomplete album: one torrent is replaced.
    let old = "/media/music/Marrow Lights/Paper Satellites (2021)/Marrow Lights - Paper Satellites - 01 - Uplink.mp3";
    let new = "/media/music/Marrow Lights/Paper Satellites (2021)/01 - Uplink.mp3";
    std::fs::rename(
        crate::harness::fake_arr::local(&media, "/media", old),
        crate::harness::fake_arr::local(&media, "/media", new),
    )
    .unwrap();
    apps.lidarr.edit("/api/v1/trackfile?artistId=1", |v| {
        for f in v.as_array_mut().unwrap() {
            if f["path"] == old {
                f["path"] = new.into();
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = server_hashes(&server, &member.api_key).await;
        let gone = before.iter().filter(|h| !now.contains(h)).count();
        if now.len() == 12 && gone == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "{}", client.log_text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
