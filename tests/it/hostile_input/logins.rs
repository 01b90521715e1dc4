//! Login floods: parallel wrong passwords are counted before they are checked
//! (so at most the limit is ever checked per address), a burst of checks from
//! many addresses does not grow memory by a hash's worth each, and a request
//! without credentials is a challenge, not a failed login.

use crate::harness::panel::{csrf_in, Visitor};
use crate::harness::*;

/// Failed logins per address before a ban (admin API and panel together).
const ADMIN_LIMIT: usize = 10;

/// Sends `n` wrong admin API logins at once, the i-th with `headers(i)`; their statuses.
async fn wrong_admin_logins(
    server: &Server,
    n: usize,
    headers: impl Fn(usize) -> Vec<(&'static str, String)>,
) -> Vec<u16> {
    let http = client();
    let calls = (0..n).map(|i| {
        let mut req = http
            .get(server.url("/admin/api/stats"))
            .basic_auth("admin", Some(format!("wrong password {i}")));
        for (k, v) in headers(i) {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    });
    futures_util::future::join_all(calls).await
}

#[tokio::test]
async fn parallel_wrong_admin_logins_get_at_most_the_limit_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let statuses = wrong_admin_logins(&server, 50, |_| Vec::new()).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 50, "{statuses:?}");
    assert!(checked <= ADMIN_LIMIT, "{checked} checked: {statuses:?}");
    // The right password now waits out the ban too.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let log = server.log_text();
    assert!(log.contains("failed admin API login"), "{log}");
    assert!(log.contains("127.0.0.1"), "the address is logged");
    assert!(
        !log.contains("wrong password"),
        "a password reached the log"
    );
}

#[tokio::test]
async fn a_burst_of_password_checks_gives_its_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    // Fifty addresses behind a trusted proxy: every attempt is really checked.
    let server = Server::start_with(dir.path(), &[("TRUSTED_PROXIES", "127.0.0.1")]);
    assert_eq!(
        wrong_admin_logins(&server, 1, |_| Vec::new()).await,
        [401],
        "warm-up"
    );
    let before = rss_kib(server.child.as_ref().unwrap().id());
    let statuses = wrong_admin_logins(&server, 50, |i| {
        vec![("X-Forwarded-For", format!("198.51.100.{}", i + 1))]
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let after = rss_kib(server.child.as_ref().unwrap().id());
    eprintln!("RSS around 50 parallel checks: {before} KiB before, {after} KiB after");
    // Each check needs 19 MiB; fifty side by side held ~1 GiB before the bound.
    assert!(
        after < before + 100 * 1024,
        "RSS {before} KiB → {after} KiB"
    );
}

#[tokio::test]
async fn no_credentials_is_a_challenge_not_a_failed_login() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for _ in 0..3 * ADMIN_LIMIT {
        let resp = client()
            .get(server.url("/admin/api/stats"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        assert!(resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic "));
    }
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the admin was locked out by challenges");
    assert!(!server.log_text().contains("failed admin API login"));
}

#[tokio::test]
async fn parallel_wrong_panel_logins_get_at_most_the_limit_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut visitor = Visitor::new(&server);
    let (_, page) = visitor.page("/admin/login").await;
    let csrf = csrf_in(&page);
    let cookie = visitor
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let http = client();
    let posts = (0..30).map(|i| {
        let req = http
            .post(server.url("/admin/login"))
            .header("cookie", cookie.clone())
            .form(&[("csrf", csrf.clone()), ("password", format!("wrong {i}"))]);
        async move { req.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(posts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 30, "{statuses:?}");
    assert!(checked <= ADMIN_LIMIT, "{checked} checked: {statuses:?}");
}
