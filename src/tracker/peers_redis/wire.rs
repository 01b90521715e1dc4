//! How peers and the change feed look in Redis, apart from the I/O so hostile
//! values can be tested. Every value read back is checked: another instance
//! may run another version, and anyone with access to Redis can write garbage.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::tracker::swarm::{Ad, RemotePeer};

const VERSION: u8 = 1;
/// Version, instance, address family, then the address, port, left and expiry.
const HEAD: usize = 1 + 8 + 1;
const TAIL: usize = 2 + 8 + 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("peer field is {0} bytes, not a 20-byte peer_id")]
    Field(usize),
    #[error("peer value is {0} bytes, not a version-1 IPv4 or IPv6 record")]
    Length(usize),
    #[error("peer value has version {0}, this build knows 1")]
    Version(u8),
    #[error("peer value has address family {0}")]
    Family(u8),
    #[error("peer value has port 0")]
    Port,
    #[error("change feed entry lists {0} bytes of info-hashes, not a multiple of 20")]
    Hashes(usize),
    #[error("change feed entry has a {0}-byte instance id, not 8")]
    Instance(usize),
}

/// The hash of swarm `ih`'s peers: field peer_id, value [`encode`].
pub fn swarm_key(ih: &[u8; 20]) -> Vec<u8> {
    let mut k = b"pi:peers:".to_vec();
    k.extend_from_slice(ih);
    k
}

/// The stream every instance appends the swarms it changed to.
pub const FEED: &str = "pi:peers:feed";

/// A peer's value: which instance wrote it, and the ad.
pub fn encode(instance: u64, ad: &Ad) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEAD + 16 + TAIL);
    v.push(VERSION);
    v.extend_from_slice(&instance.to_be_bytes());
    match ad.ip {
        IpAddr::V4(a) => {
            v.push(4);
            v.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            v.push(6);
            v.extend_from_slice(&a.octets());
        }
    }
    v.extend_from_slice(&ad.port.to_be_bytes());
    v.extend_from_slice(&ad.left.to_be_bytes());
    v.extend_from_slice(&ad.expires.to_be_bytes());
    v
}

/// One field and value of a swarm's hash: (writing instance, the peer).
pub fn decode(field: &[u8], value: &[u8]) -> Result<(u64, RemotePeer), WireError> {
    let peer_id: [u8; 20] = field
        .try_into()
        .map_err(|_| WireError::Field(field.len()))?;
    if value.len() < HEAD {
        return Err(WireError::Length(value.len()));
    }
    if value[0] != VERSION {
        return Err(WireError::Version(value[0]));
    }
    let instance = u64::from_be_bytes(value[1..9].try_into().expect("8 bytes"));
    let rest = &value[HEAD..];
    let (ip, rest) = match (value[9], rest.len()) {
        (4, n) if n == 4 + TAIL => {
            let a: [u8; 4] = rest[..4].try_into().expect("4 bytes");
            (IpAddr::V4(Ipv4Addr::from(a)), &rest[4..])
        }
        (6, n) if n == 16 + TAIL => {
            let a: [u8; 16] = rest[..16].try_into().expect("16 bytes");
            (IpAddr::V6(Ipv6Addr::from(a)), &rest[16..])
        }
        (4 | 6, _) => return Err(WireError::Length(value.len())),
        (f, _) => return Err(WireError::Family(f)),
    };
    let port = u16::from_be_bytes(rest[..2].try_into().expect("2 bytes"));
    if port == 0 {
        return Err(WireError::Port);
    }
    let left = u64::from_be_bytes(rest[2..10].try_into().expect("8 bytes"));
    let expires = i64::from_be_bytes(rest[10..18].try_into().expect("8 bytes"));
    Ok((
        instance,
        RemotePeer {
            peer_id,
            ad: Ad {
                ip,
                port,
                left,
                expires,
            },
        },
    ))
}

/// A feed entry's instance id.
pub fn decode_instance(v: &[u8]) -> Result<u64, WireError> {
    let b: [u8; 8] = v.try_into().map_err(|_| WireError::Instance(v.len()))?;
    Ok(u64::from_be_bytes(b))
}

