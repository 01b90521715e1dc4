//! The client against fake Radarr/Sonarr/Lidarr apps serving the shared
//! fixtures, real media files laid out as MANIFEST.json says, and a real server.

use std::collections::BTreeMap;
use std::path::Path;

use crate::harness::client::{bytes_hashed, run_once, server_hashes, snapshot, Apps};
use crate::harness::fake_arr::{lay_out_library, local};
use crate::harness::{add_member, Server};
use privateindexer::store::{RedbStore, Store, TorrentRecord};

/// The torrents on a stopped server's store, by torrent name.
fn stored(data_dir: &Path) -> BTreeMap<String, TorrentRecord> {
    let store = RedbStore::open_dir(data_dir).unwrap();
    let mut out = BTreeMap::new();
    store
        .for_each_torrent(&mut |r| {
            out.insert(r.name.clone(), r);
        })
        .unwrap();
    out
}

struct Setup {
    _tmp: tempfile::TempDir,
    server_dir: std::path::PathBuf,
    client_dir: std::path::PathBuf,
    media: std::path::PathBuf,
    apps: Apps,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let server_dir = tmp.path().join("server");
    let client_dir = tmp.path().join("client");
    let media = tmp.path().join("media");
    std::fs::create_dir_all(&server_dir).unwrap();
    lay_out_library(&media);
    Setup {
        server_dir,
        client_dir,
        media,
        apps: Apps::start(),
        _tmp: tmp,
    }
}

