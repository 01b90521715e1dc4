//! The optional UDP tracker (BEP 15 with the passkey in BEP 41 URL data).

use std::net::UdpSocket;
use std::time::Duration;

use crate::harness::*;

fn udp_addr(server: &Server) -> String {
    let log = server.log_text();
    log.lines()
        .find_map(|l| l.split("tracker UDP on udp://").nth(1))
        .unwrap_or_else(|| panic!("no UDP line in {log}"))
        .trim()
        .to_string()
}

fn exchange(sock: &UdpSocket, packet: &[u8]) -> Vec<u8> {
    sock.send(packet).unwrap();
    let mut buf = [0u8; 2048];
    let n = sock.recv(&mut buf).expect("an answer from the UDP tracker");
    buf[..n].to_vec()
}

fn connect(sock: &UdpSocket) -> u64 {
    let mut p = Vec::new();
    p.extend_from_slice(&0x0417_2710_1980u64.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&7u32.to_be_bytes());
    let r = exchange(sock, &p);
    assert_eq!(&r[..8], &[0, 0, 0, 0, 0, 0, 0, 7]);
    u64::from_be_bytes(r[8..16].try_into().unwrap())
}

fn announce_packet(conn: u64, ih: &[u8; 20], peer: u8, left: u64, port: u16, url: &str) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&conn.to_be_bytes());
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(&9u32.to_be_bytes());
    p.extend_from_slice(ih);
    p.extend_from_slice(&[peer; 20]);
    p.extend_from_slice(&0u64.to_be_bytes()); // downloaded
    p.extend_from_slice(&left.to_be_bytes());
    p.extend_from_slice(&0u64.to_be_bytes()); // uploaded
    p.extend_from_slice(&2u32.to_be_bytes()); // started
    p.extend_from_slice(&0u32.to_be_bytes()); // ip
    p.extend_from_slice(&1234u32.to_be_bytes()); // key
    p.extend_from_slice(&(-1i32).to_be_bytes()); // numwant
    p.extend_from_slice(&port.to_be_bytes());
    // BEP 41 URL data split over two options, then end of options.
    let (a, b) = url.as_bytes().split_at(10);
    for part in [a, b] {
        p.push(2);
        p.push(part.len() as u8);
        p.extend_from_slice(part);
    }
    p.push(0);
    p
}

#[tokio::test]
async fn udp_announces_share_the_http_swarm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("TRACKER_UDP_BIND", "127.0.0.1:0")]);
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let torrent = single_file_torrent("Udp.Movie.mkv", 11, 30_000);
    let ih_hex = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2000}),
    )
    .await;
    let mut ih = [0u8; 20];
    hex::decode_to_slice(&ih_hex, &mut ih).unwrap();

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    sock.connect(udp_addr(&server)).unwrap();
    let conn = connect(&sock);

    let seed = announce_packet(
        conn,
        &ih,
        1,
        0,
        7001,
        &format!("/announce/{}", alice.passkey),
    );
    let r = exchange(&sock, &seed);
    assert_eq!(
        u32::from_be_bytes(r[0..4].try_into().unwrap()),
        1,
        "{:?}",
        String::from_utf8_lossy(&r)
    );
    let leech = announce_packet(
        conn,
        &ih,
        2,
        100,
        7002,
        &format!("/announce?passkey={}", bob.passkey),
    );
    let r = exchange(&sock, &leech);
    assert_eq!(u32::from_be_bytes(r[0..4].try_into().unwrap()), 1);
    assert!(
        u32::from_be_bytes(r[8..12].try_into().unwrap()) > 0,
        "interval"
    );
    assert_eq!(
        u32::from_be_bytes(r[12..16].try_into().unwrap()),
        1,
        "leechers"
    );
    assert_eq!(
        u32::from_be_bytes(r[16..20].try_into().unwrap()),
        1,
        "seeders"
    );
    assert_eq!(
        &r[20..],
        &[127, 0, 0, 1, 0x1b, 0x59],
        "the seeder at 127.0.0.1:7001"
    );

    // Refusals are BEP 15 errors.
    let bad_key = announce_packet(
        conn,
        &ih,
        3,
        100,
        7003,
        &format!("/announce/{}", "ab".repeat(32)),
    );
    let r = exchange(&sock, &bad_key);
    assert_eq!(u32::from_be_bytes(r[0..4].try_into().unwrap()), 3);
    assert!(String::from_utf8_lossy(&r[8..]).contains("unknown passkey"));
    let forged = announce_packet(
        conn ^ 1,
        &ih,
        3,
        100,
        7003,
        &format!("/announce/{}", bob.passkey),
    );
    let r = exchange(&sock, &forged);
    assert!(String::from_utf8_lossy(&r[8..]).contains("connection id"));
    let short = exchange(&sock, &seed[..60]);
    assert_eq!(u32::from_be_bytes(short[0..4].try_into().unwrap()), 3);
}

#[tokio::test]
async fn announces_past_the_per_address_rate_get_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            ("TRACKER_UDP_BIND", "127.0.0.1:0"),
            ("UDP_ANNOUNCE_RATE", "1"),
        ],
    );
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    sock.connect(udp_addr(&server)).unwrap();
    let conn = connect(&sock);
    // A rate of 1/s allows a burst of 10; thirty at once must meet the limit.
    let url = "/announce/not-a-member-passkey";
    let mut limited = 0;
    let mut refused_otherwise = 0;
    for i in 0..30u8 {
        let r = exchange(&sock, &announce_packet(conn, &[i; 20], 1, 0, 6001, url));
        assert_eq!(&r[..4], &3u32.to_be_bytes(), "an error answer");
        let text = String::from_utf8_lossy(&r[8..]).into_owned();
        if text.contains("too many announces") {
            limited += 1;
        } else {
            refused_otherwise += 1;
        }
    }
    assert!(
        (1..=10).contains(&refused_otherwise),
        "{refused_otherwise} passed the limit"
    );
    assert_eq!(limited + refused_otherwise, 30);
    // Another address is not limited by this one.
    let other = UdpSocket::bind("127.0.0.2:0").unwrap();
    other
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    other.connect(udp_addr(&server)).unwrap();
    let conn = connect(&other);
    let r = exchange(&other, &announce_packet(conn, &[1; 20], 1, 0, 6001, url));
    assert!(!String::from_utf8_lossy(&r[8..]).contains("too many announces"));
}

#[tokio::test]
async fn a_disabled_members_udp_announce_shows_on_their_member_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &[("TRACKER_UDP_BIND", "127.0.0.1:0")]);
    let bob = add_member(&server, "bob").await;
    let resp = admin_request(
        &server,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", bob.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), 204);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    sock.connect(udp_addr(&server)).unwrap();
    let conn = connect(&sock);
    let packet = announce_packet(
        conn,
        &[5u8; 20],
        4,
        100,
        7004,
        &format!("/announce/{}", bob.passkey),
    );
    let r = exchange(&sock, &packet);
    assert_eq!(u32::from_be_bytes(r[0..4].try_into().unwrap()), 3);
    assert!(String::from_utf8_lossy(&r[8..]).contains("your membership is disabled"));

    let mut v = crate::harness::panel::Visitor::new(&server);
    v.login().await;
    let (status, page) = v.page(&format!("/admin/users/{}", bob.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("your membership is disabled"), "{page}");
    assert!(
        page.contains(&"05".repeat(20)),
        "the refused torrent's hash: {page}"
    );
}
