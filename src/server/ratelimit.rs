//! Per-IP limit on failed admin logins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        FailureLimiter {
            max_failures,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait when this address has failed too often, else None.
    pub fn blocked_for(&self, ip: IpAddr) -> Option<u64> {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let (count, since) = seen.get(&ip)?;
        let elapsed = since.elapsed();
        (*count >= self.max_failures && elapsed < self.window)
            .then(|| (self.window - elapsed).as_secs().max(1))
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window;
        // Old entries are dropped here so the map cannot grow without bound.
        seen.retain(|_, (_, since)| since.elapsed() < window);
        let e = seen.entry(ip).or_insert((0, Instant::now()));
        e.0 += 1;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&ip);
    }
}
