//! The tracker over real HTTP against the real server binary.

use crate::harness::*;
use privateindexer::bencode::{decode, dict, Owned};
use sha1::Digest;

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
            url_bytes(self.ih),
            url_bytes(&self.peer),
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

mod accounting;
mod announces;
mod ports;
