//! `admin import-legacy` on a real MariaDB holding a Python PrivateIndexer 1.11
//! database (built from its DDL, `schema.sql`) and real hybrid `.torrent`
//! files, then a real server on the imported store: old API keys work on
//! Torznab and the client API, counters, grabs and dates are the legacy ones,
//! a hybrid torrent answers under both hashes, bad rows are reported and absent.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::mariadb::MariaDb;
use crate::harness::*;

const PASSWORD: &str = "legacy-pw-s3cret";
const KEY_ALICE: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const KEY_BOB: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
const KEY_BAD: &str = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

struct Made {
    v1: String,
    v2: String,
}

/// Private torrents as the legacy client made them (libtorrent 2: hybrid, or v2-only).
fn make_torrents(py: &str, data: &Path, out: &Path, v2_only: &[bool]) -> Vec<Made> {
    let script = r#"
import libtorrent as lt, sys, os
data, out = sys.argv[1], sys.argv[2]
for i, v2only in enumerate(sys.argv[3:]):
    fs = lt.file_storage()
    lt.add_files(fs, os.path.join(data, "f%d.mkv" % i))
    t = lt.create_torrent(fs, 0, lt.create_torrent.v2_only if v2only == "1" else 0)
    t.set_priv(True)
    lt.set_piece_hashes(t, data)
    raw = lt.bencode(t.generate())
    ih = lt.torrent_info(raw).info_hashes()
    open(os.path.join(out, str(ih.v2) + ".torrent"), "wb").write(raw)
    print(str(ih.v1), str(ih.v2))
"#;
    for i in 0..v2_only.len() {
        std::fs::write(
            data.join(format!("f{i}.mkv")),
            content(i as u64 + 1, 40_000 + i * 1000),
        )
        .unwrap();
    }
    let out = Command::new(py)
        .args(["-c", script])
        .arg(data)
        .arg(out)
        .args(v2_only.iter().map(|v| if *v { "1" } else { "0" }))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (v1, v2) = l.split_once(' ').unwrap();
            Made {
                v1: v1.into(),
                v2: v2.into(),
            }
        })
        .collect()
}

fn import(data_dir: &Path, url: &str, torrents: &Path, extra: &[&str]) -> Output {
    Command::new(bin())
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("import-legacy")
        .args(["--torrents-dir", torrents.to_str().unwrap()])
        .args(extra)
        .env("LEGACY_MYSQL_URL", url)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The `torznab:attr` values of the item titled `title` in a Torznab answer.
fn item_attrs(xml: &str, title: &str) -> Option<(String, Vec<(String, String)>)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let item = doc.descendants().find(|n| {
        n.has_tag_name("item")
            && n.children()
                .any(|c| c.has_tag_name("title") && c.text() == Some(title))
    })?;
    let child = |name: &str| {
        item.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string()
    };
    let attrs = item
        .children()
        .filter(|c| c.tag_name().name() == "attr")
        .map(|c| {
            (
                c.attribute("name").unwrap().to_string(),
                c.attribute("value").unwrap().to_string(),
            )
        })
        .collect();
    Some((child("pubDate"), attrs))
}

async fn torznab(server: &Server, query: &str) -> String {
    let resp = client()
        .get(server.url(&format!("/api?{query}")))
        .send()
        .await;
    resp.unwrap().text().await.unwrap()
}

