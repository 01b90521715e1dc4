//! The admin panel's pages and the members' pages over real HTTP against the
//! real server binary: members, torrents, overview, `/view/{infohash}`,
//! escaping and security headers.

use crate::harness::panel::*;
use crate::harness::*;
use privateindexer::web::escape::html as esc;

async fn me(server: &Server, key: &str) -> u16 {
    client()
        .get(server.url("/api/v1/me"))
        .header("X-Api-Key", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn members_page_creates_disables_rotates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut v = Visitor::new(&server);
    v.login().await;

    // A label holding markup: created, and shown escaped everywhere.
    let evil = r#"<script>alert("x")</script>"#;
    let resp = v
        .submit("/admin/users", "/admin/users", &[("label", evil)])
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(!body.contains(evil), "label not escaped");
    assert!(body.contains(&esc(evil)), "{body}");
    let api_key = input_value(&body, "key-api").expect("API key shown once");
    let announce = input_value(&body, "key-announce").unwrap();
    assert!(announce.contains("/announce/"));
    assert!(body.contains(r#"class="copy""#), "copy button");
    assert_eq!(me(&server, &api_key).await, 200);
    // Only once: the list never shows keys again.
    let (_, list) = v.page("/admin/users").await;
    assert!(!list.contains(&api_key) && !list.contains(&announce));
    assert!(!list.contains(evil));
    let id = admin_request(&server, reqwest::Method::GET, "/admin/api/users")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()[0]["id"]
        .as_u64()
        .unwrap();

    // Bad input changes nothing and says why.
    let resp = v
        .submit("/admin/users", "/admin/users", &[("label", evil)])
        .await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("already exists"));
    let resp = v
        .submit("/admin/users", "/admin/users", &[("label", "  ")])
        .await;
    assert_eq!(resp.status(), 422);
    let resp = v.post("/admin/users", &[("label", "no-csrf")]).await;
    assert_eq!(resp.status(), 403);
    let (_, list) = v.page("/admin/users").await;
    assert!(!list.contains("no-csrf"));

    // Disable / enable.
    let resp = v
        .submit("/admin/users", &format!("/admin/users/{id}/disable"), &[])
        .await;
    assert_eq!(location(&resp), "/admin/users?done=disabled");
    assert_eq!(me(&server, &api_key).await, 403);
    let (_, list) = v.page("/admin/users?done=disabled").await;
    assert!(list.contains("Member disabled") && list.contains(">disabled<"));
    let resp = v
        .post(&format!("/admin/users/{id}/enable"), &[("csrf", "bad")])
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(me(&server, &api_key).await, 403);
    v.submit("/admin/users", &format!("/admin/users/{id}/enable"), &[])
        .await;
    assert_eq!(me(&server, &api_key).await, 200);

    // Rotate: new keys shown once, the old key stops at once.
    let resp = v
        .submit("/admin/users", &format!("/admin/users/{id}/rotate"), &[])
        .await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    let new_key = input_value(&body, "key-api").unwrap();
    assert_ne!(new_key, api_key);
    assert_eq!(me(&server, &api_key).await, 401);
    assert_eq!(me(&server, &new_key).await, 200);

    // Per-member figures: an upload counts for the uploader, a grab for the grabber and popularity.
    let bob = add_member(&server, "bob").await;
    let torrent = single_file_torrent("Shared.Movie.2020.mkv", 5, 50_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &new_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;
    let resp = client()
        .get(server.url(&format!("/api/v1/torrents/{ih}/download")))
        .header("X-Api-Key", &bob.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, list) = v.page("/admin/users").await;
    let row = |label: &str| {
        let at = list
            .find(&format!(r#"<td class="label">{label}</td>"#))
            .unwrap();
        list[at..at + list[at..].find("</tr>").unwrap()].to_string()
    };
    let cells = |r: String| -> Vec<String> {
        r.split(r#"<td class="n""#)
            .skip(1)
            .map(|c| {
                let c = &c[c.find('>').unwrap() + 1..];
                c[..c.find('<').unwrap()].to_string()
            })
            .collect()
    };
    let evil_row = cells(row(&esc(evil)));
    // uploads, grabs, popularity, uploaded, downloaded, ratio, seeding, leeching
    assert_eq!(&evil_row[..3], &["1", "0", "1"], "{evil_row:?}");
    let bob_row = cells(row("bob"));
    assert_eq!(&bob_row[..3], &["0", "1", "0"], "{bob_row:?}");
    assert!(list.contains("Last seen"));

    // Delete: the member goes, their torrent stays, shown as from a deleted member.
    let resp = v
        .submit("/admin/users", &format!("/admin/users/{id}/delete"), &[])
        .await;
    assert_eq!(location(&resp), "/admin/users?done=deleted");
    assert_eq!(me(&server, &new_key).await, 401);
    let (_, list) = v.page("/admin/users?done=deleted").await;
    assert!(!list.contains(&esc(evil)));
    let (_, torrents) = v.page("/admin/torrents").await;
    assert!(
        torrents.contains(&format!("deleted member #{id}")),
        "{torrents}"
    );
    let (status, page) = v.page(&format!("/admin/torrents/{ih}")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("deleted member #{id}")));
    let resp = v
        .submit("/admin/users", "/admin/users/999/disable", &[])
        .await;
    assert_eq!(resp.status(), 404);
    // Keys and session ids never reach the log.
    let log = server.log_text();
    for secret in [&api_key, &new_key, &announce, &v.session().unwrap()] {
        assert!(!log.contains(secret.as_str()), "secret in the log");
    }
}

fn multi_file_torrent(name: &str, seed: u64) -> Vec<u8> {
    make_torrent(
        name,
        &[
            TestFile {
                path: vec!["Season 01", "Show - S01E01.mkv"],
                data: content(seed, 40_000),
            },
            TestFile {
                path: vec!["Season 01", "Show - S01E02.mkv"],
                data: content(seed + 1, 30_000),
            },
        ],
        16 * 1024,
        true,
    )
}

#[tokio::test]
async fn torrents_page_searches_filters_sorts_paginates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    // 52 movies of growing size, one TV season pack, one title holding markup.
    for i in 0..52u64 {
        let t = single_file_torrent(
            &format!("Movie {i:02} (2001).mkv"),
            100 + i,
            1000 + i as usize * 100,
        );
        let (s, _) = upload(
            &server,
            &alice.api_key,
            t,
            serde_json::json!({"category": 2040}),
        )
        .await;
        assert_eq!(s, 201);
    }
    let pack = multi_file_torrent("Show (2020) - S01", 7);
    let pack_ih = info_hash_hex(&pack);
    let (s, _) = upload(
        &server,
        &alice.api_key,
        pack,
        serde_json::json!({"category": 5040, "title": "Show (2020) - S01 [WEBDL-1080p]", "tvdb_id": 4242, "season": 1}),
    )
    .await;
    assert_eq!(s, 201);
    // A torrent name cannot hold '/', so the name opens a script tag and the title closes one.
    let evil = "<script>alert(1)</script>";
    let evil_name = "<script>alert(1).mkv";
    let evil_t = single_file_torrent(evil_name, 9, 2000);
    let evil_ih = info_hash_hex(&evil_t);
    let (s, _) = upload(
        &server,
        &alice.api_key,
        evil_t,
        serde_json::json!({"category": 2000, "title": evil}),
    )
    .await;
    assert_eq!(s, 201);

    let mut v = Visitor::new(&server);
    v.login().await;
    let (status, page1) = v.page("/admin/torrents").await;
    assert_eq!(status, 200);
    assert!(page1.contains("54 torrents"));
    assert!(page1.contains("Page 1 of 2"));
    assert!(!page1.contains(evil) && page1.contains(&esc(evil)));
    assert_eq!(page1.matches("/delete\"").count(), 50);
    let (_, page2) = v.page("/admin/torrents?page=2").await;
    assert_eq!(page2.matches("/delete\"").count(), 4);
    assert!(page2.contains("Page 2 of 2"));
    // Out-of-range or junk pages fall back to something sensible.
    assert_eq!(
        v.page("/admin/torrents?page=99&sort=nonsense&cat=x")
            .await
            .0,
        200
    );

    // Search: every word must match.
    let (_, found) = v.page("/admin/torrents?q=movie+07").await;
    assert!(found.contains("1 torrent match") && found.contains("Movie 07 (2001).mkv"));
    // Category filter: the parent includes its children.
    let (_, tv) = v.page("/admin/torrents?cat=5000").await;
    assert!(tv.contains("1 torrent match") && tv.contains("Show (2020) - S01 [WEBDL-1080p]"));
    let (_, hd) = v.page("/admin/torrents?cat=2040").await;
    assert!(hd.contains("52 torrents match"));
    let (_, movies) = v.page("/admin/torrents?cat=2000").await;
    assert!(movies.contains("53 torrents match"));
    // Sort by size, both ways.
    let (_, big) = v.page("/admin/torrents?cat=2040&sort=size").await;
    assert!(big.find("Movie 51").unwrap() < big.find("Movie 50").unwrap());
    let (_, small) = v.page("/admin/torrents?cat=2040&sort=size_asc").await;
    assert!(small.find("Movie 00").unwrap() < small.find("Movie 01").unwrap());
    assert_eq!(v.page("/admin/torrents?sort=seeders").await.0, 200);
    assert_eq!(v.page("/admin/torrents?sort=grabs").await.0, 200);
    assert_eq!(v.page("/admin/torrents?sort=date_asc").await.0, 200);

    // A torrent's page: files, ids, swarm figures.
    let (status, detail) = v.page(&format!("/admin/torrents/{pack_ih}")).await;
    assert_eq!(status, 200);
    for needle in [
        "Season 01/Show - S01E01.mkv",
        "Season 01/Show - S01E02.mkv",
        "TVDB",
        "4242",
        &pack_ih,
        "Seeders",
        "Leechers",
        "alice",
    ] {
        assert!(detail.contains(needle), "{needle} missing");
    }
    let (_, detail) = v.page(&format!("/admin/torrents/{evil_ih}")).await;
    assert!(!detail.contains(evil) && !detail.contains(evil_name));
    assert!(detail.contains(&esc(evil)) && detail.contains(&esc(evil_name)));
    assert_eq!(v.page("/admin/torrents/nothex").await.0, 404);
    assert_eq!(
        v.page(&format!("/admin/torrents/{}", "0".repeat(40)))
            .await
            .0,
        404
    );

    // Delete needs the CSRF token; then the torrent is gone.
    let resp = v
        .post(
            &format!("/admin/torrents/{evil_ih}/delete"),
            &[("csrf", "nope")],
        )
        .await;
    assert_eq!(resp.status(), 403);
    let resp = v
        .submit(
            "/admin/torrents",
            &format!("/admin/torrents/{evil_ih}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&resp), "/admin/torrents?done=deleted");
    let (_, after) = v.page("/admin/torrents?done=deleted").await;
    assert!(after.contains("Torrent deleted") && after.contains("53 torrents"));
    let resp = client()
        .get(server.url(&format!("/api/v1/torrents/{evil_ih}/download")))
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn overview_and_assets() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    add_member(&server, "bob").await;
    let (s, _) = upload(
        &server,
        &alice.api_key,
        single_file_torrent("Film.mkv", 1, 3 * 1024 * 1024),
        serde_json::json!({"category": 2040}),
    )
    .await;
    assert_eq!(s, 201);
    let mut v = Visitor::new(&server);
    v.login().await;
    let (status, body) = v.page("/admin").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"id="stat-members">2<"#));
    assert!(body.contains(r#"id="stat-torrents">1<"#));
    assert!(body.contains("3.0 MiB"));
    for k in [
        "Peers",
        "seeding",
        "leeching",
        "Transfer",
        "Announces / min",
        "Searches / min",
    ] {
        assert!(body.contains(k), "{k}");
    }
    assert!(body.contains("<svg") && body.contains("<polyline"));
    // No CDN: every asset is ours.
    assert!(!body.contains("http://") || !body.contains("src=\"http"));
    assert!(!body.contains("https://"));
    for (path, mime) in [
        ("/static/panel.css", "text/css; charset=utf-8"),
        ("/static/panel.js", "text/javascript; charset=utf-8"),
        ("/static/icon.svg", "image/svg+xml"),
    ] {
        let resp = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], mime);
    }
    assert_eq!(
        client()
            .get(server.url("/static/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let resp = client()
        .get(server.url("/admin/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("There is no such page"));
    // The JSON admin API still answers JSON.
    let resp = client()
        .get(server.url("/admin/api/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("\"error\""));
}

#[tokio::test]
async fn members_view_a_torrent_with_their_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "<b>bob</b>").await;
    let named = multi_file_torrent("Named (2021)", 20);
    let named_ih = info_hash_hex(&named);
    upload(
        &server,
        &alice.api_key,
        named,
        serde_json::json!({"category": 5040}),
    )
    .await;
    let anon = single_file_torrent("<script>alert(2).mkv", 21, 5000);
    let anon_ih = info_hash_hex(&anon);
    let (s, _) = upload(
        &server,
        &bob.api_key,
        anon,
        serde_json::json!({"category": 2040, "anonymous": true}),
    )
    .await;
    assert_eq!(s, 201);
    let bobs = single_file_torrent("Bob.mkv", 22, 5000);
    let bobs_ih = info_hash_hex(&bobs);
    upload(
        &server,
        &bob.api_key,
        bobs,
        serde_json::json!({"category": 2040}),
    )
    .await;

    let get = |path: String| {
        let url = server.url(&path);
        async move {
            let r = client().get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get(format!("/view/{named_ih}")).await.0, 401);
    assert_eq!(
        get(format!("/view/{named_ih}?apikey={}", "a".repeat(64)))
            .await
            .0,
        401
    );
    let (status, body) = get(format!("/view/{named_ih}?apikey={}", bob.api_key)).await;
    assert_eq!(status, 200);
    for needle in [
        "Named (2021)",
        "Show - S01E01.mkv",
        "Show - S01E02.mkv",
        "Seeders",
        "alice",
        "68.4 KiB",
    ] {
        assert!(body.contains(needle), "{needle} missing: {body}");
    }
    assert!(!body.contains(&bob.api_key), "the key is never echoed");
    assert!(!body.contains("/admin/users"), "no admin navigation");
    // The uploader chose anonymity: members see "Anonymous", never the label.
    let (_, body) = get(format!("/view/{anon_ih}?apikey={}", alice.api_key)).await;
    assert!(body.contains("Anonymous") && !body.contains("bob"));
    assert!(!body.contains("<script>alert(2)") && body.contains(&esc("<script>alert(2).mkv")));
    // A named upload shows the label, escaped.
    let (_, body) = get(format!("/view/{bobs_ih}?apikey={}", alice.api_key)).await;
    assert!(body.contains(&esc("<b>bob</b>")) && !body.contains("<b>bob</b>"));
    // The header works as well as the query.
    let resp = client()
        .get(server.url(&format!("/view/{named_ih}")))
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        get(format!("/view/{}?apikey={}", "0".repeat(40), alice.api_key))
            .await
            .0,
        404
    );
    assert_eq!(
        get(format!("/view/zz?apikey={}", alice.api_key)).await.0,
        404
    );
    // A disabled member is refused.
    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", alice.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        get(format!("/view/{named_ih}?apikey={}", alice.api_key))
            .await
            .0,
        403
    );
}
