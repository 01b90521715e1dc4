//! The tracker over real HTTP against the real server binary.

use crate::harness::*;
use privateindexer::bencode::{decode, dict, Owned};
use sha1::Digest;

/// Percent-encodes every byte, as torrent clients do for binary values.
fn enc(b: &[u8]) -> String {
    b.iter().map(|c| format!("%{c:02X}")).collect()
}

fn hash_bytes(hex_hash: &str) -> [u8; 20] {
    let mut h = [0u8; 20];
    hex::decode_to_slice(hex_hash, &mut h).unwrap();
    h
}

struct Ann<'a> {
    ih: &'a [u8; 20],
    peer: [u8; 20],
    port: u16,
    uploaded: u64,
    downloaded: u64,
    left: u64,
    event: &'a str,
    extra: &'a str,
}

impl<'a> Ann<'a> {
    fn new(ih: &'a [u8; 20], peer: u8, left: u64) -> Self {
        let mut id = *b"-PI0001-000000000000";
        id[19] = b'a' + peer;
        Ann {
            ih,
            peer: id,
            port: 6000 + u16::from(peer),
            uploaded: 0,
            downloaded: 0,
            left,
            event: "",
            extra: "",
        }
    }

    fn query(&self) -> String {
        format!(
            "info_hash={}&peer_id={}&port={}&uploaded={}&downloaded={}&left={}&event={}{}",
            enc(self.ih),
            enc(&self.peer),
            self.port,
            self.uploaded,
            self.downloaded,
            self.left,
            self.event,
            self.extra
        )
    }
}

/// GETs a tracker URL; the answer must be HTTP 200 and bencode.
async fn get(url: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    let body = resp.bytes().await.unwrap().to_vec();
    decode(&body).unwrap_or_else(|e| panic!("not bencode ({e}): {body:?}"));
    body
}

async fn announce(base: &str, a: &Ann<'_>) -> Vec<u8> {
    let sep = if base.contains('?') { '&' } else { '?' };
    get(&format!("{base}{sep}{}", a.query()), &[]).await
}

/// The member's announce URL on this server (the admin API's names port 0 under BIND=…:0).
fn announce_url(server: &Server, keys: &Keys) -> String {
    server.url(&format!("/announce/{}", keys.passkey))
}

fn failure(body: &[u8]) -> Option<String> {
    decode(body)
        .unwrap()
        .get("failure reason")
        .and_then(|f| f.as_str())
        .map(str::to_string)
}

fn int(body: &[u8], key: &str) -> i64 {
    let n = decode(body).unwrap();
    n.get(key)
        .and_then(|v| v.as_int())
        .unwrap_or_else(|| panic!("no {key} in {:?}", String::from_utf8_lossy(body)))
}

/// Ports of the compact IPv4 peers of an answer.
fn peer_ports(body: &[u8]) -> Vec<u16> {
    let n = decode(body).unwrap();
    let peers = n.get("peers").unwrap().as_bytes().unwrap();
    assert_eq!(peers.len() % 6, 0);
    let mut ports: Vec<u16> = peers
        .chunks(6)
        .map(|c| u16::from_be_bytes([c[4], c[5]]))
        .collect();
    ports.sort();
    ports
}

/// A server with alice (uploader of one torrent) and bob.
async fn setup(env: &[(&str, &str)]) -> (tempfile::TempDir, Server, Keys, Keys, [u8; 20]) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), env);
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let torrent = single_file_torrent("Show.S01E01.mkv", 3, 50_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 5040}),
    )
    .await;
    (dir, server, alice, bob, hash_bytes(&ih))
}

