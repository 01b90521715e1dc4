//! The admin panel's sessions (the shared `web::session` store with the
//! panel's cookie) and the one-time setup token.
//!
//! Sessions live in memory only: a server restart logs everyone out cleanly
//! (an old cookie simply no longer resolves and the browser is sent to the
//! login page). That keeps no session secret on disk and needs no revocation list.

use std::sync::Mutex;
use std::time::Duration;

use crate::keys;
use crate::web::session::{same, SessionConfig, SessionStore};

/// Cookie carrying the nonce that signs the CSRF token of the login and setup forms.
pub const PRE_COOKIE: &str = "pi_pre";
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The panel's session store: `pi_session` under URL_BASE + `/admin`, 12 hours
/// idle, at most 1024 live.
pub fn store(url_base: &str) -> SessionStore {
    SessionStore::new(SessionConfig {
        cookie: "pi_session",
        path: format!("{url_base}/admin"),
        idle: LIFETIME,
        max_sessions: 1024,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_token_matches_until_cleared() {
        let t = SetupToken::default();
        assert!(!t.matches(""));
        let v = t.mint();
        assert!(t.matches(&v) && !t.matches("x"));
        t.clear();
        assert!(!t.matches(&v));
    }
}
