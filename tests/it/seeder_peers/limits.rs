//! The limits of the seeder's `TORRENTING_PORT` with real sockets: garbage
//! is dropped while a python3-libtorrent leecher keeps downloading, a silent
//! or half handshake is closed at 10 s, a peer silent after its handshake at
//! SEED_PEER_IDLE (hidden; 180 s by default), and MAX_PEERS_PER_TORRENT and
//! MAX_CONNECTIONS refuse the connection past them.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::harness::sockets::wait_closed;

/// A distinct peer id for the n-th connection of a test.
fn peer_id(n: usize) -> [u8; 20] {
    let mut id = [0u8; 20];
    id.copy_from_slice(format!("-XX0000-limits{n:06}").as_bytes());
    id
}

/// A client seeding the fixtures, once the server's reachability probe (a
/// connection of its own) is done.
async fn seeding(s: &Swarm, extra: &[(&str, String)]) -> RunningClient {
    let c = s.start_client(&s.media, extra);
    s.wait_seeders(12, &c).await;
    c.wait_log("the reachability line", |l| {
        l.contains(&format!(
            "port {} is reachable from the server",
            s.seed_port
        ))
    });
    c
}

/// Connects, sends `first`, and waits for the seeder to close; what it sent.
fn sent_before_close(port: u16, first: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // The seeder may close before everything is written.
    let _ = s.write_all(first);
    wait_closed(&mut s, "a hostile peer")
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_is_dropped_while_a_real_peer_downloads_and_slow_or_silent_peers_are_closed() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    let before = snapshot(&s.media);
    let c = seeding(&s, &[("SEED_PEER_IDLE", "3".to_string())]).await;
    let torrents = s.torrents().await;
    let movie = torrents
        .iter()
        .find(|t| !t.1 && t.0.ends_with(".mkv"))
        .expect("a single-file movie");
    let (port, ih) = (s.seed_port, movie.3.clone());

    // Garbage, over and over, for as long as the leecher downloads: bytes that
    // are no handshake, and a handshake followed by a frame of 4 GiB.
    let done = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let hostile = {
        let (done, rounds, ih) = (done.clone(), rounds.clone(), ih.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let junk: Vec<u8> = (0..68u8).map(|i| i.wrapping_mul(37)).collect();
                assert!(
                    sent_before_close(port, &junk).is_empty(),
                    "garbage answered"
                );
                let n = rounds.fetch_add(1, Ordering::Relaxed);
                let mut hs = handshake(port, &ih, &peer_id(n)).expect("handshake answered");
                let _ = hs.write_all(&[0xff, 0xff, 0xff, 0xff, 7]);
                wait_closed(&mut hs, "a 4 GiB frame");
            }
        })
    };
    let (torrent, dir) = (movie.2.clone(), s.tmp.path().join("lt"));
    let leech_dir = dir.clone();
    let r = tokio::task::spawn_blocking(move || libtorrent_leech(&torrent, &leech_dir, 0))
        .await
        .unwrap();
    done.store(true, Ordering::Relaxed);
    hostile.join().expect("every hostile peer was closed");
    assert_eq!(r["failed_bytes"], 0, "{r}");
    assert_eq!(r["hash_fails"], 0, "{r}");
    assert_same_bytes(&dir, &before);
    let rounds = rounds.load(Ordering::Relaxed);
    assert!(rounds > 0, "no garbage sent during the download");
    eprintln!("seeder limits: {rounds} rounds of garbage during the download");

    // Nothing at all, half a handshake, and a whole one then silence: closed
    // (at 10 s, 10 s, and SEED_PEER_IDLE = 3 s plus the 5 s tick).
    for (what, first) in [
        ("silent", &b""[..]),
        ("half a handshake", &b"\x13BitTorrent prot"[..]),
    ] {
        let t = Instant::now();
        assert!(sent_before_close(port, first).is_empty(), "{what}");
        eprintln!(
            "seeder limits: {what} closed after {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let mut quiet = handshake(port, &ih, &peer_id(999_999)).expect("answered");
    wait_closed(&mut quiet, "a peer silent after its handshake");
    eprintln!(
        "seeder limits: silent peer closed after {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(snapshot(&s.media), before, "media untouched");
    drop(c);
}

/// A handshake for `ih` that must be answered, retried while a connection
/// just closed may still hold its place (its slot is freed as it ends).
fn held(port: u16, ih: &str, n: usize) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(s) = handshake(port, ih, &peer_id(n)) {
            return s;
        }
        assert!(Instant::now() < deadline, "no room for {ih}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_peers_per_torrent_and_max_connections_refuse_the_one_past_them() {
    if !peers_available() {
        return;
    }
    let s = swarm().await;
    let _c = seeding(
        &s,
        &[
            ("MAX_PEERS_PER_TORRENT", "2".to_string()),
            ("MAX_CONNECTIONS", "4".to_string()),
        ],
    )
    .await;
    let torrents = s.torrents().await;
    let [a, b, d] = [0, 1, 2].map(|i| torrents[i].3.clone());
    let port = s.seed_port;
    let mut a_held = vec![held(port, &a, 1), held(port, &a, 2)];
    assert!(
        handshake(port, &a, &peer_id(3)).is_none(),
        "a third peer of one torrent"
    );
    let _b_held = [held(port, &b, 4), held(port, &b, 5)];
    // Four open: a fifth is refused whatever its torrent.
    assert!(
        handshake(port, &d, &peer_id(6)).is_none(),
        "a fifth connection"
    );
    drop(a_held.pop());
    let _d_held = held(port, &d, 7);
    assert!(
        handshake(port, &a, &peer_id(8)).is_none(),
        "four open again"
    );
}
