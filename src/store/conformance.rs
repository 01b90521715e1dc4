//! What every `Store` adapter must do, as one suite: members and their keys,
//! the duplicate and ownership rules of uploads, grabs and counters, settings,
//! backup. `check(open)` runs it on stores `open` makes in a fresh folder; the
//! redb adapter runs it below, a new adapter adds one test that calls it.
//! Every adapter's backup is a redb file (portable), so it is reopened as one.

use std::path::Path;
use std::sync::Arc;

use super::{PutOutcome, Store, TorrentMeta, TorrentRecord, User, UserDelta};

fn record(n: u8, uploader: u64, title: &str) -> TorrentRecord {
    TorrentRecord {
        info_hash: [n; 20],
        info_hash_v2: Some([n; 32]),
        name: format!("torrent-{n}"),
        size: 1000 + u64::from(n),
        file_count: 1,
        piece_length: 16384,
        uploader,
        added: 1_700_000_000 + i64::from(n),
        meta: TorrentMeta {
            category: 2040,
            title: Some(title.into()),
            ..TorrentMeta::default()
        },
        grabs: 0,
        snatches: 0,
    }
}

/// Runs every check on a fresh store from `open` (called with an empty folder).
pub fn check(open: &dyn Fn(&Path) -> Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("main"));
    members(&*store);
    uploads(&*store);
    grabs_and_counters(&*store);
    last_seeded(&*store);
    settings_and_backup(&*store, dir.path());
    pages_and_totals(&*open(&dir.path().join("pages")));
}

/// Fills a fresh store with some of everything: members (one deleted),
/// torrents, grabs, counters, seeded times and a setting.
pub fn fill(s: &dyn Store) {
    members(s);
    uploads(s);
    grabs_and_counters(s);
    last_seeded(s);
    s.set_setting("k", b"v2").unwrap();
}

fn titles(page: &super::TorrentPage) -> Vec<&str> {
    page.torrents.iter().map(|t| t.title()).collect()
}

fn pages_and_totals(s: &dyn Store) {
    use super::{AddedOrder::*, TorrentFilter, TorrentTotals};
    let all = TorrentFilter::default();
    assert_eq!(s.torrent_totals().unwrap(), TorrentTotals::default());
    assert_eq!(
        s.torrent_page(&all, NewestFirst, 0, 10).unwrap().matching,
        0
    );
    let u = s.create_user("u", [1; 32], [2; 32], 0).unwrap();
    // 1..=4 at distinct seconds; 5 and 6 in one second (a first sync), titles out of order.
    for (n, title, added) in [
        (1, "Alpha Movie", 10),
        (2, "Beta Show", 20),
        (3, "Gamma Movie", 30),
        (4, "Delta Album", 40),
        (5, "Zeta Movie", 50),
        (6, "Eta Movie", 50),
    ] {
        let mut r = record(n, u.id, title);
        r.added = added;
        if n == 4 {
            r.meta.category = 3000;
        }
        s.put_torrent(&r, b"x").unwrap();
    }
    let size: u64 = (1..=6).map(|n| 1000 + n).sum();
    assert_eq!(
        s.torrent_totals().unwrap(),
        TorrentTotals {
            count: 6,
            bytes: size
        }
    );

    let p = s.torrent_page(&all, NewestFirst, 0, 3).unwrap();
    assert_eq!(p.matching, 6);
    assert_eq!(titles(&p), ["Eta Movie", "Zeta Movie", "Delta Album"]);
    let p = s.torrent_page(&all, NewestFirst, 3, 3).unwrap();
    assert_eq!(titles(&p), ["Gamma Movie", "Beta Show", "Alpha Movie"]);
    assert!(s
        .torrent_page(&all, NewestFirst, 6, 3)
        .unwrap()
        .torrents
        .is_empty());
    let p = s.torrent_page(&all, OldestFirst, 0, 2).unwrap();
    assert_eq!(titles(&p), ["Alpha Movie", "Beta Show"]);
    assert_eq!(
        s.torrent_page(&all, OldestFirst, 0, usize::MAX)
            .unwrap()
            .torrents
            .len(),
        6
    );

    // Words (any case in the title or name) and a category, a parent taking its children.
    let movies = TorrentFilter {
        words: vec!["movie".into()],
        category: None,
    };
    let p = s.torrent_page(&movies, NewestFirst, 1, 2).unwrap();
    assert_eq!(p.matching, 4);
    assert_eq!(titles(&p), ["Zeta Movie", "Gamma Movie"]);
    let music = TorrentFilter {
        words: vec![],
        category: Some(3000),
    };
    assert_eq!(
        titles(&s.torrent_page(&music, NewestFirst, 0, 9).unwrap()),
        ["Delta Album"]
    );
    let films = TorrentFilter {
        words: vec!["torrent-3".into()],
        category: Some(2000),
    };
    assert_eq!(
        titles(&s.torrent_page(&films, NewestFirst, 0, 9).unwrap()),
        ["Gamma Movie"]
    );

    // A re-sent torrent with a new title moves within its second; a deleted one leaves page and totals.
    let mut r = record(6, u.id, "Theta Movie");
    r.added = 50;
    assert_eq!(s.put_torrent(&r, b"x").unwrap(), PutOutcome::Updated);
    let p = s.torrent_page(&all, NewestFirst, 0, 2).unwrap();
    assert_eq!(titles(&p), ["Theta Movie", "Zeta Movie"]);
    s.delete_torrent(&[5; 20]).unwrap();
    let p = s.torrent_page(&all, NewestFirst, 0, 2).unwrap();
    assert_eq!(
        (p.matching, titles(&p)),
        (5, vec!["Theta Movie", "Delta Album"])
    );
    assert_eq!(
        s.torrent_totals().unwrap(),
        TorrentTotals {
            count: 5,
            bytes: size - 1005
        }
    );
}

