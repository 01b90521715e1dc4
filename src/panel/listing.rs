//! The panel's torrent list in memory: what its filters and sort keys need per
//! torrent, kept current as a catalog listener, so a page and its total never
//! read every record (only the page's 50 are read from the store). Seeders
//! come from the tracker's swarm view, for the matching torrents only.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::core::catalog::CatalogListener;
use crate::core::swarm::SwarmView;
use crate::store::{search_text, Store, StoreResult, TorrentFilter, TorrentRecord};

struct Entry {
    added: i64,
    size: u64,
    grabs: u64,
    uploader: u64,
    category: u32,
    /// [`search_text`]: what filter words are looked for in, and the tie-break of one second.
    text: Box<str>,
    dead: bool,
}

impl Entry {
    fn new(rec: &TorrentRecord) -> Entry {
        Entry {
            added: rec.added,
            size: rec.size,
            grabs: rec.grabs,
            uploader: rec.uploader,
            category: rec.meta.category,
            text: search_text(rec).into_boxed_str(),
            dead: false,
        }
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<[u8; 20], Entry>,
    /// Info-hashes newest first (then by text, then hash).
    order: Vec<[u8; 20]>,
}

impl Inner {
    fn key<'a>(&'a self, ih: &'a [u8; 20]) -> (Reverse<i64>, &'a str, &'a [u8; 20]) {
        let e = &self.entries[ih];
        (Reverse(e.added), &e.text, ih)
    }

    fn position(&self, ih: &[u8; 20]) -> Result<usize, usize> {
        let want = self.key(ih);
        self.order.binary_search_by(|o| self.key(o).cmp(&want))
    }

    fn remove(&mut self, ih: &[u8; 20]) -> Option<Entry> {
        if !self.entries.contains_key(ih) {
            return None;
        }
        if let Ok(at) = self.position(ih) {
            self.order.remove(at);
        }
        self.entries.remove(ih)
    }

    fn insert(&mut self, ih: [u8; 20], entry: Entry) {
        self.entries.insert(ih, entry);
        if let Err(at) = self.position(&ih) {
            self.order.insert(at, ih);
        }
    }
}

/// How a page is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Largest,
    Smallest,
    Seeders,
    Grabs,
}

/// Which torrents a page shows: the store's filter, plus uploader and dead or alive.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub filter: TorrentFilter,
    pub uploader: Option<u64>,
    /// `Some(true)`: only dead torrents; `Some(false)`: only live ones.
    pub dead: Option<bool>,
}

/// One page: the info-hashes to show, in order, and how many match in all.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub info_hashes: Vec<[u8; 20]>,
    pub total: usize,
}

#[derive(Default)]
pub struct Listing {
    inner: RwLock<Inner>,
}

impl Listing {
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads every torrent of the store once (at start-up).
    pub fn build(store: &dyn Store) -> StoreResult<Listing> {
        let mut inner = Inner::default();
        store.for_each_torrent(&mut |rec| {
            inner.entries.insert(rec.info_hash, Entry::new(&rec));
        })?;
        inner.order = inner.entries.keys().copied().collect();
        let mut order = std::mem::take(&mut inner.order);
        order.sort_unstable_by(|a, b| inner.key(a).cmp(&inner.key(b)));
        inner.order = order;
        Ok(Listing {
            inner: RwLock::new(inner),
        })
    }

