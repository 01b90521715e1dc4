use super::*;
use crate::bencode::dict;

fn info(extra: Vec<(&'static str, Owned)>) -> Owned {
    let mut pairs = vec![
        ("name", Owned::str("a.bin")),
        ("piece length", Owned::Int(16384)),
        ("pieces", Owned::Bytes(vec![0; 40])),
        ("length", Owned::Int(20000)),
        ("private", Owned::Int(1)),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| *pk != k);
        pairs.push((k, v));
    }
    dict(pairs)
}

fn torrent(info: Owned) -> Vec<u8> {
    dict([
        ("announce", Owned::str("http://x/announce")),
        ("info", info),
    ])
    .encode()
}

#[test]
fn accepts_a_private_v1_torrent_and_drops_the_announce() {
    let t = torrent(info(vec![]));
    let m = parse(&t).unwrap();
    assert_eq!(m.size, 20000);
    assert_eq!(m.files.len(), 1);
    assert!(m.info_hash_v2.is_none());
    let stored = bencode::decode(&m.stored).unwrap();
    assert!(stored.get("announce").is_none());
    let served = with_announce(&m.stored, "http://t/announce/k").unwrap();
    assert_eq!(parse(&served).unwrap().info_hash, m.info_hash);
}

#[test]
fn info_hash_is_of_the_exact_info_bytes_even_unsorted() {
    // Keys out of order: a re-encoding would change the hash.
    let raw_info = b"d6:lengthi20000e4:name5:a.bin7:privatei1e12:piece lengthi16384e6:pieces40:\
\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0e";
    let mut t = b"d4:info".to_vec();
    t.extend_from_slice(raw_info);
    t.push(b'e');
    let m = parse(&t).unwrap();
    let expected: [u8; 20] = Sha1::digest(raw_info).into();
    assert_eq!(m.info_hash, expected);
    let served = with_announce(&m.stored, "http://t/a").unwrap();
    assert_eq!(parse(&served).unwrap().info_hash, expected);
    // The engine's copy: no tracker left, the same exact info bytes.
    let mut listed = served[..served.len() - 1].to_vec();
    listed.extend_from_slice(b"13:announce-listll3:urleee");
    let bare = without_trackers(&listed).unwrap();
    let root = bencode::decode(&bare).unwrap();
    assert!(root.get("announce").is_none() && root.get("announce-list").is_none());
    assert_eq!(parse(&bare).unwrap().info_hash, expected);
    assert!(matches!(
        without_trackers(b"le"),
        Err(MetainfoError::NotADict)
    ));
    assert!(without_trackers(b"d4:info").is_err());
}

#[test]
fn records_the_v2_hash_of_hybrid_torrents() {
    let t = torrent(info(vec![
        ("meta version", Owned::Int(2)),
        ("file tree", dict([])),
    ]));
    let m = parse(&t).unwrap();
    let root = bencode::decode(&t).unwrap();
    let span = root.get("info").unwrap().span.clone();
    let expected: [u8; 32] = Sha256::digest(&t[span]).into();
    assert_eq!(m.info_hash_v2, Some(expected));
}

