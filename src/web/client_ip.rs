//! Who is really asking: the connection's address, or behind a trusted reverse
//! proxy the client address the proxy passes on (X-Real-IP, X-Forwarded-For).
//! Used for tracker peer addresses, for per-address login limits, and for
//! whether the browser reached us over https (cookies are `Secure` only then).

use std::net::IpAddr;

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

/// Where a request came from, as the HTTP layer saw it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub remote: Option<IpAddr>,
    pub forwarded_for: Option<String>,
    pub real_ip: Option<String>,
    /// `X-Forwarded-Proto`, believed only from a trusted proxy.
    pub forwarded_proto: Option<String>,
}

/// The reverse proxies whose forwarding headers are believed (TRUSTED_PROXIES).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses IPs/CIDRs, skipping blank entries; the first bad entry is the error.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| Cidr::parse(p).ok_or_else(|| p.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// Whether the request reached us over https. We serve plain HTTP only, so
    /// that is a trusted proxy saying `X-Forwarded-Proto: https` (its first
    /// value: the scheme the browser used at the outermost proxy).
    pub fn came_over_https(&self, origin: &Origin) -> bool {
        let Some(remote) = origin.remote else {
            return false;
        };
        self.trusts(canonical_ip(remote))
            && origin.forwarded_proto.as_deref().is_some_and(|p| {
                p.split(',')
                    .next()
                    .is_some_and(|first| first.trim().eq_ignore_ascii_case("https"))
            })
    }

    /// The client's address: the connection's, unless that is a trusted proxy,
    /// whose X-Real-IP or X-Forwarded-For (the last hop that is not itself a
    /// trusted proxy) is believed instead.
    pub fn client_ip(&self, origin: &Origin) -> Option<IpAddr> {
        let remote = canonical_ip(origin.remote?);
        if !self.trusts(remote) {
            return Some(remote);
        }
        if let Some(ip) = origin
            .real_ip
            .as_deref()
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
        {
            return Some(canonical_ip(ip));
        }
        if let Some(xff) = &origin.forwarded_for {
            let hops: Vec<IpAddr> = xff
                .split(',')
                .filter_map(|h| h.trim().parse::<IpAddr>().ok())
                .map(canonical_ip)
                .collect();
            if let Some(ip) = hops.iter().rev().find(|ip| !self.trusts(**ip)) {
                return Some(*ip);
            }
            if let Some(first) = hops.first() {
                return Some(*first);
            }
        }
        Some(remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(remote: &str, real_ip: Option<&str>, xff: Option<&str>) -> Origin {
        Origin {
            remote: Some(remote.parse().unwrap()),
            forwarded_for: xff.map(str::to_string),
            real_ip: real_ip.map(str::to_string),
            forwarded_proto: None,
        }
    }

    #[test]
    fn https_only_from_a_trusted_proxys_forwarded_proto() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let with = |remote: &str, proto: Option<&str>| Origin {
            forwarded_proto: proto.map(str::to_string),
            ..origin(remote, None, None)
        };
        assert!(t.came_over_https(&with("10.0.0.1", Some("https"))));
        assert!(t.came_over_https(&with("10.0.0.1", Some("HTTPS, http"))));
        assert!(!t.came_over_https(&with("10.0.0.1", Some("http, https"))));
        assert!(!t.came_over_https(&with("10.0.0.1", None)));
        assert!(
            !t.came_over_https(&with("192.0.2.1", Some("https"))),
            "an untrusted address cannot claim https"
        );
        assert!(!TrustedProxies::default().came_over_https(&with("127.0.0.1", Some("https"))));
    }

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

    #[test]
    fn client_ip_believes_only_trusted_proxies() {
        let none = TrustedProxies::default();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            none.client_ip(&origin("10.0.0.1", Some("1.2.3.4"), None)),
            ip("10.0.0.1")
        );
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), " ".into()]).unwrap();
        assert_eq!(
            t.client_ip(&origin("10.0.0.1", Some("1.2.3.4"), Some("5.6.7.8"))),
            ip("1.2.3.4")
        );
        assert_eq!(
            t.client_ip(&origin(
                "10.0.0.1",
                None,
                Some("5.6.7.8, 9.9.9.9, 10.0.0.7")
            )),
            ip("9.9.9.9"),
            "the last hop that is not a trusted proxy"
        );
        assert_eq!(
            t.client_ip(&origin("10.0.0.1", None, Some("garbage"))),
            ip("10.0.0.1")
        );
        assert_eq!(
            t.client_ip(&origin("::ffff:10.0.0.1", Some("::ffff:1.2.3.4"), None)),
            ip("1.2.3.4")
        );
        assert_eq!(
            t.client_ip(&origin("192.0.2.1", Some("1.2.3.4"), None)),
            ip("192.0.2.1")
        );
        assert_eq!(TrustedProxies::parse(&["nope".into()]).unwrap_err(), "nope");
    }
}
