//! The client's qBittorrent Web API v2 and its librqbit downloads, with real
//! parts: the real server and tracker, a python3-libtorrent seeder, the
//! `qbittorrent-api` Python library as the *arr apps' stand-in, and raw HTTP
//! for the hostile inputs.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::client::{Apps, RunningClient};
use crate::harness::*;
use sha1::{Digest, Sha1};

const PYTHON: &str = "/usr/bin/python3";
const USER: &str = "arr";
const PASSWORD: &str = "qbt test password";

fn python_has(module: &str) -> bool {
    Command::new(PYTHON)
        .args(["-c", &format!("import {module}")])
        .env("PYTHONPATH", pydeps())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Where `.ci/run` installs the Python packages the tests drive.
fn pydeps() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/target/pydeps").to_string()
}

/// A server whose announce URLs name 127.0.0.1, with two members.
struct Swarm {
    _dir: tempfile::TempDir,
    root: PathBuf,
    server: Server,
    alice: Keys,
    bob: Keys,
}

async fn swarm() -> Swarm {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        &root.join("server"),
        &[
            ("BIND", bind.as_str()),
            ("EXTERNAL_SERVER_URL", base.as_str()),
            ("MIN_ANNOUNCE_INTERVAL", "1"),
            ("FLUSH_INTERVAL", "3600"),
        ],
    );
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    Swarm {
        _dir: dir,
        root,
        server,
        alice,
        bob,
    }
}

/// Bob's client with its qBittorrent API on a free port.
struct Qbt {
    client: RunningClient,
    port: u16,
    downloads: PathBuf,
    _apps: Apps,
}

fn start_client(sw: &Swarm, extra: &[(&str, &str)]) -> Qbt {
    let apps = Apps::start();
    let port = free_port();
    let downloads = sw.root.join("downloads");
    let media = sw.root.join("bob-media");
    std::fs::create_dir_all(&media).unwrap();
    let mut env = apps.env(&media);
    for (k, v) in [
        ("CLIENT_BIND", format!("127.0.0.1:{port}")),
        ("DOWNLOADS_DIR", downloads.display().to_string()),
        ("DOWNLOAD_PORT", free_port().to_string()),
        ("API_USERNAME", USER.to_string()),
        ("API_PASSWORD", PASSWORD.to_string()),
        ("NO_WATCH", "true".to_string()),
    ] {
        env.push((k.to_string(), v));
    }
    for (k, v) in extra {
        env.push((k.to_string(), v.to_string()));
    }
    let client = RunningClient::start(
        &format!("http://{}", sw.server.addr),
        &sw.bob.api_key,
        &sw.root.join("bob-data"),
        &env,
    );
    client.wait_log("the qBittorrent API", |l| {
        l.contains("qBittorrent API listening")
    });
    Qbt {
        client,
        port,
        downloads,
        _apps: apps,
    }
}

impl Qbt {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/api/v2/{path}", self.port)
    }

    /// Logs in; the SID cookie value.
    async fn login(&self) -> String {
        let resp = client()
            .post(self.url("auth/login"))
            .form(&[("username", USER), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert_eq!(resp.text().await.unwrap(), "Ok.");
        cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("SID="))
            .expect("SID cookie")
            .to_string()
    }
}

