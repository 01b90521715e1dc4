//! The in-memory search index: built from the store at start-up, kept current
//! through `CatalogListener`, answering any Torznab query without touching disk.
//!
//! Documents are numbered in upload-date order, so every posting list (sorted
//! document numbers) read backwards is newest first, and a page of results is
//! found without sorting. Per torrent it keeps only what searches filter on;
//! titles and counters are read from the store for the page being shown.

use std::collections::{HashMap, HashSet};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

mod build;
mod feed;
mod search;

use super::query::SearchParams;
use crate::core::catalog::CatalogListener;
use crate::store::{Store, StoreError, StoreResult, TorrentRecord};

const NONE: u32 = u32::MAX;
/// Prefixes that keep artist and album words apart from title words in one vocabulary.
const ARTIST: char = '\u{1}';
const ALBUM: char = '\u{2}';

/// What a document needs only when it changes or is shown.
struct Doc {
    info_hash: [u8; 20],
    uploader: u64,
    /// This document's term ids: `doc_terms[terms_at..terms_at + terms_len]`.
    terms_at: u32,
    terms_len: u32,
    imdb: u32,
    tmdb: u32,
    tvdb: u32,
    category: u32,
}

/// What every candidate is checked against, kept in small parallel arrays so a
/// scan over a million documents stays in cache (10 bytes a document).
#[derive(Clone, Copy)]
struct Hot {
    /// Category id; 0 marks a removed document.
    cat: u16,
    season: u16,
    episode: u16,
    /// Uploader id (ids beyond u32 never match a caller, so nothing is hidden wrongly
    /// only in that impossible case).
    owner: u32,
}

const NONE16: u16 = u16::MAX;

fn hot(record: &TorrentRecord) -> Hot {
    let small = |v: Option<u32>| v.map_or(NONE16, |v| u16::try_from(v).unwrap_or(NONE16 - 1));
    let m = &record.meta;
    Hot {
        cat: u16::try_from(m.category).unwrap_or(NONE16),
        season: small(m.season),
        episode: small(m.episode),
        owner: u32::try_from(record.uploader).unwrap_or(u32::MAX),
    }
}

#[derive(Default)]
struct Inner {
    docs: Vec<Doc>,
    cat: Vec<u16>,
    season: Vec<u16>,
    episode: Vec<u16>,
    owner: Vec<u32>,
    by_hash: HashMap<[u8; 20], u32>,
    vocab: HashMap<Box<str>, u32>,
    /// Per term id: sorted document numbers.
    postings: Vec<Vec<u32>>,
    /// Term ids of every document, one slice each (a replaced slice is left unused).
    doc_terms: Vec<u32>,
    /// Bitsets of the words found in a large share of titles (`1080p`, `the`, a
    /// group's name…), made at start-up: testing a bit is what keeps a query
    /// that pairs such a word with a rarer one cheap.
    dense: HashMap<u32, Vec<u64>>,
    imdb: HashMap<u32, Vec<u32>>,
    tmdb: HashMap<u32, Vec<u32>>,
    tvdb: HashMap<u32, Vec<u32>>,
    cats: HashMap<u32, Vec<u32>>,
    /// Per uploader: their documents (to leave the caller's own uploads out).
    own: HashMap<u64, Vec<u32>>,
    /// Documents of dead torrents (STALE_THRESHOLD without a seeder): in no list.
    dead: HashSet<u32>,
    alive: usize,
}

/// One page of results: the total number of matches and the page's info-hashes, newest first.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Hits {
    pub total: usize,
    pub info_hashes: Vec<[u8; 20]>,
}

#[derive(Default)]
pub struct SearchIndex {
    inner: RwLock<Inner>,
}

fn has_bit(bits: &[u64], id: u32) -> bool {
    bits.get(id as usize / 64)
        .is_some_and(|w| w & (1 << (id % 64)) != 0)
}

