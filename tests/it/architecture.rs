//! The direction of imports (ARCHITECTURE.md): `server` is the composition
//! root; no role imports it, and the neutral layers import no role. And no
//! source file grows past 600 lines.

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

/// Rust files over `limit` lines under `dirs` (relative to the package), with their counts.
fn longer_than(dirs: &[&str], limit: usize) -> (usize, Vec<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in dirs {
        let dir = root.join(d);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
    }
    files.sort();
    let mut long = Vec::new();
    for file in &files {
        let lines = std::fs::read_to_string(file).unwrap().lines().count();
        if lines > limit {
            let name = file.strip_prefix(root).unwrap_or(file);
            long.push(format!("{} has {lines} lines", name.display()));
        }
    }
    (files.len(), long)
}

#[test]
fn no_source_file_exceeds_600_lines() {
    let (read, long) = longer_than(
        &["src", "tests", "benches", "testkit", "fuzz/fuzz_targets"],
        600,
    );
    assert!(read > 100, "only {read} Rust files found");
    assert!(
        long.is_empty(),
        "split these into modules named for what they do: {long:#?}"
    );
}

#[test]
fn the_line_limit_names_a_long_file() {
    // The check above can fail: with a lower limit it names files it read.
    let (_, long) = longer_than(&["src"], 400);
    assert!(
        long.iter()
            .any(|l| l.starts_with("src/") && l.ends_with(" lines")),
        "{long:#?}"
    );
}
