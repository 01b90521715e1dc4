//! The admin panel's way in over real HTTP against the real server binary:
//! first-run setup, login/logout/sessions, CSRF, secure cookies, rate limiting.

use crate::harness::panel::*;
use crate::harness::*;

/// The one-time token from the server's log.
fn setup_token(server: &Server) -> String {
    let log = server.log_text();
    let at = log
        .find("one-time setup token ")
        .unwrap_or_else(|| panic!("no setup token in the log: {log}"));
    log[at + "one-time setup token ".len()..][..64].to_string()
}

#[tokio::test]
async fn first_run_setup_needs_the_token_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_first_run(dir.path());
    let token = setup_token(&server);
    let mut v = Visitor::new(&server);

    // Every admin page sends a fresh server to the setup form; so does login.
    let resp = v.get("/admin").await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/admin/setup".into())
    );
    let resp = v.get("/admin/login").await;
    assert_eq!(location(&resp), "/admin/setup");
    let (status, body) = v.page("/admin/setup").await;
    assert_eq!(status, 200);
    assert!(body.contains("setup token") && !body.contains(&token));

    let good = "a long enough password";
    // No CSRF token: refused.
    let resp = v
        .post(
            "/admin/setup",
            &[("token", &token), ("password", good), ("confirm", good)],
        )
        .await;
    assert_eq!(resp.status(), 403);
    // Without or with a wrong token nobody claims the server.
    for wrong in ["", "0000", &"f".repeat(64)] {
        let resp = v
            .submit(
                "/admin/setup",
                "/admin/setup",
                &[("token", wrong), ("password", good), ("confirm", good)],
            )
            .await;
        assert_eq!(resp.status(), 403);
        assert!(resp.text().await.unwrap().contains("Wrong setup token"));
    }
    // Password rules.
    let resp = v
        .submit(
            "/admin/setup",
            "/admin/setup",
            &[
                ("token", &token),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("at least 12 characters"));
    let resp = v
        .submit(
            "/admin/setup",
            "/admin/setup",
            &[
                ("token", &token),
                ("password", good),
                ("confirm", "another long one"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("differ"));
    assert!(v.session().is_none());

    // The right token sets the password and logs in.
    let resp = v
        .submit(
            "/admin/setup",
            "/admin/setup",
            &[("token", &token), ("password", good), ("confirm", good)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), "/admin");
    assert!(v.session().is_some());
    let (status, body) = v.page("/admin").await;
    assert_eq!(status, 200);
    assert!(body.contains("Overview"));

    // The token is spent: the setup form is gone and a replay changes nothing.
    let mut other = Visitor::new(&server);
    let resp = other.get("/admin/setup").await;
    assert_eq!(location(&resp), "/admin/login");
    let resp = other
        .post(
            "/admin/setup",
            &[
                ("token", &token),
                ("password", "hijacker password"),
                ("confirm", "hijacker password"),
            ],
        )
        .await;
    assert_eq!(location(&resp), "/admin/login");
    // The password chosen in the form is the admin password, argon2id-hashed in the store.
    let resp = client()
        .get(server.url("/admin/api/users"))
        .basic_auth("admin", Some(good))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(!server.log_text().contains(good), "password in the log");
    drop(server);
    let bytes = std::fs::read(dir.path().join(privateindexer::store::STORE_FILE)).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("$argon2id$"));
    assert!(!text.contains(good));
}

#[tokio::test]
async fn a_server_with_a_password_prints_no_setup_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut v = Visitor::new(&server);
    let resp = v.get("/admin").await;
    assert_eq!(location(&resp), "/admin/login");
    let resp = v.get("/admin/setup").await;
    assert_eq!(location(&resp), "/admin/login");
    assert!(!server.log_text().contains("setup token"));
}

