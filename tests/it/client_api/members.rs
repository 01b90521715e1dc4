//! Keys and members: rotation and disabling at once, admin API credentials and their rate limit.
use super::*;

#[tokio::test]
async fn rotation_and_disabling_take_effect_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let admin = |path: String| admin_request(&server, reqwest::Method::POST, &path);

    let rotated: Keys = admin(format!("/admin/api/users/{}/rotate", alice.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated.api_key, alice.api_key);
    assert_ne!(rotated.passkey, alice.passkey);
    assert_eq!(
        api_get(&server, "/api/v1/me", &alice.api_key)
            .await
            .status(),
        401
    );
    let me = me_json(&server, &rotated.api_key).await;
    assert_eq!(me["announce_url"], rotated.announce_url.as_str());

    assert_eq!(
        admin(format!("/admin/api/users/{}/disable", alice.id))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let resp = api_get(&server, "/api/v1/me", &rotated.api_key).await;
    assert_eq!(resp.status(), 403);
    assert!(resp.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("disabled"));
    let (s, _) = upload(
        &server,
        &rotated.api_key,
        single_file_torrent("x", 5, 1000),
        movie_meta(),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        admin(format!("/admin/api/users/{}/enable", alice.id))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        api_get(&server, "/api/v1/me", &rotated.api_key)
            .await
            .status(),
        200
    );

    let list: serde_json::Value = admin_get(&server, "/admin/api/users").await;
    let text = list.to_string();
    assert!(
        !text.contains(&rotated.api_key) && !text.contains(&rotated.passkey),
        "keys must never be listed"
    );
    assert_eq!(list[0]["label"], "alice");

    let del = admin_request(
        &server,
        reqwest::Method::DELETE,
        &format!("/admin/api/users/{}", alice.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(
        api_get(&server, "/api/v1/me", &rotated.api_key)
            .await
            .status(),
        401
    );
    assert_eq!(
        admin("/admin/api/users/999/rotate".into())
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        admin("/admin/api/users/abc/disable".into())
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn admin_api_refuses_bad_credentials_and_bad_labels() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let resp = client()
        .get(server.url("/admin/api/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = client()
        .get(server.url("/admin/api/users"))
        .basic_auth("admin", Some("wrong password!"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client()
        .get(server.url("/admin/api/users"))
        .basic_auth("root", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let post = |body: serde_json::Value| {
        admin_request(&server, reqwest::Method::POST, "/admin/api/users")
            .json(&body)
            .send()
    };
    assert_eq!(post(json!({"label": ""})).await.unwrap().status(), 422);
    assert_eq!(
        post(json!({"label": "a\u{7}b"})).await.unwrap().status(),
        422
    );
    assert_eq!(
        post(json!({"label": "x".repeat(65)}))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(post(json!({"nope": 1})).await.unwrap().status(), 400);
    assert_eq!(post(json!({"label": "carol"})).await.unwrap().status(), 201);
    assert_eq!(post(json!({"label": "Carol"})).await.unwrap().status(), 409);
}

#[tokio::test]
async fn repeated_admin_failures_are_rate_limited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut last = 0;
    for _ in 0..11 {
        last = client()
            .get(server.url("/admin/api/stats"))
            .basic_auth("admin", Some("not the password"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
    // Even the right password waits out the block.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
}

/// Status of an admin API call with a wrong password, sent with these forwarding headers.
async fn failed_admin_call(server: &Server, headers: &[(&str, &str)]) -> u16 {
    let mut req = client()
        .get(server.url("/admin/api/stats"))
        .basic_auth("admin", Some("not the password"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_count_per_forwarded_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("TRUSTED_PROXIES", "127.0.0.1")]);
    let mallory = [("X-Forwarded-For", "203.0.113.9")];
    for _ in 0..10 {
        assert_eq!(failed_admin_call(&server, &mallory).await, 401);
    }
    assert_eq!(failed_admin_call(&server, &mallory).await, 429);
    // Another client behind the same proxy is not locked out by mallory.
    let resp = admin_request(&server, reqwest::Method::GET, "/admin/api/stats")
        .header("X-Real-IP", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(server);

    // Without TRUSTED_PROXIES the headers are not believed: changing them does not dodge the limit.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for i in 0..10 {
        let ip = format!("203.0.113.{i}");
        assert_eq!(
            failed_admin_call(&server, &[("X-Forwarded-For", &ip)]).await,
            401
        );
    }
    assert_eq!(
        failed_admin_call(&server, &[("X-Real-IP", "198.51.100.77")]).await,
        429
    );
}