    pub fn len(&self) -> usize {
        self.read().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many torrents are dead now.
    pub fn dead_count(&self) -> usize {
        self.read().entries.values().filter(|e| e.dead).count()
    }

    pub fn is_dead(&self, ih: &[u8; 20]) -> bool {
        self.read().entries.get(ih).is_some_and(|e| e.dead)
    }

    /// The torrents `query` keeps, in `sort`: `skip` passed over, then up to `limit`.
    pub fn page(
        &self,
        query: &Query,
        sort: Sort,
        skip: usize,
        limit: usize,
        swarm: &dyn SwarmView,
    ) -> Page {
        let inner = self.read();
        let everything =
            query.filter.is_empty() && query.uploader.is_none() && query.dead.is_none();
        if everything && matches!(sort, Sort::Newest | Sort::Oldest) {
            // The whole catalogue in date order: the page is a slice.
            let n = inner.order.len();
            let (from, to) = (skip.min(n), skip.saturating_add(limit).min(n));
            let info_hashes = match sort {
                Sort::Newest => inner.order[from..to].to_vec(),
                _ => inner.order[n - to..n - from]
                    .iter()
                    .rev()
                    .copied()
                    .collect(),
            };
            return Page {
                info_hashes,
                total: n,
            };
        }
        let keep = |ih: &[u8; 20]| -> bool {
            let e = &inner.entries[ih];
            query.uploader.is_none_or(|u| e.uploader == u)
                && query.dead.is_none_or(|d| e.dead == d)
                && query.filter.keeps(e.category, || &*e.text)
        };
        let mut page = Page::default();
        let wanted = skip.saturating_add(limit);
        let in_date_order = |ih: &[u8; 20], page: &mut Page| {
            if page.total >= skip && page.total < wanted {
                page.info_hashes.push(*ih);
            }
            page.total += 1;
        };
        let key: fn(&Entry) -> u64 = match sort {
            Sort::Newest | Sort::Oldest => {
                if sort == Sort::Newest {
                    inner
                        .order
                        .iter()
                        .filter(|ih| keep(ih))
                        .for_each(|ih| in_date_order(ih, &mut page));
                } else {
                    inner
                        .order
                        .iter()
                        .rev()
                        .filter(|ih| keep(ih))
                        .for_each(|ih| in_date_order(ih, &mut page));
                }
                return page;
            }
            Sort::Largest => |e| u64::MAX - e.size,
            Sort::Smallest => |e| e.size,
            Sort::Grabs => |e| u64::MAX - e.grabs,
            Sort::Seeders => |_| 0,
        };
        // (sort key, place in date order): ties stay newest first.
        let mut matched: Vec<(u64, u32)> = Vec::new();
        for (at, ih) in inner.order.iter().enumerate() {
            if keep(ih) {
                let k = match sort {
                    Sort::Seeders => u64::from(u32::MAX - swarm.counts(ih).seeders),
                    _ => key(&inner.entries[ih]),
                };
                matched.push((k, at as u32));
            }
        }
        page.total = matched.len();
        if skip >= matched.len() {
            return page;
        }
        // Only the first `wanted` need sorting.
        if wanted < matched.len() {
            matched.select_nth_unstable(wanted);
            matched.truncate(wanted);
        }
        matched.sort_unstable();
        page.info_hashes = matched[skip..]
            .iter()
            .map(|&(_, at)| inner.order[at as usize])
            .collect();
        page
    }
}

impl CatalogListener for Listing {
    fn torrent_stored(&self, record: &TorrentRecord) {
        let mut inner = self.write();
        // A re-send keeps its dead mark; the tracker clears it when a seeder comes.
        let dead = inner.remove(&record.info_hash).is_some_and(|e| e.dead);
        let mut e = Entry::new(record);
        e.dead = dead;
        inner.insert(record.info_hash, e);
    }

    fn torrent_removed(&self, info_hash: &[u8; 20], _info_hash_v2: Option<&[u8; 32]>) {
        self.write().remove(info_hash);
    }

    fn torrent_grabbed(&self, info_hash: &[u8; 20], grabs: u64) {
        if let Some(e) = self.write().entries.get_mut(info_hash) {
            e.grabs = e.grabs.max(grabs);
        }
    }

