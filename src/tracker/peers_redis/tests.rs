//! Two instances' swarms on one real redis-server, synced tick by tick (no timing).

use std::process::{Child, Command, Stdio};

use super::{Syncer, Tick};
use crate::tracker::announce::Event;
use crate::tracker::swarm::{self, Base, PeerUpdate, Picked, Swarms};

const IH: [u8; 20] = [7; 20];

/// A redis-server of its own on a free port, without persistence, killed on drop
/// (also used by the catalog feed's tests).
pub(crate) struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// `None` (with the reason printed) when redis-server is not installed.
    pub(crate) fn start(port: Option<u16>) -> Option<Redis> {
        let port = port.unwrap_or_else(|| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        });
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                eprintln!("skipped: redis-server not runnable ({e}); apt-get install redis-server");
                return None;
            }
        };
        let r = Redis { child, port };
        // Ready when it answers PING.
        let client = redis::Client::open(r.url()).unwrap();
        for _ in 0..500 {
            if let Ok(mut c) = client.get_connection() {
                if redis::cmd("PING").query::<String>(&mut c).is_ok() {
                    return Some(r);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("redis-server on port {port} did not answer");
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Peer `id` of member `id`, announcing now (its ad expires from the real clock).
fn up(id: u8, left: u64, event: Event) -> PeerUpdate {
    PeerUpdate {
        wall: crate::core::clock::now(),
        ..swarm::tests::up(id, u64::from(id), left, event)
    }
}

fn announce(s: &Swarms, u: &PeerUpdate) -> (u32, u32, Vec<u8>) {
    let mut p = Picked::default();
    let o = s
        .announce(&IH, Base::default(), u, 0, true, &mut p)
        .unwrap();
    let ids = p.compact4.chunks(6).map(|c| c[3]).collect();
    (o.complete, o.incomplete, ids)
}

struct Instance {
    swarms: Swarms,
    syncer: Syncer,
}

impl Instance {
    fn new(redis: &Redis) -> Instance {
        let client = redis::Client::open(redis.url()).unwrap();
        Instance {
            swarms: Swarms::shared(600),
            syncer: Syncer::new(client, 3600).unwrap(),
        }
    }

    async fn tick(&mut self) -> Tick {
        let now = crate::core::clock::now();
        self.syncer
            .tick(&self.swarms, |_| Some(Base::default()), now)
            .await
    }
}

#[tokio::test]
async fn peers_announced_to_one_instance_are_handed_out_by_the_other() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let (mut a, mut b) = (Instance::new(&redis), Instance::new(&redis));
    announce(&a.swarms, &up(1, 10, Event::Started));
    announce(&a.swarms, &up(2, 0, Event::Started));
    announce(&a.swarms, &up(3, 0, Event::Started));
    assert_eq!(a.tick().await.written, 3);
    assert_eq!(b.tick().await.merged, 1);
    assert_eq!(b.swarms.scrape(&IH), Some((2, 1, 0)));
    // B's leecher gets A's seeders first, never itself.
    let mut l = up(4, 10, Event::Started);
    l.numwant = 2;
    let (c, i, mut ids) = announce(&b.swarms, &l);
    ids.sort();
    assert_eq!((c, i, ids), (2, 2, vec![2, 3]));
    // A seeder on B gets the leechers of both instances.
    let (_, _, mut ids) = announce(&b.swarms, &up(5, 0, Event::Started));
    ids.sort();
    assert_eq!(ids, vec![1, 4]);
    // And A hears of B's peers: the counts agree.
    b.tick().await;
    a.tick().await;
    assert_eq!(a.swarms.scrape(&IH), b.swarms.scrape(&IH));
    assert_eq!(a.swarms.scrape(&IH), Some((3, 2, 0)));
    // A stop on A leaves B's view at the next ticks.
    announce(&a.swarms, &up(2, 0, Event::Stopped));
    a.tick().await;
    b.tick().await;
    assert_eq!(b.swarms.scrape(&IH), Some((2, 2, 0)));
    // A client behind a load balancer that now announces to B is counted once there.
    announce(&b.swarms, &up(3, 0, Event::None));
    assert_eq!(b.swarms.scrape(&IH), Some((2, 2, 0)));
}

#[tokio::test]
async fn redis_down_announces_are_answered_and_queued_changes_replayed() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let port = redis.port;
    let (mut a, mut b) = (Instance::new(&redis), Instance::new(&redis));
    announce(&a.swarms, &up(1, 0, Event::Started));
    a.tick().await;
    b.tick().await;
    drop(redis);
    // Still answered: B's leecher gets A's seeder from the local view.
    let (c, _, ids) = announce(&b.swarms, &up(2, 10, Event::Started));
    assert_eq!((c, ids), (1, vec![1]));
    announce(&a.swarms, &up(3, 0, Event::Started));
    let t = a.tick().await;
    assert_eq!((t.written, t.queued), (0, 1), "queued while Redis is away");
    assert_eq!(b.tick().await.queued, 1);
    // Back, empty (no persistence): the queued change goes out with every live peer
    // of A again (Redis lost them), and B merges both.
    let _redis = Redis::start(Some(port)).unwrap();
    assert_eq!(a.tick().await.written, 2);
    assert_eq!(b.tick().await.written, 1);
    a.tick().await;
    let (c, i, mut ids) = announce(&b.swarms, &up(2, 10, Event::None));
    ids.sort();
    assert_eq!(
        (c, i, ids),
        (2, 1, vec![1, 3]),
        "A's seeders, one announced during the outage"
    );
    assert_eq!(
        a.swarms.scrape(&IH).map(|s| s.1),
        Some(1),
        "A sees B's leecher"
    );
}

#[tokio::test]
async fn a_swarm_new_here_gets_the_peers_another_instance_already_wrote() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let (mut a, mut b) = (Instance::new(&redis), Instance::new(&redis));
    announce(&a.swarms, &up(1, 0, Event::Started));
    a.tick().await;
    // B does not know the torrent yet: the feed entry passes it by.
    let now = crate::core::clock::now();
    let t = b.syncer.tick(&b.swarms, |_| None, now).await;
    assert_eq!(t.merged, 0);
    assert_eq!(b.swarms.scrape(&IH), None);
    // B hears of the torrent (the catalog feed): its next tick reads the swarm's peers.
    b.swarms.want_remote(&IH);
    assert_eq!(b.tick().await.merged, 1);
    assert_eq!(b.swarms.scrape(&IH), Some((1, 0, 0)));
}
