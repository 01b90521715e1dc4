//! Bad input gets a clear error and leaves no output file behind.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::harness::bin;
use crate::harness::create::{opts, write};
use privateindexer::create::{create_torrent, CreateError, Progress};

fn create_cli(args: &[&str], path: &Path, out: &Path) -> Output {
    Command::new(bin())
        .arg("create")
        .args(args)
        .arg("--no-cache")
        .arg("-o")
        .arg(out)
        .arg(path)
        .output()
        .unwrap()
}

/// The command failed with one `error:` line mentioning `needle`, and wrote nothing into `out_dir`.
fn assert_failed_cleanly(o: &Output, needle: &str, out_dir: &Path) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(needle),
        "unclear error: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(out_dir).unwrap().collect();
    assert!(left.is_empty(), "output left behind: {left:?}");
}

#[test]
fn missing_path() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let missing = tmp.path().join("no such movie.mkv");
    let o = create_cli(&[], &missing, &out_dir.join("x.torrent"));
    assert_failed_cleanly(&o, "no such file or folder", &out_dir);
    let e = create_torrent(&opts(&missing, 16384), None, &|_| {}).unwrap_err();
    assert!(matches!(e, CreateError::NotFound(_)), "{e:?}");
}

#[test]
fn empty_folder_and_folder_of_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = create_cli(&[], &empty, &out_dir.join("x.torrent"));
    assert_failed_cleanly(&o, "nothing to share", &out_dir);

    // Only skipped and zero-length files: still nothing to share.
    let junk = tmp.path().join("junk");
    write(&junk.join(".DS_Store"), 10, 1);
    write(&junk.join("a.mkv.part"), 10, 2);
    write(&junk.join("zero.nfo"), 0, 3);
    let e = create_torrent(&opts(&junk, 16384), None, &|_| {}).unwrap_err();
    assert!(matches!(e, CreateError::Empty(_)), "{e:?}");
}

#[test]
fn unreadable_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = root.join("album");
    write(&dir.join("01.flac"), 5000, 1);
    write(&dir.join("02.flac"), 5000, 2);
    std::fs::set_permissions(dir.join("02.flac"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let out_dir = root.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();

    // root reads any file, so run the command as `nobody` there.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if is_root {
        if !crate::harness::create::have_tool("setpriv", "util-linux") {
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin());
        c
    } else {
        Command::new(bin())
    };
    let o = cmd
        .args(["create", "--no-cache", "-o"])
        .arg(out_dir.join("album.torrent"))
        .arg(&dir)
        .output()
        .unwrap();
    assert_failed_cleanly(&o, "02.flac: Permission denied", &out_dir);
}

#[test]
fn file_growing_or_shrinking_while_hashed() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("growing.mkv");
    for shrink in [false, true] {
        write(&file, 3 << 20, 1);
        let touched = AtomicBool::new(false);
        let on_progress = |e: Progress| {
            // Change the file as soon as hashing has started.
            if matches!(e, Progress::Hashed(_)) && !touched.swap(true, Ordering::SeqCst) {
                let f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&file)
                    .unwrap();
                f.set_len(if shrink { 1 << 20 } else { 4 << 20 }).unwrap();
            }
        };
        let e = create_torrent(&opts(&file, 256 * 1024), None, &on_progress).unwrap_err();
        assert!(
            matches!(e, CreateError::Changed(ref p) if p == &file),
            "{e:?}"
        );
        assert!(e.to_string().contains("changed while it was being hashed"));
    }
}

#[test]
fn existing_output_is_kept_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let movie = tmp.path().join("m.mkv");
    write(&movie, 1000, 1);
    let out = tmp.path().join("m.torrent");
    std::fs::write(&out, b"keep me").unwrap();
    let o = create_cli(&[], &movie, &out);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists (use --force"));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let o = create_cli(&["--force"], &movie, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(privateindexer::metainfo::parse(&std::fs::read(&out).unwrap()).is_ok());
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");

    // --force never swaps something that is not a regular file (a FIFO here) for a file.
    let fifo = tmp.path().join("fifo");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let o = create_cli(&["--force"], &movie, &fifo);
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
        assert!(!std::fs::metadata(&fifo).unwrap().is_file());
    }
}

#[test]
fn bad_piece_size_and_bad_name() {
    let tmp = tempfile::tempdir().unwrap();
    let movie = tmp.path().join("m.mkv");
    write(&movie, 1000, 1);
    let o = create_cli(
        &["--piece-size", "300K"],
        &movie,
        &tmp.path().join("x.torrent"),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a power of two"));
    let o = create_cli(&[], &movie, &tmp.path().join("no/such/folder/x.torrent"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no such folder"));
    let mut bad = opts(&movie, 16384);
    bad.name = Some("../escape".into());
    let e = create_torrent(&bad, None, &|_| {}).unwrap_err();
    assert!(matches!(e, CreateError::BadName(_)), "{e:?}");
}

#[test]
fn non_utf8_name_is_refused() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("album");
    write(&dir.join("ok.flac"), 1000, 1);
    let bad = dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9.flac"));
    std::fs::write(&bad, b"data").unwrap();
    let e = create_torrent(&opts(&dir, 16384), None, &|_| {}).unwrap_err();
    assert!(matches!(e, CreateError::BadName(_)), "{e:?}");
    assert!(e.to_string().contains("not valid UTF-8"), "{e}");
}
