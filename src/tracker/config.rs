//! Tracker settings: flags and environment variables of `privateindexer server`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::bail;
use clap::Args;

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

    /// Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For / X-Real-IP / `ip`
    /// parameter is believed.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Optional UDP tracker address (BEP 15, passkey in the URL data of BEP 41); off by default.
    #[arg(long, env = "TRACKER_UDP_BIND")]
    pub tracker_udp_bind: Option<SocketAddr>,
}

/// A network: address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max)?,
            None => max,
        };
        Some(Cidr {
            addr: canonical_ip(addr),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_ip(ip)) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as plain IPv4.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
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
    pub trusted_proxies: Vec<Cidr>,
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
            trusted_proxies: Vec::new(),
        }
    }
}

impl TrackerArgs {
    pub fn resolve(&self) -> anyhow::Result<TrackerConfig> {
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
        let mut trusted_proxies = Vec::new();
        for p in self.trusted_proxies.iter().filter(|p| !p.trim().is_empty()) {
            match Cidr::parse(p) {
                Some(c) => trusted_proxies.push(c),
                None => bail!("TRUSTED_PROXIES: {p:?} is not an IP address or CIDR"),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nope").is_none());
    }
}
