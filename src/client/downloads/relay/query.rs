//! The announce query the download engine sends the relay, and the answer it
//! gets back: parsed and built apart from any socket. The query comes from
//! librqbit on loopback, yet is read as hostile input all the same.

use crate::bencode::{dict, Owned};
use crate::client::announces::protocol::Event;

/// The longest query taken (librqbit's are ~250 bytes).
pub const MAX_QUERY: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
pub struct Announce {
    pub info_hash: [u8; 20],
    pub event: Event,
    /// The query as it came, without its `event`: what a later announce of
    /// this torrent sends again.
    pub regular: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("query longer than {MAX_QUERY} bytes")]
    TooLong,
    #[error("no info_hash of 20 bytes")]
    InfoHash,
    #[error("unknown event")]
    Event,
}

fn pairs(raw: &str) -> impl Iterator<Item = (&str, &str)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

pub fn parse(raw: &str) -> Result<Announce, QueryError> {
    if raw.len() > MAX_QUERY {
        return Err(QueryError::TooLong);
    }
    let mut info_hash = None;
    let mut event = Event::None;
    for (k, v) in pairs(raw) {
        match k {
            "info_hash" => {
                let bytes: Vec<u8> = percent_encoding::percent_decode_str(v).collect();
                info_hash = Some(<[u8; 20]>::try_from(bytes).map_err(|_| QueryError::InfoHash)?);
            }
            "event" => event = Event::of_word(v).ok_or(QueryError::Event)?,
            _ => {}
        }
    }
    Ok(Announce {
        info_hash: info_hash.ok_or(QueryError::InfoHash)?,
        event,
        regular: replaced(raw, &[("event", None)]),
    })
}

/// `raw` with each named parameter set to its value (`None`: dropped);
/// parameters not there yet are added at the end.
pub fn replaced(raw: &str, with: &[(&str, Option<&str>)]) -> String {
    let mut out: Vec<String> = pairs(raw)
        .filter(|(k, _)| !with.iter().any(|(w, _)| w == k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.extend(
        with.iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}"))),
    );
    out.join("&")
}

/// What the engine is told: the peers the tracker handed out last, and to
/// come back in `poll_secs` (the relay decides when the tracker is asked).
pub fn answer(
    peers4: &[u8],
    complete: Option<u64>,
    incomplete: Option<u64>,
    poll_secs: u64,
) -> Vec<u8> {
    let count = |n: Option<u64>| Owned::Int(i64::try_from(n.unwrap_or(0)).unwrap_or(i64::MAX));
    dict([
        ("complete", count(complete)),
        ("incomplete", count(incomplete)),
        ("interval", Owned::Int(poll_secs as i64)),
        ("peers", Owned::Bytes(peers4.to_vec())),
    ])
    .encode()
}

/// A refusal the engine logs and retries later.
pub fn failure(reason: &str) -> Vec<u8> {
    dict([("failure reason", Owned::str(reason))]).encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::announces::protocol::parse_answer;

    const IH: &str = "%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14";

    #[test]
    fn reads_the_engines_query_and_keeps_it_without_its_event() {
        let raw = format!("info_hash={IH}&peer_id=-PI0100-abcdefghijkl&port=6881&uploaded=5&downloaded=7&left=9&compact=1&event=started&key=1a2b");
        let a = parse(&raw).unwrap();
        assert_eq!(a.info_hash, core::array::from_fn(|i| i as u8 + 1));
        assert_eq!(a.event, Event::Started);
        assert_eq!(
            a.regular,
            format!("info_hash={IH}&peer_id=-PI0100-abcdefghijkl&port=6881&uploaded=5&downloaded=7&left=9&compact=1&key=1a2b")
        );
        let r = parse(&format!("info_hash={IH}&left=3")).unwrap();
        assert_eq!(
            (r.event, r.regular.as_str()),
            (Event::None, &*format!("info_hash={IH}&left=3"))
        );
        assert_eq!(
            replaced(&a.regular, &[("left", Some("0")), ("event", Some("completed"))]),
            format!("info_hash={IH}&peer_id=-PI0100-abcdefghijkl&port=6881&uploaded=5&downloaded=7&compact=1&key=1a2b&left=0&event=completed")
        );
    }

    #[test]
    fn hostile_queries_are_refused_by_name() {
        for (raw, e) in [
            (String::new(), QueryError::InfoHash),
            ("info_hash=%01%02".into(), QueryError::InfoHash),
            (format!("info_hash={IH}%15"), QueryError::InfoHash),
            ("info_hash=%zz".repeat(3), QueryError::InfoHash),
            (format!("info_hash={IH}&event=exploded"), QueryError::Event),
            (
                format!("info_hash={IH}&x={}", "a".repeat(MAX_QUERY)),
                QueryError::TooLong,
            ),
        ] {
            assert_eq!(parse(&raw), Err(e), "{raw}");
        }
    }

    #[test]
    fn answers_parse_as_the_engine_reads_them() {
        let a = parse_answer(&answer(b"abcdefghijkl", Some(2), None, 10)).unwrap();
        assert_eq!(a.interval.as_secs(), 10);
        assert_eq!(a.min_interval, None, "the engine would wait for it instead");
        assert_eq!((a.peers, a.complete, a.incomplete), (2, Some(2), Some(0)));
        assert_eq!(
            parse_answer(&failure("no")),
            Err(crate::client::announces::protocol::AnnounceError::Failure(
                "no".into()
            ))
        );
    }
}