/// A torrent alice shares: its bytes, its content and info-hash.
async fn shared_movie(sw: &Swarm, name: &str, seed: u64, len: usize) -> (Vec<u8>, String) {
    let data = content(seed, len);
    let torrent = make_torrent(
        name,
        &[TestFile {
            path: vec![],
            data: data.clone(),
        }],
        64 * 1024,
        true,
    );
    let ih = info_hash_hex(&torrent);
    upload_new(
        &sw.server,
        &sw.alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;
    (data, ih)
}

async fn member_torrent(sw: &Swarm, key: &str, ih: &str) -> Vec<u8> {
    let resp = api_get(&sw.server, &format!("/api/v1/torrents/{ih}/download"), key).await;
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

struct Seeder(Child);

impl Seeder {
    fn start(torrent: &Path, dir: &Path) -> Seeder {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_seeder.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(torrent)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "seeding",
            "the libtorrent seeder did not start"
        );
        Seeder(child)
    }

    /// Closes its stdin; its upload total.
    fn stop(mut self) -> u64 {
        drop(self.0.stdin.take());
        let mut out = String::new();
        BufReader::new(self.0.stdout.take().unwrap())
            .read_line(&mut out)
            .unwrap();
        let _ = self.0.wait();
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        v["uploaded"].as_u64().unwrap()
    }
}

impl Drop for Seeder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// (a) + (c): qbittorrent-api drives bob's client the way Radarr does while a
/// python3-libtorrent peer seeds; the file arrives byte for byte through the
/// real tracker, and deleteFiles removes what the client downloaded.
#[tokio::test]
async fn arr_flow_downloads_from_a_libtorrent_seeder() {
    if !python_has("libtorrent") || !python_has("qbittorrentapi") {
        eprintln!("NOTICE: skipping: {PYTHON} lacks libtorrent or qbittorrentapi (bash .ci/run installs both)");
        return;
    }
    let sw = swarm().await;
    let name = "Sintel.2010.1080p.BluRay.x264-GRP.mkv";
    let (data, ih) = shared_movie(&sw, name, 77, 3 * 1024 * 1024 + 4321).await;
    let seed_dir = sw.root.join("alice-media");
    std::fs::create_dir_all(&seed_dir).unwrap();
    std::fs::write(seed_dir.join(name), &data).unwrap();
    let alice_torrent = sw.root.join("alice.torrent");
    std::fs::write(
        &alice_torrent,
        member_torrent(&sw, &sw.alice.api_key, &ih).await,
    )
    .unwrap();
    let seeder = Seeder::start(&alice_torrent, &seed_dir);

    let qbt = start_client(&sw, &[]);
    // What Radarr fetched from the Torznab enclosure with bob's key.
    let bob_torrent = sw.root.join("bob.torrent");
    std::fs::write(
        &bob_torrent,
        member_torrent(&sw, &sw.bob.api_key, &ih).await,
    )
    .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qbt_arr_flow.py");
    let out = Command::new(PYTHON)
        .arg(script)
        .args(["127.0.0.1", &qbt.port.to_string(), USER, PASSWORD])
        .arg(&bob_torrent)
        .args(["radarr", &ih])
        .env("PYTHONPATH", pydeps())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "arr flow failed:\n{stderr}\nclient log:\n{}",
        qbt.client.log_text()
    );
    let seen: serde_json::Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    eprintln!("qbittorrent-api saw: {seen}");
    assert!(seen["webapi"].as_str().unwrap().starts_with("2.11."));
    assert_eq!(seen["add"], "Ok.");
    assert_eq!(seen["listed_at_once"], serde_json::json!([ih]));
    assert_eq!(seen["prefs"]["dht"], false);
    assert_eq!(seen["prefs"]["queueing_enabled"], false);
    assert_eq!(seen["prefs"]["max_ratio_act"], 0);
    assert!(seen["categories"]
        .as_array()
        .unwrap()
        .contains(&"radarr".into()));
    let done = &seen["done"];
    assert_eq!(done["hash"], ih.as_str());
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["amount_left"], 0);
    assert_eq!(done["private"], true);
    assert!(
        done["downloaded"].as_u64().unwrap() >= data.len() as u64,
        "{done}"
    );
    assert_eq!(done["category"], "radarr");
    let radarr_dir = qbt.downloads.canonicalize().unwrap().join("radarr");
    assert_eq!(done["save_path"], radarr_dir.display().to_string());
    assert_eq!(
        done["content_path"],
        radarr_dir.join(name).display().to_string()
    );
    assert_eq!(seen["props_save_path"], done["save_path"]);
    assert_eq!(seen["files"], serde_json::json!([[name, data.len(), 1.0]]));
    assert_eq!(
        seen["trackers"],
        serde_json::json!([format!("http://{}", sw.server.addr)])
    );
    assert_eq!(
        seen["sha1"],
        hex::encode(Sha1::digest(&data)),
        "bytes identical"
    );
    assert_eq!(seen["after_delete"], serde_json::json!([]));
    assert!(
        !radarr_dir.join(name).exists(),
        "deleteFiles removed the download"
    );
    assert_eq!(
        std::fs::read(seed_dir.join(name)).unwrap(),
        data,
        "the seeder's file untouched"
    );
    assert!(
        seeder.stop() >= data.len() as u64,
        "the libtorrent seeder sent the file"
    );
    qbt.client.wait_log("the completed announce", |l| {
        l.contains("download totals announced") || l.contains("download totals failed:")
    });
    let log = qbt.client.log_text();
    assert!(log.contains("download complete and verified"), "{log}");
    assert!(
        !log.contains("announce of the download totals failed"),
        "{log}"
    );
    assert!(!log.contains(&sw.bob.api_key), "no key in the log");

    // The tracker took bob's completed announce: after a clean stop its
    // counters show the snatch and the download.
    let data_dir = sw.root.join("server");
    assert!(sw.server.stop().success());
    let server = Server::start(&data_dir);
    let users: Vec<serde_json::Value> = admin_get(&server, "/admin/api/users").await;
    let bob = users.iter().find(|u| u["id"] == sw.bob.id).unwrap();
    assert_eq!(bob["snatches"].as_u64(), Some(1), "{bob}");
    assert!(
        bob["downloaded"].as_u64().unwrap() >= data.len() as u64,
        "{bob}"
    );
}