    fn torrent_liveness(&self, info_hash: &[u8; 20], dead: bool) {
        if let Some(e) = self.write().entries.get_mut(info_hash) {
            e.dead = dead;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::swarm::PeerCounts;
    use crate::store::TorrentMeta;

    fn rec(n: u8, added: i64, size: u64, grabs: u64, category: u32) -> TorrentRecord {
        TorrentRecord {
            info_hash: [n; 20],
            info_hash_v2: None,
            name: format!("Torrent {n:03}"),
            size,
            file_count: 1,
            piece_length: 16384,
            uploader: u64::from(n % 2),
            added,
            meta: TorrentMeta {
                category,
                ..TorrentMeta::default()
            },
            grabs,
            snatches: 0,
        }
    }

    /// Seeders: the info-hash's first byte.
    struct ByFirstByte;
    impl SwarmView for ByFirstByte {
        fn counts(&self, ih: &[u8; 20]) -> PeerCounts {
            PeerCounts {
                seeders: u32::from(ih[0]),
                leechers: 0,
            }
        }
    }

    fn ids(p: &Page) -> Vec<u8> {
        p.info_hashes.iter().map(|h| h[0]).collect()
    }

    #[test]
    fn pages_filter_sort_and_follow_the_catalogue() {
        let l = Listing::default();
        // Added out of order; 3 and 4 in the same second (then by text).
        for r in [
            rec(1, 10, 500, 0, 2040),
            rec(4, 30, 100, 7, 5040),
            rec(3, 30, 300, 2, 2040),
            rec(2, 20, 900, 1, 2030),
        ] {
            l.torrent_stored(&r);
        }
        let all = Query::default();
        let page = |q: &Query, s: Sort, skip, limit| l.page(q, s, skip, limit, &ByFirstByte);
        assert_eq!(ids(&page(&all, Sort::Newest, 0, 9)), [3, 4, 2, 1]);
        assert_eq!(ids(&page(&all, Sort::Oldest, 0, 9)), [1, 2, 4, 3]);
        assert_eq!(ids(&page(&all, Sort::Oldest, 1, 2)), [2, 4]);
        assert_eq!(ids(&page(&all, Sort::Newest, 3, 5)), [1]);
        assert_eq!(ids(&page(&all, Sort::Largest, 0, 9)), [2, 1, 3, 4]);
        assert_eq!(ids(&page(&all, Sort::Smallest, 1, 2)), [3, 1]);
        assert_eq!(ids(&page(&all, Sort::Grabs, 0, 2)), [4, 3]);
        assert_eq!(ids(&page(&all, Sort::Seeders, 0, 9)), [4, 3, 2, 1]);
        let p = page(&all, Sort::Largest, 8, 2);
        assert_eq!((p.total, p.info_hashes.len()), (4, 0));

        let movies = Query {
            filter: TorrentFilter {
                words: vec![],
                category: Some(2000),
            },
            ..Query::default()
        };
        let p = page(&movies, Sort::Largest, 0, 2);
        assert_eq!((p.total, ids(&p)), (3, vec![2, 1]));
        let word = Query {
            filter: TorrentFilter {
                words: vec!["torrent".into(), "003".into()],
                category: None,
            },
            ..Query::default()
        };
        assert_eq!(ids(&page(&word, Sort::Newest, 0, 9)), [3]);
        let odd = Query {
            uploader: Some(1),
            ..Query::default()
        };
        assert_eq!(ids(&page(&odd, Sort::Newest, 0, 9)), [3, 1]);

        // Dead marks, grabs, a re-send and a removal.
        l.torrent_liveness(&[2; 20], true);
        let dead = Query {
            dead: Some(true),
            ..Query::default()
        };
        assert_eq!(ids(&page(&dead, Sort::Newest, 0, 9)), [2]);
        l.torrent_stored(&rec(2, 20, 900, 1, 2030));
        assert!(l.is_dead(&[2; 20]), "a re-send keeps the mark");
        // Grab counts told out of order (concurrent reads): the highest stays.
        l.torrent_grabbed(&[1; 20], 10);
        l.torrent_grabbed(&[1; 20], 6);
        assert_eq!(ids(&page(&all, Sort::Grabs, 0, 1)), [1]);
        l.torrent_grabbed(&[4; 20], 10);
        assert_eq!(
            ids(&page(&all, Sort::Grabs, 0, 2)),
            [4, 1],
            "a tie stays newest first"
        );
        l.torrent_removed(&[3; 20], None);
        assert_eq!(ids(&page(&all, Sort::Newest, 0, 9)), [4, 2, 1]);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn build_reads_the_store_in_date_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::RedbStore::open_dir(dir.path()).unwrap();
        for (n, added) in [(1u8, 30i64), (2, 10), (3, 20)] {
            store
                .put_torrent(&rec(n, added, 1, 0, 2000), b"d4:infod4:name1:xee")
                .unwrap();
        }
        let l = Listing::build(&store).unwrap();
        let p = l.page(&Query::default(), Sort::Newest, 0, 9, &ByFirstByte);
        assert_eq!(ids(&p), [1, 3, 2]);
    }
}