#[tokio::test]
async fn refusals_are_bencoded_failures() {
    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let ok = Ann::new(&ih, 1, 10);
    let unknown = server.url(&format!("/announce/{}", "ab".repeat(32)));
    assert!(failure(&announce(&unknown, &ok).await)
        .unwrap()
        .contains("unknown passkey"));
    let garbage = server.url("/announce/not-a-key");
    assert!(failure(&announce(&garbage, &ok).await)
        .unwrap()
        .contains("unknown passkey"));
    let none = server.url("/announce");
    assert!(failure(&announce(&none, &ok).await)
        .unwrap()
        .contains("passkey"));

    let other = [9u8; 20];
    let r = announce(&announce_url(&server, &bob), &Ann::new(&other, 1, 10)).await;
    assert!(failure(&r).unwrap().contains("not registered"));

    let mut bad_port = Ann::new(&ih, 1, 10);
    bad_port.port = 0;
    assert!(
        failure(&announce(&announce_url(&server, &bob), &bad_port).await)
            .unwrap()
            .contains("port")
    );
    let short = format!(
        "{}?info_hash=%01%02&peer_id=x&port=1&uploaded=0&downloaded=0&left=0",
        announce_url(&server, &bob)
    );
    assert!(failure(&get(&short, &[]).await)
        .unwrap()
        .contains("info_hash"));
    let bad_peer = format!(
        "{}?info_hash={}&peer_id=short&port=1&uploaded=0&downloaded=0&left=0",
        announce_url(&server, &bob),
        enc(&ih)
    );
    assert!(failure(&get(&bad_peer, &[]).await)
        .unwrap()
        .contains("peer_id"));
    let missing = format!("{}?info_hash={}", announce_url(&server, &bob), enc(&ih));
    assert!(failure(&get(&missing, &[]).await)
        .unwrap()
        .contains("missing"));

    // Disabled: refused at once; enabled again: served.
    assert!(failure(&announce(&announce_url(&server, &alice), &ok).await).is_none());
    let admin = |path: String| admin_request(&server, reqwest::Method::POST, &path).send();
    assert_eq!(
        admin(format!("/admin/api/users/{}/disable", alice.id))
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(
        failure(&announce(&announce_url(&server, &alice), &ok).await)
            .unwrap()
            .contains("disabled")
    );
    assert_eq!(
        admin(format!("/admin/api/users/{}/enable", alice.id))
            .await
            .unwrap()
            .status(),
        204
    );
    assert!(failure(&announce(&announce_url(&server, &alice), &ok).await).is_none());

    // Rotated: the old passkey stops at once, the new one works.
    let resp = admin(format!("/admin/api/users/{}/rotate", alice.id))
        .await
        .unwrap();
    let rotated: Keys = resp.json().await.unwrap();
    assert!(
        failure(&announce(&announce_url(&server, &alice), &ok).await)
            .unwrap()
            .contains("unknown passkey")
    );
    assert!(failure(&announce(&announce_url(&server, &rotated), &ok).await).is_none());

    // Scrape refusals.
    let s = get(&server.url(&format!("/scrape/{}", "cd".repeat(32))), &[]).await;
    assert!(failure(&s).is_some());
    let full = get(&server.url(&format!("/scrape/{}", bob.passkey)), &[]).await;
    assert!(failure(&full).unwrap().contains("full scrape"));
}

#[tokio::test]
async fn peers_meet_with_counts_jitter_and_both_peer_models() {
    let (_dir, server, alice, bob, ih) = setup(&[
        ("ANNOUNCE_INTERVAL", "1000"),
        ("ANNOUNCE_JITTER_PERCENT", "20"),
        ("MIN_ANNOUNCE_INTERVAL", "30"),
    ])
    .await;
    let mut seed = Ann::new(&ih, 1, 0);
    seed.event = "started";
    let r = announce(&announce_url(&server, &alice), &seed).await;
    assert_eq!(
        peer_ports(&r),
        Vec::<u16>::new(),
        "never the announcer itself"
    );
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 0));

    // Bob's second client and a leecher: the leecher gets the seeder first.
    let mut other = Ann::new(&ih, 3, 500);
    other.event = "started";
    announce(&announce_url(&server, &bob), &other).await;
    let mut leech = Ann::new(&ih, 2, 1000);
    leech.event = "started";
    leech.extra = "&numwant=1";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    assert_eq!(peer_ports(&r), vec![6001]);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 2));
    assert_eq!(int(&r, "min interval"), 30);

    // Jitter: every interval within ±20 %, and not all the same.
    let mut seen = std::collections::BTreeSet::new();
    leech.event = "";
    leech.extra = "";
    for _ in 0..40 {
        let r = announce(&announce_url(&server, &bob), &leech).await;
        let i = int(&r, "interval");
        assert!((800..=1200).contains(&i), "interval {i}");
        seen.insert(i);
        assert_eq!(peer_ports(&r), vec![6001, 6003]);
    }
    assert!(seen.len() > 1, "interval never varies: {seen:?}");

    // The dictionary model, with and without peer ids.
    leech.extra = "&compact=0";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    let n = decode(&r).unwrap();
    let peers = n.get("peers").unwrap().as_list().unwrap();
    assert_eq!(peers.len(), 2);
    for p in peers {
        assert_eq!(p.get("ip").unwrap().as_str(), Some("127.0.0.1"));
        assert!(p.get("peer id").unwrap().as_bytes().unwrap().len() == 20);
    }
    leech.extra = "&compact=0&no_peer_id=1";
    let r = announce(&announce_url(&server, &bob), &leech).await;
    let n = decode(&r).unwrap();
    assert!(n.get("peers").unwrap().as_list().unwrap()[0]
        .get("peer id")
        .is_none());

    // The ?passkey= form and scrape in both forms.
    let q = server.url(&format!("/announce?passkey={}", bob.passkey));
    assert!(failure(&announce(&q, &leech).await).is_none());
    for url in [
        server.url(&format!(
            "/scrape/{}?info_hash={}&info_hash={}",
            bob.passkey,
            enc(&ih),
            enc(&[5; 20])
        )),
        server.url(&format!(
            "/scrape?passkey={}&info_hash={}",
            bob.passkey,
            enc(&ih)
        )),
    ] {
        let s = get(&url, &[]).await;
        let n = decode(&s).unwrap();
        let files = n.get("files").unwrap();
        let f = match &files.value {
            privateindexer::bencode::Value::Dict(entries) => {
                assert_eq!(entries.len(), 1, "unregistered hashes are left out");
                assert_eq!(entries[0].0, &ih[..]);
                entries[0].1.clone()
            }
            _ => panic!("files is not a dict"),
        };
        assert_eq!(f.get("complete").unwrap().as_int(), Some(1));
        assert_eq!(f.get("incomplete").unwrap().as_int(), Some(2));
    }

    // Stopped peers leave the swarm.
    leech.event = "stopped";
    leech.extra = "";
    announce(&announce_url(&server, &bob), &leech).await;
    let r = announce(&announce_url(&server, &alice), &seed).await;
    assert_eq!(int(&r, "incomplete"), 1);
    assert_eq!(peer_ports(&r), vec![6003]);

    // Admin stats see the live swarm.
    let stats: serde_json::Value = admin_stats(&server).await;
    assert_eq!(
        (stats["seeders"].as_u64(), stats["leechers"].as_u64()),
        (Some(1), Some(1))
    );
}

