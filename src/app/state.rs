//! What every request handler shares.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;

use super::config::ServerConfig;
use crate::core::activity::Activity;
use crate::core::catalog::{CatalogListener, ChangeFeed};
use crate::core::counters::Counters;
use crate::core::swarm::{NoPeers, SwarmView};
use crate::keys::{self, Secret};
use crate::store::{Store, StoreError, StoreResult, User};
use crate::web::error::AuthError;
use crate::web::json::ApiError;
use crate::web::ratelimit::LoginLimiter;
use crate::web::session::SessionStore;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: ServerConfig,
    pub secret: Secret,
    pub counters: Arc<Counters>,
    pub listeners: Vec<Arc<dyn CatalogListener>>,
    /// Where catalogue changes go for the other instances on this store (None: one instance).
    pub feed: Option<Arc<dyn ChangeFeed>>,
    pub swarm: Arc<dyn SwarmView>,
    /// Failed admin logins per address (panel and admin API together).
    pub admin_failures: LoginLimiter,
    /// Announces and searches per minute, for the admin overview.
    pub activity: Arc<Activity>,
    /// Admin panel sessions (in memory: a restart logs everyone out).
    pub sessions: SessionStore,
    /// One-time token of the first-run setup form, while no admin password is set.
    pub setup_token: crate::panel::session::SetupToken,
    /// Torznab searches answered and failed (bad key, bad parameters), for `/metrics`.
    pub searches: crate::metrics::Outcomes,
    /// Request latencies per surface of the main port (the accept loop's fast
    /// tracker path is not timed: its answers never reach warp).
    pub latency: crate::metrics::Surfaces,
    /// The panel's torrent list (also one of `listeners`).
    pub listing: Arc<crate::panel::listing::Listing>,
}

/// The main port's surfaces, as `/metrics` labels them; the last takes the rest.
pub const SURFACES: &[&str] = &[
    "tracker",
    "torznab",
    "client_api",
    "admin_api",
    "panel",
    "other",
];

/// The surface of a request path (URL_BASE already taken off).
pub fn surface_of(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "announce" | "scrape" => "tracker",
        "api" if path.trim_end_matches('/') == "/api" => "torznab",
        "torznab" => "torznab",
        "api" => "client_api",
        "admin" if path.starts_with("/admin/api") => "admin_api",
        "admin" | "view" | "static" => "panel",
        _ => "other",
    }
}

/// An authenticated member and the API key they used.
pub struct Member {
    pub user: User,
    pub api_key: String,
}

impl Member {
    pub fn announce_url(&self, state: &AppState) -> String {
        crate::members::announce_url(
            &state.config.tracker_url,
            &keys::passkey_for(&state.secret, &self.api_key),
        )
    }
}

impl AppState {
    /// Peers, seeders and leechers summed over the catalogue listeners that
    /// keep swarms (the tracker), for the overview and `/metrics`.
    pub fn swarm_figures(&self) -> crate::core::swarm::SwarmFigures {
        self.listeners
            .iter()
            .filter_map(|l| l.swarm_figures())
            .fold(Default::default(), |x, y| {
                crate::core::swarm::SwarmFigures {
                    peers: x.peers + y.peers,
                    seeders: x.seeders + y.seeders,
                    leechers: x.leechers + y.leechers,
                }
            })
    }

    pub fn new(store: Arc<dyn Store>, config: ServerConfig, secret: Secret) -> Self {
        let sessions = crate::panel::session::store(&config.url_base);
        AppState {
            store,
            config,
            secret,
            counters: Default::default(),
            listeners: Vec::new(),
            feed: None,
            swarm: Arc::new(NoPeers),
            admin_failures: LoginLimiter::new(10, Duration::from_secs(15 * 60)),
            activity: Default::default(),
            sessions,
            setup_token: Default::default(),
            searches: Default::default(),
            latency: crate::metrics::Surfaces::new(SURFACES),
            listing: Default::default(),
        }
    }

    /// Runs a blocking store call off the async workers.
    pub async fn store_call<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&*store))
            .await
            .map_err(|e| StoreError::Backend(e.into()))?
    }

    /// `store_call` for the JSON surfaces.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
    {
        Ok(self.store_call(f).await?)
    }

    /// Resolves an API key to an enabled member.
    pub async fn member(&self, api_key: Option<String>) -> Result<Member, AuthError> {
        let api_key = api_key
            .filter(|k| keys::well_formed(k))
            .ok_or(AuthError::BadKey)?;
        let hash = keys::hash_key(&api_key);
        let user = self
            .store_call(move |s| s.user_by_api_key(&hash))
            .await?
            .ok_or(AuthError::BadKey)?;
        if !user.enabled {
            return Err(AuthError::Disabled);
        }
        self.counters.touch(user.id, crate::core::clock::now());
        Ok(Member { user, api_key })
    }

    /// Checks HTTP Basic `admin:<password>`, with failures rate-limited per
    /// address. No `Authorization` header is a challenge, not a failure.
    pub async fn admin(
        &self,
        authorization: Option<String>,
        ip: Option<IpAddr>,
    ) -> Result<(), AuthError> {
        let ip = ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let header = authorization.ok_or(AuthError::NoAdminCredentials)?;
        let attempt = self
            .admin_failures
            .attempt(ip)
            .map_err(AuthError::RateLimited)?;
        let phc = self.store_call(crate::admin_password::stored_hash).await?;
        let ok = match (basic_password(&header), phc) {
            (Some(password), Some(phc)) => crate::web::password::verify(phc, password).await,
            _ => false,
        };
        if !ok {
            tracing::warn!(%ip, "failed admin API login");
            return Err(AuthError::BadAdminPassword);
        }
        attempt.succeeded();
        Ok(())
    }
}

/// The password of `Authorization: Basic admin:<password>`.
fn basic_password(header: &str) -> Option<String> {
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    (user == "admin").then(|| pass.to_string())
}
