//! A private mariadbd for one test: its own datadir in a temporary folder,
//! on a free loopback port, that the test can stop and start again (to see
//! what the server does while its database is down).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::{free_port, sigterm_and_wait};

pub struct MariaDb {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

fn installed() -> bool {
    ["mariadbd", "mariadb-install-db", "mariadb"]
        .iter()
        .all(|b| {
            Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
                || std::path::Path::new("/usr/sbin").join(b).exists()
        })
}

impl MariaDb {
    /// A fresh server, or None (with the reason printed) where MariaDB is not installed.
    pub fn start() -> Option<MariaDb> {
        if !installed() {
            eprintln!("skipped: mariadb-server is not installed (apt-get install mariadb-server)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // A tmpdir of its own: a mariadbd starting beside this one (tests run
        // in parallel) clears `#sql*` files from a shared /tmp, which breaks a
        // running install with "Could not remove temporary table".
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let out = Command::new("mariadb-install-db")
            .args(["--no-defaults", "--user=root", "--skip-test-db"])
            .arg("--auth-root-authentication-method=normal")
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .arg(format!("--tmpdir={}", dir.path().join("tmp").display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "mariadb-install-db: {out:?}");
        let mut db = MariaDb {
            dir,
            port: free_port(),
            child: None,
        };
        db.resume();
        Some(db)
    }

    /// Its temporary folder (the datadir is `data/` in it): room for a test's files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn datadir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the stopped server again on the same datadir and port.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::File::create(self.dir.path().join("server.log")).unwrap();
        let child = Command::new(if std::path::Path::new("/usr/sbin/mariadbd").exists() {
            "/usr/sbin/mariadbd"
        } else {
            "mariadbd"
        })
        .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
        .args(["--skip-name-resolve", "--innodb-buffer-pool-size=16M"])
        .arg(format!("--datadir={}", self.datadir().display()))
        .arg(format!(
            "--tmpdir={}",
            self.dir.path().join("tmp").display()
        ))
        .arg(format!(
            "--socket={}",
            self.dir.path().join("sock").display()
        ))
        .arg(format!("--port={}", self.port))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
        self.child = Some(child);
        // Waiting for start-up, not timing it: a generous bound only against a hang.
        for _ in 0..600 {
            if self.sql("SELECT 1").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "mariadbd did not start: {}",
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// Stops the server (SIGTERM, waited for).
    pub fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        sigterm_and_wait(&mut child, "mariadbd");
    }

    /// Runs SQL as root with the `mariadb` client.
    pub fn sql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("mariadb")
            .args(["--no-defaults", "-h127.0.0.1", "-uroot", "-N", "-B"])
            .arg(format!("-P{}", self.port))
            .arg("-e")
            .arg(sql)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// A new database and a user with a password for it; its `mysql://` URL.
    pub fn database(&self, name: &str, password: &str) -> String {
        self.sql(&format!(
            "CREATE DATABASE {name}; CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}'; \
             GRANT ALL ON {name}.* TO '{name}'@'127.0.0.1'"
        ))
        .unwrap();
        format!("mysql://{name}:{password}@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