async fn member(server: &Server, id: u64) -> serde_json::Value {
    let list: Vec<serde_json::Value> = admin_get(server, "/admin/api/users").await;
    list.into_iter().find(|m| m["id"] == id).unwrap()
}

#[tokio::test]
async fn transfer_is_credited_by_deltas_and_survives_a_clean_restart() {
    let (dir, server, alice, bob, ih) = setup(&[("FLUSH_INTERVAL", "3600")]).await;
    let mut seed = Ann::new(&ih, 1, 0);
    seed.event = "started";
    seed.uploaded = 7_000; // totals from before this session are not credited
    announce(&announce_url(&server, &alice), &seed).await;
    let mut leech = Ann::new(&ih, 2, 50_000);
    leech.event = "started";
    announce(&announce_url(&server, &bob), &leech).await;

    leech.event = "";
    leech.downloaded = 20_000;
    leech.left = 30_000;
    announce(&announce_url(&server, &bob), &leech).await;
    leech.event = "completed";
    leech.downloaded = 50_000;
    leech.left = 0;
    let r = announce(&announce_url(&server, &bob), &leech).await;
    assert_eq!(int(&r, "downloaded"), 1);
    let r = announce(&announce_url(&server, &bob), &leech).await; // a repeated completed is not a second snatch
    assert_eq!(int(&r, "downloaded"), 1);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (2, 0));

    seed.event = "";
    seed.uploaded = 7_000 + 30_000;
    announce(&announce_url(&server, &alice), &seed).await;
    seed.uploaded = 100; // counter went backwards: a new base, never a debit
    announce(&announce_url(&server, &alice), &seed).await;
    seed.event = "stopped";
    seed.uploaded = 100 + 20_000;
    announce(&announce_url(&server, &alice), &seed).await;

    // FLUSH_INTERVAL is an hour: only the clean shutdown writes the counters.
    assert!(server.stop().success());
    let server = Server::start(dir.path());
    let a = member(&server, alice.id).await;
    let b = member(&server, bob.id).await;
    assert_eq!(
        (a["uploaded"].as_u64(), a["downloaded"].as_u64()),
        (Some(50_000), Some(0))
    );
    assert_eq!(
        (
            b["uploaded"].as_u64(),
            b["downloaded"].as_u64(),
            b["snatches"].as_u64()
        ),
        (Some(0), Some(50_000), Some(1))
    );
    // The torrent's snatch count was stored too.
    let s = get(
        &server.url(&format!("/scrape/{}?info_hash={}", bob.passkey, enc(&ih))),
        &[],
    )
    .await;
    assert!(
        String::from_utf8_lossy(&s).contains("downloadedi1e"),
        "{:?}",
        String::from_utf8_lossy(&s)
    );
}

