//! The admin panel in a real headless browser (Debian's chromium, driven over
//! the DevTools protocol): claim a fresh server with the setup token from the
//! log, log out and in, create a member, and screenshot every page under
//! `target/panel-screenshots/` (desktop and phone widths) for review.

use std::path::PathBuf;

use crate::harness::cdp::{chromium, Browser};
use crate::harness::*;

/// The harness's password, so its `add_member` works after the setup form set it.
const PASSWORD: &str = ADMIN_PASSWORD;

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/panel-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn browser_claims_logs_in_creates_a_member_and_screenshots_each_page() {
    let Some(bin) = chromium() else {
        // .ci/run installs chromium; on CI its absence is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_first_run(dir.path());
    let log = server.log_text();
    let at = log
        .find("one-time setup token ")
        .expect("setup token in the log");
    let token = log[at + "one-time setup token ".len()..][..64].to_string();
    let shots = shots_dir();
    let mut b = Browser::launch(&bin);

    // First run: the setup form, claimed with the token.
    b.goto(&server.url("/admin"), "/admin/setup");
    b.screenshot(&shots.join("01-setup.png"));
    b.fill("token", &token);
    b.fill("password", PASSWORD);
    b.fill("confirm", PASSWORD);
    b.click("form[action='/admin/setup'] button");
    b.wait_for("/admin");

    // Log out, see the login form, log in through it.
    b.click("form.logout button");
    b.wait_for("/admin/login");
    b.fill("password", "wrong password!");
    b.click("form[action='/admin/login'] button");
    b.wait_for("/admin/login");
    assert_eq!(
        b.eval("document.querySelector('.alert').textContent"),
        "Wrong password."
    );
    b.screenshot(&shots.join("02-login-error.png"));
    b.fill("password", PASSWORD);
    b.click("form[action='/admin/login'] button");
    b.wait_for("/admin");
    // The session cookie is HttpOnly: page scripts cannot read it.
    assert_eq!(b.eval("document.cookie.includes('pi_session')"), false);

    // Create a member whose label holds markup: the key is shown once with copy buttons.
    let label = "<script>window.pwned=1</script>alice";
    b.goto(&server.url("/admin/users"), "/admin/users");
    b.fill("label", label);
    b.click("form[action='/admin/users'] button");
    b.wait_for("/admin/users");
    assert_eq!(
        b.eval("document.querySelector('td.label').textContent"),
        label
    );
    assert_eq!(b.eval("typeof window.pwned"), "undefined");
    let api_key = b.eval("document.getElementById('key-api').value");
    let api_key = api_key.as_str().unwrap().to_string();
    assert_eq!(api_key.len(), 64);
    // The key card: API key, announce URL, server URL, Torznab URL, client command, compose lines.
    assert_eq!(b.eval("document.querySelectorAll('button.copy').length"), 6);
    let command = b.eval("document.getElementById('key-command').value");
    assert!(command
        .as_str()
        .unwrap()
        .contains(&format!("--api-key {api_key}")));
    b.screenshot(&shots.join("03-member-created.png"));

    // Some catalogue for the other pages, uploaded with the key read off the page.
    rt.block_on(async {
        let bob = add_member(&server, "bob").await;
        let pack = make_torrent(
            "Show (2020) - S01",
            &[
                TestFile {
                    path: vec!["Season 01", "Show (2020) - S01E01 - Pilot [WEBDL-1080p].mkv"],
                    data: content(1, 60_000),
                },
                TestFile {
                    path: vec!["Season 01", "Show (2020) - S01E02 - Second [WEBDL-1080p].mkv"],
                    data: content(2, 50_000),
                },
            ],
            16 * 1024,
            true,
        );
        let (s, _) = upload(
            &server,
            &api_key,
            pack,
            serde_json::json!({"category": 5040, "title": "Show (2020) - S01 [WEBDL-1080p]", "tvdb_id": 81189, "season": 1}),
        )
        .await;
        assert_eq!(s, 201);
        let (s, _) = upload(
            &server,
            &bob.api_key,
            single_file_torrent("<script>window.pwned=2.mkv", 3, 90_000),
            serde_json::json!({"category": 2040, "title": "<script>window.pwned=2</script> Movie (2019) [Bluray-1080p]", "imdb_id": 1234567, "anonymous": true}),
        )
        .await;
        assert_eq!(s, 201);
        for i in 0..6u64 {
            upload(
                &server,
                &bob.api_key,
                single_file_torrent(&format!("Film {i} (2010) [Bluray-2160p].mkv"), 10 + i, 20_000 * (i as usize + 1)),
                serde_json::json!({"category": 2045}),
            )
            .await;
        }
    });

    b.goto(&server.url("/admin/users"), "/admin/users");
    b.screenshot(&shots.join("04-members.png"));
    b.goto(&server.url("/admin/torrents"), "/admin/torrents");
    assert_eq!(b.eval("typeof window.pwned"), "undefined");
    b.screenshot(&shots.join("05-torrents.png"));
    // Filter through the form.
    b.eval("document.getElementById('cat').value = '5000'; true");
    b.click("form.filters button");
    b.wait_for("/admin/torrents?q=&cat=5000&uploader=&state=all&sort=date");
    assert_eq!(
        b.eval("document.querySelectorAll('table.torrents tbody tr').length"),
        1
    );
    let ih = b
        .eval("document.querySelector('table.torrents td.title a').getAttribute('href').split('/').pop()")
        .as_str()
        .unwrap()
        .to_string();
    b.click("table.torrents td.title a");
    b.wait_for(&format!("/admin/torrents/{ih}"));
    assert_eq!(
        b.eval("document.querySelectorAll('table.files tbody tr').length"),
        2
    );
    b.screenshot(&shots.join("06-torrent.png"));
    // Times are UTC in the page and local in the browser: in Tokyo (UTC+9, no
    // summer time) the upload shows nine hours later than its datetime says.
    b.call(
        "Emulation.setTimezoneOverride",
        serde_json::json!({"timezoneId": "Asia/Tokyo"}),
    );
    b.goto(
        &server.url(&format!("/admin/torrents/{ih}")),
        &format!("/admin/torrents/{ih}"),
    );
    let shown = b.eval(
        "(function () { var t = document.querySelector('time[data-local=date]'); \
         var want = new Date(Date.parse(t.getAttribute('datetime')) + 9 * 3600e3) \
           .toISOString().slice(0, 16).replace('T', ' '); \
         return [t.textContent, want, t.textContent.indexOf('UTC') < 0]; })()",
    );
    assert_eq!(shown[0], shown[1], "local time shown: {shown}");
    assert_eq!(shown[2], true);
    b.goto(&server.url("/admin"), "/admin");
    b.screenshot(&shots.join("07-overview.png"));
    // The dark theme follows the browser's preference.
    let background = "getComputedStyle(document.body).backgroundColor";
    assert_eq!(b.eval(background), "rgb(244, 245, 247)");
    b.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    );
    assert_eq!(b.eval(background), "rgb(18, 21, 28)");
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('.tile')).backgroundColor"),
        "rgb(27, 32, 41)"
    );
    b.screenshot(&shots.join("07-overview-dark.png"));
    b.goto(&server.url("/admin/torrents"), "/admin/torrents");
    b.screenshot(&shots.join("07-torrents-dark.png"));
    b.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": "light"}]}),
    );

    // The member page, reached like Torznab's comments link.
    b.goto(
        &server.url(&format!("/view/{ih}?apikey={api_key}")),
        &format!("/view/{ih}?apikey={api_key}"),
    );
    b.screenshot(&shots.join("08-member-view.png"));

    // Phone width: the same pages stay usable.
    b.viewport(390, 844, true);
    for (path, file) in [
        ("/admin", "09-phone-overview.png"),
        ("/admin/users", "10-phone-members.png"),
        ("/admin/torrents", "11-phone-torrents.png"),
    ] {
        b.goto(&server.url(path), path);
        b.screenshot(&shots.join(file));
    }
    b.goto(
        &server.url(&format!("/view/{ih}?apikey={api_key}")),
        &format!("/view/{ih}?apikey={api_key}"),
    );
    b.screenshot(&shots.join("12-phone-member-view.png"));
    // Nothing scrolls sideways on a phone except inside the tables' own boxes.
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= window.innerWidth"),
        true
    );
    eprintln!("screenshots in {}", shots.display());
}
