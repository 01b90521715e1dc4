//! Seeded property runs of the parsers that face the network, the short in-`cargo test`
//! half of the fuzz targets in `fuzz/` (guides/fuzzing.md): bencode, upload validation,
//! announce/scrape queries, UDP datagrams, Torznab queries, the seeder's peer wire and the
//! qBittorrent API's forms. Each property states what
//! must hold for any input, a few hundred cases each.

use std::collections::BTreeMap;

use crate::harness::url_bytes;
use futures_util::FutureExt;
use privateindexer::bencode::{self, Owned, Value};
use privateindexer::client::qbittorrent::form as qbt_form;
use privateindexer::client::seeder::wire::{self, Block, Message};
use privateindexer::display_text;
use privateindexer::metainfo::{self, MetainfoError};
use privateindexer::torznab::query::{self as torznab, Function, Params, MAX_LIMIT};
use privateindexer::tracker::announce::{parse_announce, parse_scrape, Event, MAX_SCRAPE_HASHES};
use privateindexer::tracker::udp::{decode_announce, decode_header};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    }
}

/// Bencode values up to a few levels deep, with keys and strings from small alphabets
/// so dictionaries meet duplicate and out-of-order keys.
fn owned() -> impl Strategy<Value = Owned> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Owned::Int),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(Owned::Bytes),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Owned::List),
            prop::collection::btree_map(prop::collection::vec(b'a'..=b'e', 0..3), inner, 0..6)
                .prop_map(Owned::Dict),
        ]
    })
}