fn set_bit(bits: &mut Vec<u64>, id: u32, on: bool) {
    let at = id as usize / 64;
    if at >= bits.len() {
        bits.resize(at + 1, 0);
    }
    if on {
        bits[at] |= 1 << (id % 64);
    } else {
        bits[at] &= !(1 << (id % 64));
    }
}

/// A word in more than 1/DENSE_SHARE of the titles gets a bitset (from
/// `DENSE_MIN` documents on, where lists are long enough to matter).
const DENSE_SHARE: usize = 64;
const DENSE_MIN: usize = 8192;

impl SearchIndex {
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave lists half-sorted in a way that
        // breaks searching, so a poisoned lock is still used.
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads every torrent of the store, numbering them oldest first.
    pub fn build(store: &dyn Store) -> StoreResult<SearchIndex> {
        let mut inner = Inner::default();
        let mut dated: Vec<(i64, [u8; 20], u32)> = Vec::new();
        let mut hots: Vec<Hot> = Vec::new();
        // The store decodes records on one thread while this one splits titles
        // into words: the two halves of start-up run on two cores.
        let (tx, rx) = std::sync::mpsc::sync_channel::<TorrentRecord>(4096);
        std::thread::scope(|scope| {
            let reader = scope.spawn(move || {
                store.for_each_torrent(&mut |record| {
                    let _ = tx.send(record);
                })
            });
            for record in rx {
                let doc = inner.new_doc(&record);
                dated.push((record.added, record.info_hash, inner.docs.len() as u32));
                hots.push(hot(&record));
                inner.docs.push(doc);
            }
            reader
                .join()
                .unwrap_or_else(|_| Err(StoreError::Backend("index reader panicked".into())))
        })?;
        dated.sort_unstable();
        // Reorder the documents by date, then link them in that order so every list
        // is filled by appending.
        let mut slots: Vec<Option<Doc>> = std::mem::take(&mut inner.docs)
            .into_iter()
            .map(Some)
            .collect();
        inner.docs.reserve_exact(slots.len());
        for v in [&mut inner.cat, &mut inner.season, &mut inner.episode] {
            v.reserve_exact(slots.len());
        }
        inner.owner.reserve_exact(slots.len());
        inner.by_hash.reserve(slots.len());
        for (_, ih, old) in &dated {
            if let Some(doc) = slots[*old as usize].take() {
                let id = inner.docs.len() as u32;
                inner.docs.push(doc);
                inner.set_hot(id, hots[*old as usize]);
                inner.by_hash.insert(*ih, id);
                inner.link(id);
            }
        }
        drop((slots, hots, dated));
        inner.alive = inner.docs.len();
        inner.make_dense(DENSE_MIN);
        for list in &mut inner.postings {
            list.shrink_to_fit();
        }
        for map in [
            &mut inner.imdb,
            &mut inner.tmdb,
            &mut inner.tvdb,
            &mut inner.cats,
        ] {
            map.values_mut().for_each(Vec::shrink_to_fit);
        }
        inner.own.values_mut().for_each(Vec::shrink_to_fit);
        inner.doc_terms.shrink_to_fit();
        Ok(SearchIndex {
            inner: RwLock::new(inner),
        })
    }