fn members(s: &dyn Store) {
    let alice = s.create_user("alice", [1; 32], [2; 32], 100).unwrap();
    let bob = s.create_user("bob", [3; 32], [4; 32], 101).unwrap();
    assert_ne!(alice.id, bob.id);
    assert!(alice.enabled && alice.created == 100 && alice.uploads == 0);
    assert_eq!(s.user(alice.id).unwrap().unwrap().label, "alice");
    assert_eq!(s.user_by_api_key(&[1; 32]).unwrap().unwrap().id, alice.id);
    assert!(
        s.user_by_api_key(&[2; 32]).unwrap().is_none(),
        "a passkey is not an API key"
    );
    assert_eq!(s.users().unwrap().len(), 2);

    assert!(s.set_user_keys(alice.id, [5; 32], [6; 32]).unwrap());
    assert!(
        s.user_by_api_key(&[1; 32]).unwrap().is_none(),
        "old key gone at once"
    );
    assert_eq!(s.user_by_api_key(&[5; 32]).unwrap().unwrap().id, alice.id);
    assert!(
        !s.set_user_keys(999, [7; 32], [8; 32]).unwrap(),
        "no such member"
    );

    assert!(s.set_user_enabled(bob.id, false).unwrap());
    assert!(!s.user(bob.id).unwrap().unwrap().enabled);
    assert!(s.set_user_enabled(bob.id, true).unwrap());
    assert!(!s.set_user_enabled(999, false).unwrap());

    let carol = s.create_user("carol", [9; 32], [10; 32], 102).unwrap();
    assert!(s.delete_user(carol.id).unwrap());
    assert!(s.user(carol.id).unwrap().is_none());
    assert!(s.user_by_api_key(&[9; 32]).unwrap().is_none());
    assert!(!s.delete_user(carol.id).unwrap());

    let taken = s.create_user("dora", [5; 32], [11; 32], 103);
    assert!(taken.is_err(), "an API key hash is one member's");
    imported_member(s);
}

