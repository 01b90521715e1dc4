//! A private redis-server for one test: a free loopback port, no persistence,
//! that the test can stop and start again; killed on drop. (The lib's peer-store tests in `src/tracker/peers_redis/tests.rs`
//! start their own, as unit tests cannot reach this harness.)

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::server::free_port;

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Redis {
    /// A fresh server, or None (with the reason printed) where redis-server is not installed.
    pub fn start() -> Option<Redis> {
        let mut redis = Redis {
            child: None,
            port: free_port(),
        };
        if let Err(e) = redis.spawn() {
            eprintln!("skipped: redis-server not runnable ({e}); apt-get install redis-server");
            return None;
        }
        Some(redis)
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        // Waiting for start-up, not timing it: a generous bound only against a hang.
        for _ in 0..600 {
            if self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server on port {} did not answer PING", self.port);
    }

    /// Stops the server (it comes back empty: no persistence).
    pub fn stop(&mut self) {
        let mut child = self.child.take().expect("running");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts it again on the same port.
    pub fn resume(&mut self) {
        self.spawn().expect("redis-server ran before");
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut answer = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok()
            && s.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// Its `PEERS_URL`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