#[test]
fn rejects_bad_torrents_with_a_named_reason() {
    let cases: Vec<(Vec<u8>, MetainfoError)> = vec![
        (
            b"not bencode".to_vec(),
            MetainfoError::Bencode(BencodeError::Invalid(0, "unknown value type")),
        ),
        (b"i1e".to_vec(), MetainfoError::NotADict),
        (dict([("x", Owned::Int(1))]).encode(), MetainfoError::NoInfo),
        (
            torrent(info(vec![("private", Owned::Int(0))])),
            MetainfoError::NotPrivate,
        ),
        (
            torrent(info(vec![("piece length", Owned::Int(0))])),
            MetainfoError::BadPieceLength,
        ),
        (
            torrent(info(vec![("piece length", Owned::Int(-5))])),
            MetainfoError::BadPieceLength,
        ),
        (
            torrent(info(vec![("length", Owned::Int(-1))])),
            MetainfoError::BadField("length"),
        ),
        (
            torrent(info(vec![("pieces", Owned::Bytes(vec![0; 20]))])),
            MetainfoError::PieceCount {
                expected: 2,
                found: 1,
            },
        ),
        (
            torrent(info(vec![("pieces", Owned::Bytes(vec![0; 30]))])),
            MetainfoError::BadField("pieces"),
        ),
        (
            torrent(info(vec![("name", Owned::str(".."))])),
            MetainfoError::UnsafeName("name"),
        ),
        (
            torrent(info(vec![("piece length", Owned::Int(16384 + 1))])),
            MetainfoError::BadPieceLength,
        ),
        (
            torrent(info(vec![("piece length", Owned::Int(8192))])),
            MetainfoError::BadPieceLength,
        ),
        (
            torrent(info(vec![("piece length", Owned::Int(1 << 29))])),
            MetainfoError::BadPieceLength,
        ),
        (
            torrent(info(vec![
                ("length", Owned::Int(0)),
                ("pieces", Owned::Bytes(vec![])),
            ])),
            MetainfoError::Empty,
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(parse(&bytes).unwrap_err(), expected);
    }
    let mut truncated = torrent(info(vec![]));
    truncated.truncate(truncated.len() - 3);
    assert!(matches!(
        parse(&truncated),
        Err(MetainfoError::Bencode(BencodeError::Truncated(_)))
    ));
    let mut trailing = torrent(info(vec![]));
    trailing.extend_from_slice(b"xx");
    assert!(matches!(
        parse(&trailing),
        Err(MetainfoError::Bencode(BencodeError::Trailing(_)))
    ));
    assert_eq!(
        parse(&vec![b'd'; MAX_TORRENT_BYTES + 1]).unwrap_err(),
        MetainfoError::TooLarge
    );
}

/// A two-file torrent (16 KiB pieces, 20,000 bytes each) with these path parts.
fn two_files(first: Vec<Owned>) -> Vec<u8> {
    let file =
        |path: Vec<Owned>| dict([("length", Owned::Int(20000)), ("path", Owned::List(path))]);
    torrent(dict([
        ("name", Owned::str("d")),
        ("piece length", Owned::Int(16384)),
        ("pieces", Owned::Bytes(vec![0; 60])),
        ("private", Owned::Int(1)),
        (
            "files",
            Owned::List(vec![file(first), file(vec![Owned::str("b.mkv")])]),
        ),
    ]))
}

#[test]
fn names_and_file_names_are_checked_as_text_shown_to_people() {
    assert_eq!(
        parse(&two_files(vec![Owned::str("a.mkv")]))
            .unwrap()
            .files
            .len(),
        2
    );
    let bad_text = [
        ("Evil\u{202E}vkm.exe", TextError::Bidi(0x202E)),
        ("two\r\nlines", TextError::Control(0x0D)),
        ("bell\u{7}", TextError::Control(7)),
        ("", TextError::Empty),
    ];
    for (s, reason) in bad_text {
        assert_eq!(
            parse(&torrent(info(vec![("name", Owned::str(s))]))).unwrap_err(),
            MetainfoError::BadText {
                field: "name",
                reason: reason.clone()
            },
            "{s:?}"
        );
        assert_eq!(
            parse(&two_files(vec![Owned::str("ok"), Owned::str(s)])).unwrap_err(),
            MetainfoError::BadText {
                field: "files.path",
                reason
            },
            "{s:?}"
        );
    }
    // 100 KB names: refused by length, in characters and in bytes.
    let long = "n".repeat(100_000);
    assert_eq!(
        parse(&torrent(info(vec![("name", Owned::str(&long))]))).unwrap_err(),
        MetainfoError::BadText {
            field: "name",
            reason: TextError::TooLong(255)
        }
    );
    let wide = "é".repeat(200); // 200 characters, 400 bytes
    assert_eq!(
        parse(&torrent(info(vec![("name", Owned::str(&wide))]))).unwrap_err(),
        MetainfoError::NameTooLong("name", 255)
    );
    let deep: Vec<Owned> = (0..40).map(|_| Owned::str(&"d".repeat(200))).collect();
    assert_eq!(
        parse(&two_files(deep)).unwrap_err(),
        MetainfoError::NameTooLong("files.path", 4096)
    );
    for unsafe_part in ["..", ".", "a/b", "a\\b"] {
        assert_eq!(
            parse(&two_files(vec![Owned::str(unsafe_part)])).unwrap_err(),
            MetainfoError::UnsafeName("files.path"),
            "{unsafe_part}"
        );
    }
    assert_eq!(
        parse(&two_files(vec![Owned::Bytes(vec![0xff, 0xfe])])).unwrap_err(),
        MetainfoError::BadField("files.path")
    );
}

#[test]
fn sizes_are_bounded_by_piece_length_times_pieces() {
    // i64::MAX bytes in one piece: no accepted piece length makes that add up.
    for piece in [i64::MAX, 1 << 62, 1 << 28] {
        let t = torrent(info(vec![
            ("piece length", Owned::Int(piece)),
            ("pieces", Owned::Bytes(vec![0; 20])),
            ("length", Owned::Int(i64::MAX)),
        ]));
        assert!(
            matches!(
                parse(&t).unwrap_err(),
                MetainfoError::BadPieceLength | MetainfoError::PieceCount { found: 1, .. }
            ),
            "piece length {piece}"
        );
    }
    // Two files whose lengths overflow together.
    let file = dict([
        ("length", Owned::Int(i64::MAX)),
        ("path", Owned::List(vec![Owned::str("a")])),
    ]);
    let t = torrent(dict([
        ("name", Owned::str("d")),
        ("piece length", Owned::Int(1 << 28)),
        ("pieces", Owned::Bytes(vec![0; 20])),
        ("private", Owned::Int(1)),
        ("files", Owned::List(vec![file.clone(), file.clone(), file])),
    ]));
    assert_eq!(
        parse(&t).unwrap_err(),
        MetainfoError::BadField("files.length")
    );
    // The largest piece length with the right count is fine.
    let t = torrent(info(vec![
        ("piece length", Owned::Int(1 << 28)),
        ("pieces", Owned::Bytes(vec![0; 40])),
        ("length", Owned::Int((1 << 28) + 1)),
    ]));
    assert_eq!(parse(&t).unwrap().size, (1 << 28) + 1);
}

#[test]
fn refuses_more_files_than_the_cap_before_reading_them() {
    let file = dict([
        ("length", Owned::Int(1)),
        ("path", Owned::List(vec![Owned::str("a")])),
    ]);
    let t = torrent(dict([
        ("name", Owned::str("d")),
        ("piece length", Owned::Int(16384)),
        ("pieces", Owned::Bytes(vec![0; 20])),
        ("private", Owned::Int(1)),
        ("files", Owned::List(vec![file; MAX_FILES + 1])),
    ]));
    assert_eq!(parse(&t).unwrap_err(), MetainfoError::TooManyFiles);
    assert_eq!(MetainfoError::TooManyFiles.status(), 413);
}

#[test]
fn rejects_path_traversal_in_multi_file_torrents() {
    let t = torrent(dict([
        ("name", Owned::str("d")),
        ("piece length", Owned::Int(16384)),
        ("pieces", Owned::Bytes(vec![0; 40])),
        ("private", Owned::Int(1)),
        (
            "files",
            Owned::List(vec![dict([
                ("length", Owned::Int(20000)),
                (
                    "path",
                    Owned::List(vec![Owned::str(".."), Owned::str("etc")]),
                ),
            ])]),
        ),
    ]));
    assert_eq!(
        parse(&t).unwrap_err(),
        MetainfoError::UnsafeName("files.path")
    );
}
