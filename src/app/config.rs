//! Server settings: every one a flag and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use url::Url;

use crate::web::client_ip::TrustedProxies;

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address the HTTP server (Torznab, client API, admin panel, tracker) listens on.
    #[arg(long, env = "BIND", default_value = "0.0.0.0:8081")]
    pub bind: SocketAddr,

    /// Folder holding the embedded store (one redb file).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Where the state lives: `redb:` (the file in DATA_DIR), `redb:/folder`, or
    /// `mysql://user:password@host:port/database` (MySQL 8 / MariaDB 10.11+, a build with
    /// `--features mysql`; see guides/scale-out.md). The password is never shown.
    #[arg(
        long = "store-url",
        alias = "store",
        env = "STORE_URL",
        default_value = "redb:",
        hide_env_values = true
    )]
    pub store_url: String,

    /// Public base URL of this server, used in Torznab links (default: http://localhost:<port>).
    #[arg(long, env = "EXTERNAL_SERVER_URL")]
    pub external_server_url: Option<Url>,

    /// Public base URL of the tracker, used in announce URLs (default: the server URL).
    #[arg(long, env = "EXTERNAL_TRACKER_URL")]
    pub external_tracker_url: Option<Url>,

    /// Path prefix every route is served under, for a sub-path behind a reverse proxy (e.g.
    /// `/indexer`; the proxy passes the path on unchanged). Empty: served at the root.
    #[arg(long, env = "URL_BASE", default_value = "")]
    pub url_base: String,

    /// Name shown in Torznab caps and the admin panel.
    #[arg(long, env = "SITE_NAME", default_value = "PrivateIndexer")]
    pub site_name: String,

    /// Admin password (at least 12 characters); set or updated at start-up.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// File holding the admin password (e.g. a Docker secret); used when ADMIN_PASSWORD is unset.
    #[arg(long, env = "ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,

    /// Seconds between flushes of member counters to the store.
    #[arg(long, env = "FLUSH_INTERVAL", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub flush_interval: u64,

    /// Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For / X-Real-IP (and, for
    /// announces, `ip` parameter) is believed: for peer addresses and for login rate limits.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Bearer token that `GET /metrics` (Prometheus) requires; unset, there is no `/metrics`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    #[command(flatten)]
    pub http_limits: crate::web::limits::HttpLimitArgs,

    /// UDP announces per second one address may make on average (bursts of ten seconds' worth).
    #[arg(long, env = "UDP_ANNOUNCE_RATE", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub udp_announce_rate: u32,

    #[command(flatten)]
    pub tracker: crate::tracker::TrackerArgs,
}

/// Settings after checks, as the running server uses them.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub store: crate::store::StoreConfig,
    /// Without a trailing slash; ends with `url_base`.
    pub server_url: String,
    /// Without a trailing slash.
    pub tracker_url: String,
    /// Which URLs were defaulted and so follow the port actually bound (BIND may say port 0).
    pub server_url_defaulted: bool,
    pub tracker_url_defaulted: bool,
    /// `""` or `/seg[/seg…]`: leading slash, no trailing slash.
    pub url_base: String,
    pub site_name: String,
    pub admin_password: Option<String>,
    pub flush_interval: std::time::Duration,
    /// For every surface's client address (login limits) and the tracker's peers.
    pub trusted_proxies: TrustedProxies,
    /// `/metrics` answers only with this bearer token; None: no `/metrics`.
    pub metrics_token: Option<String>,
    pub tracker: crate::tracker::TrackerConfig,
    /// Of each TCP port (HTTP_MAX_CONNECTIONS, HTTP_HEADER_TIMEOUT, HTTP_IDLE_TIMEOUT, SHUTDOWN_GRACE).
    pub limits: crate::web::limits::Limits,
    pub udp_announce_rate: u32,
}