/// A decoded node back to an owned value (keys re-sorted, as the encoder writes them).
fn to_owned(n: &bencode::Node<'_>) -> Owned {
    match &n.value {
        Value::Int(i) => Owned::Int(*i),
        Value::Bytes(b) => Owned::Bytes(b.to_vec()),
        Value::List(items) => Owned::List(items.iter().map(to_owned).collect()),
        Value::Dict(entries) => Owned::Dict(
            entries
                .iter()
                .map(|(k, v)| (k.to_vec(), to_owned(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn spans_inside(n: &bencode::Node<'_>, len: usize) -> bool {
    n.span.start < n.span.end
        && n.span.end <= len
        && match &n.value {
            Value::List(items) => items.iter().all(|i| spans_inside(i, len)),
            Value::Dict(entries) => entries.iter().all(|(_, v)| spans_inside(v, len)),
            _ => true,
        }
}

/// Single-byte edits of a valid input: where fuzzers find the interesting paths.
fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    for &(at, b) in edits {
        if bytes.is_empty() {
            break;
        }
        let at = at % bytes.len();
        match b % 3 {
            0 => bytes[at] = b,
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, b),
        }
    }
    bytes
}

/// Names mostly of plain letters, sometimes with separators, dots, control and bidi characters.
fn name() -> impl Strategy<Value = String> {
    let chars = |set: Vec<char>, len| {
        prop::collection::vec(prop::sample::select(set), len)
            .prop_map(|c| c.into_iter().collect::<String>())
    };
    prop_oneof![
        3 => chars(vec!['a', 'Z', '0', ' ', '-', 'é', '日'], 1..12),
        1 => chars(
            vec![
                'a', '.', '/', '\\', '\n', '\r', '\t', '\0', '\u{7f}', '\u{85}', '\u{202E}',
                '\u{2066}', '\u{200F}', '\u{2028}',
            ],
            0..6,
        ),
    ]
}

/// A length: mostly plausible, sometimes anything an i64 holds.
fn length() -> impl Strategy<Value = i64> {
    prop_oneof![4 => 0i64..70_000, 1 => any::<i64>()]
}

/// A private single- or multi-file torrent with arbitrary names, lengths and piece
/// length; its `pieces` mostly match the size, so some are accepted.
fn torrent() -> impl Strategy<Value = Vec<u8>> {
    (
        name(),
        prop_oneof![4 => Just(16384i64), 1 => Just(1 << 28), 1 => any::<i64>()],
        prop_oneof![4 => Just(None), 1 => (0usize..4).prop_map(Some)],
        prop::collection::vec((prop::collection::vec(name(), 0..3), length()), 0..4),
        length(),
    )
        .prop_map(|(name, piece, wrong_pieces, files, length)| {
            let total = if files.is_empty() {
                length
            } else {
                files.iter().fold(0i64, |t, (_, l)| t.saturating_add(*l))
            };
            let pieces = wrong_pieces.unwrap_or_else(|| {
                usize::try_from((total.max(0) as u64).div_ceil(piece.max(1) as u64))
                    .unwrap_or(1)
                    .min(8)
            });
            let mut info = vec![
                ("name", Owned::str(&name)),
                ("piece length", Owned::Int(piece)),
                ("pieces", Owned::Bytes(vec![1; 20 * pieces])),
                ("private", Owned::Int(1)),
            ];
            if files.is_empty() {
                info.push(("length", Owned::Int(length)));
            } else {
                let list = files
                    .into_iter()
                    .map(|(path, len)| {
                        bencode::dict([
                            ("length", Owned::Int(len)),
                            (
                                "path",
                                Owned::List(path.iter().map(|p| Owned::str(p)).collect()),
                            ),
                        ])
                    })
                    .collect();
                info.push(("files", Owned::List(list)));
            }
            bencode::dict([
                ("announce", Owned::str("http://x/a")),
                ("info", bencode::dict(info)),
            ])
            .encode()
        })
}

/// Checks what an accepted torrent must satisfy.
fn accepted_is_sound(bytes: &[u8]) -> Result<(), TestCaseError> {
    match metainfo::parse(bytes) {
        Ok(m) => {
            let pieces = bencode::decode(&m.stored).unwrap();
            let pieces = pieces.get("info").unwrap().get("pieces").unwrap();
            let count = pieces.as_bytes().unwrap().len() as u64 / 20;
            prop_assert!(m.size <= m.piece_length * count);
            prop_assert!(display_text::check(&m.name, 255).is_ok());
            for f in &m.files {
                prop_assert!(f
                    .path
                    .split('/')
                    .all(|p| display_text::check(p, 255).is_ok() && p != ".." && p != "."));
            }
            let served = metainfo::with_announce(&m.stored, "http://t/announce/k").unwrap();
            prop_assert_eq!(metainfo::parse(&served).unwrap().info_hash, m.info_hash);
        }
        Err(e) => prop_assert!(!e.to_string().is_empty() && e.to_string().len() < 300),
    }
    Ok(())
}

/// Query strings from the pieces announce and Torznab parameters are made of.
fn query_soup(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(names),
            prop::collection::vec(
                prop::sample::select(vec![
                    "1",
                    "0",
                    "-1",
                    "%",
                    "%4",
                    "%41",
                    "%zz",
                    "+",
                    "&",
                    "=",
                    "18446744073709551616",
                    "tt",
                    "abc",
                    "é",
                    "%FF",
                    "%00",
                ]),
                0..5,
            ),
        ),
        0..10,
    )
    .prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(n, v)| format!("{n}={}", v.concat()))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// A peer-wire message as the seeder writes it and reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WireMsg {
    KeepAlive,
    Choke,
    Unchoke,
    HaveAll,
    HaveNone,
    Bitfield(Vec<u8>),
    Reject(u32, u32, u32),
    Piece(u32, u32),
}

impl WireMsg {
    fn encode(&self, out: &mut Vec<u8>) {
        let block = |index, begin, len| Block { index, begin, len };
        match self {
            WireMsg::KeepAlive => wire::keep_alive(out),
            WireMsg::Choke => wire::choke(out),
            WireMsg::Unchoke => wire::unchoke(out),
            WireMsg::HaveAll => wire::have_all(out),
            WireMsg::HaveNone => wire::have_none(out),
            WireMsg::Bitfield(b) => wire::bitfield(out, b),
            WireMsg::Reject(i, b, l) => wire::reject(out, block(*i, *b, *l)),
            WireMsg::Piece(i, b) => {
                out.extend_from_slice(&wire::piece_header(block(*i, *b, 3)));
                out.extend_from_slice(b"abc");
            }
        }
    }

    fn from(m: &Message<'_>) -> WireMsg {
        match m {
            Message::KeepAlive => WireMsg::KeepAlive,
            Message::Choke => WireMsg::Choke,
            Message::Unchoke => WireMsg::Unchoke,
            Message::HaveAll => WireMsg::HaveAll,
            Message::HaveNone => WireMsg::HaveNone,
            Message::Bitfield(b) => WireMsg::Bitfield(b.to_vec()),
            Message::Reject(b) => WireMsg::Reject(b.index, b.begin, b.len),
            Message::Piece { index, begin } => WireMsg::Piece(*index, *begin),
            other => panic!("the seeder never writes {other:?}"),
        }
    }
}

fn wire_message() -> impl Strategy<Value = WireMsg> {
    prop_oneof![
        Just(WireMsg::KeepAlive),
        Just(WireMsg::Choke),
        Just(WireMsg::Unchoke),
        Just(WireMsg::HaveAll),
        Just(WireMsg::HaveNone),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(WireMsg::Bitfield),
        (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(i, b, l)| WireMsg::Reject(i, b, l)),
        (any::<u32>(), any::<u32>()).prop_map(|(i, b)| WireMsg::Piece(i, b)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bencode_round_trips_what_it_encodes(v in owned()) {
        let enc = v.encode();
        let n = bencode::decode(&enc).unwrap();
        prop_assert_eq!(n.span.clone(), 0..enc.len());
        prop_assert_eq!(to_owned(&n), v);
    }

    #[test]
    fn bencode_refuses_or_decodes_any_edit_with_spans_inside(
        v in owned(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let bytes = mutate(v.encode(), &edits);
        if let Ok(n) = bencode::decode(&bytes) {
            prop_assert_eq!(n.span.clone(), 0..bytes.len());
            prop_assert!(spans_inside(&n, bytes.len()));
        }
    }

    #[test]
    fn bencode_survives_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(n) = bencode::decode(&bytes) {
            prop_assert!(spans_inside(&n, bytes.len()));
        }
    }

    #[test]
    fn upload_validation_accepts_only_sound_torrents(t in torrent()) {
        accepted_is_sound(&t)?;
    }

    #[test]
    fn upload_validation_survives_edits_of_a_real_torrent(
        t in torrent(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        accepted_is_sound(&mutate(t, &edits))?;
    }

    #[test]
    fn announce_queries_round_trip(
        ih in any::<[u8; 20]>(),
        peer in any::<[u8; 20]>(),
        port in 1u16..,
        up in any::<u64>(),
        down in any::<u64>(),
        left in any::<u64>(),
        event in prop::sample::select(vec!["started", "completed", "stopped", "", "paused"]),
    ) {
        let q = format!(
            "info_hash={}&peer_id={}&port={port}&uploaded={up}&downloaded={down}&left={left}&event={event}",
            url_bytes(&ih),
            url_bytes(&peer)
        );
        let a = parse_announce(&q).unwrap();
        prop_assert_eq!((a.info_hash, a.peer_id, a.port), (ih, peer, port));
        prop_assert_eq!((a.uploaded, a.downloaded, a.left), (up, down, left));
        let want = match event {
            "started" => Event::Started,
            "completed" => Event::Completed,
            "stopped" => Event::Stopped,
            _ => Event::None,
        };
        prop_assert_eq!(a.event, want);
    }

    #[test]
    fn announce_and_scrape_queries_survive_any_soup(
        q in query_soup(&[
            "info_hash", "peer_id", "port", "uploaded", "downloaded", "left", "event",
            "numwant", "compact", "key", "ip", "passkey", "x",
        ]),
    ) {
        let _ = parse_announce(&q);
        if let Ok(s) = parse_scrape(&q) {
            prop_assert!(s.info_hashes.len() <= MAX_SCRAPE_HASHES);
        }
    }

    #[test]
    fn scrapes_hold_at_most_the_cap(n in 0usize..200) {
        let q: Vec<String> = (0..n).map(|i| format!("info_hash={}", url_bytes(&[i as u8; 20]))).collect();
        let r = parse_scrape(&q.join("&"));
        prop_assert_eq!(r.is_ok(), n <= MAX_SCRAPE_HASHES);
    }

    #[test]
    fn udp_datagrams_decode_or_are_refused(bytes in prop::collection::vec(any::<u8>(), 0..160)) {
        let header = decode_header(&bytes);
        prop_assert_eq!(header.is_some(), bytes.len() >= 16);
        if let Ok(a) = decode_announce(&bytes) {
            prop_assert!(bytes.len() >= 98 && a.port != 0);
            prop_assert_eq!(&a.info_hash[..], &bytes[16..36]);
        }
    }

    #[test]
    fn torznab_queries_parse_to_a_bounded_search_or_an_error(
        q in query_soup(&[
            "t", "q", "cat", "season", "ep", "imdbid", "tmdbid", "tvdbid", "artist", "album",
            "limit", "offset", "include_my_uploads", "x",
        ]),
        t in prop::sample::select(vec!["search", "tvsearch", "movie", "music", "caps", "book", "x"]),
    ) {
        match torznab::parse(&Params::parse(&format!("t={t}&{q}"))) {
            Ok(Function::Search(s)) => prop_assert!(s.limit <= MAX_LIMIT),
            Ok(Function::Caps) => prop_assert_eq!(t, "caps"),
            Err(_) => {}
        }
    }

    #[test]
    fn peer_wire_messages_round_trip_in_a_stream(
        msgs in prop::collection::vec(wire_message(), 0..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut stream = Vec::new();
        for m in &msgs {
            m.encode(&mut stream);
        }
        // Cut anywhere: the front parses to whole messages, the rest waits for more.
        let cut = cut.index(stream.len() + 1);
        let mut got = Vec::new();
        let mut rest = &stream[..cut];
        while let Some((msg, used)) = wire::parse(rest).unwrap() {
            got.push(WireMsg::from(&msg));
            rest = &rest[used..];
        }
        prop_assert!(got.len() <= msgs.len());
        prop_assert_eq!(&got[..], &msgs[..got.len()]);
        let mut all = Vec::new();
        let mut rest = &stream[..];
        while let Some((msg, used)) = wire::parse(rest).unwrap() {
            all.push(WireMsg::from(&msg));
            rest = &rest[used..];
        }
        prop_assert_eq!(all, msgs);
        prop_assert!(rest.is_empty());
    }

    #[test]
    fn peer_wire_bytes_parse_to_bounded_messages_or_an_error(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut rest = &bytes[..];
        loop {
            match wire::parse(rest) {
                Ok(Some((_, used))) => {
                    prop_assert!(used >= 4 && used <= rest.len());
                    rest = &rest[used..];
                }
                Ok(None) => {
                    // Waiting is only for a frame not yet whole (and never oversized).
                    if rest.len() >= 4 {
                        let len = u32::from_be_bytes(rest[..4].try_into().unwrap());
                        prop_assert!(len <= wire::MAX_FRAME && rest.len() < 4 + len as usize);
                    }
                    break;
                }
                Err(_) => break,
            }
        }
    }

    #[test]
    fn qbt_forms_give_back_their_fields_and_files(
        fields in prop::collection::btree_map("[a-z_]{1,8}", any::<String>(), 0..8),
        files in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..4),
        multipart in any::<bool>(),
    ) {
        let (content_type, body) = if multipart {
            let mut b = Vec::new();
            for (k, v) in &fields {
                b.extend_from_slice(format!("--XyZ\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
            }
            for (i, f) in files.iter().enumerate() {
                b.extend_from_slice(format!("--XyZ\r\nContent-Disposition: form-data; name=\"torrents\"; filename=\"{i}.torrent\"\r\nContent-Type: application/x-bittorrent\r\n\r\n").as_bytes());
                b.extend_from_slice(f);
                b.extend_from_slice(b"\r\n");
            }
            b.extend_from_slice(b"--XyZ--\r\n");
            ("multipart/form-data; boundary=XyZ", b)
        } else {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish();
            ("application/x-www-form-urlencoded", body.into_bytes())
        };
        let parsed = qbt_form::Params::parse("", Some(content_type), body.into())
            .now_or_never()
            .expect("an in-memory body never waits");
        // A field whose text holds the boundary line may end a part early: refused or cut, never a panic.
        let boundary_in_text = multipart && fields.values().any(|v| v.contains("--XyZ"));
        if boundary_in_text {
            return Ok(());
        }
        let p = parsed.unwrap();
        for (k, v) in &fields {
            prop_assert_eq!(p.get(k), Some(v.as_str()));
        }
        if multipart {
            prop_assert_eq!(&p.files, &files);
        }
    }

    #[test]
    fn qbt_forms_survive_any_body(
        body in prop::collection::vec(any::<u8>(), 0..300),
        kind in 0u8..3,
        query in query_soup(&["hashes", "tags", "category", "limit", "x"]),
    ) {
        let content_type = match kind {
            0 => None,
            1 => Some("application/x-www-form-urlencoded"),
            _ => Some("multipart/form-data; boundary=XyZ"),
        };
        let parsed = qbt_form::Params::parse(&query, content_type, body.into())
            .now_or_never()
            .expect("an in-memory body never waits");
        if let Ok(p) = parsed {
            if let Ok(Some(set)) = qbt_form::hashes(p.get("hashes")) {
                prop_assert!(set.iter().all(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit())));
            }
            let _ = qbt_form::tag_list(p.get("tags"));
            if let Some(c) = p.get("category") {
                let _ = qbt_form::category_name(c);
            }
        }
    }
}

#[test]
fn the_generators_reach_both_outcomes() {
    // The properties above would hold vacuously if every generated torrent were refused.
    let good = bencode::dict([(
        "info",
        bencode::dict([
            ("name", Owned::str("a")),
            ("piece length", Owned::Int(16384)),
            ("pieces", Owned::Bytes(vec![1; 20])),
            ("length", Owned::Int(5)),
            ("private", Owned::Int(1)),
        ]),
    )])
    .encode();
    assert!(metainfo::parse(&good).is_ok());
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = torrent();
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..300 {
        let t = strategy.new_tree(&mut runner).unwrap().current();
        match metainfo::parse(&t) {
            Ok(_) => ok += 1,
            Err(MetainfoError::Bencode(_)) => panic!("the generator wrote bad bencode"),
            Err(_) => refused += 1,
        }
    }
    assert!(ok > 0 && refused > 0, "accepted {ok}, refused {refused}");
}
