//! Tracker settings: flags and environment variables of `privateindexer server`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use super::peers_url::PeersUrl;
use crate::web::client_ip::TrustedProxies;

/// Peers handed out per announce at most, whatever `numwant` asks for.
pub const MAX_NUMWANT: usize = 200;
/// Peers handed out when the client does not say.
pub const DEFAULT_NUMWANT: usize = 50;
/// STALE_THRESHOLD's default, in days.
pub const DEFAULT_STALE_DAYS: u64 = 30;
const DEFAULT_PEER_STALE: u64 = 2400;
/// The most days STALE_THRESHOLD takes; a larger value is read as the seconds
/// the setting meant before it was renamed PEER_STALE_SECONDS.
const MAX_STALE_DAYS: u64 = 365;

#[derive(Debug, Clone, Args)]
pub struct TrackerArgs {
    /// Seconds a peer is kept without announcing before it is dropped from its swarm.
    #[arg(long, env = "PEER_TIMEOUT", default_value_t = 3600)]
    pub peer_timeout: u64,

    /// Seconds between announces the tracker asks clients for (`interval`).
    #[arg(long, env = "ANNOUNCE_INTERVAL", default_value_t = 1800)]
    pub announce_interval: u64,

    /// Seconds a client must wait at least between announces (`min interval`).
    #[arg(long, env = "MIN_ANNOUNCE_INTERVAL", default_value_t = 60)]
    pub min_announce_interval: u64,

    /// Random spread of `interval`, in percent either way, so clients do not announce in lockstep.
    #[arg(long, env = "ANNOUNCE_JITTER_PERCENT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=50))]
    pub announce_jitter_percent: u64,

    /// Seconds without an announce after which a peer is no longer counted or handed out
    /// (it is kept until PEER_TIMEOUT, so a late announce resumes its session) [default: 2400].
    #[arg(long, env = "PEER_STALE_SECONDS")]
    pub peer_stale_seconds: Option<u64>,

    /// Days without a seeder after which a torrent is dead: hidden from Torznab and listed
    /// as dead in the panel, never deleted; a seeder brings it back at once.
    #[arg(long, env = "STALE_THRESHOLD", default_value_t = DEFAULT_STALE_DAYS)]
    pub stale_threshold: u64,

    /// STALE_THRESHOLD in seconds, for tests.
    #[arg(long, env = "STALE_THRESHOLD_SECONDS", hide = true)]
    pub stale_threshold_seconds: Option<u64>,

    /// Optional second address serving only the tracker (announce and scrape).
    #[arg(long, env = "TRACKER_BIND")]
    pub tracker_bind: Option<SocketAddr>,

    /// Optional UDP tracker address (BEP 15, passkey in the URL data of BEP 41); off by default.
    #[arg(long, env = "TRACKER_UDP_BIND")]
    pub tracker_udp_bind: Option<SocketAddr>,

    /// Where peers live: `memory` (this process, the default) or `redis://[:password@]host:6379/0`
    /// to share swarms and catalogue changes between several server instances (a build with
    /// `--features redis`).
    #[arg(long = "peers-url", alias = "peers", env = "PEERS_URL")]
    pub peers_url: Option<String>,
}

/// Settings after checks.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub peer_timeout: Duration,
    pub interval: u32,
    pub min_interval: u32,
    pub jitter_percent: u32,
    /// PEER_STALE_SECONDS.
    pub peer_stale: Duration,
    /// STALE_THRESHOLD: no seeder for this long and a torrent is dead.
    pub dead_after: Duration,
    pub bind: Option<SocketAddr>,
    pub udp_bind: Option<SocketAddr>,
    /// The server's TRUSTED_PROXIES: whose `ip` parameter and forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// PEERS_URL: the shared peer store, `None` for peers in this process only.
    pub peers: Option<PeersUrl>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            peer_timeout: Duration::from_secs(3600),
            interval: 1800,
            min_interval: 60,
            jitter_percent: 10,
            peer_stale: Duration::from_secs(DEFAULT_PEER_STALE),
            dead_after: Duration::from_secs(DEFAULT_STALE_DAYS * 86_400),
            bind: None,
            udp_bind: None,
            trusted_proxies: TrustedProxies::default(),
            peers: None,
        }
    }
}