fn base_url(url: &Url, setting: &str) -> anyhow::Result<String> {
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!("{setting}: must be an http(s) URL with a host, got {url}");
    }
    if url.query().is_some() || url.fragment().is_some() {
        bail!("{setting}: must not have a query or fragment");
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// URL_BASE as routes and links use it: `""` or `/a/b` (no trailing slash).
pub fn url_base(raw: &str) -> anyhow::Result<String> {
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    for seg in &segments {
        let plain = seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
        if !plain || seg.bytes().all(|b| b == b'.') {
            bail!(
                "URL_BASE: {raw:?} must be a plain path such as /indexer \
                 (letters, digits, - _ . ~ between slashes)"
            );
        }
    }
    Ok(segments.iter().map(|s| format!("/{s}")).collect())
}

/// `url` with `base` appended, unless its path already ends with it.
fn with_base(url: String, base: &str) -> String {
    if url.ends_with(base) {
        url
    } else {
        format!("{url}{base}")
    }
}

impl ServerArgs {
    pub fn resolve(self) -> anyhow::Result<ServerConfig> {
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|p| anyhow::anyhow!("TRUSTED_PROXIES: {p:?} is not an IP address or CIDR"))?;
        let tracker = self.tracker.resolve(trusted_proxies.clone())?;
        let url_base = url_base(&self.url_base)?;
        let server_url = match &self.external_server_url {
            Some(u) => with_base(base_url(u, "EXTERNAL_SERVER_URL")?, &url_base),
            None => format!("http://localhost:{}{url_base}", self.bind.port()),
        };
        let tracker_url = match &self.external_tracker_url {
            Some(u) => base_url(u, "EXTERNAL_TRACKER_URL")?,
            None => server_url.clone(),
        };
        let site_name = self.site_name.trim().to_string();
        if site_name.is_empty() || site_name.chars().any(char::is_control) {
            bail!("SITE_NAME: must be a non-empty single line");
        }
        let admin_password = crate::admin_password::from_env_or_file(
            self.admin_password,
            self.admin_password_file.as_deref(),
        )?;
        if let Some(p) = &admin_password {
            if p.chars().count() < crate::admin_password::MIN_CHARS {
                bail!(
                    "ADMIN_PASSWORD: must be at least {} characters",
                    crate::admin_password::MIN_CHARS
                );
            }
        }
        let store = crate::store::StoreConfig::parse(&self.store_url, &self.data_dir)
            .map_err(|e| anyhow::anyhow!("STORE_URL: {e}"))?;
        Ok(ServerConfig {
            bind: self.bind,
            store,
            data_dir: self.data_dir,
            server_url_defaulted: self.external_server_url.is_none(),
            tracker_url_defaulted: self.external_tracker_url.is_none(),
            server_url,
            tracker_url,
            url_base,
            site_name,
            admin_password,
            flush_interval: std::time::Duration::from_secs(self.flush_interval),
            trusted_proxies,
            metrics_token: self.metrics_token.filter(|t| !t.trim().is_empty()),
            tracker,
            limits: (&self.http_limits).into(),
            udp_announce_rate: self.udp_announce_rate,
        })
    }
}

impl ServerConfig {
    pub fn public_urls(&self) -> crate::members::PublicUrls {
        crate::members::PublicUrls {
            server: self.server_url.clone(),
            tracker: self.tracker_url.clone(),
        }
    }

    /// Points defaulted URLs at the port the listener really got.
    pub fn set_bound_port(&mut self, port: u16) {
        if self.server_url_defaulted {
            self.server_url = format!("http://localhost:{port}{}", self.url_base);
        }
        if self.tracker_url_defaulted {
            self.tracker_url = self.server_url.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_base_is_normalised_or_refused() {
        assert_eq!(url_base("").unwrap(), "");
        assert_eq!(url_base("/").unwrap(), "");
        assert_eq!(url_base("indexer/").unwrap(), "/indexer");
        assert_eq!(url_base("/a//b/").unwrap(), "/a/b");
        for bad in ["/../x", "/a b", "/a?x=1", "/%2e", "/x#y"] {
            let e = url_base(bad).unwrap_err().to_string();
            assert!(e.starts_with("URL_BASE:"), "{bad}: {e}");
        }
        assert_eq!(
            with_base("https://h/indexer".into(), "/indexer"),
            "https://h/indexer"
        );
        assert_eq!(
            with_base("https://h".into(), "/indexer"),
            "https://h/indexer"
        );
        assert_eq!(with_base("https://h".into(), ""), "https://h");
    }
}