fn once(s: &Setup, server: &Server, key: &str) -> String {
    let (status, log) = run_once(&server.url(""), key, &s.client_dir, &s.apps.env(&s.media));
    assert!(status.success(), "client failed:\n{log}");
    assert!(!log.contains(key), "the API key must never be logged");
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn shares_the_fixture_library_and_rescans_for_free() {
    let s = setup();
    let before = snapshot(&s.media);
    let server = Server::start(&s.server_dir);
    let member = add_member(&server, "alice").await;
    let log = once(&s, &server, &member.api_key);
    assert_eq!(
        bytes_hashed(&log),
        35_089_890,
        "first scan hashes every byte:\n{log}"
    );
    assert_eq!(
        server_hashes(&server, &member.api_key).await.len(),
        12,
        "{log}"
    );
    server.stop();

    let t = stored(&s.server_dir);
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    // 10 single files, 1 season pack (its folder), 1 album (its folder).
    let manifest = crate::harness::fake_arr::read_fixture("MANIFEST.json");
    let mut want: Vec<String> = manifest["expected"]["singleFile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    want.push("Season 1".into());
    want.push("Low Tide Signals (2016)".into());
    want.sort();
    assert_eq!(names, want);
    for r in t.values() {
        assert_eq!(r.uploader, member.id);
    }

    let pm = &t["Paper Moons (2023) WEBDL-2160p.mkv"];
    assert_eq!(
        pm.meta.title.as_deref(),
        Some("Paper Moons (2023) [WEBDL-2160p][HDR10][EAC3 Atmos 5.1][HEVC]-NIMBUS")
    );
    assert_eq!(pm.meta.category, 2045);
    assert_eq!(pm.meta.imdb_id, Some(15_784_302));
    assert_eq!(pm.meta.tmdb_id, Some(934_517));
    assert_eq!(pm.meta.year, Some(2023));
    assert_eq!(pm.meta.resolution.as_deref(), Some("2160p"));

    let gh = &t["Glass Harbor (2019) Bluray-1080p.mkv"];
    assert_eq!(
        gh.meta.title.as_deref(),
        Some("Glass Harbor (2019) [Bluray-1080p][DTS 5.1][x264]-KOBALT")
    );
    assert_eq!(gh.meta.category, 2040);
    let qo = &t["Quiet Orchard (2008) WEBDL-720p.mp4"];
    assert_eq!(
        qo.meta.title.as_deref(),
        Some("Quiet Orchard (2008) [WEBDL-720p][AAC 2.0][h264]")
    );

    let pack = &t["Season 1"];
    assert_eq!(pack.file_count, 3);
    assert_eq!(
        pack.meta.title.as_deref(),
        Some("The Lantern Keepers (2021) - S01 [WEBDL-1080p][EAC3 5.1][h264]-ORBIT")
    );
    assert_eq!(
        (
            pack.meta.category,
            pack.meta.tvdb_id,
            pack.meta.season,
            pack.meta.episode
        ),
        (5040, Some(398_811), Some(1), None)
    );
    let ep = &t["The Lantern Keepers - S02E01 - Tidewater WEBDL-1080p.mkv"];
    assert!(
        ep.meta
            .title
            .as_deref()
            .unwrap()
            .starts_with("The Lantern Keepers (2021) - S02E01 - Tidewater [WEBDL-1080p]"),
        "{:?}",
        ep.meta.title
    );
    assert_eq!((ep.meta.season, ep.meta.episode), (Some(2), Some(1)));
    let special = &t["Copper Valley - S00E01 - Behind the Valley HDTV-720p.mkv"];
    assert_eq!(
        (special.meta.season, special.meta.episode),
        (Some(0), Some(1))
    );
    assert!(special
        .meta
        .title
        .as_deref()
        .unwrap()
        .starts_with("Copper Valley (2018) - S00E01 - Behind the Valley [HDTV-720p]"));

    let album = &t["Low Tide Signals (2016)"];
    assert_eq!(album.file_count, 4);
    assert_eq!(
        album.meta.title.as_deref(),
        Some("Marrow Lights - Low Tide Signals (2016) [FLAC]")
    );
    assert_eq!(album.meta.category, 3040);
    assert_eq!(album.meta.artist.as_deref(), Some("Marrow Lights"));
    assert_eq!(album.meta.album.as_deref(), Some("Low Tide Signals"));
    assert_eq!(album.meta.year, Some(2016));
    let track = &t["Marrow Lights - Paper Satellites - 01 - Uplink.mp3"];
    assert_eq!(track.meta.category, 3010);
    assert_eq!(
        track.meta.title.as_deref(),
        Some("Marrow Lights - Paper Satellites (2021) - 01 - Uplink [MP3-320]")
    );

    // A restart and rescan of the unchanged library hashes nothing and changes nothing.
    let server = Server::start(&s.server_dir);
    let log = once(&s, &server, &member.api_key);
    assert_eq!(bytes_hashed(&log), 0, "{log}");
    assert_eq!(log.matches("created=0").count(), 3, "{log}");
    assert_eq!(log.matches("withdrawn=0").count(), 3, "{log}");
    assert_eq!(server_hashes(&server, &member.api_key).await.len(), 12);
    assert_eq!(snapshot(&s.media), before, "media files must never change");
}

#[tokio::test(flavor = "multi_thread")]
async fn renames_upgrades_deletions_and_a_partial_outage() {
    let s = setup();
    let server = Server::start(&s.server_dir);
    let member = add_member(&server, "bob").await;
    once(&s, &server, &member.api_key);
    let first = server_hashes(&server, &member.api_key).await;
    assert_eq!(first.len(), 12);
    server.stop();
    let old = stored(&s.server_dir);
    let server = Server::start(&s.server_dir);

    let movies = "/api/v3/movie";
    // Rename: Radarr renamed Glass Harbor's file.
    let old_gh = s
        .media
        .join("movies/Glass Harbor (2019)/Glass Harbor (2019) Bluray-1080p.mkv");
    let new_gh = s
        .media
        .join("movies/Glass Harbor (2019)/Glass Harbor (2019) [Bluray-1080p].mkv");
    std::fs::rename(&old_gh, &new_gh).unwrap();
    // Upgrade: Quiet Orchard replaced in place by a better file.
    let qo = s
        .media
        .join("movies/Quiet Orchard (2008)/Quiet Orchard (2008) WEBDL-720p.mp4");
    crate::harness::fake_arr::write_file(&qo, 999, 2_500_000);
    // Deletion from Radarr: Paper Moons is no longer in the library (its file stays).
    s.apps.radarr.edit(movies, |v| {
        let list = v.as_array_mut().unwrap();
        list.retain(|m| m["id"] != 2);
        for m in list.iter_mut() {
            if m["id"] == 1 {
                m["movieFile"]["path"] =
                    "/media/movies/Glass Harbor (2019)/Glass Harbor (2019) [Bluray-1080p].mkv"
                        .into();
                m["movieFile"]["relativePath"] = "Glass Harbor (2019) [Bluray-1080p].mkv".into();
            }
            if m["id"] == 3 {
                m["movieFile"]["size"] = 2_500_000.into();
                m["movieFile"]["quality"]["quality"]["name"] = "Bluray-720p".into();
            }
        }
    });
    // Sonarr answers errors mid-outage: none of its torrents may be withdrawn.
    s.apps.sonarr.set_failing(true);
    let log = once(&s, &server, &member.api_key);
    assert!(
        log.contains("Sonarr scan failed, nothing withdrawn"),
        "{log}"
    );
    let now = server_hashes(&server, &member.api_key).await;
    assert_eq!(now.len(), 11, "12 - Paper Moons:\n{log}");
    server.stop();
    let t = stored(&s.server_dir);
    assert!(!t.contains_key("Paper Moons (2023) WEBDL-2160p.mkv"));
    assert!(!t.contains_key("Glass Harbor (2019) Bluray-1080p.mkv"));
    assert_eq!(
        t["Glass Harbor (2019) [Bluray-1080p].mkv"]
            .meta
            .title
            .as_deref(),
        Some("Glass Harbor (2019) [Bluray-1080p][DTS 5.1][x264]-KOBALT")
    );
    let q = &t["Quiet Orchard (2008) WEBDL-720p.mp4"];
    assert_ne!(
        q.info_hash,
        old["Quiet Orchard (2008) WEBDL-720p.mp4"].info_hash
    );
    assert_eq!(q.size, 2_500_000);
    assert!(q
        .meta
        .title
        .as_deref()
        .unwrap()
        .starts_with("Quiet Orchard (2008) [Bluray-720p]"));
    // Every Sonarr torrent is still there, unchanged.
    for (name, r) in &old {
        if r.meta.category / 1000 == 5 {
            assert_eq!(t[name].info_hash, r.info_hash, "{name}");
        }
    }
    // The client never deletes media: the deleted movie's file is still on disk.
    assert!(s
        .media
        .join("movies/Paper Moons (2023)/Paper Moons (2023) WEBDL-2160p.mkv")
        .exists());

    // Sonarr back: a complete scan drops the hash-cache entry of the renamed file
    // (gone from a folder that is still there); the in-place upgrade replaced its own.
    let server = Server::start(&s.server_dir);
    s.apps.sonarr.set_failing(false);
    let log = once(&s, &server, &member.api_key);
    assert!(
        log.contains("hash cache: 1 stale file entries dropped"),
        "{log}"
    );
    assert!(!once(&s, &server, &member.api_key).contains("stale file entries"));

    // Radarr suddenly listing nothing (a broken restore) and Lidarr unreachable:
    // nothing is withdrawn.
    s.apps.radarr.set(movies, serde_json::json!([]));
    let mut env = s.apps.env(&s.media);
    for (k, v) in env.iter_mut() {
        if k == "LIDARR_URL" {
            *v = "http://127.0.0.1:9".into();
        }
    }
    let (status, log) = run_once(&server.url(""), &member.api_key, &s.client_dir, &env);
    assert!(status.success(), "{log}");
    assert!(log.contains("Radarr lists no media any more"), "{log}");
    assert!(
        log.contains("Lidarr scan failed, nothing withdrawn"),
        "{log}"
    );
    assert_eq!(
        server_hashes(&server, &member.api_key).await.len(),
        11,
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_season_becomes_a_pack_and_retires_its_singles() {
    let s = setup();
    let ep3 = local(
        &s.media,
        "/media",
        "/media/tv/The Lantern Keepers/Season 1/The Lantern Keepers - S01E03 - Fog Bell WEBDL-1080p.mkv",
    );
    let ep3_data = std::fs::read(&ep3).unwrap();
    std::fs::remove_file(&ep3).unwrap();
    let episodes = s.apps.sonarr.get("/api/v3/episode?seriesId=1");
    let files = s.apps.sonarr.get("/api/v3/episodefile?seriesId=1");
    s.apps.sonarr.edit("/api/v3/episode?seriesId=1", |v| {
        for e in v.as_array_mut().unwrap() {
            if e["id"] == 3 {
                e["hasFile"] = false.into();
                e.as_object_mut().unwrap().remove("episodeFileId");
            }
        }
    });
    s.apps.sonarr.edit("/api/v3/episodefile?seriesId=1", |v| {
        v.as_array_mut().unwrap().retain(|f| f["id"] != 3);
    });
    let server = Server::start(&s.server_dir);
    let member = add_member(&server, "carol").await;
    once(&s, &server, &member.api_key);
    // 3 movies, 7 episodes (2 of them season 1's), no pack, 1 album + 2 tracks.
    assert_eq!(server_hashes(&server, &member.api_key).await.len(), 13);
    server.stop();
    let t = stored(&s.server_dir);
    assert!(!t.contains_key("Season 1"));
    assert!(t.contains_key("The Lantern Keepers - S01E01 - The First Light WEBDL-1080p.mkv"));

    // Sonarr imports the last episode: the season is complete in one folder.
    std::fs::write(&ep3, ep3_data).unwrap();
    s.apps.sonarr.set("/api/v3/episode?seriesId=1", episodes);
    s.apps.sonarr.set("/api/v3/episodefile?seriesId=1", files);
    let server = Server::start(&s.server_dir);
    once(&s, &server, &member.api_key);
    // The two singles give way to one pack.
    assert_eq!(server_hashes(&server, &member.api_key).await.len(), 12);
    server.stop();
    let t = stored(&s.server_dir);
    assert_eq!(t["Season 1"].file_count, 3);
    for name in t.keys() {
        assert!(
            !name.starts_with("The Lantern Keepers - S01"),
            "{name} should be retired"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_wait_in_the_queue_while_the_server_is_down() {
    let s = setup();
    let server = Server::start(&s.server_dir);
    let member = add_member(&server, "dave").await;
    let url = server.url("");
    server.stop();
    // Server down: torrents are made and queued, the run reports them kept.
    let (status, log) = run_once(&url, &member.api_key, &s.client_dir, &s.apps.env(&s.media));
    assert!(!status.success());
    assert!(log.contains("stay queued"), "{log}");
    assert_eq!(bytes_hashed(&log), 35_089_890);

    // Back up (on another port): the queue from the last run is sent; nothing is re-hashed.
    let server = Server::start(&s.server_dir);
    let log = once(&s, &server, &member.api_key);
    assert_eq!(bytes_hashed(&log), 0, "{log}");
    assert_eq!(
        server_hashes(&server, &member.api_key).await.len(),
        12,
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn start_up_checks_name_the_wrong_setting() {
    let s = setup();
    let server = Server::start(&s.server_dir);
    let member = add_member(&server, "erin").await;

    // A wrong Radarr key and a Lidarr URL pointing at Sonarr disable those apps only.
    let mut env = s.apps.env(&s.media);
    for (k, v) in env.iter_mut() {
        if k == "RADARR_API_KEY" {
            *v = "bad-radarr-key-0451".into();
        }
        if k == "LIDARR_URL" {
            *v = s.apps.sonarr.url();
        }
    }
    let (status, log) = run_once(&server.url(""), &member.api_key, &s.client_dir, &env);
    assert!(status.success(), "{log}");
    assert!(
        log.contains("Radarr disabled: Radarr refused the API key"),
        "{log}"
    );
    assert!(log.contains("Lidarr disabled"), "{log}");
    assert!(
        !log.contains("bad-radarr-key-0451"),
        "keys are never logged:\n{log}"
    );
    // Sonarr alone: 5 episodes and 1 season pack.
    assert_eq!(server_hashes(&server, &member.api_key).await.len(), 6);

    // A bad server key stops start-up with a line naming API_KEY.
    let (status, log) = run_once(
        &server.url(""),
        "nope",
        &s.client_dir,
        &s.apps.env(&s.media),
    );
    assert!(!status.success());
    assert!(log.contains("API_KEY"), "{log}");

    // A missing setting is named too.
    let (status, log) = run_once(&server.url(""), &member.api_key, &s.client_dir, &[]);
    assert!(!status.success());
    assert!(log.contains("no *arr app configured"), "{log}");
}