impl TrackerArgs {
    pub fn resolve(&self, trusted_proxies: TrustedProxies) -> anyhow::Result<TrackerConfig> {
        let secs = |v: u64, name: &str| -> anyhow::Result<u32> {
            if v == 0 || v > 86_400 * 7 {
                bail!("{name}: must be between 1 and 604800 seconds, got {v}");
            }
            Ok(v as u32)
        };
        let interval = secs(self.announce_interval, "ANNOUNCE_INTERVAL")?;
        let min_interval = secs(self.min_announce_interval, "MIN_ANNOUNCE_INTERVAL")?;
        let timeout = secs(self.peer_timeout, "PEER_TIMEOUT")?;
        let (peer_stale, dead_days) = self.stale_settings()?;
        let stale = secs(peer_stale, "PEER_STALE_SECONDS")?;
        if min_interval > interval {
            bail!("MIN_ANNOUNCE_INTERVAL: must not exceed ANNOUNCE_INTERVAL ({interval} s)");
        }
        if stale > timeout {
            bail!("PEER_STALE_SECONDS: must not exceed PEER_TIMEOUT ({timeout} s)");
        }
        let dead_after = match self.stale_threshold_seconds {
            Some(0) => bail!("STALE_THRESHOLD_SECONDS: must be at least 1"),
            Some(s) => s,
            None => dead_days * 86_400,
        };
        Ok(TrackerConfig {
            peer_timeout: Duration::from_secs(timeout.into()),
            interval,
            min_interval,
            jitter_percent: self.announce_jitter_percent as u32,
            peer_stale: Duration::from_secs(stale.into()),
            dead_after: Duration::from_secs(dead_after),
            bind: self.tracker_bind,
            udp_bind: self.tracker_udp_bind,
            trusted_proxies,
            peers: PeersUrl::parse(self.peers_url.as_deref())?,
        })
    }
}

impl TrackerArgs {
    /// (PEER_STALE_SECONDS, STALE_THRESHOLD days). STALE_THRESHOLD once was the
    /// peer-counting seconds; a value too large for days is taken as that, with a warning.
    fn stale_settings(&self) -> anyhow::Result<(u64, u64)> {
        let days = self.stale_threshold;
        if days == 0 {
            bail!("STALE_THRESHOLD: must be at least 1 day, got 0");
        }
        if days <= MAX_STALE_DAYS {
            return Ok((self.peer_stale_seconds.unwrap_or(DEFAULT_PEER_STALE), days));
        }
        let peer_stale = match self.peer_stale_seconds {
            Some(set) => {
                tracing::warn!(
                    "STALE_THRESHOLD={days} is more than {MAX_STALE_DAYS} days: read as the \
                     seconds of the setting now called PEER_STALE_SECONDS, which is set too \
                     ({set}) and wins; STALE_THRESHOLD stays at {DEFAULT_STALE_DAYS} days"
                );
                set
            }
            None => {
                tracing::warn!(
                    "STALE_THRESHOLD={days} looks like seconds: the peer-counting setting was \
                     renamed PEER_STALE_SECONDS and takes this value; STALE_THRESHOLD is now \
                     the days without a seeder before a torrent is dead ({DEFAULT_STALE_DAYS})"
                );
                days
            }
        };
        Ok((peer_stale, DEFAULT_STALE_DAYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        t: TrackerArgs,
    }

    fn resolve(args: &[&str]) -> anyhow::Result<TrackerConfig> {
        let cli = Cli::try_parse_from(std::iter::once("x").chain(args.iter().copied()))?;
        cli.t.resolve(TrustedProxies::default())
    }

    #[test]
    fn stale_threshold_is_days_and_an_old_seconds_value_is_renamed() {
        let c = resolve(&[]).unwrap();
        assert_eq!(c.dead_after, Duration::from_secs(30 * 86_400));
        assert_eq!(c.peer_stale, Duration::from_secs(2400));
        let c = resolve(&["--stale-threshold", "7"]).unwrap();
        assert_eq!(c.dead_after, Duration::from_secs(7 * 86_400));
        // The old default, 2400 seconds, keeps its old meaning.
        let c = resolve(&["--stale-threshold", "2400"]).unwrap();
        assert_eq!(c.peer_stale, Duration::from_secs(2400));
        assert_eq!(c.dead_after, Duration::from_secs(30 * 86_400));
        let c = resolve(&["--stale-threshold", "1200", "--peer-stale-seconds", "600"]).unwrap();
        assert_eq!(c.peer_stale, Duration::from_secs(600));
        let e = resolve(&["--stale-threshold", "0"])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("STALE_THRESHOLD"), "{e}");
        let e = resolve(&["--peer-stale-seconds", "7200"])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("PEER_STALE_SECONDS"), "{e}");
        let c = resolve(&["--stale-threshold-seconds", "5"]).unwrap();
        assert_eq!(c.dead_after, Duration::from_secs(5));
    }
}