    /// Approximate heap bytes the index holds (for the start-up log and the benchmark).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let i = self.read();
        let lists = |m: &HashMap<u32, Vec<u32>>| {
            m.capacity() * (size_of::<(u32, Vec<u32>)>() + 1)
                + m.values().map(|v| v.capacity() * 4).sum::<usize>()
        };
        i.docs.capacity() * size_of::<Doc>()
            + i.cat.capacity() * 6
            + i.owner.capacity() * 4
            + i.by_hash.capacity() * (size_of::<([u8; 20], u32)>() + 1)
            + i.vocab.capacity() * (size_of::<(Box<str>, u32)>() + 1)
            + i.vocab.keys().map(|k| k.len()).sum::<usize>()
            + i.postings.capacity() * size_of::<Vec<u32>>()
            + i.postings.iter().map(|p| p.capacity() * 4).sum::<usize>()
            + i.doc_terms.capacity() * 4
            + i.dense
                .values()
                .map(|b| b.capacity() * 8 + 40)
                .sum::<usize>()
            + lists(&i.imdb)
            + lists(&i.tmdb)
            + lists(&i.tvdb)
            + lists(&i.cats)
            + i.own.capacity() * (size_of::<(u64, Vec<u32>)>() + 1)
            + i.own.values().map(|v| v.capacity() * 4).sum::<usize>()
    }

    pub fn len(&self) -> usize {
        self.read().alive
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One page of matches for `p`, newest first, as seen by member `caller`.
    pub fn search(&self, p: &SearchParams, caller: u64) -> Hits {
        self.read().search(p, caller)
    }

    pub fn upsert(&self, record: &TorrentRecord) {
        self.write().upsert(record);
    }

    pub fn remove(&self, info_hash: &[u8; 20]) {
        self.write().remove(info_hash);
    }

    /// Hides a dead torrent from every answer, or shows it again.
    pub fn set_dead(&self, info_hash: &[u8; 20], dead: bool) {
        self.write().set_dead(info_hash, dead);
    }
}

impl CatalogListener for SearchIndex {
    fn torrent_stored(&self, record: &TorrentRecord) {
        self.upsert(record);
    }

    fn torrent_removed(&self, info_hash: &[u8; 20], _info_hash_v2: Option<&[u8; 32]>) {
        self.remove(info_hash);
    }

