//! Client settings: every one a flag and an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use url::Url;

use super::arr::App;
use super::seeder::{parse_rate, SeederConfig};

#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Base URL of the PrivateIndexer server (its client API lives under /api/v1).
    #[arg(long, env = "INDEXER_API_URL")]
    pub indexer_api_url: Option<String>,

    /// This member's API key for the server.
    #[arg(long, env = "API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,

    /// File holding the API key instead (e.g. a Docker secret), read again at
    /// every sync: write a rotated key there, no restart needed.
    #[arg(long, env = "API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,

    /// Radarr base URL (e.g. http://radarr:7878); Radarr is skipped when unset.
    #[arg(long, env = "RADARR_URL")]
    pub radarr_url: Option<String>,
    /// Radarr API key (its Settings → General).
    #[arg(long, env = "RADARR_API_KEY", hide_env_values = true)]
    pub radarr_api_key: Option<String>,

    /// Sonarr base URL (e.g. http://sonarr:8989); Sonarr is skipped when unset.
    #[arg(long, env = "SONARR_URL")]
    pub sonarr_url: Option<String>,
    /// Sonarr API key (its Settings → General).
    #[arg(long, env = "SONARR_API_KEY", hide_env_values = true)]
    pub sonarr_api_key: Option<String>,

    /// Lidarr base URL (e.g. http://lidarr:8686); Lidarr is skipped when unset.
    #[arg(long, env = "LIDARR_URL")]
    pub lidarr_url: Option<String>,
    /// Lidarr API key (its Settings → General).
    #[arg(long, env = "LIDARR_API_KEY", hide_env_values = true)]
    pub lidarr_api_key: Option<String>,

    /// Time between full rescans of the *arr apps: minutes (as the reference system), or with a unit (90s, 15m, 6h).
    #[arg(long, env = "SCAN_INTERVAL", default_value = "1h")]
    pub scan_interval: String,

    /// Time between reconciliations with the server (/api/v1/sync): minutes, or with a unit.
    #[arg(long, env = "SYNC_INTERVAL", default_value = "15m")]
    pub sync_interval: String,

    /// Folder for the client's state (redb database, hash cache).
    #[arg(
        long = "client-data-dir",
        alias = "data-dir",
        env = "CLIENT_DATA_DIR",
        value_name = "CLIENT_DATA_DIR",
        default_value = "./client-data"
    )]
    pub data_dir: PathBuf,

    /// Where media the *arr apps see under one path lives for this client:
    /// `ARR_PATH=LOCAL_PATH`, comma-separated or repeated (e.g. `/media=/mnt/media`).
    #[arg(
        long = "path-mappings",
        alias = "path-map",
        env = "PATH_MAPPINGS",
        value_name = "PATH_MAPPINGS",
        value_delimiter = ','
    )]
    pub path_map: Vec<String>,

    /// `source` tag written in every torrent, naming the swarm.
    #[arg(
        long = "torrent-source",
        alias = "source",
        env = "TORRENT_SOURCE",
        value_name = "TORRENT_SOURCE",
        default_value = "PrivateIndexer"
    )]
    pub source: String,

    /// Hide this member's label on the torrents it shares.
    #[arg(long, env = "ANONYMOUS", default_value_t = false)]
    pub anonymous: bool,

    /// Do not watch the root folders (rescans still run every SCAN_INTERVAL).
    #[arg(long, env = "NO_WATCH", default_value_t = false)]
    pub no_watch: bool,

    /// Scan once, upload everything, reconcile, then exit (for cron jobs and benchmarks; no seeding).
    #[arg(long, default_value_t = false)]
    pub once: bool,

    /// Address of the qBittorrent Web API v2 the *arr apps add their downloads through.
    #[arg(
        long = "client-bind",
        alias = "bind",
        env = "CLIENT_BIND",
        value_name = "CLIENT_BIND",
        default_value = "0.0.0.0:8080"
    )]
    pub bind: String,

    /// Folder downloads go to, as `DOWNLOADS_DIR/<category>/`; nothing outside it is written.
    #[arg(long, env = "DOWNLOADS_DIR", default_value = "./downloads")]
    pub downloads_dir: PathBuf,

    /// TCP port the download engine accepts peers on (announced to the tracker); 0 picks a free one.
    #[arg(long, env = "DOWNLOAD_PORT", default_value_t = 6882)]
    pub download_port: u16,

    #[command(flatten)]
    pub http_limits: crate::web::limits::HttpLimitArgs,

    /// User name for the qBittorrent API.
    #[arg(long, env = "API_USERNAME", default_value = "admin")]
    pub api_username: String,

    /// Password for the qBittorrent API; when unset one is generated at first start and logged once.
    #[arg(long, env = "API_PASSWORD", hide_env_values = true)]
    pub api_password: Option<String>,

    /// How long an address is refused after 5 failed logins in a row.
    #[arg(long, env = "LOGIN_BAN", default_value = "30s")]
    pub login_ban: String,

    /// A qBittorrent API or dashboard session ends after this long without a request.
    #[arg(long, env = "SESSION_IDLE", default_value = "1h")]
    pub session_idle: String,

    /// Reverse proxies (IPs or CIDRs, comma-separated) in front of CLIENT_BIND whose X-Forwarded-For /
    /// X-Real-IP (login limits) and X-Forwarded-Proto (`Secure` session cookie) are believed.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Bearer token that `GET /metrics` (Prometheus, on CLIENT_BIND) requires; unset, there is no `/metrics`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Milliseconds of quiet before a burst of folder events is acted on (an
    /// import writes, renames, touches). Hidden: for tests, which need not wait.
    #[arg(long, env = "WATCH_DEBOUNCE_MS", default_value_t = 2000, hide = true)]
    pub watch_debounce_ms: u64,

    /// Milliseconds after a folder event to scan once more: the app may record
    /// an import a moment after the file lands. Hidden, like the debounce.
    #[arg(long, env = "WATCH_FOLLOW_UP_MS", default_value_t = 8000, hide = true)]
    pub watch_follow_up_ms: u64,

    /// Port the seeder listens on for peers (IPv4 and IPv6); forward it on your router.
    #[arg(long, env = "TORRENTING_PORT", default_value_t = 6881)]
    pub torrenting_port: u16,

    /// Port told to the tracker, when the router forwards another number to TORRENTING_PORT.
    #[arg(long, env = "ANNOUNCE_PORT")]
    pub announce_port: Option<u16>,

    /// Global upload rate limit in bytes/s, with units (10M, 512K); 0 or empty = unlimited.
    #[arg(long, env = "UPLOAD_LIMIT", default_value = "0")]
    pub upload_limit: String,

    /// Peers unchoked (receiving data) at once, over all torrents.
    #[arg(long, env = "UPLOAD_SLOTS", default_value_t = 8)]
    pub upload_slots: usize,

    /// Peer connections at once, over all torrents.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 200)]
    pub max_connections: usize,

    /// Peer connections at once for one torrent.
    #[arg(long, env = "MAX_PEERS_PER_TORRENT", default_value_t = 50)]
    pub max_peers_per_torrent: usize,

    /// Media files the seeder keeps open at once (least recently used are closed).
    #[arg(long, env = "SEED_OPEN_FILES", default_value_t = 128)]
    pub seed_open_files: usize,

    /// Seconds a peer may stay silent (no keep-alive either) before the seeder
    /// drops it. Hidden: for tests, which need not wait three minutes.
    #[arg(long, env = "SEED_PEER_IDLE", default_value_t = 180, hide = true, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub seed_peer_idle: u64,

    /// Memory for verified pieces kept to serve again, in bytes with units (64M).
    #[arg(long, env = "SEED_PIECE_CACHE", default_value = "64M")]
    pub seed_piece_cache: String,
}

