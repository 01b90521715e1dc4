//! Cookie sessions, each with its own CSRF token, kept in memory.
//!
//! A surface (the admin panel; the client's qBittorrent API and dashboard)
//! makes one `SessionStore` with its cookie name, path and idle expiry. The
//! session id is a random 32-byte token; the table is keyed by its SHA-256, so
//! it never holds a usable id. A restart logs everyone out: no session secret
//! on disk, no revocation list.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys;
use crate::store::KeyHash;

/// How a surface's sessions behave.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Cookie name (`pi_session` for the panel; qBittorrent clients expect `SID`).
    pub cookie: &'static str,
    /// Cookie path (`/admin`, or `/` for an API at the root).
    pub path: String,
    /// A session unused this long is gone; every use starts the time again.
    pub idle: Duration,
    /// Bound on live sessions, so a flood of logins cannot grow memory without end.
    pub max_sessions: usize,
}

struct Session {
    csrf: String,
    expires: Instant,
}

pub struct SessionStore {
    config: SessionConfig,
    live: Mutex<HashMap<KeyHash, Session>>,
}

impl SessionStore {
    pub fn new(config: SessionConfig) -> Self {
        SessionStore {
            config,
            live: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, Session>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a session; returns its id (the cookie value).
    pub fn create(&self) -> String {
        let id = keys::random_token();
        let now = Instant::now();
        let mut live = self.table();
        live.retain(|_, s| s.expires > now);
        if live.len() >= self.config.max_sessions {
            // Drop the session closest to expiry (the least recently used).
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(
            keys::hash_key(&id),
            Session {
                csrf: keys::random_token(),
                expires: now + self.config.idle,
            },
        );
        id
    }

    /// The CSRF token of a live session; the use counts as activity.
    pub fn csrf_of(&self, id: &str) -> Option<String> {
        if !keys::well_formed(id) {
            return None;
        }
        let now = Instant::now();
        let mut live = self.table();
        let s = live
            .get_mut(&keys::hash_key(id))
            .filter(|s| s.expires > now)?;
        s.expires = now + self.config.idle;
        Some(s.csrf.clone())
    }

    /// The session id in a `Cookie:` header and its CSRF token, when live.
    pub fn resolve<'a>(&self, cookie_header: Option<&'a str>) -> Option<(&'a str, String)> {
        let id = cookie(cookie_header, self.config.cookie)?;
        self.csrf_of(id).map(|csrf| (id, csrf))
    }

    pub fn remove(&self, id: &str) {
        self.table().remove(&keys::hash_key(id));
    }

    /// The `Set-Cookie` value that hands the browser session `id`.
    pub fn set_cookie(&self, id: &str, secure: bool) -> String {
        set_cookie(
            self.config.cookie,
            id,
            &self.config.path,
            self.config.idle.as_secs(),
            secure,
        )
    }

    /// The `Set-Cookie` value that makes the browser forget its session.
    pub fn clear_cookie(&self, secure: bool) -> String {
        set_cookie(self.config.cookie, "", &self.config.path, 0, secure)
    }
}

/// CSRF token of a login form, before there is a session: an HMAC of the
/// nonce in a pre-login cookie, under a secret of the surface.
pub fn pre_csrf(secret: &[u8], nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"panel-pre-csrf:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison, so a token cannot be guessed byte by byte from timings.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, and Secure when served over https.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(idle: Duration, max_sessions: usize) -> SessionStore {
        SessionStore::new(SessionConfig {
            cookie: "SID",
            path: "/".into(),
            idle,
            max_sessions,
        })
    }

    #[test]
    fn sessions_resolve_until_removed() {
        let s = store(Duration::from_secs(60), 8);
        let id = s.create();
        let csrf = s.csrf_of(&id).unwrap();
        assert_eq!(csrf.len(), 64);
        assert!(s.csrf_of("nope").is_none());
        let header = format!("a=1; SID={id}");
        assert_eq!(s.resolve(Some(&header)), Some((id.as_str(), csrf)));
        assert!(s.resolve(Some("pi_session=x")).is_none());
        s.remove(&id);
        assert!(s.csrf_of(&id).is_none());
    }

    #[test]
    fn idle_sessions_expire_and_the_oldest_goes_at_the_bound() {
        let gone = store(Duration::ZERO, 8);
        let id = gone.create();
        assert!(gone.csrf_of(&id).is_none(), "idle time over");

        let s = store(Duration::from_secs(60), 2);
        let (a, b) = (s.create(), s.create());
        let c = s.create();
        assert!(s.csrf_of(&a).is_none(), "the oldest made room");
        assert!(s.csrf_of(&b).is_some() && s.csrf_of(&c).is_some());
    }

    #[test]
    fn cookies_parse_and_tokens_compare() {
        let h = Some("a=1; pi_session=abc ;b=2");
        assert_eq!(cookie(h, "pi_session"), Some("abc"));
        assert_eq!(cookie(h, "b"), Some("2"));
        assert_eq!(cookie(h, "c"), None);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
        assert_eq!(
            store(Duration::from_secs(90), 1).set_cookie("v", true),
            "SID=v; Path=/; Max-Age=90; HttpOnly; SameSite=Strict; Secure"
        );
    }
}
