//! Prometheus `/metrics` on the server and on the client's CLIENT_BIND:
//! METRICS_TOKEN (unset → 404, wrong → 401, rate-limited), a well-formed
//! exposition, and figures that move with what happens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::harness::client::{Apps, RunningClient};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::*;

const TOKEN: &str = "scrape-me-0123456789";

/// Samples by `name{labels}`; checks every sample belongs to a declared family.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut families = Vec::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            families.push(name.to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name = key.split('{').next().unwrap();
        assert!(
            families.iter().any(|f| name == f
                || [
                    f.clone() + "_bucket",
                    f.clone() + "_sum",
                    f.clone() + "_count"
                ]
                .contains(&name.to_string())),
            "sample {name} has no # TYPE"
        );
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        samples.insert(key.to_string(), v);
    }
    samples
}

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn figures(url: &str) -> HashMap<String, f64> {
    let resp = scrape(url, Some(TOKEN)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    parse(&resp.text().await.unwrap())
}

fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    *m.get(key).unwrap_or_else(|| panic!("no {key} in {m:?}"))
}

#[tokio::test]
async fn server_metrics_need_the_token_and_move_with_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("METRICS_TOKEN", TOKEN)]);
    let url = server.url("/metrics");
    assert_eq!(scrape(&url, None).await.status(), 401);
    let wrong = scrape(&url, Some("nope")).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["www-authenticate"], "Bearer");

    let before = figures(&url).await;
    assert_eq!(
        get(&before, r#"privateindexer_members{state="enabled"}"#),
        0.0
    );
    assert_eq!(get(&before, "privateindexer_torrents"), 0.0);
    assert!(get(&before, "privateindexer_store_bytes") > 0.0);

    let keys = add_member(&server, "alice").await;
    let torrent = single_file_torrent("Metrics.Movie.2020.1080p-GRP.mkv", 3, 30_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &keys.api_key,
        torrent,
        serde_json::json!({"category": 2040, "title": "Metrics Movie (2020) [WEBDL-1080p]-GRP"}),
    )
    .await;
    let mut raw = [0u8; 20];
    hex::decode_to_slice(&ih, &mut raw).unwrap();
    let query = format!(
        "info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left=0",
        url_bytes(&raw),
        url_bytes(b"-PI0001-metrics00001")
    );
    let ok = get_bytes(server.url(&format!("/announce/{}?{query}", keys.passkey))).await;
    assert!(!String::from_utf8_lossy(&ok).contains("failure reason"));
    let refused = get_bytes(server.url(&format!("/announce/{}?{query}", "0".repeat(64)))).await;
    assert!(String::from_utf8_lossy(&refused).contains("failure reason"));
    let search = |key: String| {
        let url = server.url(&format!("/api?t=search&q=metrics&apikey={key}"));
        async move {
            client()
                .get(url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(search(keys.api_key.clone()).await.contains("<rss"));
    assert!(search("f".repeat(64)).await.contains("code=\"100\""));

    let after = figures(&url).await;
    assert_eq!(
        get(&after, r#"privateindexer_members{state="enabled"}"#),
        1.0
    );
    assert_eq!(get(&after, "privateindexer_torrents"), 1.0);
    assert_eq!(get(&after, "privateindexer_torrents_bytes"), 30_000.0);
    assert_eq!(get(&after, "privateindexer_seeders"), 1.0);
    assert_eq!(get(&after, "privateindexer_peers"), 1.0);
    for (key, by) in [
        (r#"privateindexer_announces_total{outcome="ok"}"#, 1.0),
        (r#"privateindexer_announces_total{outcome="refused"}"#, 1.0),
        (r#"privateindexer_searches_total{outcome="ok"}"#, 1.0),
        (r#"privateindexer_searches_total{outcome="error"}"#, 1.0),
    ] {
        assert_eq!(get(&after, key) - get(&before, key), by, "{key}");
    }
    let torznab = r#"privateindexer_http_request_duration_seconds_count{surface="torznab"}"#;
    assert_eq!(get(&after, torznab) - get(&before, torznab), 2.0);
    let api =
        r#"privateindexer_http_request_duration_seconds_bucket{surface="client_api",le="+Inf"}"#;
    assert!(get(&after, api) >= 1.0, "the upload was timed");

    // Wrong tokens are rate-limited like logins: after ten, even the right one waits.
    for _ in 0..10 {
        scrape(&url, Some("wrong")).await;
    }
    let banned = scrape(&url, Some(TOKEN)).await;
    assert_eq!(banned.status(), 429);
    assert!(banned.headers().contains_key("retry-after"));
    assert!(
        !server.log_text().contains(TOKEN),
        "the token reached the log"
    );
}

#[tokio::test]
async fn without_metrics_token_there_is_no_metrics_route() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let resp = scrape(&server.url("/metrics"), Some(TOKEN)).await;
    assert_eq!(resp.status(), 404);
}

/// Every app's scan ended, and each is idle.
fn scans_done(m: &HashMap<String, f64>) -> bool {
    ["Radarr", "Sonarr", "Lidarr"].iter().all(|app| {
        m.get(&format!(
            r#"privateindexer_client_scan_phase{{app="{app}",phase="idle"}}"#
        )) == Some(&1.0)
            && m.get(&format!(
                r#"privateindexer_client_scan_last_finished_timestamp_seconds{{app="{app}"}}"#
            ))
            .is_some_and(|t| *t > 0.0)
    })
}

#[tokio::test]
async fn client_metrics_show_the_library_being_shared_and_its_cookie_follows_https() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    lay_out_library(&media);
    let server = Server::start(&tmp.path().join("server"));
    let member = add_member(&server, "bob").await;
    let apps = Apps::start();
    let port = free_port();
    let mut env = apps.env(&media);
    env.push(("CLIENT_BIND".into(), format!("127.0.0.1:{port}")));
    env.push(("METRICS_TOKEN".into(), TOKEN.into()));
    env.push(("TRUSTED_PROXIES".into(), "127.0.0.1".into()));
    env.push(("API_USERNAME".into(), "arr".into()));
    env.push(("API_PASSWORD".into(), "a long api password".into()));
    let running = RunningClient::start(
        &server.url(""),
        &member.api_key,
        &tmp.path().join("c"),
        &env,
    );
    let url = format!("http://127.0.0.1:{port}/metrics");
    let deadline = Instant::now() + Duration::from_secs(180);
    let m = loop {
        if let Ok(resp) = client().get(&url).bearer_auth(TOKEN).send().await {
            if resp.status() == 200 {
                let m = parse(&resp.text().await.unwrap());
                if m.get(r#"privateindexer_client_library_torrents{state="seeding"}"#)
                    == Some(&12.0)
                    && m.get("privateindexer_client_queue_jobs") == Some(&0.0)
                    && scans_done(&m)
                {
                    break m;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "the client's metrics never showed 12 torrents seeding after every app's scan: {}",
            running.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(get(&m, "privateindexer_client_scan_hashed_bytes_total") > 0.0);
    for app in ["Radarr", "Sonarr", "Lidarr"] {
        // Between scans: no items or ETA of a running phase.
        let running = format!(r#"{{app="{app}",phase="hashing""#);
        assert!(!m
            .keys()
            .any(|k| k.contains(&running) && !k.contains("scan_phase")));
        assert!(!m.contains_key(&format!(
            r#"privateindexer_client_scan_eta_seconds{{app="{app}"}}"#
        )));
    }
    assert_eq!(
        get(
            &m,
            r#"privateindexer_client_library_torrents{state="not_served"}"#
        ),
        0.0
    );
    // Present; the server's reachability probe may be connected at any moment.
    get(&m, r#"privateindexer_client_peers{engine="seeder"}"#);
    get(
        &m,
        r#"privateindexer_client_uploaded_bytes_total{engine="seeder"}"#,
    );
    let resp = client()
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(!running.log_text().contains(TOKEN));

    // The same CLIENT_BIND behind a trusted proxy: the qBittorrent API's SID
    // cookie is Secure only when the proxy says the request came over https.
    let login = |proto: Option<&'static str>| {
        let mut req = client()
            .post(format!("http://127.0.0.1:{port}/api/v2/auth/login"))
            .form(&[("username", "arr"), ("password", "a long api password")]);
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        async move {
            let resp = req.send().await.unwrap();
            let c = resp.headers()["set-cookie"].to_str().unwrap().to_string();
            assert!(c.starts_with("SID="), "{c}");
            c
        }
    };
    assert!(login(Some("https")).await.contains("; Secure"));
    assert!(!login(Some("http")).await.contains("Secure"));
    assert!(!login(None).await.contains("Secure"));
}