/// One *arr app as configured.
#[derive(Debug, Clone)]
pub struct ArrConfig {
    pub app: App,
    pub url: Url,
    pub api_key: String,
}

/// `ARR_PATH=LOCAL_PATH` prefix rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMap {
    pub arr: String,
    pub local: PathBuf,
}

/// Settings after checks.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub server: Url,
    pub api_key: String,
    /// `API_KEY_FILE`, re-read at every sync.
    pub api_key_file: Option<PathBuf>,
    pub apps: Vec<ArrConfig>,
    pub scan_interval: Duration,
    pub sync_interval: Duration,
    pub data_dir: PathBuf,
    pub path_maps: Vec<PathMap>,
    pub source: String,
    pub anonymous: bool,
    pub watch: bool,
    pub watch_debounce: Duration,
    pub watch_follow_up: Duration,
    pub once: bool,
    pub seeder: SeederConfig,
    pub qbt: QbtConfig,
}

/// The qBittorrent API and the download engine.
#[derive(Debug, Clone)]
pub struct QbtConfig {
    pub bind: SocketAddr,
    pub downloads_dir: PathBuf,
    pub download_port: u16,
    pub username: String,
    pub password: Option<String>,
    pub login_ban: Duration,
    pub session_idle: Duration,
    /// `/metrics` answers only with this bearer token; None: no `/metrics`.
    pub metrics_token: Option<String>,
    pub trusted_proxies: crate::web::client_ip::TrustedProxies,
    /// Of CLIENT_BIND (HTTP_MAX_CONNECTIONS, HTTP_HEADER_TIMEOUT, HTTP_IDLE_TIMEOUT, SHUTDOWN_GRACE).
    pub limits: crate::web::limits::Limits,
}

