//! (d): hostile and wrong inputs on every route.

use std::io::Write;
use std::path::PathBuf;

use super::*;

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
