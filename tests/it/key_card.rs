//! A new member's key card (`admin add-user`/`rotate` and the panel) and the
//! commands the server hands out: each one is run here and must work.

use std::process::{Command, Stdio};

use crate::harness::client::{server_hashes, Apps, ARR_KEY};
use crate::harness::fake_arr::lay_out_library;
use crate::harness::panel::{input_value, Visitor};
use crate::harness::*;
use privateindexer::key_card;

/// The `privateindexer client \ …` command of a card, as arguments.
fn card_command(text: &str) -> Vec<String> {
    let start = text
        .find("privateindexer client")
        .expect("a client command");
    let mut joined = String::new();
    for line in text[start..].lines() {
        let continued = line.trim_end().ends_with('\\');
        joined.push_str(line.trim_end().trim_end_matches('\\'));
        joined.push(' ');
        if !continued {
            break;
        }
    }
    joined.split_whitespace().map(str::to_string).collect()
}

/// Runs a card's client command (placeholders swapped for the fake apps)
/// with `--once`; the member's library must reach the server.
async fn run_card_command(server: &Server, api_key: &str, text: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    lay_out_library(&media);
    let apps = Apps::start();
    let args = card_command(text);
    assert_eq!(args[..2], ["privateindexer", "client"]);
    let args: Vec<String> = args[2..]
        .iter()
        .map(|a| match a.as_str() {
            key_card::RADARR_URL => apps.radarr.url(),
            key_card::SONARR_URL => apps.sonarr.url(),
            key_card::RADARR_KEY | key_card::SONARR_KEY => ARR_KEY.to_string(),
            other => other.to_string(),
        })
        .collect();
    let data = tmp.path().join("c");
    let out = Command::new(bin())
        .arg("client")
        .args(&args)
        .arg("--once")
        .env_clear()
        .env("CLIENT_DATA_DIR", &data)
        .env("DOWNLOADS_DIR", data.join("downloads"))
        .env("PATH_MAPPINGS", format!("/media={}", media.display()))
        .env("TORRENTING_PORT", free_port().to_string())
        .env("DOWNLOAD_PORT", free_port().to_string())
        .env("CLIENT_BIND", format!("127.0.0.1:{}", free_port()))
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the card's command failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Radarr's and Sonarr's part of the library (Lidarr is not on the card).
    assert!(!server_hashes(server, api_key).await.is_empty());
}

#[tokio::test]
async fn admin_add_user_prints_a_card_whose_command_works() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let bind = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        dir.path(),
        &[("BIND", &bind), ("EXTERNAL_SERVER_URL", &public)],
    );
    let out = Command::new(bin())
        .args(["admin", "--server", &public, "add-user", "carol"])
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let api_key = text
        .lines()
        .find_map(|l| l.strip_prefix("api_key:"))
        .unwrap()
        .trim()
        .to_string();
    for must in [
        format!("INDEXER_API_URL: \"{public}\""),
        format!("API_KEY: \"{api_key}\""),
        format!("Torznab URL {public}/api"),
        format!("--indexer-api-url {public} --api-key {api_key}"),
    ] {
        assert!(text.contains(&must), "{must} missing from:\n{text}");
    }
    run_card_command(&server, &api_key, &text).await;
}

#[tokio::test]
async fn the_panel_shows_the_card_after_add_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[("EXTERNAL_SERVER_URL", "https://indexer.example/pi")],
    );
    let mut v = Visitor::new(&server);
    v.login().await;
    let resp = v
        .submit("/admin/users", "/admin/users", &[("label", "erin")])
        .await;
    assert_eq!(resp.status(), 200);
    let page = resp.text().await.unwrap();
    let key = input_value(&page, "key-api").unwrap();
    assert_eq!(
        input_value(&page, "key-server").unwrap(),
        "https://indexer.example/pi"
    );
    assert_eq!(
        input_value(&page, "key-torznab").unwrap(),
        "https://indexer.example/pi/api"
    );
    assert!(page.contains(&format!(
        "--indexer-api-url https://indexer.example/pi --api-key {key}"
    )));
    assert!(
        page.contains(&format!("API_KEY: &quot;{key}&quot;"))
            || page.contains(&format!("API_KEY: &#34;{key}&#34;"))
    );

    let id = page
        .split("id=\"member-")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let rotate = format!("/admin/users/{id}/rotate");
    let resp = v.submit("/admin/users", &rotate, &[]).await;
    let page = resp.text().await.unwrap();
    let new_key = input_value(&page, "key-api").unwrap();
    assert_ne!(new_key, key);
    assert!(page.contains(&format!("--api-key {new_key}")));
}

#[tokio::test]
async fn the_setup_token_hint_names_a_command_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_first_run(dir.path());
    let log = server.log_text();
    let hint = log
        .split('`')
        .find(|s| s.starts_with("privateindexer admin --data-dir"))
        .unwrap_or_else(|| panic!("no command in the hint: {log}"))
        .to_string();
    let log = server.log_text();
    let status = server.stop();
    assert!(status.success(), "{status}: {log}");
    let args: Vec<&str> = hint.split_whitespace().skip(1).collect();
    let mut child = Command::new(bin())
        .args(&args)
        .env_remove("ADMIN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{ADMIN_PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{hint}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The password now works, with no ADMIN_PASSWORD given to the server.
    let server = Server::start_first_run(dir.path());
    let mut v = Visitor::new(&server);
    v.login().await;
}