/// Asserts the import's output holds every line.
fn says(out: &str, lines: &[&str]) {
    for line in lines {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> &'a str {
    &attrs.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test]
async fn a_legacy_group_moves_over_with_its_keys_counters_and_torrents() {
    let Some(py) = create::libtorrent_python() else {
        return;
    };
    let Some(db) = MariaDb::start() else {
        return;
    };
    let work = db.dir().join("work");
    let (data, files) = (work.join("media"), work.join("torrents"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&files).unwrap();
    // movie (hybrid), episode (hybrid), v2-only, bad member's upload (hybrid), missing file (hybrid)
    let made = make_torrents(py, &data, &files, &[false, false, true, false, false]);
    std::fs::remove_file(files.join(format!("{}.torrent", made[4].v2))).unwrap();

    db.sql(&format!(
        "CREATE DATABASE privateindexer CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; \
         CREATE USER 'legacy'@'%' IDENTIFIED BY '{PASSWORD}'; \
         GRANT ALL ON privateindexer.* TO 'legacy'@'%';"
    ))
    .unwrap();
    db.sql(&format!(
        "USE privateindexer; {}",
        include_str!("schema.sql")
    ))
    .unwrap();
    let t = |i: usize, name: &str, cols: &str, vals: &str, uploader: &str| {
        format!(
            "INSERT INTO torrents (id, name, normalized_name, size, files, category{cols}, hash_v1, \
             hash_v2, hash_v2_trunc, grabs, added_on, last_seen, added_by_user_id) VALUES \
             ({id}, '{name}', 'x', 1, 1, {vals}, {v1}, '{v2}', '{trunc}', {grabs}, \
             '2025-06-01 12:00:0{i}', UTC_TIMESTAMP() - INTERVAL 1 DAY, {uploader});",
            id = 100 + i,
            v1 = if i == 2 {
                "NULL".to_string()
            } else {
                format!("'{}'", made[i].v1)
            },
            v2 = made[i].v2,
            trunc = &made[i].v2[..40],
            grabs = 4 + i,
        )
    };
    db.sql(&format!(
        "USE privateindexer; \
         INSERT INTO users (id, label, api_key, downloaded, uploaded, torrents_uploaded, \
           popularity, grabs, last_seen, public_uploads) VALUES \
           (1, 'alice', '{KEY_ALICE}', 1000, 5000, 3, 7, 3, '2026-01-02 03:04:05', 1), \
           (2, 'bad\\ttab', '{KEY_BAD}', 0, 0, 1, 0, 0, NULL, 0), \
           (3, 'bob', '{KEY_BOB}', 20, 30, 1, 0, 9, NULL, 0); \
         {} {} {} {} {}",
        t(
            0,
            "Movie.Title.2020.1080p.BluRay-GRP",
            ", imdbid, tmdbid",
            "2040, 133093, 0",
            "1"
        ),
        t(
            1,
            "Show.S01E02.1080p.WEB-GRP",
            ", season, episode, tvdbid",
            "5040, 1, 2, 12345",
            "3"
        ),
        t(2, "Only.V2.2021.1080p-GRP", "", "2040", "1"),
        t(3, "Bad.Member.Upload.2022-GRP", "", "2040", "2"),
        t(4, "Missing.File.2023-GRP", "", "2040", "1"),
    ))
    .unwrap();
    let url = format!(
        "mysql://legacy:{PASSWORD}@127.0.0.1:{}/privateindexer",
        db.port
    );
    let store_dir = work.join("store");

    // Dry run: says what it would do, writes nothing, never prints the password.
    let dry = import(&store_dir, &url, &files, &["--dry-run"]);
    let out = text(&dry);
    assert!(dry.status.success() && !out.contains(PASSWORD), "{out}");
    says(
        &out,
        &[
            "mysql://legacy:***@127.0.0.1",
            "member 1 \"alice\": would be imported",
            "members: 2 to import, 0 already here, 1 skipped",
            "torrents: 2 to import, 0 already here, 3 skipped",
            "nothing was written",
        ],
    );
    assert!(!store_dir.exists(), "a dry run made {store_dir:?}");

    let run = import(&store_dir, &url, &files, &[]);
    let out = text(&run);
    assert!(run.status.success() && !out.contains(PASSWORD), "{out}");
    says(
        &out,
        &[
            "member 2 \"bad\\ttab\": skipped: label holds a control character",
            "torrent 102 \"Only.V2.2021.1080p-GRP\": skipped: torrent file: v2-only",
            "torrent 103 \"Bad.Member.Upload.2022-GRP\": skipped: its uploader, member 2, was not imported",
            "torrent 104 \"Missing.File.2023-GRP\": skipped: no torrent file",
            "members: 2 imported, 0 already here, 1 skipped",
            "torrents: 2 imported, 0 already here, 3 skipped",
        ],
    );
    println!("{out}");

    // Run again (a resumed import): everything is recognised, nothing doubles.
    let again = text(&import(&store_dir, &url, &files, &[]));
    says(
        &again,
        &[
            "members: 0 imported, 2 already here, 1 skipped",
            "torrents: 0 imported, 2 already here, 3 skipped",
        ],
    );

    // A wrong password is refused without being printed.
    let wrong = import(
        &store_dir,
        &url.replace(PASSWORD, "not-the-pw-zz9"),
        &files,
        &["--dry-run"],
    );
    assert!(!wrong.status.success());
    assert!(!text(&wrong).contains("not-the-pw-zz9"), "{}", text(&wrong));

    let server = Server::start(&store_dir);
    let stats = admin_stats(&server).await;
    assert_eq!(stats["members"], 2, "{stats}");
    assert_eq!(stats["torrents"], 2, "bad rows are absent: {stats}");

    // Alice's old key on the client API: her counters as in the legacy row.
    let me: serde_json::Value = api_get(&server, "/api/v1/me", KEY_ALICE)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            &me["label"],
            &me["uploaded"],
            &me["downloaded"],
            &me["grabs"],
            &me["popularity"],
            &me["uploads"]
        ),
        (
            &"alice".into(),
            &5000.into(),
            &1000.into(),
            &3.into(),
            &7.into(),
            &1.into()
        ),
        "{me}"
    );

    // Bob's old key on Torznab finds Alice's movie with its grabs and date.
    let xml = torznab(
        &server,
        &format!("t=movie&imdbid=tt0133093&apikey={KEY_BOB}"),
    )
    .await;
    let (date, attrs) = item_attrs(&xml, "Movie.Title.2020.1080p.BluRay-GRP").expect(&xml);
    assert!(date.contains("01 Jun 2025 12:00:00"), "{date}");
    assert_eq!(attr(&attrs, "grabs"), "4");
    assert_eq!(attr(&attrs, "infohash"), made[0].v1);
    let tv = torznab(
        &server,
        &format!("t=tvsearch&tvdbid=12345&season=1&ep=2&apikey={KEY_ALICE}"),
    )
    .await;
    assert!(
        item_attrs(&tv, "Show.S01E02.1080p.WEB-GRP").is_some(),
        "{tv}"
    );

    // Downloadable: the same torrent, with Bob's announce URL.
    let got = client()
        .get(server.url(&format!("/api/v1/torrents/{}/download", made[0].v1)))
        .header("X-Api-Key", KEY_BOB)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(info_hash_hex(&got.bytes().await.unwrap()), made[0].v1);

    // The hybrid swarm answers under its truncated v2 hash as under its v1 hash.
    let bob: serde_json::Value = api_get(&server, "/api/v1/me", KEY_BOB)
        .await
        .json()
        .await
        .unwrap();
    let announce_url = bob["announce_url"].as_str().unwrap().to_string();
    let announce = |hex_hash: String| {
        let url = announce_url.clone();
        async move {
            let ih = url_bytes(&hex::decode(hex_hash).unwrap());
            let body = get_bytes(format!(
                "{url}?info_hash={ih}&peer_id=-XX0001-abcdefghijkl&port=6881&uploaded=0\
                     &downloaded=0&left=0&compact=1"
            ))
            .await;
            String::from_utf8_lossy(&body).into_owned()
        }
    };
    for hash in [made[0].v1.clone(), made[0].v2[..40].to_string()] {
        let answer = announce(hash.clone()).await;
        assert!(!answer.contains("failure reason"), "{hash}: {answer}");
    }
    let refused = announce(made[4].v1.clone()).await;
    assert!(
        refused.contains("failure reason"),
        "a skipped torrent is unknown: {refused}"
    );
    server.stop();
}
