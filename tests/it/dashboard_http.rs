//! The member's dashboard over HTTP, against a real server and a client
//! seeding real files: login (failures, CSRF, the rate limit, cookie flags),
//! escaping of hostile names, the pages' content, every action with its
//! CSRF refusal, a torrent's peers (a real libtorrent leecher with a hostile
//! client name) and announces, re-announce, and that no action reaches the
//! member's media.

use crate::harness::client::snapshot;
use crate::harness::dashboard::{self, wait_page, Dash, LIBRARY_TORRENTS, PASSWORD, USER};
use crate::harness::panel::{csrf_in, location, set_cookie, Visitor};
use crate::harness::*;

const EVIL: &str = "<script>alert(1)";
const ESCAPED: &str = "&#60;script&#62;alert(1)";

/// The library seeds' info-hashes, from the table's rows.
fn hashes_in(body: &str) -> Vec<String> {
    body.split("data-hash=\"")
        .skip(1)
        .map(|s| s[..40].to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_refuses_bad_passwords_stale_forms_and_floods() {
    let d = dashboard::start(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let mut v = Visitor::at(&d.base());

    // `/` and every page lead to the login form while logged out.
    let resp = v.get("/").await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/dashboard".into())
    );
    for path in ["/dashboard", "/dashboard/torrents", "/dashboard/scanner"] {
        let resp = v.get(path).await;
        assert_eq!(resp.status(), 303, "{path}");
        assert_eq!(location(&resp), "/dashboard/login");
    }
    let resp = v.get("/dashboard/login").await;
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let body = resp.text().await.unwrap();
    assert!(
        !body.contains("<script>") && !body.contains("https://"),
        "no inline script, no CDN"
    );

    // A form without its CSRF token (another site's) is refused before the password is looked at.
    let resp = v
        .post(
            "/dashboard/login",
            &[("username", USER), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 403);
    assert!(set_cookie(&resp, "pi_dash").is_none());

    // A wrong password: refused, no session.
    let resp = v
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("username", USER), ("password", "wrong")],
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Wrong user name or password"));
    let resp = v
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("username", "other"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 401, "the right password for another name");
    assert!(!v.cookies.iter().any(|(k, _)| k == "pi_dash"));

    // The right one: an HttpOnly, SameSite=Strict session cookie; Secure
    // only because a trusted proxy says the browser came over https.
    let (_, body) = v.page("/dashboard/login").await;
    let csrf = csrf_in(&body);
    let cookies = v
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let over_https = v
        .client
        .post(format!("{}/dashboard/login", d.base()))
        .header("cookie", &cookies)
        .header("x-forwarded-proto", "https")
        .form(&[("username", USER), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(over_https.status(), 303);
    let c = set_cookie(&over_https, "pi_dash").expect("session cookie");
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("; Secure"),
        "{c}"
    );
    assert!(c.contains("Path=/dashboard"), "{c}");
    let mut m = d.member().await;
    let resp = m.get("/dashboard").await;
    assert_eq!(resp.status(), 200);

    // Logging out needs the session's token, and ends the session.
    let resp = m.post("/dashboard/logout", &[("csrf", "forged")]).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(m.get("/dashboard").await.status(), 200, "still logged in");
    let resp = m.submit("/dashboard", "/dashboard/logout", &[]).await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/dashboard/login".into())
    );
    assert_eq!(m.get("/dashboard").await.status(), 303);

    // Five failures ban the address (the qBittorrent API's limiter, shared):
    // even the right password is refused then.
    let mut flood = Visitor::at(&d.base());
    for _ in 0..5 {
        flood
            .submit(
                "/dashboard/login",
                "/dashboard/login",
                &[("username", USER), ("password", "guess")],
            )
            .await;
    }
    let resp = flood
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("username", USER), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 429);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));
    let log = d.client.log_text();
    assert!(!log.contains(PASSWORD), "the password is never logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_show_real_state_escaped_and_actions_never_touch_media() {
    let d: Dash = dashboard::start(&[]).await;
    let before = snapshot(&d.media);
    let single = d
        .add_download(
            &format!("{EVIL} Movie (2024).mkv"),
            &[TestFile {
                path: vec![],
                data: content(5, 40_000),
            }],
            "radarr",
        )
        .await;
    let pack = d
        .add_download(
            &format!("{EVIL} Pack"),
            &[
                TestFile {
                    path: vec!["<script>alert(1) one.mkv"],
                    data: content(6, 20_000),
                },
                TestFile {
                    path: vec!["two.nfo"],
                    data: content(7, 300),
                },
            ],
            "sonarr",
        )
        .await;
    let mut m = d.member().await;

    // The table: every library seed and both downloads, hostile names escaped.
    let all = wait_page(&mut m, "/dashboard/torrents", "both downloads", |b| {
        b.contains(&single) && b.contains(&pack)
    })
    .await;
    assert!(!all.contains(EVIL), "a name went out unescaped");
    assert!(all.contains(ESCAPED));
    assert_eq!(hashes_in(&all).len(), LIBRARY_TORRENTS + 2);
    let seeding = wait_page(
        &mut m,
        "/dashboard/torrents?state=seeding",
        "the library seeding",
        |b| hashes_in(b).len() == LIBRARY_TORRENTS,
    )
    .await;
    assert!(!seeding.contains(&single));
    let (_, radarr) = m.page("/dashboard/torrents?category=radarr").await;
    assert_eq!(hashes_in(&radarr), vec![single.clone()]);
    let (_, found) = m.page("/dashboard/torrents?q=PACK").await;
    assert_eq!(hashes_in(&found), vec![pack.clone()], "search ignores case");
    let (_, by_size) = m.page("/dashboard/torrents?sort=size&dir=desc").await;
    let (_, by_size_asc) = m.page("/dashboard/torrents?sort=size").await;
    let mut reversed = hashes_in(&by_size_asc);
    reversed.reverse();
    assert_eq!(
        hashes_in(&by_size).first(),
        reversed.first(),
        "sorting both ways"
    );
    let (status, hostile) = m
        .page("/dashboard/torrents?sort=%3Cscript%3E&state=x&page=-3&q=%3Cscript%3E")
        .await;
    assert_eq!(status, 200);
    assert!(!hostile.contains("<script>"), "the query is escaped back");

    // A download's page: its files (escaped) and its state.
    let (status, page) = m.page(&format!("/dashboard/torrents/{pack}")).await;
    assert_eq!(status, 200);
    assert!(!page.contains(EVIL));
    assert!(page.contains("&#60;script&#62;alert(1) one.mkv") && page.contains("two.nfo"));
    let (status, _) = m
        .page(&format!("/dashboard/torrents/{}", "0".repeat(40)))
        .await;
    assert_eq!(status, 404);

    // The overview: the member's label from the server, escaped.
    let (_, overview) = m.page("/dashboard").await;
    assert!(overview.contains("bob &#60;b&#62;") && !overview.contains("bob <b>"));
    assert!(overview.contains(&format!(
        "id=\"stat-seeding\" data-live-value>{LIBRARY_TORRENTS}<"
    )));
    assert!(overview.contains("<svg"), "the speed chart");

    // Actions refuse a request without the session's CSRF token.
    let stop = format!("/dashboard/torrents/{single}/stop");
    let resp = m.post(&stop, &[("csrf", "forged")]).await;
    assert_eq!(resp.status(), 403);
    let (_, page) = m.page(&format!("/dashboard/torrents/{single}")).await;
    assert!(!page.contains("id=\"state\">stopped<"));

    // Stop and start, through their confirmation pages.
    let (status, confirm) = m.page(&stop).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Yes, stop") && !confirm.contains(EVIL));
    let resp = m.submit(&stop, &stop, &[]).await;
    assert_eq!(resp.status(), 303);
    wait_page(
        &mut m,
        &format!("/dashboard/torrents/{single}"),
        "stopped",
        |b| b.contains("id=\"state\">stopped<"),
    )
    .await;
    let start = format!("/dashboard/torrents/{single}/start");
    assert_eq!(m.submit(&start, &start, &[]).await.status(), 303);
    wait_page(
        &mut m,
        &format!("/dashboard/torrents/{single}"),
        "started",
        |b| !b.contains("id=\"state\">stopped<"),
    )
    .await;

    // Library seeds: every action is refused, the media stays as it was.
    let lib = hashes_in(&seeding);
    for action in ["stop", "start", "delete"] {
        let path = format!("/dashboard/torrents/{}/{action}", lib[0]);
        let (status, _) = m.page(&path).await;
        assert_eq!(status, 409, "{action} confirmation of a library seed");
        let (_, body) = m.page("/dashboard/torrents").await;
        let resp = m
            .post(&path, &[("csrf", &csrf_in(&body)), ("files", "on")])
            .await;
        assert_eq!(resp.status(), 409, "{action} of a library seed");
    }
    let (status, _) = m
        .page(&format!("/dashboard/torrents/{single}/format"))
        .await;
    assert_eq!(status, 404, "no such action");

    // Delete with files: the download goes, and only its files under DOWNLOADS_DIR.
    let folder = d.downloads.join("sonarr").join(format!("{EVIL} Pack"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !folder.join("two.nfo").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine never made {folder:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let delete = format!("/dashboard/torrents/{pack}/delete");
    let resp = m.submit(&delete, &delete, &[("files", "on")]).await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/dashboard/torrents".into())
    );
    // Without the box ticked, the download's file stays where it is.
    let kept = d
        .downloads
        .join("radarr")
        .join(format!("{EVIL} Movie (2024).mkv"));
    while !kept.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine never made {kept:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let resp = m
        .submit(
            &format!("/dashboard/torrents/{single}/delete"),
            &format!("/dashboard/torrents/{single}/delete"),
            &[],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let after = wait_page(&mut m, "/dashboard/torrents", "the downloads gone", |b| {
        !b.contains(&pack) && !b.contains(&single)
    })
    .await;
    assert_eq!(
        hashes_in(&after).len(),
        LIBRARY_TORRENTS,
        "the library stays"
    );
    assert!(!folder.join("two.nfo").exists(), "its files went with it");
    assert!(kept.exists(), "deleted without its files: the file stays");

    // The scanner: each app read, a rescan through its confirmation.
    let (_, scanner) = m.page("/dashboard/scanner").await;
    for app in ["radarr", "sonarr", "lidarr"] {
        assert!(scanner.contains(&format!("id=\"app-{app}\"")), "{app}");
    }
    assert!(!scanner.contains("unreachable") && scanner.contains(">ok<"));
    let resp = m
        .submit(
            "/dashboard/scanner/radarr/rescan",
            "/dashboard/scanner/radarr/rescan",
            &[],
        )
        .await;
    assert_eq!(resp.status(), 303);
    d.client.wait_log("the rescan", |l| {
        l.contains("rescan asked for on the dashboard")
    });
    let resp = m
        .post("/dashboard/scanner/radarr/rescan", &[("csrf", "forged")])
        .await;
    assert_eq!(resp.status(), 403);
    let (status, _) = m.page("/dashboard/scanner/plex/rescan").await;
    assert_eq!(status, 404);

    // Nothing anywhere touched the member's media.
    assert_eq!(snapshot(&d.media), before, "library media changed");
    let log = d.client.log_text();
    assert!(!log.contains(&d.bob.api_key), "the API key is never logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torrents_page_shows_its_peers_and_announces_and_reannounces() {
    let d: Dash = dashboard::start(&[]).await;
    let mut m = d.member().await;
    // The biggest library seed: a leecher at a few KiB/s stays connected for minutes.
    let biggest = wait_page(
        &mut m,
        "/dashboard/torrents?sort=size&dir=desc",
        "the library",
        |b| hashes_in(b).len() == LIBRARY_TORRENTS,
    )
    .await;
    let ih = hashes_in(&biggest)[0].clone();
    let page = format!("/dashboard/torrents/{ih}");

    // Its announce history: the started announce and what the tracker answered.
    let body = wait_page(&mut m, &page, "the started announce", |b| {
        b.contains("id=\"announces\"") && b.contains("<td>started</td>")
    })
    .await;
    let announces = body.split("id=\"announces\"").nth(1).unwrap();
    assert!(announces.contains("ok: next in"), "{announces}");
    assert!(body.contains("No peer connected."));

    // A real libtorrent peer whose client name is HTML: listed, escaped.
    let _leecher = d.hostile_leecher(&ih).await;
    // Its BEP 10 handshake may come a moment after the connection.
    let body = wait_page(&mut m, &page, "the leecher", |b| {
        b.contains("id=\"peers\"") && b.contains("alert(1)&#60;/script&#62;")
    })
    .await;
    let peers = body.split("id=\"peers\"").nth(1).unwrap();
    assert!(
        peers.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "the BEP 10 client name, escaped: {peers}"
    );
    assert!(
        !body.contains("<script>alert"),
        "a peer's name went out unescaped"
    );
    assert!(peers.contains("127.0.0.1:"), "its address");

    // Re-announce: refused without the session's CSRF token, done through
    // its confirmation page, and the server's tracker gets it.
    let re = format!("{page}/reannounce");
    let before = d.server_announces().await;
    let resp = m.post(&re, &[("csrf", "forged")]).await;
    assert_eq!(resp.status(), 403);
    let (status, confirm) = m.page(&re).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Yes, reannounce"));
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

    // The qBittorrent API's torrents/reannounce asks the same scheduler.
    let resp = d
        .qbt_post("torrents/reannounce", &[("hashes", ih.as_str())])
        .await;
    assert_eq!(resp.status(), 200);
    wait_page(&mut m, &page, "the API's announce", |b| {
        b.matches("<td>regular (asked)</td>").count() == 2
    })
    .await;
    let resp = d
        .qbt_post("torrents/reannounce", &[("hashes", "not-a-hash")])
        .await;
    assert_eq!(resp.status(), 400, "a bad hash is refused");
}
