//! Answering a search: words, ids, categories, season and episode, newest first.

use super::{has_bit, Hits, Inner, ALBUM, ARTIST, NONE16};
use crate::categories;
use crate::torznab::query::{Mode, SearchParams};

impl Inner {
    /// The exact category ids a query selects (parents bring their children).
    pub(super) fn selected_cats(&self, p: &SearchParams) -> Option<Vec<u16>> {
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

    pub(super) fn search(&self, p: &SearchParams, caller: u64) -> Hits {
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
        // The feed (no words, ids or episode) lists the caller's own uploads
        // too, so an *arr app's Test passes on a server with only the
        // operator's torrents; a search leaves them out unless asked.
        let is_feed = lists.is_empty() && keys.is_empty() && season == NONE16 && episode == NONE16;
        let include_mine = p.include_mine || is_feed;
        let accept = |id: u32| -> bool {
            let i = id as usize;
            let cat = self.cat[i];
            cat != 0
                && (include_mine || self.owner[i] != caller32)
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
            if is_feed {
                return self.feed(p, cats.as_deref(), &accept);
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
}

/// In `list[..end]` (sorted), the number of elements `<= id`, searching back from `end`.
pub(super) fn gallop_back(list: &[u32], end: usize, id: u32) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

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
