//! A private MariaDB server for one test: its own data folder under target/,
//! a free loopback port, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::create::have_tool;
use crate::harness::{free_port, sigterm_and_wait};

pub struct MariaDb {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl MariaDb {
    /// Starts one, or `None` (with a notice) when Debian's mariadb-server is not installed.
    pub fn start() -> Option<MariaDb> {
        if !["mariadbd", "mariadb-install-db", "mariadb"]
            .iter()
            .all(|t| have_tool(t, "mariadb-server"))
        {
            return None;
        }
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let data = dir.path().join("data");
        let out = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--user=root", "--skip-test-db"])
            .arg(format!("--datadir={}", data.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "mariadb-install-db: {out:?}");
        let port = free_port();
        let child = Command::new("mariadbd")
            .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!(
                "--log-error={}",
                dir.path().join("error.log").display()
            ))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let db = MariaDb {
            child: Some(child),
            dir,
            port,
        };
        // Readiness, not a timed assertion: the deadline only bounds a server that never comes up.
        let deadline = Instant::now() + Duration::from_secs(120);
        while !db.sql_ok("SELECT 1") {
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start: {}",
                std::fs::read_to_string(db.dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(db)
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn sql_ok(&self, sql: &str) -> bool {
        self.run(sql).status.success()
    }

    fn run(&self, sql: &str) -> std::process::Output {
        Command::new("mariadb")
            .args(["--no-defaults", "-u", "root"])
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-e", sql])
            .output()
            .unwrap()
    }

    /// Runs SQL as root; panics with the client's message when it fails.
    pub fn sql(&self, sql: &str) {
        let out = self.run(sql);
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            sigterm_and_wait(&mut c, "mariadbd");
        }
    }
}