fn http_url(s: &str, setting: &str) -> anyhow::Result<Url> {
    let url = Url::parse(s.trim()).with_context(|| format!("{setting}: not a URL: {s:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!("{setting}: must be an http:// or https:// URL, got {s:?}");
    }
    Ok(url)
}

/// Parses `90`, `90s`, `15m`, `6h`, `1d`.
pub fn parse_duration(s: &str, setting: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3600),
        Some((i, 'd')) => (&t[..i], 86400),
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .with_context(|| {
            format!("{setting}: expected a positive duration like 90s, 15m or 6h, got {s:?}")
        })?;
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

/// SCAN_INTERVAL and SYNC_INTERVAL: a bare number is minutes, as in the
/// reference system's settings (`SCAN_INTERVAL=60` is an hour); units as in
/// [`parse_duration`] otherwise.
pub fn parse_interval(s: &str, setting: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return parse_duration(&format!("{t}m"), setting);
    }
    parse_duration(t, setting)
}

fn positive_ms(ms: u64, setting: &str) -> anyhow::Result<Duration> {
    if ms == 0 {
        bail!("{setting}: must be at least 1 (milliseconds)");
    }
    Ok(Duration::from_millis(ms))
}

pub fn parse_path_map(s: &str) -> anyhow::Result<PathMap> {
    let (arr, local) = s
        .split_once('=')
        .filter(|(a, l)| !a.trim().is_empty() && !l.trim().is_empty())
        .with_context(|| format!("PATH_MAPPINGS: expected ARR_PATH=LOCAL_PATH, got {s:?}"))?;
    Ok(PathMap {
        arr: arr.trim().trim_end_matches(['/', '\\']).to_string(),
        local: PathBuf::from(local.trim()),
    })
}

