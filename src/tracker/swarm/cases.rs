// The swarm rules, included by tests.rs once per way of building `Swarms`.

const IH: [u8; 20] = [7; 20];

fn announce(s: &Swarms, u: &PeerUpdate, now: u32) -> (Outcome, Picked) {
    let mut picked = Picked::default();
    let base = Base {
        downloaded: 3,
        last_seeded: 0,
    };
    let o = s.announce(&IH, base, u, now, true, &mut picked).unwrap();
    (o, picked)
}

#[test]
fn leechers_get_seeders_first_and_never_themselves() {
    let s = new();
    announce(&s, &up(1, 1, 10, Event::Started), 0);
    announce(&s, &up(2, 2, 0, Event::Started), 0);
    announce(&s, &up(3, 3, 0, Event::Started), 0);
    let mut l = up(4, 4, 10, Event::Started);
    l.numwant = 2;
    let (o, p) = announce(&s, &l, 0);
    assert_eq!((o.complete, o.incomplete, o.downloaded), (2, 2, 3));
    // Two seeders (ids 2 and 3), not the other leecher, not itself.
    let ids: Vec<u8> = p.compact4.chunks(6).map(|c| c[3]).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, vec![2, 3]);
    // A seeder gets leechers only.
    let (_, p) = announce(&s, &up(2, 2, 0, Event::None), 1);
    let mut ids: Vec<u8> = p.compact4.chunks(6).map(|c| c[3]).collect();
    ids.sort();
    assert_eq!(ids, vec![1, 4]);
}

#[test]
fn deltas_are_credited_once_and_never_negative() {
    let s = new();
    let mut u = up(1, 9, 100, Event::Started);
    u.uploaded = 500; // a resumed client's totals are a base, not a credit
    let (o, _) = announce(&s, &u, 0);
    assert_eq!(o.credit_uploaded, 0);
    u.event = Event::None;
    u.uploaded = 800;
    u.downloaded = 40;
    let (o, _) = announce(&s, &u, 1);
    assert_eq!((o.credit_uploaded, o.credit_downloaded), (300, 40));
    assert_eq!(o.elapsed, 1);
    u.uploaded = 100; // went backwards: new base, no debit
    let (o, _) = announce(&s, &u, 2);
    assert_eq!((o.credit_uploaded, o.credit_downloaded), (0, 0));
    u.uploaded = 150;
    u.event = Event::Stopped;
    let (o, _) = announce(&s, &u, 1802);
    assert_eq!((o.credit_uploaded, o.elapsed), (50, 1800));
    assert_eq!(s.scrape(&IH), Some((0, 0, 3)));
    assert_eq!(s.member_peers(9), MemberPeers::default());
}

#[test]
fn completion_counts_once_and_member_counts_follow() {
    let s = new();
    let mut u = up(1, 5, 100, Event::Started);
    announce(&s, &u, 0);
    assert_eq!(
        s.member_peers(5),
        MemberPeers {
            seeding: 0,
            leeching: 1
        }
    );
    u.left = 0;
    u.event = Event::Completed;
    let (o, _) = announce(&s, &u, 1);
    assert!(o.snatched);
    assert_eq!((o.complete, o.incomplete, o.downloaded), (1, 0, 4));
    let (o, _) = announce(&s, &u, 2);
    assert!(
        !o.snatched,
        "a repeated completed event is not a second snatch"
    );
    assert_eq!(
        s.member_peers(5),
        MemberPeers {
            seeding: 1,
            leeching: 0
        }
    );
}

#[test]
fn another_members_peer_id_is_refused() {
    let s = new();
    announce(&s, &up(1, 1, 10, Event::Started), 0);
    let mut picked = Picked::default();
    let up = up(1, 2, 10, Event::None);
    let r = s.announce(&IH, Base::default(), &up, 0, true, &mut picked);
    assert_eq!(r, Err(SwarmError::PeerIdTaken));
}

#[test]
fn sweep_marks_stale_then_drops() {
    let s = new();
    announce(&s, &up(1, 1, 10, Event::Started), 0);
    announce(&s, &up(2, 2, 0, Event::Started), 50);
    assert_eq!(s.sweep(60, 30, 100), 0);
    assert_eq!(s.scrape(&IH), Some((1, 0, 3)), "stale leecher not counted");
    assert_eq!(s.member_peers(1), MemberPeers::default());
    // A stale peer is not handed out.
    let (_, p) = announce(&s, &up(3, 3, 10, Event::Started), 60);
    assert_eq!(p.compact4.len(), 6);
    assert_eq!(s.sweep(101, 30, 100), 1);
    assert_eq!(s.totals().peers, 2);
    // The member whose peer came back is counted again.
    announce(&s, &up(2, 2, 0, Event::None), 102);
    assert_eq!(
        s.member_peers(2),
        MemberPeers {
            seeding: 1,
            leeching: 0
        }
    );
}

#[test]
fn removal_drops_swarm_and_member_counts() {
    let s = new();
    announce(&s, &up(1, 1, 10, Event::Started), 0);
    announce(&s, &up(2, 1, 0, Event::Started), 0);
    assert_eq!(
        s.member_peers(1),
        MemberPeers {
            seeding: 1,
            leeching: 1
        }
    );
    s.remove(&IH);
    assert_eq!(s.member_peers(1), MemberPeers::default());
    assert_eq!(s.scrape(&IH), None);
    announce(&s, &up(1, 1, 10, Event::Started), 0);
    s.remove_member(1);
    assert_eq!(s.scrape(&IH), Some((0, 0, 3)));
}

#[test]
fn ipv6_peers_go_to_peers6() {
    let s = new();
    let mut a = up(1, 1, 0, Event::Started);
    a.ip = "::1".parse().unwrap();
    announce(&s, &a, 0);
    let (_, p) = announce(&s, &up(2, 2, 10, Event::Started), 0);
    assert!(p.compact4.is_empty());
    assert_eq!(p.compact6.len(), 18);
}

#[test]
fn dead_marks_follow_seeders_and_their_times_are_flushed_once() {
    let s = new();
    let other = [8; 20];
    let torrents = [
        (IH, Base::default()),
        (
            other,
            Base {
                downloaded: 0,
                last_seeded: 500,
            },
        ),
    ];
    // Dead when nobody seeds and the last seeder is older than 100.
    let dead = |now: i64| move |l: Liveness| l.seeders == 0 && now - l.last_seeded > 100;
    assert_eq!(s.mark_dead(&torrents, dead(550)), [(IH, true)]);
    assert!(s.is_dead(&IH) && !s.is_dead(&other));
    assert!(s.mark_dead(&torrents, dead(550)).is_empty(), "no change");
    assert!(s.unflushed_seeded().is_empty());
    // A leecher does not revive it; a seeder does, at once.
    let (o, _) = announce(&s, &up(1, 1, 10, Event::Started), 0);
    assert!(!o.revived && s.is_dead(&IH));
    let (o, _) = announce(&s, &up(2, 2, 0, Event::Started), 0);
    assert!(o.revived && !s.is_dead(&IH));
    assert_eq!(s.unflushed_seeded(), [(IH, 1002)]);
    s.seeded_flushed(&[(IH, 1002)]);
    assert!(s.unflushed_seeded().is_empty());
    // A live seeder keeps it alive whatever the time.
    assert_eq!(s.mark_dead(&torrents, dead(5000)), [(other, true)]);
    announce(&s, &up(2, 2, 0, Event::Stopped), 1);
    assert_eq!(s.mark_dead(&torrents, dead(5000)), [(IH, true)]);
}