/// A hybrid (v1 + v2) private torrent; returns it with its truncated v2 hash.
fn hybrid_torrent() -> (Vec<u8>, [u8; 20]) {
    let data = content(77, 40_000);
    let piece = 16 * 1024;
    let pieces: Vec<u8> = data
        .chunks(piece)
        .flat_map(|c| sha1::Sha1::digest(c).to_vec())
        .collect();
    let file_tree = dict([(
        "",
        dict([
            ("length", Owned::Int(data.len() as i64)),
            ("pieces root", Owned::Bytes(vec![1; 32])),
        ]),
    )]);
    let info = dict([
        ("name", Owned::str("Hybrid.Movie.2021.mkv")),
        ("piece length", Owned::Int(piece as i64)),
        ("pieces", Owned::Bytes(pieces)),
        ("length", Owned::Int(data.len() as i64)),
        ("private", Owned::Int(1)),
        ("meta version", Owned::Int(2)),
        (
            "file tree",
            Owned::Dict(
                [(b"Hybrid.Movie.2021.mkv".to_vec(), file_tree)]
                    .into_iter()
                    .collect(),
            ),
        ),
    ]);
    let info_bytes = info.encode();
    let v2: [u8; 32] = sha2::Sha256::digest(&info_bytes).into();
    let mut t = [0u8; 20];
    t.copy_from_slice(&v2[..20]);
    (dict([("info", Owned::Raw(info_bytes))]).encode(), t)
}

#[tokio::test]
async fn hybrid_torrent_is_one_swarm_and_withdrawal_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let alice = add_member(&server, "alice").await;
    let bob = add_member(&server, "bob").await;
    let (torrent, v2) = hybrid_torrent();
    let v1 = hash_bytes(&info_hash_hex(&torrent));
    upload_new(
        &server,
        &alice.api_key,
        torrent,
        serde_json::json!({"category": 2040}),
    )
    .await;

    announce(&announce_url(&server, &alice), &Ann::new(&v1, 1, 0)).await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&v2, 2, 100)).await;
    assert!(failure(&r).is_none(), "{:?}", String::from_utf8_lossy(&r));
    assert_eq!(
        peer_ports(&r),
        vec![6001],
        "the v2 announcer meets the v1 seeder"
    );
    let r = announce(&announce_url(&server, &alice), &Ann::new(&v1, 1, 0)).await;
    assert_eq!(peer_ports(&r), vec![6002]);
    assert_eq!((int(&r, "complete"), int(&r, "incomplete")), (1, 1));

    // Withdrawn: the swarm is gone and further announces are refused.
    let resp = client()
        .delete(server.url(&format!("/api/v1/torrents/{}", hex::encode(v1))))
        .header("X-Api-Key", &alice.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    for ih in [&v1, &v2] {
        let r = announce(&announce_url(&server, &bob), &Ann::new(ih, 2, 100)).await;
        assert!(failure(&r).unwrap().contains("not registered"));
    }
    let stats: serde_json::Value = admin_stats(&server).await;
    assert_eq!(stats["peers"].as_u64(), Some(0));
}

fn tracker_port(server: &Server) -> String {
    let log = server.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("tracker also on http://"))
        .unwrap_or_else(|| panic!("no tracker line in {log}"));
    line.split("tracker also on http://")
        .nth(1)
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn second_port_serves_ipv6_peers_in_peers6() {
    let (_dir, server, alice, bob, ih) = setup(&[("TRACKER_BIND", "[::1]:0")]).await;
    let addr = tracker_port(&server);
    let v6_url = format!("http://{addr}/announce/{}", alice.passkey);
    let r = announce(&v6_url, &Ann::new(&ih, 1, 0)).await;
    assert!(failure(&r).is_none(), "{:?}", String::from_utf8_lossy(&r));
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let n = decode(&r).unwrap();
    assert_eq!(n.get("peers").unwrap().as_bytes().unwrap().len(), 0);
    let p6 = n.get("peers6").unwrap().as_bytes().unwrap();
    assert_eq!(p6.len(), 18);
    assert_eq!(&p6[..16], &std::net::Ipv6Addr::LOCALHOST.octets());
    assert_eq!(u16::from_be_bytes([p6[16], p6[17]]), 6001);
    // Anything else on the tracker port is a bencoded refusal too.
    let other = get(&format!("http://{addr}/api/v1/health"), &[]).await;
    assert!(failure(&other).is_some());
}

