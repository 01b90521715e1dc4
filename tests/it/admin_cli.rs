//! `privateindexer admin …` against a running server and offline, and start-up checks.

use std::process::{Command, Output};

use crate::harness::*;

fn admin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("admin")
        .args(args)
        .env_remove("ADMIN_PASSWORD")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn cli_manages_members_and_backs_up_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = server.url("");
    let env = [("ADMIN_PASSWORD", ADMIN_PASSWORD)];

    let out = admin(&["--server", &url, "--json", "add-user", "dave"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys: Keys = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(keys.label, "dave");
    let me = api_get(&server, "/api/v1/me", &keys.api_key).await;
    assert_eq!(me.status(), 200);

    let t = single_file_torrent("backup-me", 40, 30_000);
    let ih = info_hash_hex(&t);
    upload_new(
        &server,
        &keys.api_key,
        t,
        serde_json::json!({"category": 2040}),
    )
    .await;

    let out = admin(&["--server", &url, "list-users"], &env);
    assert!(stdout(&out).contains("dave") && !stdout(&out).contains(&keys.api_key));

    let out = admin(
        &["--server", &url, "--json", "rotate", &keys.id.to_string()],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rotated: Keys = serde_json::from_slice(&out.stdout).unwrap();
    let old = api_get(&server, "/api/v1/me", &keys.api_key).await;
    assert_eq!(old.status(), 401);

    let out = admin(&["--server", &url, "disable", &keys.id.to_string()], &env);
    assert!(out.status.success());
    let me = api_get(&server, "/api/v1/me", &rotated.api_key).await;
    assert_eq!(me.status(), 403);
    assert!(
        admin(&["--server", &url, "enable", &keys.id.to_string()], &env)
            .status
            .success()
    );

    // Backup while the server runs, then restore it into a fresh data dir.
    let backup = dir.path().join("copy.redb");
    let out = admin(
        &["--server", &url, "backup", backup.to_str().unwrap()],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = admin(
        &["--server", &url, "backup", backup.to_str().unwrap()],
        &env,
    );
    assert!(!out.status.success() && stderr(&out).contains("already exists"));

    let out = admin(&["--server", &url, "delete", &keys.id.to_string()], &env);
    assert!(out.status.success());
    let out = admin(&["--server", &url, "delete", "9999"], &env);
    assert!(!out.status.success() && stderr(&out).contains("404"));

    let wrong = admin(
        &["--server", &url, "list-users"],
        &[("ADMIN_PASSWORD", "not the password")],
    );
    assert!(!wrong.status.success() && stderr(&wrong).contains("401"));
    let missing = admin(&["--server", &url, "list-users"], &[]);
    assert!(!missing.status.success() && stderr(&missing).contains("ADMIN_PASSWORD"));
    drop(server);

    let restored = tempfile::tempdir().unwrap();
    let out = admin(
        &[
            "--data-dir",
            restored.path().to_str().unwrap(),
            "restore",
            backup.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let server = Server::start(restored.path());
    let resp = client()
        .get(server.url(&format!("/api/v1/torrents/{ih}/download")))
        .header("X-Api-Key", &rotated.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the restored store holds the member and the torrent"
    );
}

#[tokio::test]
async fn offline_tasks_work_on_the_store_and_refuse_a_store_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = admin(
        &["--data-dir", d, "set-password"],
        &[("ADMIN_PASSWORD", "short")],
    );
    assert!(!out.status.success() && stderr(&out).contains("at least 12"));
    let mut child = Command::new(bin())
        .args(["admin", "--data-dir", d, "set-password"])
        .env_remove("ADMIN_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"an offline password\n")
        .unwrap();
    assert!(child.wait().unwrap().success());

    let out = admin(
        &["--data-dir", d, "--json", "add-user", "erin"],
        &[("EXTERNAL_TRACKER_URL", "https://t.example.org/")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let keys: Keys = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        keys.announce_url,
        format!("https://t.example.org/announce/{}", keys.passkey)
    );
    let out = admin(&["--data-dir", d, "add-user", "erin"], &[]);
    assert!(!out.status.success() && stderr(&out).contains("already exists"));

    // The server takes the offline password and the member's key.
    let server = Server::start_with(dir.path(), &[("ADMIN_PASSWORD", "")]);
    let me = api_get(&server, "/api/v1/me", &keys.api_key).await;
    assert_eq!(me.status(), 200);
    let stats = client()
        .get(server.url("/admin/api/stats"))
        .basic_auth("admin", Some("an offline password"))
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    // While it runs, the store file is locked: offline tasks say so clearly.
    let out = admin(&["--data-dir", d, "list-users"], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("in use"), "{}", stderr(&out));
    // With DATA_DIR (as in the image) and the password in a secret file, the
    // tasks the admin API can do go to the running server instead.
    let secret = dir.path().join("admin_password.txt");
    std::fs::write(&secret, "an offline password\n").unwrap();
    let out = admin(
        &["--server", &server.url(""), "list-users"],
        &[
            ("DATA_DIR", d),
            ("ADMIN_PASSWORD_FILE", secret.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("erin"), "{}", stdout(&out));
    assert!(stderr(&out).contains("using its admin API"));
    // set-password still needs the store itself.
    let out = admin(
        &["--data-dir", d, "set-password"],
        &[("ADMIN_PASSWORD", "another long password")],
    );
    assert!(!out.status.success() && stderr(&out).contains("in use"));
}

#[test]
fn an_unreachable_server_is_named_without_credentials() {
    let port = free_port();
    let out = admin(
        &[
            "--server",
            &format!("http://admin:hunter2secret@127.0.0.1:{port}/"),
            "list-users",
        ],
        &[("ADMIN_PASSWORD", ADMIN_PASSWORD)],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("hunter2secret"), "{err}");
}

/// `sudo privateindexer admin --data-dir …` on the service user's store leaves
/// every file there owned by that user.
#[test]
fn offline_tasks_as_root_keep_the_store_owned_by_its_user() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to act on another user's store");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (uid, gid) = (65534, 65534);
    std::os::unix::fs::chown(&store, Some(uid), Some(gid)).unwrap();
    let d = store.to_str().unwrap();
    let out = admin(&["--data-dir", d, "add-user", "frank"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut files = 0;
    for entry in std::fs::read_dir(&store).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        assert_eq!((meta.uid(), meta.gid()), (uid, gid));
        files += 1;
    }
    assert!(files > 0, "the store was written");
}

#[test]
fn bad_settings_stop_start_up_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("BIND", "not-an-address")], "--bind"),
        (&[("EXTERNAL_SERVER_URL", "ftp://x")], "EXTERNAL_SERVER_URL"),
        (
            &[("EXTERNAL_TRACKER_URL", "http://h/x?y=1")],
            "EXTERNAL_TRACKER_URL",
        ),
        (&[("ADMIN_PASSWORD", "short")], "ADMIN_PASSWORD"),
        (
            &[("ADMIN_PASSWORD_FILE", "/nonexistent/pw")],
            "ADMIN_PASSWORD_FILE",
        ),
        (&[("LOG_LEVEL", "loud[")], "LOG_LEVEL"),
        (&[("FLUSH_INTERVAL", "0")], "--flush-interval"),
        (&[("SITE_NAME", " ")], "SITE_NAME"),
    ];
    for (env, needle) in cases {
        let mut cmd = Command::new(bin());
        cmd.arg("server")
            .env("DATA_DIR", dir.path())
            .env("BIND", "127.0.0.1:0")
            .env_remove("ADMIN_PASSWORD");
        for (k, v) in *env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert!(!out.status.success(), "{env:?} should fail");
        assert!(err.contains(needle), "{env:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}
