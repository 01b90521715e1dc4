//! Two server instances on one state (`--features mysql,redis`): a private mariadbd
//! and a private redis-server, two real `privateindexer server` processes A and B on
//! them. What one instance changes, the other's Torznab index and tracker follow
//! through the catalog feed; peers and counters add up across both.

use std::future::Future;
use std::time::{Duration, Instant};

use privateindexer::bencode::decode;
use serde_json::json;

use crate::harness::mariadb::MariaDb;
use crate::harness::panel::Visitor;
use crate::harness::redis::Redis;
use crate::harness::*;

/// Waits until `check` holds (a generous bound only against a hang; nothing is timed).
async fn until<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One announce: `peer` names the peer_id and port (6000 + peer).
struct Ann<'a> {
    server: &'a Server,
    passkey: &'a str,
    ih: &'a str,
    peer: u8,
}

impl<'a> Ann<'a> {
    fn new(server: &'a Server, who: &'a Keys, ih: &'a str, peer: u8) -> Self {
        Ann {
            server,
            passkey: &who.passkey,
            ih,
            peer,
        }
    }

    /// The failure reason, or the ports of the peers handed out.
    async fn send(
        &self,
        uploaded: u64,
        downloaded: u64,
        left: u64,
        event: &str,
    ) -> Result<Vec<u16>, String> {
        let ih: String = hex::decode(self.ih)
            .unwrap()
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let url = self.server.url(&format!(
            "/announce/{}?info_hash={ih}&peer_id=-PI0001-multi0000{:03}&port={}&uploaded={uploaded}\
             &downloaded={downloaded}&left={left}&event={event}&compact=1",
            self.passkey,
            self.peer,
            6000 + u16::from(self.peer),
        ));
        let body = get_bytes(url).await;
        let answer = decode(&body).unwrap();
        if let Some(reason) = answer.get("failure reason") {
            return Err(reason.as_str().unwrap().to_string());
        }
        let peers = answer.get("peers").unwrap().as_bytes().unwrap();
        Ok(peers
            .chunks(6)
            .map(|c| u16::from_be_bytes([c[4], c[5]]))
            .collect())
    }
}

async fn member(server: &Server, id: u64) -> serde_json::Value {
    let list: Vec<serde_json::Value> = admin_get(server, "/admin/api/users").await;
    list.into_iter().find(|m| m["id"] == id).unwrap()
}

/// Two instances' settings on one store and one Redis, each with its own DATA_DIR.
struct Pair {
    env: Vec<(&'static str, String)>,
    dirs: [tempfile::TempDir; 2],
}

impl Pair {
    fn new(db: &MariaDb, redis: &Redis, name: &str) -> Pair {
        Pair {
            env: vec![
                ("STORE_URL", db.database(name, "MultiPassw0rd")),
                ("PEERS_URL", redis.url()),
                // Counters are written only at a clean stop: sums are exact.
                ("FLUSH_INTERVAL", "3600".into()),
            ],
            dirs: [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()],
        }
    }