#[tokio::test]
async fn forwarded_addresses_only_from_trusted_proxies() {
    let (_dir, server, alice, bob, ih) =
        setup(&[("TRUSTED_PROXIES", "127.0.0.0/8,10.9.9.9")]).await;
    let url = format!(
        "{}?{}",
        announce_url(&server, &alice),
        Ann::new(&ih, 1, 0).query()
    );
    get(&url, &[("X-Forwarded-For", "203.0.113.7, 10.9.9.9")]).await;
    let url = format!(
        "{}?{}&ip=198.51.100.2",
        announce_url(&server, &bob),
        Ann::new(&ih, 3, 0).query()
    );
    get(&url, &[]).await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let n = decode(&r).unwrap();
    let mut ips: Vec<[u8; 4]> = n
        .get("peers")
        .unwrap()
        .as_bytes()
        .unwrap()
        .chunks(6)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    ips.sort();
    assert_eq!(ips, vec![[198, 51, 100, 2], [203, 0, 113, 7]]);
    drop(server);

    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let url = format!(
        "{}?{}&ip=198.51.100.2",
        announce_url(&server, &alice),
        Ann::new(&ih, 1, 0).query()
    );
    get(
        &url,
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Real-IP", "203.0.113.8"),
        ],
    )
    .await;
    let r = announce(&announce_url(&server, &bob), &Ann::new(&ih, 2, 100)).await;
    let peers = decode(&r)
        .unwrap()
        .get("peers")
        .unwrap()
        .as_bytes()
        .unwrap()
        .to_vec();
    assert_eq!(
        &peers[..4],
        &[127, 0, 0, 1],
        "untrusted forwarding is ignored"
    );
}

#[tokio::test]
async fn tracker_port_keeps_connections_alive_and_answers_pipelined_requests() {
    use std::io::{Read, Write};
    let (_dir, server, _alice, bob, ih) = setup(&[("TRACKER_BIND", "127.0.0.1:0")]).await;
    let addr = tracker_port(&server);
    let q = Ann::new(&ih, 2, 100).query();
    let req = format!(
        "GET /announce/{}?{q} HTTP/1.1\r\nHost: x\r\n\r\n",
        bob.passkey
    );
    let last = format!(
        "GET /scrape/{}?info_hash={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        bob.passkey,
        enc(&ih)
    );
    let text = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(format!("{req}{req}{last}").as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap(); // ends because the last request asked to close
        String::from_utf8_lossy(&out).into_owned()
    })
    .await
    .unwrap();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3, "{text}");
    assert_eq!(text.matches("8:intervali").count(), 2, "{text}");
    assert!(text.contains("5:filesd20:"), "{text}");
    assert!(!text.contains("failure reason"), "{text}");
}

/// Sends `parts` with a pause between them on one connection; everything read until the server closes.
async fn raw_exchange(addr: String, parts: Vec<Vec<u8>>) -> Vec<u8> {
    use std::io::{Read, Write};
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
            s.write_all(part).unwrap();
        }
        let mut out = Vec::new();
        // A reset after the answer (unread bytes at close) still leaves the answer read.
        let _ = s.read_to_end(&mut out);
        out
    })
    .await
    .unwrap()
}

/// Status line and body of one HTTP answer; the body length must match Content-Length.
fn status_and_body(answer: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8_lossy(answer);
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {text:?}"));
    let head = String::from_utf8_lossy(&answer[..at]);
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    let body = answer[at + 4..].to_vec();
    assert_eq!(body.len(), len, "{text}");
    (head.lines().next().unwrap().to_string(), body)
}

/// The answer is a 200 carrying an announce that was not refused.
fn announce_accepted(answer: &[u8]) {
    let (status, body) = status_and_body(answer);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        failure(&body).is_none(),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::test]
