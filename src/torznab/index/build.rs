//! Building the index: documents, their posting lists and dense bitsets,
//! kept current as torrents are stored and removed.

use std::collections::HashMap;

use super::{hot, set_bit, Doc, Hot, Inner, ALBUM, ARTIST, DENSE_SHARE, NONE};
use crate::store::TorrentRecord;
use crate::torznab::normalize::word_set;

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
    pub(super) fn term_id(&mut self, term: String) -> u32 {
        if let Some(&id) = self.vocab.get(term.as_str()) {
            return id;
        }
        let id = self.postings.len() as u32;
        self.postings.push(Vec::new());
        self.vocab.insert(term.into_boxed_str(), id);
        id
    }

    pub(super) fn new_doc(&mut self, record: &TorrentRecord) -> Doc {
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

    pub(super) fn set_hot(&mut self, id: u32, h: Hot) {
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

    pub(super) fn doc_term_ids(&self, d: &Doc) -> std::ops::Range<usize> {
        d.terms_at as usize..(d.terms_at + d.terms_len) as usize
    }

    /// Puts document `id` (already in `docs`) into every list it belongs to.
    pub(super) fn link(&mut self, id: u32) {
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

    pub(super) fn unlink(&mut self, id: u32) {
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

    pub(super) fn upsert(&mut self, record: &TorrentRecord) {
        match self.by_hash.get(&record.info_hash).copied() {
            // A re-sent torrent keeps its place in date order; its metadata may change.
            Some(id) => {
                let dead = self.dead.contains(&id);
                if !dead {
                    self.unlink(id);
                }
                let doc = self.new_doc(record);
                self.docs[id as usize] = doc;
                self.set_hot(id, hot(record));
                if dead {
                    self.cat[id as usize] = 0;
                } else {
                    self.link(id);
                }
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

    pub(super) fn remove(&mut self, info_hash: &[u8; 20]) {
        if let Some(id) = self.by_hash.remove(info_hash) {
            if !self.dead.remove(&id) {
                self.unlink(id);
                self.alive -= 1;
            }
            self.cat[id as usize] = 0;
        }
    }

    /// Hides a dead torrent from every list (it keeps its place), or shows it again.
    pub(super) fn set_dead(&mut self, info_hash: &[u8; 20], dead: bool) {
        let Some(id) = self.by_hash.get(info_hash).copied() else {
            return;
        };
        if dead && self.dead.insert(id) {
            self.unlink(id);
            self.cat[id as usize] = 0;
            self.alive -= 1;
        } else if !dead && self.dead.remove(&id) {
            let cat = self.docs[id as usize].category;
            self.cat[id as usize] = u16::try_from(cat).unwrap_or(super::NONE16);
            self.link(id);
            self.alive += 1;
        }
    }

    /// Gives the common words their bitsets (once the index holds `min_docs` documents).
    pub(super) fn make_dense(&mut self, min_docs: usize) {
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
}
