//! A read-only data dir stops the server at start with one clear line naming
//! DATA_DIR and the store file; nothing is changed.

use super::{start_refused, tmpfs_or_skip};
use crate::harness::*;

#[test]
fn a_read_only_data_dir_is_a_clear_error_at_start() {
    // As root, file modes do not stop writes: a read-only mount does.
    let Some(disk) = tmpfs_or_skip("8m", "a_read_only_data_dir_…") else {
        return;
    };
    let data = disk.path().join("data");
    // An existing store on it (written by a server that stopped cleanly)…
    assert!(Server::start(&data).stop().success());
    let store = data.join(privateindexer::store::STORE_FILE);
    let before = std::fs::read(&store).unwrap();
    disk.remount("ro");
    let (status, stderr) = start_refused(&data);
    assert_eq!(status.code(), Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: DATA_DIR")
            && last.contains(&store.display().to_string())
            && last.to_lowercase().contains("read-only"),
        "one clear line: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(std::fs::read(&store).unwrap(), before);

    // …and a fresh one that cannot be created there.
    let (status, stderr) = start_refused(&disk.path().join("elsewhere"));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or_default()
            .starts_with("error: DATA_DIR"),
        "{stderr}"
    );
}
