//! The HTTP layer every surface shares (the server's client API, admin API,
//! Torznab, admin panel and tracker routes; next the client's qBittorrent API
//! and dashboard): warp filters, the client address behind TRUSTED_PROXIES,
//! cookie sessions with CSRF tokens, login rate limits, HTML escaping, typed
//! auth errors with the JSON mapper, and serving with graceful shutdown.
//! It knows no role: nothing here imports `server`, `panel` or `client`.

pub mod assets;
pub mod catch_panic;
pub mod chart;
pub mod client_ip;
pub mod error;
pub mod escape;
pub mod filters;
pub mod format;
pub mod html;
pub mod json;
pub mod limits;
pub mod long_target;
pub mod password;
pub mod ratelimit;
pub mod serve;
pub mod session;
pub mod shutdown;