async fn tracker_port_serves_slow_and_closing_clients_and_refuses_bad_heads() {
    let (_dir, server, alice, bob, ih) = setup(&[("TRACKER_BIND", "127.0.0.1:0")]).await;
    let addr = tracker_port(&server);

    // A request trickling in over three writes is served once it is whole.
    let req = format!(
        "GET /announce/{}?{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        alice.passkey,
        Ann::new(&ih, 1, 0).query()
    )
    .into_bytes();
    let parts = vec![req[..10].to_vec(), req[10..60].to_vec(), req[60..].to_vec()];
    let answer = raw_exchange(addr.clone(), parts).await;
    announce_accepted(&answer);
    assert!(String::from_utf8_lossy(&answer).contains("\r\nConnection: close\r\n"));

    // An HTTP/1.0 request in one write (answered inline) sees that peer, then the server closes.
    let req = format!(
        "GET /announce/{}?{} HTTP/1.0\r\n\r\n",
        bob.passkey,
        Ann::new(&ih, 2, 100).query()
    );
    let answer = raw_exchange(addr.clone(), vec![req.into_bytes()]).await;
    let (status, body) = status_and_body(&answer);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(peer_ports(&body), vec![6001]);

    // Bad heads: refused with an HTTP error and closed, never answered as announces.
    let long = format!(
        "GET /announce/{} HTTP/1.1\r\nX-Pad: {}\r\n\r\n",
        bob.passkey,
        "a".repeat(9000)
    );
    let with_body = format!(
        "GET /announce/{} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        bob.passkey
    );
    let not_utf8 = b"GET /announce/\xff\xfe HTTP/1.1\r\n\r\n".to_vec();
    for (bad, want) in [
        (
            long.into_bytes(),
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (with_body.into_bytes(), "HTTP/1.1 400 Bad Request"),
        (not_utf8, "HTTP/1.1 400 Bad Request"),
        (b"\r\n\r\n".to_vec(), "HTTP/1.1 400 Bad Request"),
    ] {
        let answer = raw_exchange(addr.clone(), vec![bad]).await;
        let (status, body) = status_and_body(&answer);
        assert_eq!(status, want);
        assert!(body.is_empty());
    }

    // The port still serves, and the refused requests announced nothing.
    let r = announce(
        &format!("http://{addr}/announce/{}", alice.passkey),
        &Ann::new(&ih, 3, 100),
    )
    .await;
    assert_eq!(peer_ports(&r), vec![6001, 6002]);
}

#[tokio::test]
async fn main_port_answers_announces_inline_and_the_rest_through_the_full_server() {
    let (_dir, server, alice, bob, ih) = setup(&[]).await;
    let addr = server.addr.to_string();
    let announce_req = |keys: &Keys, peer: u8, left: u64, close: bool| {
        format!(
            "GET /announce/{}?{} HTTP/1.1\r\nHost: x\r\n{}\r\n",
            keys.passkey,
            Ann::new(&ih, peer, left).query(),
            if close { "Connection: close\r\n" } else { "" }
        )
    };
    let health = |close: bool| {
        format!(
            "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n{}\r\n",
            if close { "Connection: close\r\n" } else { "" }
        )
    };

    // A closing announce on a new connection: one answer, then the server closes.
    let answer = raw_exchange(
        addr.clone(),
        vec![announce_req(&alice, 1, 0, true).into_bytes()],
    )
    .await;
    announce_accepted(&answer);

    // Announce first, then another route on the same connection: both answered in order.
    let both = format!("{}{}", announce_req(&bob, 2, 100, false), health(true));
    let text = String::from_utf8_lossy(&raw_exchange(addr.clone(), vec![both.into_bytes()]).await)
        .into_owned();
    let at = text
        .find("\"status\"")
        .unwrap_or_else(|| panic!("no health answer: {text}"));
    let peers_at = text
        .find("5:peers")
        .unwrap_or_else(|| panic!("no announce answer: {text}"));
    assert!(peers_at < at, "{text}");
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");

    // Another route first, then an announce (all through the full server), and an announce
    // trickling in: the peers announced inline are in the swarm.
    let both = format!("{}{}", health(false), announce_req(&bob, 3, 100, true));
    let text = String::from_utf8_lossy(&raw_exchange(addr.clone(), vec![both.into_bytes()]).await)
        .into_owned();
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    let slow = announce_req(&bob, 4, 100, true).into_bytes();
    let parts = vec![slow[..7].to_vec(), slow[7..].to_vec()];
    let answer = raw_exchange(addr.clone(), parts).await;
    let (_, body) = status_and_body(&answer);
    assert_eq!(peer_ports(&body), vec![6001, 6002, 6003]);
}