    fn torrent_liveness(&self, info_hash: &[u8; 20], dead: bool) {
        self.set_dead(info_hash, dead);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TorrentMeta;
    use crate::torznab::query::{parse, Function, Params};

    fn rec(n: u8, title: &str, meta: TorrentMeta, uploader: u64) -> TorrentRecord {
        TorrentRecord {
            info_hash: [n; 20],
            info_hash_v2: None,
            name: title.into(),
            size: 1,
            file_count: 1,
            piece_length: 16384,
            uploader,
            added: n as i64,
            meta,
            grabs: 0,
            snatches: 0,
        }
    }

    fn q(index: &SearchIndex, query: &str, caller: u64) -> (usize, Vec<u8>) {
        let Ok(Function::Search(p)) = parse(&Params::parse(query)) else {
            panic!("bad query {query}")
        };
        let h = index.search(&p, caller);
        (h.total, h.info_hashes.iter().map(|h| h[0]).collect())
    }

    fn tv(season: u32, episode: Option<u32>) -> TorrentMeta {
        TorrentMeta {
            category: 5040,
            tvdb_id: Some(81189),
            season: Some(season),
            episode,
            ..TorrentMeta::default()
        }
    }

    #[test]
    fn words_ids_seasons_and_feed() {
        let index = SearchIndex::default();
        index.upsert(&rec(1, "Breaking Bad S01 1080p", tv(1, None), 7));
        index.upsert(&rec(2, "Breaking Bad S01E01 1080p", tv(1, Some(1)), 7));
        index.upsert(&rec(3, "Breaking Bad S02E01 720p", tv(2, Some(1)), 7));
        index.upsert(&rec(
            4,
            "Movie (2020) 1080p",
            TorrentMeta {
                category: 2040,
                imdb_id: Some(111161),
                ..TorrentMeta::default()
            },
            8,
        ));
        assert_eq!(q(&index, "t=search", 0), (4, vec![4, 3, 2, 1]));
        assert_eq!(q(&index, "t=search&q=bad%201080P", 0), (2, vec![2, 1]));
        // The same with every word's bitset in play.
        index.write().make_dense(0);
        assert_eq!(q(&index, "t=search&q=bad%201080P", 0), (2, vec![2, 1]));
        assert_eq!(q(&index, "t=search&q=s01e01%20bad", 0), (1, vec![2]));
        assert_eq!(
            q(&index, "t=search&q=1080p&limit=1&offset=1", 0),
            (3, vec![2])
        );
        assert_eq!(q(&index, "t=tvsearch&tvdbid=81189&season=1", 0).1, [2, 1]);
        assert_eq!(q(&index, "t=tvsearch&tvdbid=81189&season=1&ep=1", 0).1, [2]);
        assert_eq!(q(&index, "t=tvsearch&season=2", 0).1, [3]);
        assert_eq!(q(&index, "t=movie&imdbid=tt0111161", 0).1, [4]);
        // Several ids: any one matching is enough, and q is not required with them.
        assert_eq!(q(&index, "t=movie&imdbid=tt0111161&tmdbid=278", 0).1, [4]);
        assert_eq!(q(&index, "t=movie&imdbid=tt0111161&q=other+name", 0).1, [4]);
        assert_eq!(q(&index, "t=movie&imdbid=1&tmdbid=2", 0).0, 0);
        assert_eq!(q(&index, "t=search&cat=2000", 0).1, [4]);
        assert_eq!(q(&index, "t=search&cat=5040,2040", 0).0, 4);
        assert_eq!(q(&index, "t=search&cat=5030", 0).0, 0);
        // The caller's own uploads: in the feed, in searches only on request.
        assert_eq!(q(&index, "t=search", 7).0, 4);
        assert_eq!(q(&index, "t=search&cat=5000", 7).0, 3);
        assert_eq!(q(&index, "t=search&include_my_uploads=1", 7).0, 4);
        assert_eq!(q(&index, "t=search&q=bad", 7).0, 0);
        assert_eq!(q(&index, "t=search&q=1080p", 7), (1, vec![4]));
        assert_eq!(q(&index, "t=search&q=1080p&limit=1", 0), (3, vec![4]));
        assert_eq!(
            q(&index, "t=search&q=1080p&offset=1&limit=1", 0),
            (3, vec![2])
        );

        // A dead torrent is in no answer and no total until it is seeded again.
        index.set_dead(&[3; 20], true);
        index.set_dead(&[3; 20], true);
        assert_eq!(q(&index, "t=search", 0), (3, vec![4, 2, 1]));
        assert_eq!(q(&index, "t=search&q=bad", 0), (2, vec![2, 1]));
        assert_eq!(q(&index, "t=tvsearch&season=2", 0).0, 0);
        index.upsert(&rec(3, "Breaking Bad S02E01 720p", tv(2, Some(1)), 7));
        assert_eq!(
            q(&index, "t=search&cat=5000", 0).0,
            2,
            "a re-send stays dead"
        );
        index.set_dead(&[3; 20], false);
        assert_eq!(q(&index, "t=search", 0), (4, vec![4, 3, 2, 1]));
        index.set_dead(&[3; 20], true);
        index.remove(&[3; 20]);
        assert_eq!(index.len(), 3);
        index.upsert(&rec(3, "Breaking Bad S02E01 720p", tv(2, Some(1)), 7));

        index.remove(&[2; 20]);
        assert_eq!(q(&index, "t=search&q=bad", 0), (2, vec![3, 1]));
        // A re-sent torrent with new metadata keeps its place.
        index.upsert(&rec(1, "Breaking Bad Complete", tv(1, None), 7));
        assert_eq!(q(&index, "t=search&q=complete", 0).1, [1]);
        assert_eq!(q(&index, "t=search&q=1080p", 0).1, [4]);
    }

    #[test]
    fn build_orders_by_date() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::RedbStore::open_dir(dir.path()).unwrap();
        for (n, added) in [(1u8, 30i64), (2, 10), (3, 20)] {
            let mut r = rec(n, &format!("T{n} common"), tv(1, None), 1);
            r.added = added;
            store.put_torrent(&r, b"d4:infod4:name1:xee").unwrap();
        }
        let index = SearchIndex::build(&store).unwrap();
        assert_eq!(q(&index, "t=search&q=common", 0).1, [1, 3, 2]);
        assert_eq!(q(&index, "t=search", 0).1, [1, 3, 2]);
    }
}