/// A feed entry's info-hashes, concatenated.
pub fn decode_hashes(v: &[u8]) -> Result<Vec<[u8; 20]>, WireError> {
    if !v.len().is_multiple_of(20) {
        return Err(WireError::Hashes(v.len()));
    }
    Ok(v.chunks_exact(20)
        .map(|c| c.try_into().expect("20 bytes"))
        .collect())
}

/// A feed entry's (instance, info-hashes) from its flat field/value list.
pub fn decode_feed_entry(fields: &[Vec<u8>]) -> Result<(u64, Vec<[u8; 20]>), WireError> {
    let mut instance = Err(WireError::Instance(0));
    let mut hashes = Ok(Vec::new());
    for pair in fields.chunks_exact(2) {
        match pair[0].as_slice() {
            b"i" => instance = decode_instance(&pair[1]),
            b"h" => hashes = decode_hashes(&pair[1]),
            _ => {}
        }
    }
    Ok((instance?, hashes?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(ip: &str) -> Ad {
        Ad {
            ip: ip.parse().unwrap(),
            port: 51413,
            left: u64::MAX,
            expires: -5,
        }
    }

    #[test]
    fn peers_round_trip_on_both_families() {
        for ip in ["10.1.2.3", "2001:db8::7"] {
            let v = encode(u64::MAX - 1, &ad(ip));
            let (inst, p) = decode(&[9; 20], &v).unwrap();
            assert_eq!(inst, u64::MAX - 1);
            assert_eq!(p.peer_id, [9; 20]);
            assert_eq!(p.ad, ad(ip));
        }
    }

    #[test]
    fn hostile_values_are_refused_not_misread() {
        let good = encode(1, &ad("10.1.2.3"));
        assert_eq!(decode(&[1; 19], &good), Err(WireError::Field(19)));
        assert_eq!(decode(&[1; 21], &good), Err(WireError::Field(21)));
        assert_eq!(decode(&[1; 20], &[]), Err(WireError::Length(0)));
        for cut in [HEAD, good.len() - 1] {
            assert_eq!(decode(&[1; 20], &good[..cut]), Err(WireError::Length(cut)));
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(decode(&[1; 20], &long), Err(WireError::Length(long.len())));
        // An IPv4 family tag in front of an IPv6-sized record.
        let mut v6 = encode(1, &ad("::1"));
        v6[9] = 4;
        assert_eq!(decode(&[1; 20], &v6), Err(WireError::Length(v6.len())));
        let mut bad = good.clone();
        bad[9] = 5;
        assert_eq!(decode(&[1; 20], &bad), Err(WireError::Family(5)));
        bad = good.clone();
        bad[0] = 2;
        assert_eq!(decode(&[1; 20], &bad), Err(WireError::Version(2)));
        let mut zero = ad("10.1.2.3");
        zero.port = 0;
        assert_eq!(decode(&[1; 20], &encode(1, &zero)), Err(WireError::Port));
        // Garbage of every length up to a little past the longest record.
        for n in 0..64 {
            let junk = vec![0xA5u8; n];
            assert!(decode(&[1; 20], &junk).is_err(), "{n} bytes of junk");
        }
    }

    #[test]
    fn feed_entries_are_checked() {
        assert_eq!(decode_instance(&7u64.to_be_bytes()), Ok(7));
        assert_eq!(decode_instance(&[1; 7]), Err(WireError::Instance(7)));
        assert_eq!(decode_hashes(&[]), Ok(vec![]));
        assert_eq!(decode_hashes(&[3; 40]), Ok(vec![[3; 20], [3; 20]]));
        assert_eq!(decode_hashes(&[3; 41]), Err(WireError::Hashes(41)));
        assert_eq!(swarm_key(&[0; 20]).len(), 9 + 20);
        let entry = |i: &[u8], h: &[u8]| vec![b"i".to_vec(), i.to_vec(), b"h".to_vec(), h.to_vec()];
        assert_eq!(
            decode_feed_entry(&entry(&5u64.to_be_bytes(), &[1; 20])),
            Ok((5, vec![[1; 20]]))
        );
        assert!(decode_feed_entry(&entry(&[5; 3], &[1; 20])).is_err());
        assert!(decode_feed_entry(&entry(&5u64.to_be_bytes(), &[1; 19])).is_err());
        assert!(
            decode_feed_entry(&[b"i".to_vec()]).is_err(),
            "odd list, no instance"
        );
    }
}
