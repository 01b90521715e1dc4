//! Tracker settings: flags and environment variables of `privateindexer server`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::bail;
use clap::Args;

use crate::web::client_ip::TrustedProxies;

/// Peers handed out per announce at most, whatever `numwant` asks for.
pub const MAX_NUMWANT: usize = 200;
/// Peers handed out when the client does not say.
pub const DEFAULT_NUMWANT: usize = 50;

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
    /// (it is kept until PEER_TIMEOUT, so a late announce resumes its session).
    #[arg(long, env = "STALE_THRESHOLD", default_value_t = 2400)]
    pub stale_threshold: u64,

    /// Optional second address serving only the tracker (announce and scrape).
    #[arg(long, env = "TRACKER_BIND")]
    pub tracker_bind: Option<SocketAddr>,

    /// Optional UDP tracker address (BEP 15, passkey in the URL data of BEP 41); off by default.
    #[arg(long, env = "TRACKER_UDP_BIND")]
    pub tracker_udp_bind: Option<SocketAddr>,
}

/// Settings after checks.
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub peer_timeout: Duration,
    pub interval: u32,
    pub min_interval: u32,
    pub jitter_percent: u32,
    pub stale_threshold: Duration,
    pub bind: Option<SocketAddr>,
    pub udp_bind: Option<SocketAddr>,
    /// The server's TRUSTED_PROXIES: whose `ip` parameter and forwarding headers are believed.
    pub trusted_proxies: TrustedProxies,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            peer_timeout: Duration::from_secs(3600),
            interval: 1800,
            min_interval: 60,
            jitter_percent: 10,
            stale_threshold: Duration::from_secs(2400),
            bind: None,
            udp_bind: None,
            trusted_proxies: TrustedProxies::default(),
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
        let stale = secs(self.stale_threshold, "STALE_THRESHOLD")?;
        if min_interval > interval {
            bail!("MIN_ANNOUNCE_INTERVAL: must not exceed ANNOUNCE_INTERVAL ({interval} s)");
        }
        if stale > timeout {
            bail!("STALE_THRESHOLD: must not exceed PEER_TIMEOUT ({timeout} s)");
        }
        Ok(TrackerConfig {
            peer_timeout: Duration::from_secs(timeout.into()),
            interval,
            min_interval,
            jitter_percent: self.announce_jitter_percent as u32,
            stale_threshold: Duration::from_secs(stale.into()),
            bind: self.tracker_bind,
            udp_bind: self.tracker_udp_bind,
            trusted_proxies,
        })
    }
}