#[tokio::test]
async fn login_cookie_csrf_logout_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut v = Visitor::new(&server);

    let (status, body) = v.page("/admin/login").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"type="password""#));
    // Missing CSRF token: refused even with the right password.
    let resp = v
        .post("/admin/login", &[("password", ADMIN_PASSWORD)])
        .await;
    assert_eq!(resp.status(), 403);
    assert!(v.session().is_none());
    // Wrong password: a clear message, no session.
    let resp = v
        .submit(
            "/admin/login",
            "/admin/login",
            &[("password", "not the password")],
        )
        .await;
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("Wrong password"));
    assert!(v.session().is_none());

    let resp = v
        .submit(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let cookie = set_cookie(&resp, "pi_session").unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert!(
        !server.log_text().contains(&cookie_value(&cookie)),
        "session id logged"
    );

    // Pages need the session, and carry the security headers.
    let resp = v.get("/admin/users").await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    assert_eq!(h["cache-control"], "no-store, max-age=0");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    let resp = http().get(server.url("/admin/users")).send().await.unwrap();
    assert_eq!(location(&resp), "/admin/login");
    let resp = http()
        .get(server.url("/admin/users"))
        .header("cookie", format!("pi_session={}", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/admin/login");

    // The JSON admin API accepts the session: reads as is, changes with the CSRF token.
    let session = v.session().unwrap();
    let resp = http()
        .get(server.url("/admin/api/users"))
        .header("cookie", format!("pi_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = http()
        .post(server.url("/admin/api/users"))
        .header("cookie", format!("pi_session={session}"))
        .json(&serde_json::json!({"label": "via-cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "cookie alone must not change things");
    let (_, body) = v.page("/admin").await;
    let csrf = csrf_in(&body);
    let resp = http()
        .post(server.url("/admin/api/users"))
        .header("cookie", format!("pi_session={session}"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"label": "via-cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    // Logout needs the CSRF token, then the session is gone.
    let resp = v.post("/admin/logout", &[("csrf", "wrong")]).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(v.get("/admin").await.status(), 200);
    let resp = v.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, "/admin/login".into())
    );
    assert!(set_cookie(&resp, "pi_session")
        .unwrap()
        .contains("Max-Age=0"));
    let resp = http()
        .get(server.url("/admin"))
        .header("cookie", format!("pi_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/admin/login");

    // Sessions live in memory: a restart invalidates them cleanly.
    v.login().await;
    let session = v.session().unwrap();
    assert!(server.stop().success());
    let server = Server::start(dir.path());
    let resp = http()
        .get(server.url("/admin/users"))
        .header("cookie", format!("pi_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&resp), "/admin/login");
}

#[tokio::test]
async fn cookies_are_secure_only_on_requests_that_came_over_https() {
    let dir = tempfile::tempdir().unwrap();
    // An https EXTERNAL_SERVER_URL alone no longer makes cookies Secure: the
    // panel must keep working on a plain http://tower:8081.
    let server = Server::start_with(
        dir.path(),
        &[
            ("EXTERNAL_SERVER_URL", "https://indexer.example"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let mut plain = Visitor::new(&server);
    let resp = plain.get("/admin/login").await;
    assert!(!set_cookie(&resp, "pi_pre").unwrap().contains("Secure"));
    plain.login().await;

    let mut proxied = Visitor::new(&server);
    proxied
        .headers
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let resp = proxied.get("/admin/login").await;
    assert!(set_cookie(&resp, "pi_pre").unwrap().contains("; Secure"));
    let resp = proxied
        .submit(
            "/admin/login",
            "/admin/login",
            &[("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let c = set_cookie(&resp, "pi_session").unwrap();
    assert!(c.contains("; Secure") && c.contains("HttpOnly") && c.contains("SameSite=Strict"));

    // The same header from an address that is not a trusted proxy is ignored.
    let dir2 = tempfile::tempdir().unwrap();
    let untrusting = Server::start(dir2.path());
    let mut spoofer = Visitor::new(&untrusting);
    spoofer
        .headers
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let resp = spoofer.get("/admin/login").await;
    assert!(!set_cookie(&resp, "pi_pre").unwrap().contains("Secure"));
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut v = Visitor::new(&server);
    let (_, body) = v.page("/admin/login").await;
    let csrf = csrf_in(&body);
    let mut last = 0;
    for _ in 0..10 {
        last = v
            .post(
                "/admin/login",
                &[("password", "guess guess guess"), ("csrf", &csrf)],
            )
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 401);
    // Now even the right password waits, with a clear message.
    let resp = v
        .post(
            "/admin/login",
            &[("password", ADMIN_PASSWORD), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(resp.status(), 429);
    let body = resp.text().await.unwrap();
    assert!(body.contains("Too many failed attempts"), "{body}");
    assert!(
        body.contains("Try again in ") && body.contains(" minutes."),
        "{body}"
    );
    assert!(v.session().is_none());
    // The JSON admin API shares the limit.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/users")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
}
