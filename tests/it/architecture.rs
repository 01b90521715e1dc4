//! The direction of imports (ARCHITECTURE.md): `server` is the composition
//! root; no role imports it, and the neutral layers import no role.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files under `src/{folder}` (or the one file `src/{folder}.rs`) that mention any of `banned`.
fn offenders(folders: &[&str], banned: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for f in folders {
        let dir = src.join(f);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{f}.rs")));
        }
    }
    assert!(
        files.len() > folders.len(),
        "no sources found under {src:?}"
    );
    let mut bad = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for b in banned {
            if text.contains(b) {
                bad.push(format!("{} uses {b}", file.display()));
            }
        }
    }
    bad
}

#[test]
fn no_role_imports_the_server() {
    let roles = [
        "tracker",
        "torznab",
        "panel",
        "store",
        "create",
        "client",
        "core",
        "web",
        "app",
        "wire",
        "metrics",
        "key_card",
        "legacy_import",
        "torrent_meta",
    ];
    let bad = offenders(&roles, &["crate::server"]);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_neutral_layers_import_no_role() {
    let roles = [
        "crate::server",
        "crate::app",
        "crate::tracker",
        "crate::torznab",
        "crate::panel",
        "crate::client",
    ];
    let bad = offenders(
        &["core", "web", "wire", "metrics", "key_card", "torrent_meta"],
        &roles,
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_client_does_not_import_the_panel() {
    // The dashboard shares the panel's parts through `web`, not `panel`.
    let bad = offenders(&["client"], &["crate::panel", "crate::app"]);
    assert!(bad.is_empty(), "{bad:#?}");
}