/// A member brought over with counters keeps them, gets a new id, and its keys resolve.
fn imported_member(s: &dyn Store) {
    let mut old = s.create_user("ignored", [12; 32], [13; 32], 0).unwrap();
    s.delete_user(old.id).unwrap();
    old.label = "erin".into();
    old.api_key_hash = [14; 32];
    old.passkey_hash = [15; 32];
    (old.uploaded, old.downloaded, old.grabs, old.popularity) = (7, 8, 9, 10);
    (old.created, old.last_seen) = (1_600_000_000, 1_650_000_000);
    let erin = s.import_user(&old).unwrap();
    assert_ne!(erin.id, old.id, "ids are the store's");
    assert_eq!(s.user_by_api_key(&[14; 32]).unwrap().as_ref(), Some(&erin));
    assert_eq!(
        User {
            id: old.id,
            ..erin.clone()
        },
        old
    );
    let again = User {
        label: "erin2".into(),
        ..old.clone()
    };
    assert!(s.import_user(&again).is_err(), "same key twice");
    let pass_taken = User {
        api_key_hash: [16; 32],
        ..old
    };
    assert!(s.import_user(&pass_taken).is_err(), "same passkey twice");
    assert!(
        s.user_by_api_key(&[16; 32]).unwrap().is_none(),
        "nothing stored"
    );
    s.delete_user(erin.id).unwrap();
}

fn uploads(s: &dyn Store) {
    let alice = s.user_by_api_key(&[5; 32]).unwrap().unwrap();
    let bob = s.user_by_api_key(&[3; 32]).unwrap().unwrap();
    let one = record(1, alice.id, "One");
    assert_eq!(
        s.put_torrent(&one, b"bytes-1").unwrap(),
        PutOutcome::Created
    );
    assert_eq!(
        s.put_torrent(&record(2, bob.id, "Two"), b"bytes-2")
            .unwrap(),
        PutOutcome::Created
    );
    assert_eq!(s.user(alice.id).unwrap().unwrap().uploads, 1);

    // The same uploader re-sends: metadata replaced, the rest kept.
    let mut again = record(1, alice.id, "One, renamed");
    again.added += 500;
    assert_eq!(
        s.put_torrent(&again, b"other bytes").unwrap(),
        PutOutcome::Updated
    );
    let stored = s.torrent(&[1; 20]).unwrap().unwrap();
    assert_eq!(stored.title(), "One, renamed");
    assert_eq!(stored.added, one.added);
    assert_eq!(s.torrent_file(&[1; 20]).unwrap().unwrap(), b"bytes-1");
    assert_eq!(
        s.user(alice.id).unwrap().unwrap().uploads,
        1,
        "a re-send is no new upload"
    );

    // Someone else's duplicate, by v1 or by v2 hash, changes nothing.
    assert_eq!(
        s.put_torrent(&record(1, bob.id, "Steal"), b"x").unwrap(),
        PutOutcome::Conflict
    );
    let mut v2_twin = record(3, bob.id, "Twin");
    v2_twin.info_hash_v2 = Some([1; 32]);
    assert_eq!(s.put_torrent(&v2_twin, b"x").unwrap(), PutOutcome::Conflict);
    assert!(s.torrent(&[3; 20]).unwrap().is_none());
    assert_eq!(
        s.torrent(&[1; 20]).unwrap().unwrap().title(),
        "One, renamed"
    );

    let listed: Vec<[u8; 20]> = s
        .torrents(&[[2; 20], [7; 20], [1; 20]])
        .unwrap()
        .iter()
        .map(|r| r.info_hash)
        .collect();
    assert_eq!(listed, [[2; 20], [1; 20]], "given order, unknown skipped");
    assert_eq!(s.torrent_count().unwrap(), 2);
    assert_eq!(s.torrents_of(alice.id).unwrap(), [[1; 20]]);
    let mut seen = Vec::new();
    s.for_each_torrent(&mut |r| seen.push(r.info_hash)).unwrap();
    seen.sort();
    assert_eq!(seen, [[1; 20], [2; 20]]);

    assert_eq!(
        s.put_torrent(&record(4, bob.id, "Four"), b"4").unwrap(),
        PutOutcome::Created
    );
    let gone = s.delete_torrent(&[4; 20]).unwrap().unwrap();
    assert_eq!(gone.title(), "Four");
    assert!(s.torrent(&[4; 20]).unwrap().is_none());
    assert!(s.torrent_file(&[4; 20]).unwrap().is_none());
    // Its v2 hash is free again: a new upload under it is no conflict.
    let mut reuse = record(5, alice.id, "Five");
    reuse.info_hash_v2 = Some([4; 32]);
    assert_eq!(s.put_torrent(&reuse, b"5").unwrap(), PutOutcome::Created);
    assert!(s.delete_torrent(&[5; 20]).unwrap().is_some());
    assert!(!s.torrents_of(bob.id).unwrap().contains(&[4; 20]));
    assert!(s.delete_torrent(&[4; 20]).unwrap().is_none());
}

