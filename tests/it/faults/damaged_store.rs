//! A damaged store file is refused at start with one line naming the file and
//! what to do, exit code 1, no panic, and the file left byte for byte as it was.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::start_refused;
use crate::harness::*;

/// A store with a member and some uploads in it, written by a real server
/// that stopped cleanly.
async fn filled_store(dir: &Path) -> PathBuf {
    let server = Server::start(dir);
    let member = add_member(&server, "alice").await;
    for n in 0..40u64 {
        let torrent = single_file_torrent(&format!("Movie {n}"), n, 300_000);
        let meta =
            json!({"category": 2040, "title": format!("Movie {n} (2020) [Bluray-1080p]-GRP")});
        upload_new(&server, &member.api_key, torrent, meta).await;
    }
    assert!(server.stop().success());
    dir.join(privateindexer::store::STORE_FILE)
}

/// Damages the file with `damage`, then checks the start is refused properly.
fn assert_refused(store: &Path, damage: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = std::fs::read(store).unwrap();
    damage(&mut bytes);
    std::fs::write(store, &bytes).unwrap();
    let (status, stderr) = start_refused(store.parent().unwrap());
    assert_eq!(status.code(), Some(1), "exit status; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with("error: ")
            && last.contains(&store.display().to_string())
            && last.contains("is damaged")
            && last.contains("privateindexer admin --data-dir DIR restore"),
        "one clear line naming the file and what to do, got: {stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "no panic: {stderr}"
    );
    assert_eq!(
        std::fs::read(store).unwrap(),
        bytes,
        "the damaged file is left as it was"
    );
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    content(seed, len)
}

#[tokio::test]
async fn last_4_kib_overwritten_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    assert_refused(&store, |b| {
        let at = b.len() - 4096;
        b[at..].copy_from_slice(&noise(4096, 1));
    });
}

#[tokio::test]
async fn sixty_four_kib_overwritten_in_the_middle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    assert_refused(&store, |b| {
        let at = b.len() / 2;
        b[at..at + 65536].copy_from_slice(&noise(65536, 2));
    });
}

#[tokio::test]
async fn an_empty_store_file_is_refused_not_made_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    assert_refused(&store, Vec::clear);
}

#[tokio::test]
async fn a_truncated_store_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled_store(dir.path()).await;
    assert_refused(&store, |b| b.truncate(b.len() / 3));
}

#[test]
fn a_file_of_random_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join(privateindexer::store::STORE_FILE);
    std::fs::write(&store, noise(1 << 20, 3)).unwrap();
    assert_refused(&store, |_| {});
}
