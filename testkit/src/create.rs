//! Helpers shared by the `create_*` integration tests.

use std::path::Path;
use std::process::Command;

use crate::server::content;
use privateindexer::create::{create_torrent, CreateOptions, CreatedTorrent, HashCache};

pub fn write(path: &Path, len: usize, seed: u64) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, content(seed, len)).unwrap();
}

pub fn opts(path: &Path, piece_size: u64) -> CreateOptions {
    CreateOptions {
        path: path.to_path_buf(),
        piece_size: Some(piece_size),
        source: Some("TESTSWARM".into()),
        ..CreateOptions::default()
    }
}

pub fn make(opts: &CreateOptions, cache: Option<&HashCache>) -> CreatedTorrent {
    create_torrent(opts, cache, &|_| {}).unwrap()
}

/// A Python that imports Debian's libtorrent bindings, or `None` with a notice.
pub fn libtorrent_python() -> Option<&'static str> {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import libtorrent"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    eprintln!("NOTICE: python3-libtorrent is not installed; skipping (apt-get install python3-libtorrent)");
    None
}

/// Whether an outside tool is on PATH; prints a notice when it is not.
pub fn have_tool(tool: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("NOTICE: {tool} is not installed; skipping (apt-get install {package})");
    }
    found
}
