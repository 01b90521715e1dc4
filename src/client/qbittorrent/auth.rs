//! The qBittorrent API's one user (`API_USERNAME`), whose password is kept
//! only as an argon2id hash in client.redb. Sessions (`SID`, idle expiry)
//! and the login ban are the shared web layer's.

use crate::client::downloads::store::{DownloadStore, PASSWORD_SETTING};
use crate::keys;
use crate::web::password;
use crate::web::ratelimit::LoginLimiter;
use crate::web::session::{SessionConfig, SessionStore};

/// Failed logins before an address is banned for `LOGIN_BAN` (qBittorrent's default).
pub const MAX_FAILS: u32 = 5;
/// Bound on live sessions, so a flood of logins cannot grow memory.
const MAX_SESSIONS: usize = 1024;

/// The `SID` sessions the *arr apps (and qbittorrent-api) expect.
pub fn sessions(idle: std::time::Duration) -> SessionStore {
    SessionStore::new(SessionConfig {
        cookie: "SID",
        path: "/".into(),
        idle,
        max_sessions: MAX_SESSIONS,
    })
}

pub fn limiter(ban: std::time::Duration) -> LoginLimiter {
    LoginLimiter::new(MAX_FAILS, ban)
}

pub struct Credentials {
    username: String,
    phc: String,
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
            (Some(p), Some(s)) if password::verify_now(&s, p) => s,
            (Some(p), _) => {
                let phc = password::hash(p)?;
                store.set_setting(PASSWORD_SETTING, phc.as_bytes())?;
                phc
            }
            (None, Some(s)) => s,
            (None, None) => {
                let generated = keys::random_token()[..20].to_string();
                let phc = password::hash(&generated)?;
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

    /// Whether these are the user's name and password (argon2 through the
    /// shared verifier: bounded, off the async workers).
    pub async fn check(&self, username: &str, password: &str) -> bool {
        // Verify even on a wrong name, so timing does not tell names apart.
        let ok = password::verify(self.phc.clone(), password.to_string()).await;
        ok && crate::web::session::same(username.as_bytes(), self.username.as_bytes())
    }
}
