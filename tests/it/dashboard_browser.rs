//! The member's dashboard in a real headless browser (Debian's chromium over
//! the DevTools protocol), against a real server and bob's client seeding the
//! fixture library: log in through the form, check each page against the
//! client's real state, that hostile names stay text, and screenshot every
//! page under `target/dashboard-screenshots/` (desktop and phone widths),
//! a library seed's with a real libtorrent leecher among its peers.

use std::path::PathBuf;

use crate::harness::cdp::{chromium, Browser};
use crate::harness::dashboard::{self, wait_page, LIBRARY_TORRENTS, PASSWORD, USER};
use crate::harness::*;

const EVIL: &str = "<script>window.pwned=1";

fn shots_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/dashboard-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn count(b: &mut Browser, selector: &str) -> u64 {
    let js = format!(
        "document.querySelectorAll({}).length",
        serde_json::to_string(selector).unwrap()
    );
    b.eval(&js).as_u64().unwrap()
}

#[test]
fn browser_logs_in_and_every_page_shows_the_clients_state() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed"
        );
        eprintln!("skipped: chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (d, ih, lib, _leecher) = rt.block_on(async {
        let d = dashboard::start(&[]).await;
        let ih = d
            .add_download(
                &format!("{EVIL} Film (2021) [WEBDL-1080p]"),
                &[
                    TestFile {
                        path: vec!["<script>window.pwned=2 film.mkv"],
                        data: content(9, 30_000),
                    },
                    TestFile {
                        path: vec!["film.nfo"],
                        data: content(10, 500),
                    },
                ],
                "radarr",
            )
            .await;
        // The dashboard shows the sampler's last look: wait until it saw both.
        let mut v = d.member().await;
        wait_page(
            &mut v,
            "/dashboard/torrents?state=seeding",
            "the library",
            |b| b.matches("data-hash=").count() == LIBRARY_TORRENTS,
        )
        .await;
        wait_page(
            &mut v,
            "/dashboard/torrents?state=downloading",
            "the download",
            |b| b.contains(&ih),
        )
        .await;
        // A libtorrent leecher named `<script>alert(1)</script>` on the biggest library seed.
        let (_, biggest) = v.page("/dashboard/torrents?sort=size&dir=desc").await;
        let lib = biggest.split("data-hash=\"").nth(1).unwrap()[..40].to_string();
        let leecher = d.hostile_leecher(&lib).await;
        wait_page(
            &mut v,
            &format!("/dashboard/torrents/{lib}"),
            "the leecher's handshake",
            |b| b.contains("alert(1)&#60;/script&#62;"),
        )
        .await;
        (d, ih, lib, leecher)
    });
    let url = |p: &str| format!("{}{p}", d.base());
    let shots = shots_dir();
    let mut b = Browser::launch(&bin);

    // `/` leads to the login form; a wrong password says so.
    b.goto(&url("/"), "/dashboard/login");
    b.fill("username", USER);
    b.fill("password", "not the password");
    b.click("form[action='/dashboard/login'] button");
    b.wait_for("/dashboard/login");
    assert_eq!(
        b.eval("document.querySelector('.alert').textContent"),
        "Wrong user name or password."
    );
    b.screenshot(&shots.join("01-login-error.png"));
    b.fill("username", USER);
    b.fill("password", PASSWORD);
    b.click("form[action='/dashboard/login'] button");
    b.wait_for("/dashboard");
    assert_eq!(
        b.eval("document.cookie.includes('pi_dash=')"),
        false,
        "HttpOnly"
    );

    // Overview: the library seeding, one download, the member's label from the server.
    let seeding = LIBRARY_TORRENTS.to_string();
    assert_eq!(
        b.eval("document.getElementById('stat-seeding').textContent"),
        seeding.as_str()
    );
    assert_eq!(
        b.eval("document.getElementById('stat-downloading').textContent"),
        "1"
    );
    assert_eq!(
        b.eval("document.getElementById('me-label').textContent"),
        "bob <b>"
    );
    assert_eq!(count(&mut b, ".chart svg"), 1);
    b.screenshot(&shots.join("02-overview.png"));

    // Torrents: every one listed, the hostile name as text, no script run.
    b.goto(&url("/dashboard/torrents"), "/dashboard/torrents");
    assert_eq!(
        count(&mut b, "table.torrents tbody tr"),
        LIBRARY_TORRENTS as u64 + 1
    );
    let name = b.eval(&format!(
        "document.querySelector('tr[data-hash=\"{ih}\"] td.title').textContent"
    ));
    assert_eq!(name, format!("{EVIL} Film (2021) [WEBDL-1080p]").as_str());
    assert_eq!(b.eval("typeof window.pwned"), "undefined");
    b.screenshot(&shots.join("03-torrents.png"));
    // The filter form: seeding only.
    b.eval("document.getElementById('state').value = 'seeding'; true");
    b.click("form.filters button");
    b.wait_for("/dashboard/torrents?q=&state=seeding&category=&sort=name");
    assert_eq!(
        count(&mut b, "table.torrents tbody tr"),
        LIBRARY_TORRENTS as u64
    );
    assert_eq!(
        count(&mut b, "table.torrents .st-seeding"),
        LIBRARY_TORRENTS as u64
    );
    // Sorting by a column's header: size, largest first on the second click.
    b.click("thead th:nth-child(3) a");
    b.wait_for("/dashboard/torrents?state=seeding&sort=size");
    b.click("thead th:nth-child(3) a");
    b.wait_for("/dashboard/torrents?state=seeding&sort=size&dir=desc");

    // The download's page: its files, escaped; its actions.
    b.goto(
        &url(&format!("/dashboard/torrents/{ih}")),
        &format!("/dashboard/torrents/{ih}"),
    );
    assert_eq!(count(&mut b, "td.path"), 2);
    assert_eq!(
        b.eval("document.querySelector('td.path').textContent"),
        "<script>window.pwned=2 film.mkv"
    );
    assert_eq!(b.eval("typeof window.pwned"), "undefined");
    b.screenshot(&shots.join("04-torrent.png"));
    b.click("a[href$='/stop']");
    b.wait_for(&format!("/dashboard/torrents/{ih}/stop"));
    b.screenshot(&shots.join("05-confirm.png"));
    b.click("main form button");
    b.wait_for(&format!("/dashboard/torrents/{ih}"));
    assert_eq!(
        b.eval("document.getElementById('state').textContent"),
        "stopped"
    );

    // A library seed's page: the leecher among its peers, its name as text;
    // the started announce in its history.
    b.goto(
        &url(&format!("/dashboard/torrents/{lib}")),
        &format!("/dashboard/torrents/{lib}"),
    );
    assert_eq!(
        b.eval("document.querySelector('#peers tbody td:nth-child(2)').textContent"),
        "<script>alert(1)</script>"
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('#announces td')].some(td => td.textContent == 'started')"),
        true
    );
    b.screenshot(&shots.join("10-library-seed.png"));

    // Scanner: the three apps read.
    b.goto(&url("/dashboard/scanner"), "/dashboard/scanner");
    assert_eq!(count(&mut b, "tr[id^='app-'] .pill.ok"), 3);
    b.screenshot(&shots.join("06-scanner.png"));

    // Phone width: the same pages stay usable, nothing scrolls sideways.
    b.viewport(390, 844, true);
    let seed_page = format!("/dashboard/torrents/{lib}");
    for (path, file) in [
        ("/dashboard", "07-phone-overview.png"),
        ("/dashboard/torrents", "08-phone-torrents.png"),
        ("/dashboard/scanner", "09-phone-scanner.png"),
        (&seed_page, "11-phone-library-seed.png"),
    ] {
        b.goto(&url(path), path);
        b.screenshot(&shots.join(file));
        assert_eq!(
            b.eval("document.documentElement.scrollWidth <= window.innerWidth"),
            true,
            "{path} scrolls sideways"
        );
    }
    eprintln!("screenshots in {}", shots.display());
}
