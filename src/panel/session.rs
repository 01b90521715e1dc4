//! Admin panel sessions and the one-time setup token.
//!
//! Sessions live in memory only: a server restart logs everyone out cleanly
//! (an old cookie simply no longer resolves and the browser is sent to the
//! login page). That keeps no session secret on disk and needs no revocation list.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::{self, Secret};
use crate::store::KeyHash;

pub const COOKIE: &str = "pi_session";
/// Cookie carrying the nonce that signs the CSRF token of the login and setup forms.
pub const PRE_COOKIE: &str = "pi_pre";
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Bound on live sessions so a flood of logins cannot grow memory without end.
const MAX_SESSIONS: usize = 1024;

pub struct Session {
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    // Keyed by the hash of the cookie value, so the table never holds usable ids.
    live: Mutex<HashMap<KeyHash, Session>>,
}

impl Sessions {
    /// Opens a session; returns the cookie value.
    pub fn create(&self) -> String {
        let id = keys::random_token();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        live.retain(|_, s| s.expires > now);
        if live.len() >= MAX_SESSIONS {
            // Drop the session closest to expiry (the oldest).
            if let Some(oldest) = live.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k) {
                live.remove(&oldest);
            }
        }
        live.insert(
            keys::hash_key(&id),
            Session {
                csrf: keys::random_token(),
                expires: now + LIFETIME,
            },
        );
        id
    }

    /// The CSRF token of a live session.
    pub fn csrf_of(&self, id: &str) -> Option<String> {
        if !keys::well_formed(id) {
            return None;
        }
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        live.get(&keys::hash_key(id))
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.csrf.clone())
    }

    pub fn remove(&self, id: &str) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&keys::hash_key(id));
    }
}

/// The one-time token that lets the first visitor set the admin password.
#[derive(Default)]
pub struct SetupToken(Mutex<Option<String>>);

impl SetupToken {
    /// Mints a fresh token (called at start-up when no password is set).
    pub fn mint(&self) -> String {
        let t = keys::random_token();
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(t.clone());
        t
    }

    pub fn matches(&self, candidate: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            .is_some_and(|t| same(t.as_bytes(), candidate.trim().as_bytes()))
    }

    /// Burns the token once the password is set.
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// Constant-time comparison, so a token cannot be guessed byte by byte from timings.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// CSRF token of the pre-login forms: an HMAC of the nonce in the `pi_pre` cookie.
pub fn pre_csrf(secret: &Secret, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"panel-pre-csrf:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A `Set-Cookie` value with the panel's attributes.
pub fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_resolve_until_removed() {
        let s = Sessions::default();
        let id = s.create();
        let csrf = s.csrf_of(&id).unwrap();
        assert_eq!(csrf.len(), 64);
        assert!(s.csrf_of("nope").is_none());
        s.remove(&id);
        assert!(s.csrf_of(&id).is_none());
    }

    #[test]
    fn cookies_parse_and_tokens_compare() {
        let h = Some("a=1; pi_session=abc ;b=2");
        assert_eq!(cookie(h, "pi_session"), Some("abc"));
        assert_eq!(cookie(h, "b"), Some("2"));
        assert_eq!(cookie(h, "c"), None);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
        let t = SetupToken::default();
        assert!(!t.matches(""));
        let v = t.mint();
        assert!(t.matches(&v) && !t.matches("x"));
        t.clear();
        assert!(!t.matches(&v));
    }
}
