//! The relay between a real HTTP tracker on 127.0.0.1 (recording what it is
//! asked) and requests shaped like librqbit's.

use std::sync::{Arc, Mutex};

use warp::Filter;

use super::*;
use crate::client::announces::protocol::parse_answer;

const IH: [u8; 20] = [0xab; 20];
const PASSKEY: &str = "0123456789abcdef0123456789abcdef";

/// A tracker answering every announce with `body`; the queries it got.
struct Tracker {
    url: String,
    got: Arc<Mutex<Vec<String>>>,
    _serving: watch::Sender<bool>,
}

async fn tracker(body: &'static [u8]) -> Tracker {
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let route = warp::path!("announce" / String)
        .and(warp::query::raw())
        .map(move |key: String, q: String| {
            assert_eq!(key, PASSKEY, "the member's passkey reaches the tracker");
            seen.lock().unwrap().push(q);
            warp::Reply::into_response(body)
        })
        .boxed();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (serving, stop) = watch::channel(false);
    tokio::spawn(crate::web::serve::serve(listener, route, stop));
    Tracker {
        url: format!("http://{addr}/announce/{PASSKEY}"),
        got,
        _serving: serving,
    }
}

impl Tracker {
    fn got(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }
}

fn engine_query(event: &str) -> String {
    let ih: String = IH.iter().map(|b| format!("%{b:02X}")).collect();
    format!("info_hash={ih}&peer_id=-PI0100-abcdefghijkl&port=6881&uploaded=10&downloaded=20&left=30&compact=1{event}&key=00ab")
}

/// One announce as the engine sends it; what it was told.
async fn engine(relay: &Relay, query: &str) -> Vec<u8> {
    let resp = reqwest::get(format!("{}?{query}", relay.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

const PEER_BYTES: &[u8] = b"\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2";
const PEERS: &[u8] =
    b"d8:completei2e10:incompletei1e8:intervali1800e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x7f\x00\x00\x02\x1a\xe2e";

#[tokio::test]
async fn the_engine_gets_the_trackers_peers_and_the_tracker_is_asked_only_when_due() {
    let t = tracker(PEERS).await;
    let relay = start().await.unwrap();
    relay.track(IH, &t.url);

    let a = parse_answer(&engine(&relay, &engine_query("&event=started")).await).unwrap();
    assert_eq!(a.interval, POLL, "the engine comes back soon");
    assert_eq!(a.peers4, PEER_BYTES, "the tracker's peers, passed on");
    assert_eq!((a.complete, a.incomplete), (Some(2), Some(1)));
    assert_eq!(t.got(), vec![engine_query("&event=started")]);

    // Before the tracker's interval is over: answered from what it said.
    let again = parse_answer(&engine(&relay, &engine_query("")).await).unwrap();
    assert_eq!(again.peers4, a.peers4);
    assert_eq!(
        t.got().len(),
        1,
        "the tracker is not asked again before its turn"
    );

    let h = relay.history(&IH);
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].event, h[0].asked), ("started", false));
    assert!(matches!(
        h[0].outcome,
        Outcome::Answered {
            peers: 2,
            interval_secs: 1800,
            ..
        }
    ));
    let s = relay.status(&IH).unwrap();
    assert!(s.announced && s.error.is_none());
    assert_eq!(s.seeders, Some(2));

    // The member asks: the tracker is asked at once, with the engine's last query.
    assert_eq!(relay.announce_now(&IH).await, Reannounce::Now);
    assert_eq!(t.got().last().unwrap(), &engine_query(""));
    let h = relay.history(&IH);
    assert_eq!((h.len(), h[0].event, h[0].asked), (2, "", true));

    // Stopped with the download's totals, and no longer announced.
    assert!(
        relay
            .event(IH, Event::Stopped, Some((500, 700)), true)
            .await
    );
    let last = t.got().last().unwrap().clone();
    assert!(
        last.ends_with("&event=stopped&uploaded=500&downloaded=700&left=0"),
        "{last}"
    );
    assert!(relay.history(&IH).is_empty() && relay.status(&IH).is_none());
    assert_eq!(relay.announce_now(&IH).await, Reannounce::NotSeeded);
    let refused = engine(&relay, &engine_query("")).await;
    assert!(matches!(
        parse_answer(&refused),
        Err(AnnounceError::Failure(r)) if r == "not a download of this client"
    ));
    assert_eq!(t.got().len(), 3);
}

