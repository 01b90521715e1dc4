//! Broken machines: a damaged store, a full disk, a read-only data dir, and
//! kill -9 of the server and the client at bad moments.

mod damaged_store;
mod disk_full;
mod kill_client;
mod kill_server;
mod read_only;

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;

/// Starts the server over `data_dir` expecting it to refuse: its exit status
/// and everything it wrote to stderr. Fails the test if it starts listening.
pub fn start_refused(data_dir: &Path) -> (ExitStatus, String) {
    let mut child = Command::new(bin())
        .arg("server")
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("BIND", "127.0.0.1:0")
        .env("DATA_DIR", data_dir)
        .env("LOG_LEVEL", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server did not refuse to start: {}",
                reader.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().unwrap())
}

/// A small tmpfs mounted on a temporary folder (the tests run as root), so a
/// test can fill a disk or make it read-only; unmounted on drop.
pub struct Tmpfs {
    pub dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts one of `size` (e.g. "16m"), or says why it cannot (the test is then skipped).
    pub fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn remount(&self, options: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// A tmpfs, or None after printing why the test is skipped.
pub fn tmpfs_or_skip(size: &str, test: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(size) {
        Ok(t) => Some(t),
        Err(why) => {
            eprintln!("skipped {test}: cannot mount a tmpfs here ({why})");
            None
        }
    }
}
