//! Login for the qBittorrent API: one user (`API_USERNAME`) whose password is
//! kept only as an argon2id hash in client.redb, `SID` sessions that end after
//! `SESSION_IDLE` without a request, and a short ban of an address after
//! repeated failed logins.
//!
//! The session table and the login limiter are the minimal ones this API
//! needs until the shared web layer (`src/web/`) lands; they sit behind
//! [`Sessions`] and [`LoginLimiter`] so that swap touches only this file.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;

use crate::client::downloads::store::{DownloadStore, PASSWORD_SETTING};
use crate::keys;
use crate::store::KeyHash;

/// Failed logins in a row before an address is banned for `LOGIN_BAN`.
pub const MAX_FAILS: u32 = 5;
/// Bound on live sessions, so a flood of logins cannot grow memory.
const MAX_SESSIONS: usize = 1024;
/// Bound on addresses tracked by the limiter.
const MAX_TRACKED: usize = 4096;

pub struct Credentials {
    username: String,
    phc: String,
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Credentials {
    /// `API_PASSWORD` when set (its hash stored, re-hashed only when it
    /// changed); else the stored hash; else a new password, logged once.
    pub fn load(
        store: &DownloadStore,
        username: &str,
        password: Option<&str>,
    ) -> anyhow::Result<Credentials> {
        let stored = store
            .setting(PASSWORD_SETTING)?
            .and_then(|b| String::from_utf8(b).ok());
        let phc = match (password, stored) {
            (Some(p), Some(s)) if verify(&s, p) => s,
            (Some(p), _) => {
                let phc = hash_password(p)?;
                store.set_setting(PASSWORD_SETTING, phc.as_bytes())?;
                phc
            }
            (None, Some(s)) => s,
            (None, None) => {
                let generated = keys::random_token()[..20].to_string();
                let phc = hash_password(&generated)?;
                store.set_setting(PASSWORD_SETTING, phc.as_bytes())?;
                // Shown once, as qBittorrent does; only its hash is kept.
                tracing::warn!(
                    "qBittorrent API: no API_PASSWORD set; generated one for user {username:?}: {generated} (shown only now; set API_PASSWORD to choose your own)"
                );
                phc
            }
        };
        Ok(Credentials {
            username: username.to_string(),
            phc,
        })
    }

    pub fn check(&self, username: &str, password: &str) -> bool {
        // Verify even on a wrong name, so timing does not tell names apart.
        let ok = verify(&self.phc, password);
        ok && crate::panel::session::same(username.as_bytes(), self.username.as_bytes())
    }
}

/// `SID` sessions with idle expiry, keyed by the hash of the cookie value.
pub struct Sessions {
    idle: Duration,
    live: Mutex<HashMap<KeyHash, Instant>>,
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            live: Mutex::new(HashMap::new()),
        }
    }

    pub fn create(&self) -> String {
        let id = keys::random_token();
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.retain(|_, seen| now.duration_since(*seen) < self.idle);
        if live.len() >= MAX_SESSIONS {
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| **s).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(keys::hash_key(&id), now);
        id
    }

    /// True for a live session; the request counts as activity.
    pub fn touch(&self, id: &str) -> bool {
        if !keys::well_formed(id) {
            return false;
        }
        let now = Instant::now();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        match live.get_mut(&keys::hash_key(id)) {
            Some(seen) if now.duration_since(*seen) < self.idle => {
                *seen = now;
                true
            }
            Some(_) => {
                live.remove(&keys::hash_key(id));
                false
            }
            None => false,
        }
    }

    pub fn remove(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&keys::hash_key(id));
    }
}

/// Bans an address for `ban` after [`MAX_FAILS`] failed logins in a row.
pub struct LoginLimiter {
    ban: Duration,
    fails: Mutex<HashMap<IpAddr, (u32, Option<Instant>)>>,
}

impl LoginLimiter {
    pub fn new(ban: Duration) -> LoginLimiter {
        LoginLimiter {
            ban,
            fails: Mutex::new(HashMap::new()),
        }
    }

    pub fn banned(&self, ip: IpAddr) -> bool {
        let mut f = self.fails.lock().unwrap_or_else(|p| p.into_inner());
        match f.get(&ip) {
            Some((_, Some(until))) if *until > Instant::now() => true,
            Some((_, Some(_))) => {
                f.remove(&ip);
                false
            }
            _ => false,
        }
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut f = self.fails.lock().unwrap_or_else(|p| p.into_inner());
        if f.len() >= MAX_TRACKED && !f.contains_key(&ip) {
            let now = Instant::now();
            f.retain(|_, (_, until)| until.is_some_and(|u| u > now));
        }
        let e = f.entry(ip).or_insert((0, None));
        e.0 += 1;
        if e.0 >= MAX_FAILS {
            e.1 = Some(Instant::now() + self.ban);
            tracing::warn!(%ip, "qBittorrent API: {MAX_FAILS} failed logins, address banned for {:?}", self.ban);
        }
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.fails
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle() {
        let s = Sessions::new(Duration::from_millis(0));
        let id = s.create();
        assert!(!s.touch(&id), "zero idle time: gone at once");
        let s = Sessions::new(Duration::from_secs(60));
        let id = s.create();
        assert!(s.touch(&id) && s.touch(&id));
        assert!(!s.touch("not-a-session"));
        s.remove(&id);
        assert!(!s.touch(&id));
    }

    #[test]
    fn five_failures_ban_and_success_resets() {
        let l = LoginLimiter::new(Duration::from_secs(60));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILS - 1 {
            l.failed(ip);
        }
        assert!(!l.banned(ip));
        l.succeeded(ip);
        for _ in 0..MAX_FAILS {
            l.failed(ip);
        }
        assert!(l.banned(ip));
        assert!(!l.banned("10.0.0.2".parse().unwrap()));
    }
}
