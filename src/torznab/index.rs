//! The in-memory search index: built from the store at start-up, kept current
//! through `CatalogListener`, answering any Torznab query without touching disk.
//!
//! Documents are numbered in upload-date order, so every posting list (sorted
//! document numbers) read backwards is newest first, and a page of results is
//! found without sorting. Per torrent it keeps only what searches filter on;
//! titles and counters are read from the store for the page being shown.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::normalize::word_set;
use super::query::{Mode, SearchParams};
use crate::categories;
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

fn insert_sorted(list: &mut Vec<u32>, id: u32) {
    match list.last() {
        Some(&last) if last >= id => {
            if let Err(at) = list.binary_search(&id) {
                list.insert(at, id);
            }
        }
        _ => list.push(id),
    }
}

fn remove_sorted(list: &mut Vec<u32>, id: u32) {
    if let Ok(at) = list.binary_search(&id) {
        list.remove(at);
    }
}

fn add_to(map: &mut HashMap<u32, Vec<u32>>, key: u32, id: u32) {
    if key != 0 && key != NONE {
        insert_sorted(map.entry(key).or_default(), id);
    }
}

fn remove_from(map: &mut HashMap<u32, Vec<u32>>, key: u32, id: u32) {
    if let Some(list) = map.get_mut(&key) {
        remove_sorted(list, id);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

/// Every term a record is found by: title words, artist and album words (tagged).
fn terms(record: &TorrentRecord) -> Vec<String> {
    let mut t = word_set(record.title());
    let tagged = |text: &Option<String>, tag: char| {
        text.as_deref()
            .map(word_set)
            .unwrap_or_default()
            .into_iter()
            .map(move |w| format!("{tag}{w}"))
    };
    t.extend(tagged(&record.meta.artist, ARTIST));
    t.extend(tagged(&record.meta.album, ALBUM));
    t
}

impl Inner {
    fn term_id(&mut self, term: String) -> u32 {
        if let Some(&id) = self.vocab.get(term.as_str()) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.postings.push(Vec::new());
        self.vocab.insert(term.into_boxed_str(), id);
        id
    }

    fn new_doc(&mut self, record: &TorrentRecord) -> Doc {
        let terms: Vec<u32> = terms(record).into_iter().map(|t| self.term_id(t)).collect();
        let terms_at = self.doc_terms.len() as u32;
        self.doc_terms.extend_from_slice(&terms);
        let m = &record.meta;
        Doc {
            info_hash: record.info_hash,
            uploader: record.uploader,
            terms_at,
            terms_len: terms.len() as u32,
            imdb: m.imdb_id.unwrap_or(0),
            tmdb: m.tmdb_id.unwrap_or(0),
            tvdb: m.tvdb_id.unwrap_or(0),
            category: m.category,
        }
    }

    fn set_hot(&mut self, id: u32, h: Hot) {
        let i = id as usize;
        if i == self.cat.len() {
            self.cat.push(h.cat);
            self.season.push(h.season);
            self.episode.push(h.episode);
            self.owner.push(h.owner);
        } else {
            self.cat[i] = h.cat;
            self.season[i] = h.season;
            self.episode[i] = h.episode;
            self.owner[i] = h.owner;
        }
    }

    fn doc_term_ids(&self, d: &Doc) -> std::ops::Range<usize> {
        d.terms_at as usize..(d.terms_at + d.terms_len) as usize
    }

    /// Puts document `id` (already in `docs`) into every list it belongs to.
    fn link(&mut self, id: u32) {
        let d = &self.docs[id as usize];
        let (imdb, tmdb, tvdb, cat, up) = (d.imdb, d.tmdb, d.tvdb, d.category, d.uploader);
        let range = self.doc_term_ids(d);
        for i in range {
            let t = self.doc_terms[i] as usize;
            insert_sorted(&mut self.postings[t], id);
            if let Some(bits) = self.dense.get_mut(&(t as u32)) {
                set_bit(bits, id, true);
            }
        }
        add_to(&mut self.imdb, imdb, id);
        add_to(&mut self.tmdb, tmdb, id);
        add_to(&mut self.tvdb, tvdb, id);
        insert_sorted(self.cats.entry(cat).or_default(), id);
        insert_sorted(self.own.entry(up).or_default(), id);
    }

    fn unlink(&mut self, id: u32) {
        let d = &self.docs[id as usize];
        let (imdb, tmdb, tvdb, cat, up) = (d.imdb, d.tmdb, d.tvdb, d.category, d.uploader);
        let range = self.doc_term_ids(d);
        for i in range {
            let t = self.doc_terms[i] as usize;
            remove_sorted(&mut self.postings[t], id);
            if let Some(bits) = self.dense.get_mut(&(t as u32)) {
                set_bit(bits, id, false);
            }
        }
        remove_from(&mut self.imdb, imdb, id);
        remove_from(&mut self.tmdb, tmdb, id);
        remove_from(&mut self.tvdb, tvdb, id);
        remove_from(&mut self.cats, cat, id);
        if let Some(list) = self.own.get_mut(&up) {
            remove_sorted(list, id);
            if list.is_empty() {
                self.own.remove(&up);
            }
        }
    }

    fn upsert(&mut self, record: &TorrentRecord) {
        match self.by_hash.get(&record.info_hash).copied() {
            // A re-sent torrent keeps its place in date order; its metadata may change.
            Some(id) => {
                self.unlink(id);
                let doc = self.new_doc(record);
                self.docs[id as usize] = doc;
                self.set_hot(id, hot(record));
                self.link(id);
            }
            None => {
                let id = self.docs.len() as u32;
                let doc = self.new_doc(record);
                self.docs.push(doc);
                self.set_hot(id, hot(record));
                self.by_hash.insert(record.info_hash, id);
                self.link(id);
                self.alive += 1;
            }
        }
    }

    fn remove(&mut self, info_hash: &[u8; 20]) {
        if let Some(id) = self.by_hash.remove(info_hash) {
            self.unlink(id);
            self.cat[id as usize] = 0;
            self.alive -= 1;
        }
    }

    /// Gives the common words their bitsets (once the index holds `min_docs` documents).
    fn make_dense(&mut self, min_docs: usize) {
        let n = self.docs.len();
        if n < min_docs {
            return;
        }
        for (t, list) in self.postings.iter().enumerate() {
            if list.len() > n / DENSE_SHARE {
                let mut bits = vec![0u64; n.div_ceil(64)];
                for &id in list {
                    set_bit(&mut bits, id, true);
                }
                self.dense.insert(t as u32, bits);
            }
        }
    }

    /// The exact category ids a query selects (parents bring their children).
    fn selected_cats(&self, p: &SearchParams) -> Option<Vec<u16>> {
        let asked: Vec<u32> = if !p.cats.is_empty() {
            p.cats.clone()
        } else {
            // Without `cat`, a typed search stays in its own family.
            match p.mode {
                Mode::Search => return None,
                Mode::Movie => vec![2000],
                Mode::Tv => vec![5000],
                Mode::Music => vec![3000],
            }
        };
        let mut out: Vec<u32> = self
            .cats
            .keys()
            .copied()
            .filter(|&c| {
                asked
                    .iter()
                    .any(|&a| a == c || (categories::is_parent(a) && categories::parent(c) == a))
            })
            .collect();
        out.sort_unstable();
        Some(
            out.into_iter()
                .filter_map(|c| u16::try_from(c).ok())
                .collect(),
        )
    }

    fn search(&self, p: &SearchParams, caller: u64) -> Hits {
        let mut lists: Vec<&[u32]> = Vec::new();
        let mut bitsets: Vec<&[u64]> = Vec::new();
        let tagged = |words: &[String], tag: Option<char>| -> Vec<String> {
            words
                .iter()
                .map(|w| match tag {
                    Some(t) => format!("{t}{w}"),
                    None => w.clone(),
                })
                .collect()
        };
        // Ids name the release: the apps send several for one show or film (and an
        // upload may carry only some), so any given id matching is a match, and the
        // title words of the same request are not required as well.
        let given = [
            (&self.imdb, p.imdb),
            (&self.tmdb, p.tmdb),
            (&self.tvdb, p.tvdb),
        ];
        let by_id = given.iter().any(|(_, id)| id.is_some());
        let mut id_union: Vec<u32> = Vec::new();
        for (map, id) in given {
            if let Some(list) = id.and_then(|id| map.get(&id)) {
                id_union.extend_from_slice(list);
            }
        }
        id_union.sort_unstable();
        id_union.dedup();
        if by_id {
            if id_union.is_empty() {
                return Hits::default();
            }
            lists.push(&id_union);
        }
        let mut keys = if by_id {
            Vec::new()
        } else {
            tagged(&p.words, None)
        };
        keys.extend(tagged(&p.artist, Some(ARTIST)));
        keys.extend(tagged(&p.album, Some(ALBUM)));
        for k in &keys {
            match self.vocab.get(k.as_str()) {
                Some(&t) => match self.dense.get(&t) {
                    Some(bits) => bitsets.push(bits),
                    None => lists.push(&self.postings[t as usize]),
                },
                None => return Hits::default(),
            }
        }
        let cats = self.selected_cats(p);
        if cats.as_ref().is_some_and(|c| c.is_empty()) {
            return Hits::default();
        }
        // A season or episode beyond u16 matches nothing (NONE16 - 1 is never asked for).
        let small = |v: Option<u32>| v.map_or(NONE16, |v| u16::try_from(v).unwrap_or(NONE16 - 1));
        let season = small(p.season);
        let episode = small(p.episode);
        let caller32 = u32::try_from(caller).unwrap_or(u32::MAX - 1);
        let accept = |id: u32| -> bool {
            let i = id as usize;
            let cat = self.cat[i];
            cat != 0
                && (p.include_mine || self.owner[i] != caller32)
                && (season == NONE16 || self.season[i] == season)
                && (episode == NONE16 || self.episode[i] == episode)
                && cats.as_ref().is_none_or(|c| c.binary_search(&cat).is_ok())
        };
        let mut hits = Hits::default();
        let page = p.offset..p.offset.saturating_add(p.limit);
        let take = |id: u32, hits: &mut Hits| {
            if page.contains(&hits.total) {
                hits.info_hashes.push(self.docs[id as usize].info_hash);
            }
            hits.total += 1;
        };

        if lists.is_empty() && !bitsets.is_empty() {
            // Only common words: drive from the shortest of their lists.
            let shortest = keys
                .iter()
                .filter_map(|k| self.vocab.get(k.as_str()))
                .map(|&t| self.postings[t as usize].as_slice())
                .min_by_key(|l| l.len())
                .unwrap_or_default();
            lists.push(shortest);
        }
        if lists.is_empty() {
            if season == NONE16 && episode == NONE16 {
                return self.feed(p, caller, cats.as_deref(), &accept);
            }
            for id in (0..self.docs.len() as u32).rev() {
                if accept(id) {
                    take(id, &mut hits);
                }
            }
            return hits;
        }

        // One word or id and nothing else to check per document: the total is the
        // list's length less the caller's own, and the scan stops with the page.
        if lists.len() == 1
            && bitsets.is_empty()
            && season == NONE16
            && episode == NONE16
            && cats.is_none()
        {
            let list = lists[0];
            let mut total = list.len();
            if !p.include_mine {
                if let Some(mine) = self.own.get(&caller) {
                    total -= mine
                        .iter()
                        .filter(|id| list.binary_search(id).is_ok())
                        .count();
                }
            }
            let want = p.offset.saturating_add(p.limit).min(total);
            let mut seen = 0usize;
            for &id in list.iter().rev() {
                if seen >= want {
                    break;
                }
                if accept(id) {
                    if seen >= p.offset {
                        hits.info_hashes.push(self.docs[id as usize].info_hash);
                    }
                    seen += 1;
                }
            }
            hits.total = total;
            return hits;
        }

        // Drive from the shortest list; find each of its ids in the others by galloping
        // backwards, so the cost follows the rarest word, not the commonest.
        lists.sort_unstable_by_key(|l| l.len());
        let (drive, rest) = lists.split_first().expect("lists is not empty");
        let mut ends: Vec<usize> = rest.iter().map(|l| l.len()).collect();
        'ids: for &id in drive.iter().rev() {
            if !bitsets.iter().all(|b| has_bit(b, id)) {
                continue;
            }
            for (list, end) in rest.iter().zip(ends.iter_mut()) {
                let at = gallop_back(list, *end, id);
                if at == 0 {
                    break 'ids;
                }
                if list[at - 1] != id {
                    *end = at;
                    continue 'ids;
                }
                *end = at - 1;
            }
            if accept(id) {
                take(id, &mut hits);
            }
        }
        hits
    }

    /// The RSS feed (no words, ids or episode): totals come from list lengths, and
    /// the scan stops at the end of the page.
    fn feed(
        &self,
        p: &SearchParams,
        caller: u64,
        cats: Option<&[u16]>,
        accept: &dyn Fn(u32) -> bool,
    ) -> Hits {
        let in_cats = |c: u16| cats.is_none_or(|cs| cs.binary_search(&c).is_ok());
        let mut total = match cats {
            None => self.alive,
            Some(cs) => cs
                .iter()
                .map(|&c| self.cats.get(&u32::from(c)).map_or(0, Vec::len))
                .sum(),
        };
        if !p.include_mine {
            if let Some(mine) = self.own.get(&caller) {
                total -= mine
                    .iter()
                    .filter(|&&id| in_cats(self.cat[id as usize]))
                    .count();
            }
        }
        let mut info_hashes = Vec::new();
        let want = p.offset.saturating_add(p.limit).min(total);
        let mut seen = 0usize;
        let mut id = self.docs.len();
        while seen < want && id > 0 {
            id -= 1;
            if accept(id as u32) {
                if seen >= p.offset {
                    info_hashes.push(self.docs[id].info_hash);
                }
                seen += 1;
            }
        }
        Hits { total, info_hashes }
    }
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

/// In `list[..end]` (sorted), the number of elements `<= id`, searching back from `end`.
fn gallop_back(list: &[u32], end: usize, id: u32) -> usize {
    let mut step = 1;
    let mut hi = end;
    loop {
        let lo = end.saturating_sub(step);
        if lo == 0 || list[lo] <= id {
            return lo + list[lo..hi].partition_point(|&x| x <= id);
        }
        hi = lo;
        step *= 2;
    }
}

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
}

impl CatalogListener for SearchIndex {
    fn torrent_stored(&self, record: &TorrentRecord) {
        self.upsert(record);
    }

    fn torrent_removed(&self, record: &TorrentRecord) {
        self.remove(&record.info_hash);
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
        // The caller's own uploads only on request.
        assert_eq!(q(&index, "t=search", 7), (1, vec![4]));
        assert_eq!(q(&index, "t=search&include_my_uploads=1", 7).0, 4);
        assert_eq!(q(&index, "t=search&q=bad", 7).0, 0);
        assert_eq!(q(&index, "t=search&q=1080p", 7), (1, vec![4]));
        assert_eq!(q(&index, "t=search&q=1080p&limit=1", 0), (3, vec![4]));
        assert_eq!(
            q(&index, "t=search&q=1080p&offset=1&limit=1", 0),
            (3, vec![2])
        );

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

    #[test]
    fn gallop_finds_positions() {
        let l = [1, 3, 5, 7, 9, 11];
        assert_eq!(gallop_back(&l, 6, 11), 6);
        assert_eq!(gallop_back(&l, 6, 6), 3);
        assert_eq!(gallop_back(&l, 3, 6), 3);
        assert_eq!(gallop_back(&l, 6, 0), 0);
        assert_eq!(gallop_back(&l, 0, 5), 0);
    }
}
