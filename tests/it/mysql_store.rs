//! The server on a MySQL/MariaDB store (`--features mysql`): each test runs a
//! private mariadbd it can stop, and the real server binary with STORE_URL.
//! Without the feature, a mysql:// STORE_URL is refused at start.

use crate::harness::*;

/// Starting must fail with exit 1 and one line; that line and all output.
fn refused_start(env: &[(&str, &str)]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin())
        .arg("server")
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", dir.path())
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let last = all.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(last.starts_with("error: STORE_URL"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    (last.to_string(), all)
}

#[cfg(not(feature = "mysql"))]
#[test]
fn a_mysql_url_without_the_feature_is_refused_at_start() {
    let (line, all) = refused_start(&[("STORE_URL", "mysql://pi:Sekr1tPw@127.0.0.1:3306/pi")]);
    assert!(
        line.contains("no MySQL support") && line.contains("--features mysql"),
        "{line}"
    );
    assert!(line.contains("mysql://pi:***@127.0.0.1:3306/pi"), "{line}");
    assert!(!all.contains("Sekr1tPw"), "{all}");
}

#[test]
fn a_bad_store_url_is_refused_without_repeating_it() {
    let (line, all) = refused_start(&[("STORE_URL", "postgres://pi:Sekr1tPw@db/pi")]);
    assert!(line.contains("mysql://"), "{line}");
    assert!(!all.contains("Sekr1tPw"), "{all}");
}

#[cfg(feature = "mysql")]
mod with_mariadb {
    use serde_json::json;

    use super::*;
    use crate::harness::mariadb::MariaDb;

    #[test]
    fn mysql_wrong_password_is_one_line_without_the_password() {
        let Some(db) = MariaDb::start() else { return };
        let url = db.database("pi_pw", "RightPw123");
        let wrong = url.replace("RightPw123", "WrongSekr1t");
        let (line, all) = refused_start(&[("STORE_URL", &wrong)]);
        assert!(line.contains("pi_pw:***@127.0.0.1"), "{line}");
        assert!(line.contains("Access denied"), "{line}");
        assert!(
            !all.contains("WrongSekr1t") && !all.contains("RightPw123"),
            "{all}"
        );
    }

    #[tokio::test]
    async fn mysql_server_keeps_uploads_across_restarts_and_torznab_finds_them() {
        let Some(db) = MariaDb::start() else { return };
        let url = db.database("pi_e2e", "E2ePassw0rd");
        let dir = tempfile::tempdir().unwrap();
        let env = [("STORE_URL", url.as_str())];
        let server = Server::start_with(dir.path(), &env);
        assert!(!server.log_text().contains("E2ePassw0rd"));
        assert!(
            server.log_text().contains("pi_e2e:***@"),
            "{}",
            server.log_text()
        );
        let alice = add_member(&server, "alice").await;
        let bob = add_member(&server, "bob").await;
        let torrent = single_file_torrent("Heat.1995.mkv", 7, 300_000);
        let ih = info_hash_hex(&torrent);
        let meta = json!({"category": 2040, "title": "Heat (1995) [Bluray-1080p]-GRP"});
        upload_new(&server, &alice.api_key, torrent.clone(), meta.clone()).await;
        let (status, body) = torznab_search(&server, &bob.api_key, "heat").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&ih), "{body}");
        assert!(server.stop().success());
        // Nothing of it lived in DATA_DIR.
        assert!(!dir.path().join(privateindexer::store::STORE_FILE).exists());

        let server = Server::start_with(dir.path(), &env);
        let (status, body) = torznab_search(&server, &bob.api_key, "heat").await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(&ih),
            "the upload survived the restart: {body}"
        );
        assert_eq!(download_status(&server, &ih, &bob.api_key).await, 200);
        // Alice re-sending it is the same torrent, bob's copy someone else's.
        assert_eq!(
            upload(&server, &alice.api_key, torrent.clone(), meta.clone())
                .await
                .0,
            200
        );
        assert_eq!(upload(&server, &bob.api_key, torrent, meta).await.0, 409);
        assert!(server.stop().success());
    }

    #[tokio::test]
    async fn mysql_down_uploads_get_503_torznab_keeps_answering_nothing_lost() {
        let Some(mut db) = MariaDb::start() else {
            return;
        };
        let url = db.database("pi_down", "DownPassw0rd");
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_with(dir.path(), &[("STORE_URL", url.as_str())]);
        let alice = add_member(&server, "alice").await;
        let bob = add_member(&server, "bob").await;
        let kept = single_file_torrent("Ronin.1998.mkv", 1, 200_000);
        let kept_ih = info_hash_hex(&kept);
        upload_new(
            &server,
            &alice.api_key,
            kept,
            json!({"category": 2040, "title": "Ronin (1998)"}),
        )
        .await;
        let (_, body) = torznab_search(&server, &bob.api_key, "ronin").await;
        assert!(body.contains(&kept_ih), "{body}");

        db.stop();
        let late = single_file_torrent("Collateral.2004.mkv", 2, 200_000);
        let late_ih = info_hash_hex(&late);
        let meta = json!({"category": 2040, "title": "Collateral (2004)"});
        let (status, body) = upload(&server, &alice.api_key, late.clone(), meta.clone()).await;
        assert_eq!(status, 503, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("database is unreachable"),
            "{body}"
        );
        let resp = admin_request(
            &server,
            reqwest::Method::POST,
            &format!("/admin/api/users/{}/rotate", bob.id),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(
            resp.status(),
            503,
            "a key change is refused while the database is down"
        );
        let err: serde_json::Value = resp.json().await.unwrap();
        assert!(err["error"].as_str().is_some(), "{err}");
        // Searches are answered from the in-memory index and the last known records.
        let (status, body) = torznab_search(&server, &bob.api_key, "ronin").await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&kept_ih), "{body}");
        assert!(
            server.log_text().contains("MySQL unreachable"),
            "{}",
            server.log_text()
        );

        db.resume();
        // The same call works again once the database is back; what was acknowledged is there.
        upload_new(&server, &alice.api_key, late, meta).await;
        let (_, body) = torznab_search(&server, &bob.api_key, "collateral").await;
        assert!(body.contains(&late_ih), "{body}");
        assert!(server.stop().success());
        let server = Server::start_with(dir.path(), &[("STORE_URL", url.as_str())]);
        let (_, body) = torznab_search(&server, &bob.api_key, "ronin").await;
        assert!(body.contains(&kept_ih), "{body}");
        let (_, body) = torznab_search(&server, &bob.api_key, "collateral").await;
        assert!(body.contains(&late_ih), "{body}");
    }

    fn admin(args: &[&str]) -> std::process::Output {
        std::process::Command::new(bin())
            .arg("admin")
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    #[tokio::test]
    async fn mysql_admin_migrate_both_ways_keeps_members_torrents_and_secret() {
        let Some(db) = MariaDb::start() else { return };
        let url = db.database("pi_mig", "MigPassw0rd");
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let server = Server::start(&a);
        let alice = add_member(&server, "alice").await;
        let bob = add_member(&server, "bob").await;
        let torrent = single_file_torrent("Thief.1981.mkv", 3, 250_000);
        let ih = info_hash_hex(&torrent);
        upload_new(
            &server,
            &alice.api_key,
            torrent,
            json!({"category": 2040, "title": "Thief (1981)"}),
        )
        .await;
        assert_eq!(download_status(&server, &ih, &bob.api_key).await, 200);
        assert!(server.stop().success());

        let from = format!("redb:{}", a.display());
        let out = admin(&["migrate", "--from", &from, "--to", &url]);
        let text = format!("{out:?}");
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("2 members, 1 torrents") && text.contains("verified"),
            "{text}"
        );
        assert!(
            !text.contains("MigPassw0rd") && text.contains("pi_mig:***@"),
            "{text}"
        );
        // A used target is refused without --force, taken with it.
        let out = admin(&["migrate", "--from", &from, "--to", &url]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--force"),
            "{out:?}"
        );
        assert!(
            admin(&["migrate", "--from", &from, "--to", &url, "--force"])
                .status
                .success()
        );

        // On MySQL: the same keys work (key hashes and the server secret came along), grabs counted.
        let server = Server::start_with(&b, &[("STORE_URL", url.as_str())]);
        let (status, body) = torznab_search(&server, &bob.api_key, "thief").await;
        assert_eq!(status, 200);
        assert!(body.contains(&ih), "{body}");
        assert!(body.contains("name=\"grabs\" value=\"1\""), "{body}");
        let me = api_get(&server, "/api/v1/me", &alice.api_key).await;
        assert_eq!(me.status(), 200);
        let me: serde_json::Value = me.json().await.unwrap();
        // The passkey derives from the copied server secret: the same as on redb.
        let passkey = |url: &str| url.rsplit('/').next().unwrap().to_string();
        assert_eq!(
            passkey(me["announce_url"].as_str().unwrap()),
            passkey(&alice.announce_url),
            "{me}"
        );
        assert_eq!(download_status(&server, &ih, &bob.api_key).await, 200);
        assert!(server.stop().success());

        // And back into a new redb store.
        let back = format!("redb:{}", b.display());
        let out = admin(&["migrate", "--from", &url, "--to", &back]);
        assert!(out.status.success(), "{out:?}");
        let server = Server::start(&b);
        let (_, body) = torznab_search(&server, &bob.api_key, "thief").await;
        assert!(
            body.contains(&ih) && body.contains("name=\"grabs\" value=\"2\""),
            "{body}"
        );
        assert!(server.stop().success());
    }
}
