//! Per-address limit on failed logins: after `max_attempts` failures an address
//! is refused for `ban`. An attempt counts as failed from before its check
//! until it proves right. The admin panel and admin API share one; the client's
//! qBittorrent API gets its own with qBittorrent's settings.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Bound on tracked addresses, so a flood from many addresses cannot grow memory without end.
const MAX_TRACKED: usize = 100_000;

struct Failures {
    count: u32,
    last: Instant,
}

pub struct LoginLimiter {
    max_attempts: u32,
    ban: Duration,
    seen: Mutex<HashMap<IpAddr, Failures>>,
}

impl LoginLimiter {
    /// `max_attempts` failures (at least 1) from one address ban it for `ban`;
    /// failures older than `ban` are forgotten.
    pub fn new(max_attempts: u32, ban: Duration) -> Self {
        LoginLimiter {
            max_attempts: max_attempts.max(1),
            ban,
            seen: Mutex::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds left (at least 1) when this address is banned, else None.
    pub fn blocked_for(&self, ip: IpAddr) -> Option<u64> {
        let seen = self.table();
        self.wait(seen.get(&ip)?)
    }

    fn wait(&self, f: &Failures) -> Option<u64> {
        let elapsed = f.last.elapsed();
        (f.count >= self.max_attempts && elapsed < self.ban)
            .then(|| (self.ban - elapsed).as_secs().max(1))
    }

    /// Counts an attempt as failed before its credentials are checked, so
    /// parallel attempts cannot all pass the check before any failure is
    /// counted: Err(seconds left) when banned. A correct password then calls
    /// [`Attempt::succeeded`]; dropping the attempt leaves it counted.
    pub fn attempt(&self, ip: IpAddr) -> Result<Attempt<'_>, u64> {
        let mut seen = self.table();
        if let Some(wait) = seen.get(&ip).and_then(|f| self.wait(f)) {
            return Err(wait);
        }
        self.count(&mut seen, ip);
        Ok(Attempt { limiter: self, ip })
    }

    /// Counts a failure that needed no check (a wrong setup token).
    pub fn failed(&self, ip: IpAddr) {
        self.count(&mut self.table(), ip);
    }

    fn count(&self, seen: &mut HashMap<IpAddr, Failures>, ip: IpAddr) {
        let ban = self.ban;
        // Old entries are dropped here so the map cannot grow without bound.
        seen.retain(|_, f| f.last.elapsed() < ban);
        if seen.len() >= MAX_TRACKED && !seen.contains_key(&ip) {
            if let Some(oldest) = seen.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| *k) {
                seen.remove(&oldest);
            }
        }
        let now = Instant::now();
        let f = seen.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
        });
        f.count = f.count.saturating_add(1);
        f.last = now;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.table().remove(&ip);
    }
}

/// A login attempt already counted as a failure (see [`LoginLimiter::attempt`]).
#[must_use = "a correct password must call succeeded()"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    ip: IpAddr,
}

impl Attempt<'_> {
    /// The credentials were right: the address's failures are forgotten.
    pub fn succeeded(self) {
        self.limiter.succeeded(self.ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_after_the_attempts_and_a_success_clears() {
        let l = LoginLimiter::new(3, Duration::from_secs(600));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        l.failed(a);
        l.failed(a);
        assert_eq!(l.blocked_for(a), None);
        l.failed(a);
        assert!(l.blocked_for(a).is_some_and(|s| (1..=600).contains(&s)));
        assert_eq!(l.blocked_for(b), None, "per address");
        l.succeeded(a);
        assert_eq!(l.blocked_for(a), None);
    }

    #[test]
    fn attempts_count_before_their_check() {
        let l = LoginLimiter::new(3, Duration::from_secs(600));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        // Three checks in flight at once: the fourth is refused before any ends.
        let pending: Vec<_> = (0..3).map(|_| l.attempt(a).unwrap()).collect();
        assert!(l.attempt(a).is_err());
        drop(pending);
        assert!(l.attempt(a).is_err(), "dropped attempts stay counted");
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        drop(l.attempt(b).unwrap());
        l.attempt(b).unwrap().succeeded();
        assert_eq!(l.blocked_for(b), None);
        for _ in 0..2 {
            drop(l.attempt(b).unwrap());
        }
        assert!(
            l.attempt(b).is_ok(),
            "a success cleared the earlier failures"
        );
    }

    #[test]
    fn a_ban_ends_after_its_duration() {
        let l = LoginLimiter::new(1, Duration::ZERO);
        let a: IpAddr = "::1".parse().unwrap();
        l.failed(a);
        assert_eq!(l.blocked_for(a), None);
    }
}
