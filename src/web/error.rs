//! Why a request is not let in, as a type: each surface maps it once (JSON
//! status and message, Torznab error code, HTML page) instead of reading HTTP
//! status codes back out of another surface's error.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key, a malformed key, or one nobody holds.
    #[error("missing or invalid API key")]
    BadKey,
    #[error("this member is disabled")]
    Disabled,
    /// No `Authorization` header: a challenge, not a failed login.
    #[error("admin credentials required (HTTP Basic admin:<password>)")]
    NoAdminCredentials,
    #[error("wrong admin credentials (HTTP Basic admin:<password>)")]
    BadAdminPassword,
    /// Too many failed logins from this address; seconds left.
    #[error("too many failed admin logins; try again in {0} s")]
    RateLimited(u64),
    #[error("cannot check the credentials")]
    Store(#[from] StoreError),
}