fn grabs_and_counters(s: &dyn Store) {
    let alice = s.user_by_api_key(&[5; 32]).unwrap().unwrap();
    let bob = s.user_by_api_key(&[3; 32]).unwrap().unwrap();
    // Bob grabs Alice's torrent.
    s.record_grab(&[1; 20], bob.id).unwrap();
    s.record_grab(&[9; 20], bob.id).unwrap(); // unknown torrent: nothing counted
    assert_eq!(s.torrent(&[1; 20]).unwrap().unwrap().grabs, 1);
    assert_eq!(s.user(bob.id).unwrap().unwrap().grabs, 1);
    assert_eq!(s.user(alice.id).unwrap().unwrap().popularity, 1);

    s.add_snatches(&[([1; 20], 2), ([9; 20], 5)]).unwrap();
    assert_eq!(s.torrent(&[1; 20]).unwrap().unwrap().snatches, 2);

    let delta = UserDelta {
        uploaded: 10,
        downloaded: 20,
        snatches: 1,
        last_seen: 500,
    };
    s.apply_user_deltas(&[(alice.id, delta), (alice.id, delta), (999, delta)])
        .unwrap();
    let a = s.user(alice.id).unwrap().unwrap();
    assert_eq!(
        (a.uploaded, a.downloaded, a.snatches, a.last_seen),
        (20, 40, 2, 500)
    );
    s.apply_user_deltas(&[(alice.id, UserDelta::default())])
        .unwrap();
    assert_eq!(
        s.user(alice.id).unwrap().unwrap().last_seen,
        500,
        "0 leaves last_seen"
    );
}

fn last_seeded(s: &dyn Store) {
    assert!(s.last_seeded().unwrap().is_empty());
    s.record_seeded(&[([1; 20], 100)]).unwrap();
    s.record_seeded(&[([1; 20], 50)]).unwrap(); // older: ignored
    s.record_seeded(&[]).unwrap();
    assert_eq!(s.last_seeded().unwrap(), [([1; 20], 100)]);
    s.record_seeded(&[([1; 20], 200)]).unwrap();
    assert_eq!(s.last_seeded().unwrap(), [([1; 20], 200)]);
}

fn settings_and_backup(s: &dyn Store, dir: &Path) {
    assert!(s.setting("nope").unwrap().is_none());
    s.set_setting("k", b"v1").unwrap();
    s.set_setting("k", b"v2").unwrap();
    assert_eq!(s.setting("k").unwrap().unwrap(), b"v2");

    let copy = dir.join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    s.backup_to(&copy.join(super::STORE_FILE)).unwrap();
    let restored = super::RedbStore::open_dir(&copy).unwrap();
    assert_eq!(restored.setting("k").unwrap().unwrap(), b"v2");
    assert_eq!(restored.users().unwrap().len(), 2);
    assert_eq!(restored.torrent_count().unwrap(), 2);
    assert_eq!(restored.last_seeded().unwrap(), [([1; 20], 200)]);
    assert_eq!(
        restored.torrent_file(&[1; 20]).unwrap().unwrap(),
        b"bytes-1"
    );
}

#[test]
fn redb_conforms() {
    check(&|dir| {
        super::open(&super::StoreConfig::Redb {
            data_dir: dir.to_path_buf(),
        })
        .unwrap()
    });
}
