//! Errors are Torznab XML, never a 500.
use super::*;

#[tokio::test]
async fn errors_are_torznab_xml_never_500() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let bob = add_member(&server, "bob").await;
    let carol = add_member(&server, "carol").await;
    let k = &bob.api_key;

    assert_eq!(error_code(&get(&server, "/api?t=search").await), 100);
    assert_eq!(
        error_code(&get(&server, "/api?t=search&apikey=nope").await),
        100
    );
    let wrong = "0".repeat(64);
    assert_eq!(
        error_code(&get(&server, &format!("/torznab/api?t=movie&apikey={wrong}")).await),
        100
    );
    for q in [
        "t=search&cat=abc",
        "t=search&limit=-1",
        "t=tvsearch&season=x",
        "t=tvsearch&ep=two",
        "t=movie&imdbid=ttx",
        "t=search&offset=-1",
        "t=tvsearch&tvdbid=-3",
    ] {
        assert_eq!(
            error_code(&get(&server, &format!("/api?apikey={k}&{q}")).await),
            201,
            "{q}"
        );
    }
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=nope")).await),
        202
    );
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=book")).await),
        203
    );
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}")).await),
        200
    );
    // Odd bytes in the query are still answered in XML.
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={k}&t=search&limit=%FF%00")).await),
        201
    );

    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", carol.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        error_code(&get(&server, &format!("/api?apikey={}&t=search", carol.api_key)).await),
        101
    );
    // The client API under /api/v1 is untouched by the Torznab route.
    let health = get(&server, "/api/v1/health").await;
    assert_eq!(health.status, 200);
    assert!(health.body.contains("ok"));
}
