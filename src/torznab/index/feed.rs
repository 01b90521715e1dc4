//! The RSS feed: the newest torrents, a page at a time.

use super::{Hits, Inner};
use crate::torznab::query::SearchParams;

impl Inner {
    /// The RSS feed (no words, ids or episode), the caller's own uploads
    /// included: totals come from list lengths, and the scan stops at the end
    /// of the page.
    pub(super) fn feed(
        &self,
        p: &SearchParams,
        cats: Option<&[u16]>,
        accept: &dyn Fn(u32) -> bool,
    ) -> Hits {
        let total = match cats {
            None => self.alive,
            Some(cs) => cs
                .iter()
                .map(|&c| self.cats.get(&u32::from(c)).map_or(0, Vec::len))
                .sum(),
        };
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
