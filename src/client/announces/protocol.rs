//! The HTTP tracker protocol as the client speaks it (BEP 3): the announce
//! URL of one torrent (the member's passkey is in its base, never logged) and
//! the tracker's bencoded answer, parsed as hostile input.

use std::time::Duration;

use crate::bencode::{self, Node};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Started,
    Completed,
    Stopped,
    /// A regular re-announce.
    None,
}

impl Event {
    pub fn word(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Completed => "completed",
            Event::Stopped => "stopped",
            Event::None => "",
        }
    }

    pub fn param(self) -> &'static str {
        match self {
            Event::Started => "&event=started",
            Event::Completed => "&event=completed",
            Event::Stopped => "&event=stopped",
            Event::None => "",
        }
    }

    /// The `event` of an announce query (absent or empty: a regular one).
    pub fn of_word(w: &str) -> Option<Event> {
        [
            Event::Started,
            Event::Completed,
            Event::Stopped,
            Event::None,
        ]
        .into_iter()
        .find(|e| e.word() == w)
    }
}

/// What a tracker answered.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub interval: Duration,
    pub min_interval: Option<Duration>,
    pub warning: Option<String>,
    pub complete: Option<u64>,
    pub incomplete: Option<u64>,
    /// Peers handed out (compact IPv4 and IPv6, or a list).
    pub peers: usize,
    /// The IPv4 ones in compact form (6 bytes each), for passing them on.
    pub peers4: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnnounceError {
    #[error("tracker refused: {0}")]
    Failure(String),
    #[error("tracker unreachable: {0}")]
    Http(String),
    #[error("tracker answer is not a valid announce response")]
    BadAnswer,
    #[error("no announce URL yet (the server has not answered /api/v1/me)")]
    NoUrl,
}

/// Parses a bencoded announce answer (BEP 3), hostile input included.
pub fn parse_answer(body: &[u8]) -> Result<Answer, AnnounceError> {
    let root = bencode::decode(body).map_err(|_| AnnounceError::BadAnswer)?;
    if !root.is_dict() {
        return Err(AnnounceError::BadAnswer);
    }
    let text = |k: &str| {
        root.get(k)
            .and_then(Node::as_bytes)
            .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
    };
    if let Some(reason) = text("failure reason") {
        return Err(AnnounceError::Failure(reason));
    }
    let secs = |k: &str| {
        root.get(k)
            .and_then(Node::as_int)
            .and_then(|n| u64::try_from(n).ok())
    };
    let interval = secs("interval").ok_or(AnnounceError::BadAnswer)?;
    let peers4 = peers4(root.get("peers"));
    let peers = match root.get("peers") {
        Some(p) if p.as_bytes().is_some() => p.as_bytes().map_or(0, |b| b.len() / 6),
        Some(p) => p.as_list().map_or(0, |l| l.len()),
        None => 0,
    } + root
        .get("peers6")
        .and_then(Node::as_bytes)
        .map_or(0, |b| b.len() / 18);
    Ok(Answer {
        interval: Duration::from_secs(interval.min(86_400)),
        min_interval: secs("min interval").map(|s| Duration::from_secs(s.min(86_400))),
        warning: text("warning message"),
        complete: secs("complete"),
        incomplete: secs("incomplete"),
        peers,
        peers4,
    })
}

/// Compact IPv4 peers from `peers`: the compact string cut to whole entries,
/// or the IPv4 ones of a dictionary list (BEP 3).
fn peers4(peers: Option<&Node<'_>>) -> Vec<u8> {
    let Some(p) = peers else { return Vec::new() };
    if let Some(b) = p.as_bytes() {
        return b[..b.len() / 6 * 6].to_vec();
    }
    let mut out = Vec::new();
    for peer in p.as_list().unwrap_or_default() {
        let ip = peer
            .get("ip")
            .and_then(Node::as_str)
            .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok());
        let port = peer
            .get("port")
            .and_then(Node::as_int)
            .and_then(|n| u16::try_from(n).ok());
        if let (Some(ip), Some(port)) = (ip, port) {
            out.extend_from_slice(&ip.octets());
            out.extend_from_slice(&port.to_be_bytes());
        }
    }
    out
}

/// `%XX` for every byte (info-hashes and peer ids are raw bytes).
pub fn url_bytes(out: &mut String, b: &[u8]) {
    use std::fmt::Write;
    for byte in b {
        let _ = write!(out, "%{byte:02X}");
    }
}

/// The announce URL of a library seed (`uploaded` so far, nothing left);
/// the passkey is in `base` and never logged.
pub fn seed_announce_url(
    base: &str,
    info_hash: &[u8; 20],
    uploaded: u64,
    peer_id: &[u8; 20],
    port: u16,
    key: u32,
    event: Event,
) -> String {
    let mut u = String::with_capacity(base.len() + 200);
    u.push_str(base);
    u.push(if base.contains('?') { '&' } else { '?' });
    u.push_str("info_hash=");
    url_bytes(&mut u, info_hash);
    u.push_str("&peer_id=");
    url_bytes(&mut u, peer_id);
    u.push_str(&format!(
        "&port={port}&uploaded={uploaded}&downloaded=0&left=0&compact=1&numwant=0&key={key:08x}{}",
        event.param()
    ));
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_hostile_ones_fail_cleanly() {
        let a = parse_answer(
            b"d8:completei3e10:incompletei1e8:intervali1800e12:min intervali900e5:peers0:e",
        )
        .unwrap();
        assert_eq!(a.interval, Duration::from_secs(1800));
        assert_eq!(a.min_interval, Some(Duration::from_secs(900)));
        assert_eq!((a.complete, a.incomplete, a.peers), (Some(3), Some(1), 0));
        let a =
            parse_answer(b"d8:intervali60e5:peers12:abcdefghijkl6:peers618:abcdefghijklmnopqre")
                .unwrap();
        assert_eq!(a.peers, 3);
        assert_eq!(a.peers4, b"abcdefghijkl");
        let a = parse_answer(
            b"d8:intervali60e5:peersld2:ip9:127.0.0.14:porti6881eed2:ip3:::14:porti1eed2:ip8:10.0.0.14:porti99999eeee",
        )
        .unwrap();
        assert_eq!(a.peers, 3, "a list of three dictionaries");
        assert_eq!(
            a.peers4,
            [127, 0, 0, 1, 0x1a, 0xe1],
            "only the IPv4 one with a port"
        );
        // A compact string of a partial entry keeps whole ones only.
        assert_eq!(
            parse_answer(b"d8:intervali60e5:peers8:abcdefghe")
                .unwrap()
                .peers4,
            b"abcdef"
        );
        assert_eq!(
            parse_answer(b"d14:failure reason12:unregisterede"),
            Err(AnnounceError::Failure("unregistered".into()))
        );
        for bad in [
            &b""[..],
            b"<html>",
            b"d8:intervali-5ee",
            b"le",
            b"d8:interval4:soone",
            b"d8:intervali99999999999999999999ee",
        ] {
            assert!(
                parse_answer(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // A huge interval is capped at a day.
        assert_eq!(
            parse_answer(b"d8:intervali999999999ee").unwrap().interval,
            Duration::from_secs(86_400)
        );
    }
}