async fn post(sid: Option<&str>, url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut req = client().post(url).form(form);
    if let Some(s) = sid {
        req = req.header("Cookie", format!("SID={s}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn add_file(
    qbt: &Qbt,
    sid: &str,
    torrent: Vec<u8>,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().part(
        "torrents",
        reqwest::multipart::Part::bytes(torrent).file_name("x.torrent"),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let resp = client()
        .post(qbt.url("torrents/add"))
        .header("Cookie", format!("SID={sid}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Files under a folder, for "nothing stored".
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(tree(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// (d): every kind of hostile or wrong input gets a clear answer and leaves
/// nothing behind: no torrent listed, nothing in DOWNLOADS_DIR, no request
/// to a foreign URL, categories unchanged.
#[tokio::test]
async fn hostile_inputs_get_clear_answers_and_store_nothing() {
    let sw = swarm().await;
    let (_, ih) = shared_movie(&sw, "Known.2001.mkv", 5, 200_000).await;
    let qbt = start_client(&sw, &[("LOGIN_BAN", "1h")]);

    // The image's HEALTHCHECK: the client's health route answers without a session.
    let health = std::process::Command::new(bin())
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{}", qbt.port),
        ])
        .output()
        .unwrap();
    assert!(
        health.status.success(),
        "{}",
        String::from_utf8_lossy(&health.stderr)
    );

    // v2 detection: 403 without a session, even with the apps' pre-emptive Basic header.
    let resp = client()
        .get(qbt.url("app/webapiVersion"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let sid = qbt.login().await;
    let (s, v) = post(Some(&sid), &qbt.url("app/webapiVersion"), &[]).await;
    assert_eq!((s, v.starts_with("2.11.")), (200, true));
    let resp = client()
        .get(qbt.url("app/version"))
        .header("Cookie", format!("SID={sid}"))
        .header("Authorization", "Basic YXJyOnF3ZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "GET works too, Basic header tolerated");
    // A page of another site may not drive the API with the member's cookie.
    let resp = client()
        .post(qbt.url("torrents/delete"))
        .header("Cookie", format!("SID={sid}"))
        .header("Origin", "http://evil.example")
        .form(&[("hashes", "all"), ("deleteFiles", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Hashes.
    for bad in ["xyz", "../../etc/passwd", &"g".repeat(40), ""] {
        let (s, body) = post(
            Some(&sid),
            &qbt.url("torrents/properties"),
            &[("hash", bad)],
        )
        .await;
        assert_eq!(s, 400, "{bad:?}: {body}");
        let (s, _) = post(Some(&sid), &qbt.url("torrents/delete"), &[("hashes", bad)]).await;
        assert_eq!(s, 400);
    }
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/properties"),
        &[("hash", &"A".repeat(40))],
    )
    .await;
    assert_eq!(s, 404, "well-formed but unknown");

    // Huge bodies: refused before anything is parsed.
    let huge = "x".repeat(17 * 1024 * 1024);
    let resp = client()
        .post(qbt.url("torrents/createCategory"))
        .header("Cookie", format!("SID={sid}"))
        .form(&[("category", huge.as_str())])
        .send()
        .await;
    // 413, or the connection closed on the sender mid-body: refused either way.
    if let Ok(r) = resp {
        assert_eq!(r.status(), 413);
    }
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/createCategory"),
        &[("category", &"y".repeat(100_000))],
    )
    .await;
    assert_eq!(s, 400, "one oversized field");

    // Category names: the *arr rule, nested allowed.
    for bad in ["/radarr", "radarr/", "a//b", "a\\b", "../up", ""] {
        let (s, body) = post(
            Some(&sid),
            &qbt.url("torrents/createCategory"),
            &[("category", bad)],
        )
        .await;
        assert_eq!(s, 400, "{bad:?}");
        assert!(!body.is_empty());
    }
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/createCategory"),
        &[("category", "tv/anime")],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/createCategory"),
        &[("category", "tv/anime")],
    )
    .await;
    assert_eq!(s, 409, "exists already");
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/createCategory"),
        &[("category", "x"), ("savePath", "/etc")],
    )
    .await;
    assert_eq!(s, 400, "a category folder outside DOWNLOADS_DIR");
    let (s, _) = post(
        Some(&sid),
        &qbt.url("torrents/setCategory"),
        &[("hashes", "all"), ("category", "nope")],
    )
    .await;
    assert_eq!(s, 409);

    // torrents/add refusals: Fails. and a log line, nothing stored.
    let ours = member_torrent(&sw, &sw.bob.api_key, &ih).await;
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(&str, Vec<u8>, Fields)> = vec![
        ("not a torrent", b"<html>hello</html>".to_vec(), vec![]),
        (
            "another tracker",
            single_file_torrent("Other.mkv", 9, 50_000),
            vec![],
        ),
        (
            "savepath traversal",
            ours.clone(),
            vec![("savepath", "../../etc")],
        ),
        ("savepath outside", ours.clone(), vec![("savepath", "/tmp")]),
    ];
    for (what, bytes, fields) in cases {
        let (s, body) = add_file(&qbt, &sid, bytes, &fields).await;
        assert_eq!((s, body.as_str()), (200, "Fails."), "{what}");
    }
    let (s, _) = add_file(&qbt, &sid, ours.clone(), &[("category", "bad//name")]).await;
    assert_eq!(s, 400);
    // Right tracker, but the server does not know the info-hash.
    let announce = format!("http://{}/announce/0000", sw.server.addr);
    let unknown = {
        let t = single_file_torrent("Unknown.mkv", 11, 50_000);
        let root = privateindexer::bencode::decode(&t).unwrap();
        let info = root.get("info").unwrap().span.clone();
        let mut out = format!("d8:announce{}:{}4:info", announce.len(), announce).into_bytes();
        out.extend_from_slice(&t[info]);
        out.push(b'e');
        out
    };
    let (s, body) = add_file(&qbt, &sid, unknown, &[]).await;
    assert_eq!((s, body.as_str()), (200, "Fails."));
    // urls: only the configured server is ever asked.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!(
        "http://{}/api/v1/torrents/{ih}/download",
        trap.local_addr().unwrap()
    );
    let (s, body) = post(Some(&sid), &qbt.url("torrents/add"), &[("urls", &trap_url)]).await;
    assert_eq!((s, body.as_str()), (200, "Fails."));
    assert!(trap.accept().is_err(), "no request to a foreign URL");
    let (s, body) = post(
        Some(&sid),
        &qbt.url("torrents/add"),
        &[(
            "urls",
            "magnet:?xt=urn:btih:0000000000000000000000000000000000000000",
        )],
    )
    .await;
    assert_eq!((s, body.as_str()), (200, "Fails."));

    let (_, list) = post(Some(&sid), &qbt.url("torrents/info"), &[]).await;
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|t| t["category"] == "privateindexer"),
        "no download stored: {list}"
    );
    assert_eq!(
        tree(&qbt.downloads),
        Vec::<PathBuf>::new(),
        "nothing written"
    );
    let log = qbt.client.log_text();
    for why in [
        "not a usable torrent",
        "is not this swarm's",
        "does not know info-hash",
        "only .torrent links of the configured server",
        "save path must be inside",
    ] {
        assert!(log.contains(why), "log names why ({why}):\n{log}");
    }
    assert!(
        !log.contains(&sw.bob.api_key) && !log.contains("/announce/0000"),
        "no keys in the log"
    );

    // A good add through `urls` on the configured server works, hashes any case.
    let link = format!(
        "http://{}/api/v1/torrents/{}/download?apikey=whatever",
        sw.server.addr,
        ih.to_uppercase()
    );
    let (s, body) = post(
        Some(&sid),
        &qbt.url("torrents/add"),
        &[("urls", &link), ("category", "radarr"), ("stopped", "true")],
    )
    .await;
    assert_eq!(
        (s, body.as_str()),
        (200, "Ok."),
        "{}",
        qbt.client.log_text()
    );
    let (_, info) = post(
        Some(&sid),
        &qbt.url("torrents/info"),
        &[("hashes", &ih.to_uppercase())],
    )
    .await;
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info[0]["hash"], ih.as_str());
    assert_eq!(info[0]["state"], "stoppedDL");
    let (s, _) = post(Some(&sid), &qbt.url("torrents/topPrio"), &[("hashes", &ih)]).await;
    assert_eq!(s, 409, "queueing is off");

    // Failed logins: Fails., then a ban even for the right password.
    for _ in 0..5 {
        let (s, body) = post(
            None,
            &qbt.url("auth/login"),
            &[("username", USER), ("password", "wrong")],
        )
        .await;
        assert_eq!((s, body.as_str()), (200, "Fails."));
    }
    let (s, _) = post(
        None,
        &qbt.url("auth/login"),
        &[("username", USER), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(s, 403, "banned for LOGIN_BAN");
    let (s, _) = post(Some(&sid), &qbt.url("auth/logout"), &[]).await;
    assert_eq!(s, 200);
    let (s, _) = post(Some(&sid), &qbt.url("torrents/info"), &[]).await;
    assert_eq!(s, 403, "logged out");
    let _ = std::io::stdout().flush();
}