impl ClientArgs {
    pub fn check(&self) -> anyhow::Result<ClientConfig> {
        let server = http_url(
            self.indexer_api_url
                .as_deref()
                .context("INDEXER_API_URL is not set (the server's base URL)")?,
            "INDEXER_API_URL",
        )?;
        let api_key = match (
            self.api_key
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty()),
            &self.api_key_file,
        ) {
            (Some(_), Some(_)) => bail!("API_KEY and API_KEY_FILE are both set: keep one"),
            (Some(k), None) => k.to_string(),
            (None, Some(f)) => super::server_client::read_key_file(f)?,
            (None, None) => {
                bail!("API_KEY (or API_KEY_FILE) is not set (this member's key for the server)")
            }
        };
        let mut apps = Vec::new();
        for (app, url, key) in [
            (App::Radarr, &self.radarr_url, &self.radarr_api_key),
            (App::Sonarr, &self.sonarr_url, &self.sonarr_api_key),
            (App::Lidarr, &self.lidarr_url, &self.lidarr_api_key),
        ] {
            let name = app.env_prefix();
            match (url.as_deref().filter(|u| !u.trim().is_empty()), key) {
                (None, _) => {}
                (Some(u), Some(k)) if !k.trim().is_empty() => apps.push(ArrConfig {
                    app,
                    url: http_url(u, &format!("{name}_URL"))?,
                    api_key: k.trim().to_string(),
                }),
                (Some(_), _) => bail!("{name}_API_KEY is not set but {name}_URL is"),
            }
        }
        if apps.is_empty() {
            bail!("no *arr app configured: set RADARR_URL, SONARR_URL and/or LIDARR_URL with their _API_KEY");
        }
        let path_maps = self
            .path_map
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_path_map(s))
            .collect::<anyhow::Result<_>>()?;
        let positive = |n: usize, setting: &str| -> anyhow::Result<usize> {
            if n == 0 {
                bail!("{setting}: must be at least 1");
            }
            Ok(n)
        };
        if self.torrenting_port == 0 {
            bail!("TORRENTING_PORT: must be a port number from 1 to 65535");
        }
        if self.announce_port == Some(0) {
            bail!("ANNOUNCE_PORT: must be a port number from 1 to 65535");
        }
        let seeder = SeederConfig {
            port: self.torrenting_port,
            announce_port: self.announce_port,
            upload_limit: parse_rate(&self.upload_limit, "UPLOAD_LIMIT")
                .map_err(anyhow::Error::msg)?,
            upload_slots: positive(self.upload_slots, "UPLOAD_SLOTS")?,
            max_connections: positive(self.max_connections, "MAX_CONNECTIONS")?,
            peers_per_torrent: positive(self.max_peers_per_torrent, "MAX_PEERS_PER_TORRENT")?,
            peer_idle: Duration::from_secs(self.seed_peer_idle),
            open_files: std::num::NonZeroUsize::new(self.seed_open_files)
                .context("SEED_OPEN_FILES: must be at least 1")?,
            piece_cache: parse_rate(&self.seed_piece_cache, "SEED_PIECE_CACHE")
                .map_err(anyhow::Error::msg)? as usize,
        };
        Ok(ClientConfig {
            seeder,
            server,
            api_key,
            api_key_file: self.api_key_file.clone(),
            apps,
            watch_debounce: positive_ms(self.watch_debounce_ms, "WATCH_DEBOUNCE_MS")?,
            watch_follow_up: positive_ms(self.watch_follow_up_ms, "WATCH_FOLLOW_UP_MS")?,
            scan_interval: parse_interval(&self.scan_interval, "SCAN_INTERVAL")?,
            sync_interval: parse_interval(&self.sync_interval, "SYNC_INTERVAL")?,
            data_dir: self.data_dir.clone(),
            path_maps,
            source: self.source.clone(),
            anonymous: self.anonymous,
            watch: !self.no_watch,
            once: self.once,
            qbt: QbtConfig {
                bind: self.bind.trim().parse().with_context(|| {
                    format!(
                        "CLIENT_BIND: expected ADDRESS:PORT (e.g. 0.0.0.0:8080), got {:?}",
                        self.bind
                    )
                })?,
                limits: (&self.http_limits).into(),
                downloads_dir: self.downloads_dir.clone(),
                download_port: self.download_port,
                username: self.api_username.trim().to_string(),
                password: self.api_password.clone().filter(|p| !p.is_empty()),
                login_ban: parse_duration(&self.login_ban, "LOGIN_BAN")?,
                session_idle: parse_duration(&self.session_idle, "SESSION_IDLE")?,
                metrics_token: self.metrics_token.clone().filter(|t| !t.trim().is_empty()),
                trusted_proxies: crate::web::client_ip::TrustedProxies::parse(
                    &self.trusted_proxies,
                )
                .map_err(|p| {
                    anyhow::anyhow!("TRUSTED_PROXIES: {p:?} is not an IP address or CIDR")
                })?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90", "X").unwrap(), Duration::from_secs(90));
        assert_eq!(
            parse_duration("15m", "X").unwrap(),
            Duration::from_secs(900)
        );
        assert_eq!(
            parse_duration("6h", "X").unwrap(),
            Duration::from_secs(21600)
        );
        assert!(parse_duration("0", "X").is_err());
        assert!(parse_duration("soon", "X").is_err());
        assert!(parse_duration("", "X").is_err());
        assert_eq!(
            parse_interval("60", "X").unwrap(),
            Duration::from_secs(3600)
        );
        assert_eq!(parse_interval("90s", "X").unwrap(), Duration::from_secs(90));
        assert!(parse_interval("0", "X").is_err());
        assert_eq!(positive_ms(200, "X").unwrap(), Duration::from_millis(200));
        assert!(positive_ms(0, "X").is_err());
    }

    #[test]
    fn path_maps() {
        let m = parse_path_map("/media/=/mnt/m").unwrap();
        assert_eq!(m.arr, "/media");
        assert_eq!(m.local, PathBuf::from("/mnt/m"));
        assert!(parse_path_map("/media").is_err());
        assert!(parse_path_map("=/x").is_err());
    }
}
