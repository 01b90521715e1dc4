//! Announces and searches per minute over the last day, for the admin overview.
//!
//! Hot paths (every announce, every Torznab search) call `record_*`: one
//! relaxed atomic add on a per-minute bucket, no lock, no allocation.

use std::sync::atomic::{AtomicU64, Ordering};

/// Minutes kept: one day.
pub const MINUTES: usize = 24 * 60;

struct Bucket {
    /// The minute (unix seconds / 60) this bucket currently counts.
    minute: AtomicU64,
    announces: AtomicU64,
    searches: AtomicU64,
}

/// Ring of per-minute counters covering the last 24 hours.
pub struct Activity {
    buckets: Box<[Bucket]>,
}

/// Counts of one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Minute {
    pub announces: u64,
    pub searches: u64,
}

#[derive(Clone, Copy)]
enum Kind {
    Announce,
    Search,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            buckets: (0..MINUTES)
                .map(|_| Bucket {
                    minute: AtomicU64::new(0),
                    announces: AtomicU64::new(0),
                    searches: AtomicU64::new(0),
                })
                .collect(),
        }
    }
}

fn current_minute() -> u64 {
    super::clock::now().max(0) as u64 / 60
}

impl Activity {
    pub fn record_announce(&self) {
        self.record_at(current_minute(), Kind::Announce);
    }

    pub fn record_search(&self) {
        self.record_at(current_minute(), Kind::Search);
    }

    fn record_at(&self, minute: u64, kind: Kind) {
        let b = &self.buckets[minute as usize % MINUTES];
        let seen = b.minute.load(Ordering::Acquire);
        // The first writer of a new minute resets the stale bucket of a day ago;
        // a count racing with that reset may be lost, which a chart can afford.
        if seen != minute
            && b.minute
                .compare_exchange(seen, minute, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            b.announces.store(0, Ordering::Relaxed);
            b.searches.store(0, Ordering::Relaxed);
        }
        match kind {
            Kind::Announce => b.announces.fetch_add(1, Ordering::Relaxed),
            Kind::Search => b.searches.fetch_add(1, Ordering::Relaxed),
        };
    }

    fn at(&self, minute: u64) -> Minute {
        let b = &self.buckets[minute as usize % MINUTES];
        if b.minute.load(Ordering::Acquire) != minute {
            return Minute::default();
        }
        Minute {
            announces: b.announces.load(Ordering::Relaxed),
            searches: b.searches.load(Ordering::Relaxed),
        }
    }

    /// The last `MINUTES` minutes, oldest first, ending with the current minute.
    pub fn last_day(&self) -> Vec<Minute> {
        self.last_day_at(current_minute())
    }

    fn last_day_at(&self, now_minute: u64) -> Vec<Minute> {
        (0..MINUTES as u64)
            .rev()
            .map(|back| match now_minute.checked_sub(back) {
                Some(m) => self.at(m),
                None => Minute::default(),
            })
            .collect()
    }

    /// Average per minute over the last `minutes` complete minutes.
    pub fn per_minute(&self, minutes: u64) -> (f64, f64) {
        self.per_minute_at(current_minute(), minutes)
    }

    fn per_minute_at(&self, now_minute: u64, minutes: u64) -> (f64, f64) {
        let minutes = minutes.clamp(1, MINUTES as u64 - 1);
        let (mut a, mut s) = (0u64, 0u64);
        for back in 1..=minutes {
            if let Some(m) = now_minute.checked_sub(back) {
                let v = self.at(m);
                a += v.announces;
                s += v.searches;
            }
        }
        (a as f64 / minutes as f64, s as f64 / minutes as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_minute_and_forgets_after_a_day() {
        let a = Activity::default();
        let m = 1_000_000;
        a.record_at(m, Kind::Announce);
        a.record_at(m, Kind::Announce);
        a.record_at(m, Kind::Search);
        a.record_at(m + 1, Kind::Announce);
        assert_eq!(
            a.at(m),
            Minute {
                announces: 2,
                searches: 1
            }
        );
        let day = a.last_day_at(m + 1);
        assert_eq!(day.len(), MINUTES);
        assert_eq!(day[MINUTES - 1].announces, 1);
        assert_eq!(day[MINUTES - 2].announces, 2);
        assert_eq!(a.per_minute_at(m + 2, 2), (1.5, 0.5));
        // The same slot a day later starts from zero.
        a.record_at(m + MINUTES as u64, Kind::Search);
        assert_eq!(
            a.at(m + MINUTES as u64),
            Minute {
                announces: 0,
                searches: 1
            }
        );
        assert_eq!(a.at(m), Minute::default());
    }
}