    /// Instance `i` (0 or 1), once it follows the catalog feed.
    fn start(&self, i: usize) -> Server {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = Server::start_with(self.dirs[i].path(), &env);
        server.wait_log("the catalog feed", |l| {
            l.contains("catalog changes shared through Redis")
        });
        server
    }
}

/// Bob grabs `ronin` (alice's) on A: B's Torznab gives the count and B's panel list,
/// sorted by grabs, puts it before a newer torrent nobody grabbed.
async fn grabs_on_a_reach_b(a: &Server, b: &Server, alice: &Keys, bob: &Keys, ronin: &str) {
    let torrent = single_file_torrent("Heat.1995.mkv", 13, 100_000);
    let heat = info_hash_hex(&torrent);
    let meta = json!({"category": 2040, "title": "Heat (1995)"});
    upload_new(a, &alice.api_key, torrent, meta).await;
    until("B's Torznab finds the second upload", || async {
        torznab_search(b, &bob.api_key, "heat")
            .await
            .1
            .contains(&heat)
    })
    .await;
    let mut panel = Visitor::new(b);
    panel.login().await;
    // Whether the list sorted by grabs shows `ronin` first.
    let mut ronin_first = async || {
        let (status, page) = panel.page("/admin/torrents?sort=grabs").await;
        assert_eq!(status, 200);
        let at = |ih: &str| page.find(ih).unwrap_or_else(|| panic!("{ih} not listed"));
        at(ronin) < at(&heat)
    };
    assert!(
        !ronin_first().await,
        "newest first while nothing is grabbed"
    );

    assert_eq!(download_status(a, ronin, &bob.api_key).await, 200);
    let grabbed = Instant::now();
    let (_, found) = torznab_search(b, &bob.api_key, "ronin").await;
    assert!(found.contains(r#"name="grabs" value="1""#), "{found}");
    // A generous bound only against a hang; nothing is timed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ronin_first().await {
        assert!(
            Instant::now() < deadline,
            "B's panel list never sorted A's grab first"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A figure for the guide, not an assertion.
    eprintln!(
        "B's panel list followed A's grab {:?} after it",
        grabbed.elapsed()
    );
}

#[tokio::test]
async fn two_instances_share_members_torrents_peers_and_counters() {
    let Some(db) = MariaDb::start() else { return };
    let Some(redis) = Redis::start() else { return };
    let pair = Pair::new(&db, &redis, "pi_multi");
    let (a, b) = (pair.start(0), pair.start(1));

    // A member created on A works on B at once (keys are checked in the store).
    let alice = add_member(&a, "alice").await;
    let bob = add_member(&a, "bob").await;
    let (status, body) = torznab_search(&b, &bob.api_key, "anything").await;
    assert_eq!(status, 200, "{body}");

    // An upload to A is found by Torznab on B, and B's tracker knows it and alice.
    let torrent = single_file_torrent("Ronin.1998.mkv", 11, 200_000);
    let ih = info_hash_hex(&torrent);
    upload_new(
        &a,
        &alice.api_key,
        torrent,
        json!({"category": 2040, "title": "Ronin (1998)"}),
    )
    .await;
    let uploaded = Instant::now();
    until("B's Torznab finds A's upload", || async {
        torznab_search(&b, &bob.api_key, "ronin")
            .await
            .1
            .contains(&ih)
    })
    .await;
    // A figure for the guide, not an assertion: how far B lags behind.
    eprintln!(
        "B's Torznab found A's upload {:?} after it was stored",
        uploaded.elapsed()
    );
    // The uploader's own search leaves her upload out unless asked (an *arr app must
    // not grab back what its member shares); another member finds it at once.
    let own = torznab_search(&a, &alice.api_key, "ronin").await.1;
    assert!(!own.contains(&ih), "{own}");
    let own = torznab_search(&a, &alice.api_key, "ronin&include_my_uploads=1")
        .await
        .1;
    assert!(own.contains(&ih), "{own}");
    assert!(torznab_search(&a, &bob.api_key, "ronin")
        .await
        .1
        .contains(&ih));
    grabs_on_a_reach_b(&a, &b, &alice, &bob, &ih).await;
    let seed_a = Ann::new(&a, &alice, &ih, 1);
    let seed_b = Ann::new(&b, &alice, &ih, 2);
    let leech_a = Ann::new(&a, &bob, &ih, 3);
    let leech_b = Ann::new(&b, &bob, &ih, 4);
    assert_eq!(seed_a.send(0, 0, 0, "started").await, Ok(vec![]));
    until(
        "B's tracker takes alice's announce of A's upload",
        || async { seed_b.send(0, 0, 0, "started").await.is_ok() },
    )
    .await;

    // Peers announced to A are handed out by B, and B's by A.
    leech_b.send(0, 0, 200_000, "started").await.unwrap();
    until("B hands out A's peer", || async {
        leech_b
            .send(0, 0, 200_000, "")
            .await
            .unwrap()
            .contains(&6001)
    })
    .await;
    until("A hands out B's peer", || async {
        let ports = leech_a.send(0, 0, 200_000, "started").await.unwrap();
        ports.contains(&6002)
    })
    .await;

    // Transfer reported to both: 1000 + 2500 up for alice, 700 + 300 down for bob.
    seed_a.send(1_000, 0, 0, "").await.unwrap();
    seed_b.send(2_500, 0, 0, "").await.unwrap();
    leech_b.send(0, 700, 199_300, "").await.unwrap();
    leech_a.send(0, 300, 199_700, "").await.unwrap();

    // Alice disabled on A is refused by B's tracker and B's Torznab.
    let disable = admin_request(
        &a,
        reqwest::Method::POST,
        &format!("/admin/api/users/{}/disable", alice.id),
    );
    assert_eq!(disable.send().await.unwrap().status(), 204);
    let refused = torznab_search(&b, &alice.api_key, "ronin").await.1;
    assert!(refused.contains(r#"<error code="101""#), "{refused}");
    until("B's tracker refuses disabled alice", || async {
        seed_b.send(2_500, 0, 0, "").await == Err("your membership is disabled".into())
    })
    .await;

    // A torrent deleted on A is gone from B's Torznab and B's tracker.
    let delete = admin_request(
        &a,
        reqwest::Method::DELETE,
        &format!("/api/v1/torrents/{ih}"),
    );
    assert_eq!(delete.send().await.unwrap().status(), 204);
    until("the deleted torrent is gone from B's Torznab", || async {
        let (status, body) = torznab_search(&b, &bob.api_key, "ronin").await;
        status == 200 && !body.contains(&ih)
    })
    .await;
    until("B's tracker forgets the deleted torrent", || async {
        leech_b.send(0, 700, 199_300, "").await.is_err()
    })
    .await;

    // Both stop cleanly (each flushes what it counted); the sums are exact.
    assert!(a.stop().success());
    assert!(b.stop().success());
    let a = pair.start(0);
    let (al, bo) = (member(&a, alice.id).await, member(&a, bob.id).await);
    assert_eq!(
        (al["uploaded"].as_u64(), al["downloaded"].as_u64()),
        (Some(3_500), Some(0)),
        "{al}"
    );
    assert_eq!(
        (bo["uploaded"].as_u64(), bo["downloaded"].as_u64()),
        (Some(0), Some(1_000)),
        "{bo}"
    );
    assert!(a.stop().success());
}

#[tokio::test]
async fn changes_made_while_redis_is_down_reach_the_other_instance_when_it_is_back() {
    let Some(db) = MariaDb::start() else { return };
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let pair = Pair::new(&db, &redis, "pi_multi_down");
    let (a, b) = (pair.start(0), pair.start(1));
    let alice = add_member(&a, "alice").await;
    let bob = add_member(&a, "bob").await;

    redis.stop();
    let torrent = single_file_torrent("Sorcerer.1977.mkv", 12, 150_000);
    let ih = info_hash_hex(&torrent);
    let meta = json!({"category": 2040, "title": "Sorcerer (1977)"});
    // The store took it: the upload is acknowledged, its change queued for B.
    upload_new(&a, &alice.api_key, torrent, meta).await;
    a.wait_log("the queued change", |l| {
        l.contains("catalog feed (Redis) unreachable: catalogue changes are queued")
    });
    let (_, body) = torznab_search(&b, &bob.api_key, "sorcerer").await;
    assert!(!body.contains(&ih), "B cannot know yet: {body}");

    redis.resume();
    until(
        "B's Torznab finds the upload made while Redis was down",
        || async {
            torznab_search(&b, &bob.api_key, "sorcerer")
                .await
                .1
                .contains(&ih)
        },
    )
    .await;
    a.wait_log("the replay", |l| {
        l.contains("catalog feed (Redis) reachable again: queued catalogue changes written")
    });
    assert!(!a.log_text().contains("MultiPassw0rd"));
}
