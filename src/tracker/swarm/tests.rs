//! The swarm table's rules: who is handed out, deltas, completions, sweeps, dead marks,
//! run on in-process swarms and on swarms that note their changes for a shared
//! peer store (PEERS_URL), which must follow the same rules.

use std::net::IpAddr;

use super::PeerUpdate;
use crate::tracker::announce::Event;

/// Peer `id` (every byte of its peer id, 127.0.0.id:6000+id) announcing at wall time 1000 + id.
pub(crate) fn up(id: u8, user: u64, left: u64, event: Event) -> PeerUpdate {
    PeerUpdate {
        peer_id: [id; 20],
        user,
        ip: IpAddr::from([127, 0, 0, id]),
        port: 6000 + u16::from(id),
        uploaded: 0,
        downloaded: 0,
        left,
        key: None,
        event,
        numwant: 50,
        wall: 1000 + i64::from(id),
    }
}

mod in_process {
    use super::super::*;
    use super::up;

    fn new() -> Swarms {
        Swarms::default()
    }

    include!("cases.rs");
}

mod shared_store {
    use super::super::*;
    use super::up;

    fn new() -> Swarms {
        Swarms::shared(600)
    }

    include!("cases.rs");

    #[test]
    fn changes_are_noted_once_and_only_when_shared() {
        let s = new();
        announce(&s, &up(1, 1, 10, Event::Started), 0);
        announce(&s, &up(1, 1, 0, Event::Completed), 1);
        announce(&s, &up(1, 1, 0, Event::Stopped), 2);
        let c = s.take_changes();
        let lefts: Vec<_> = c.iter().map(|c| c.ad.map(|a| a.left)).collect();
        assert_eq!(lefts, [Some(10), Some(0), None]);
        assert_eq!(c[0].ad.unwrap().expires, 1001 + 600);
        assert!(s.take_changes().is_empty());
        let local = Swarms::default();
        announce(&local, &up(1, 1, 10, Event::Started), 0);
        assert!(local.take_changes().is_empty());
    }

    #[test]
    fn other_instances_peers_count_are_handed_out_and_expire() {
        let s = new();
        let remote = |id: u8, left: u64, expires: i64| RemotePeer {
            peer_id: [id; 20],
            ad: Ad {
                ip: IpAddr::from([10, 0, 0, id]),
                port: 7000,
                left,
                expires,
            },
        };
        s.set_remote(
            &IH,
            Base::default(),
            vec![remote(8, 0, 50), remote(9, 5, 99)],
        );
        assert_eq!(s.scrape(&IH), Some((1, 1, 0)));
        let (o, p) = announce(&s, &up(1, 1, 10, Event::Started), 0);
        assert_eq!((o.complete, o.incomplete), (1, 2));
        let ids: Vec<u8> = p.compact4.chunks(6).map(|c| c[3]).collect();
        assert_eq!(ids, [8, 9], "the seeder first");
        // A remote peer that now announces here is counted once.
        announce(&s, &up(9, 9, 5, Event::Started), 0);
        assert_eq!(s.scrape(&IH), Some((1, 2, 0)));
        s.prune_remote(50);
        assert_eq!(s.scrape(&IH), Some((0, 2, 0)));
    }
}
