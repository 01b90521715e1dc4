//! The writer against a real redis-server: what is queued at a clean stop reaches
//! the stream; with Redis away the stop still ends, and says what was not written.

use std::sync::Arc;
use std::time::Duration;

use super::{connection, wire, write_loop, Feed, Tasks};
use crate::core::catalog::{CatalogChange, ChangeFeed};
use crate::tracker::peers_redis::tests::Redis;
use crate::tracker::peers_url::PeersUrl;

/// More than two pipelines' worth.
const CHANGES: u64 = 1_200;

/// The writer alone (no reader: it needs a whole server), on `url`.
fn writer(url: &str) -> (Arc<Feed>, Tasks) {
    let url = PeersUrl::parse(Some(url)).unwrap().unwrap();
    let feed = Feed::new();
    let tasks = Tasks {
        feed: feed.clone(),
        writer: tokio::spawn(write_loop(feed.clone(), connection(&url).unwrap())),
        reader: None,
    };
    (feed, tasks)
}

/// Every entry of the stream, decoded.
async fn stream(redis: &Redis) -> Vec<(u64, CatalogChange)> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
        .arg(wire::STREAM)
        .arg("-")
        .arg("+")
        .query_async(&mut c)
        .await
        .unwrap();
    entries
        .iter()
        .map(|(_, fields)| wire::decode(fields).unwrap())
        .collect()
}

#[tokio::test]
async fn a_clean_stop_writes_what_is_still_queued() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let (feed, tasks) = writer(&redis.url());
    // Published right before the stop: the writer has not run yet (one thread).
    for id in 0..CHANGES {
        feed.publish(CatalogChange::Member(id));
    }
    // A bound far above what the writes take: this checks what is written, not how fast.
    assert_eq!(tasks.stop(Duration::from_secs(60)).await, 0);
    let written = stream(&redis).await;
    let ids: Vec<u64> = written
        .iter()
        .map(|(instance, change)| {
            assert_eq!(*instance, feed.instance);
            match change {
                CatalogChange::Member(id) => *id,
                other => panic!("unexpected {other:?}"),
            }
        })
        .collect();
    assert_eq!(ids, (0..CHANGES).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_stop_with_redis_away_ends_and_counts_what_was_not_written() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (feed, tasks) = writer(&format!("redis://127.0.0.1:{port}/0"));
    for id in 0..3 {
        feed.publish(CatalogChange::Member(id));
    }
    assert_eq!(tasks.stop(Duration::from_millis(300)).await, 3);
}

#[tokio::test]
async fn grabs_of_one_torrent_coalesce_until_the_writer_takes_them() {
    let Some(redis) = Redis::start(None) else {
        return;
    };
    let (feed, tasks) = writer(&redis.url());
    let grab = |n: u8| CatalogChange::Grab([n; 20]);
    // Queued before the writer runs (one thread): one entry per torrent.
    for i in 0..CHANGES {
        feed.publish(grab((i % 2) as u8));
    }
    feed.publish(CatalogChange::Member(7));
    feed.publish(grab(0));
    let want = vec![grab(0), grab(1), CatalogChange::Member(7)];
    let changes = |written: Vec<(u64, CatalogChange)>| -> Vec<CatalogChange> {
        written.into_iter().map(|(_, c)| c).collect()
    };
    // Waits for the writer (a bound only against a hang).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while changes(stream(&redis).await) != want {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            stream(&redis).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Taken and written: a later grab of the same torrent is an entry of its own
    // (the reader may have read the count before it).
    feed.publish(grab(0));
    assert_eq!(tasks.stop(Duration::from_secs(60)).await, 0);
    let mut more = want;
    more.push(grab(0));
    assert_eq!(changes(stream(&redis).await), more);
}