#[tokio::test]
async fn an_asked_announce_waits_for_the_min_interval_and_goes_at_the_engines_next() {
    let t = tracker(b"d8:intervali1800e12:min intervali1e5:peers0:e").await;
    let relay = start().await.unwrap();
    relay.track(IH, &t.url);
    // Asked before the engine's first announce: that one is the asked one.
    assert_eq!(relay.announce_now(&IH).await, Reannounce::Now);
    assert!(t.got().is_empty());
    engine(&relay, &engine_query("&event=started")).await;
    assert_eq!(t.got().len(), 1);
    // Right after it, `min interval` (1 s) is not over: deferred, then the
    // engine's next announce after it goes to the tracker, marked asked.
    match relay.announce_now(&IH).await {
        Reannounce::Deferred(d) => assert!(d <= Duration::from_secs(1), "{d:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(t.got().len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    engine(&relay, &engine_query("")).await;
    assert_eq!(t.got().len(), 2);
    let h = relay.history(&IH);
    assert_eq!((h[0].event, h[0].asked), ("", true));
}

#[tokio::test]
async fn a_tracker_down_or_refusing_is_kept_and_backed_off_and_the_engine_still_answered() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/announce/{PASSKEY}", closed.local_addr().unwrap());
    drop(closed);
    let relay = start().await.unwrap();
    relay.track(IH, &dead);
    let a = parse_answer(&engine(&relay, &engine_query("&event=started")).await).unwrap();
    assert_eq!((a.interval, a.peers), (POLL, 0), "still a valid answer");
    let s = relay.status(&IH).unwrap();
    assert_eq!(
        s.error.as_deref(),
        Some("tracker unreachable: cannot connect")
    );
    assert!(!s.announced);
    assert!(
        !format!("{:?}", relay.history(&IH)).contains(PASSKEY),
        "the passkey is in no outcome"
    );

    // A refusal is the tracker's reason, word for word.
    let t = tracker(b"d14:failure reason12:unregisterede").await;
    relay.track(IH, &t.url);
    // Backed off after the failure: the next regular one waits...
    engine(&relay, &engine_query("")).await;
    assert!(t.got().is_empty());
    // ...an event does not.
    engine(&relay, &engine_query("&event=started")).await;
    assert_eq!(t.got().len(), 1);
    assert_eq!(
        relay.status(&IH).unwrap().error.as_deref(),
        Some("tracker refused: unregistered")
    );
}

#[tokio::test]
async fn only_the_token_and_well_formed_queries_of_known_torrents_are_answered() {
    let t = tracker(PEERS).await;
    let relay = start().await.unwrap();
    relay.track(IH, &t.url);
    let base = relay.url().rsplit_once('/').unwrap().0.to_string();
    for path in [
        format!("{base}/{}", "0".repeat(32)),
        format!("{base}/"),
        base.replace("/announce", "/scrape"),
    ] {
        let resp = reqwest::get(format!("{path}?{}", engine_query("")))
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    for bad in ["", "info_hash=%01", "info_hash=x&event=started"] {
        assert!(
            matches!(
                parse_answer(&engine(&relay, bad).await),
                Err(AnnounceError::Failure(_))
            ),
            "{bad}"
        );
    }
    let other = engine_query("").replace("%AB", "%CD");
    assert!(parse_answer(&engine(&relay, &other).await).is_err());
    assert!(t.got().is_empty(), "none of it reached the tracker");
}
