//! Upload slots for a seeder: at most `slots` interested peers are unchoked at
//! once, across all torrents; the others wait in line, and a peer that held a
//! slot for [`ROTATE`] while others wait yields it to the first in line.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

pub const ROTATE: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Inner {
    unchoked: HashMap<u64, Instant>,
    waiting: VecDeque<u64>,
    wakers: HashMap<u64, Arc<Notify>>,
}

impl Inner {
    /// Hands free slots to the peers first in line.
    fn grant(&mut self, now: Instant, slots: usize) {
        while self.unchoked.len() < slots {
            let Some(id) = self.waiting.pop_front() else {
                break;
            };
            self.unchoked.insert(id, now);
            if let Some(w) = self.wakers.get(&id) {
                w.notify_one();
            }
        }
    }
}

pub struct Choker {
    slots: usize,
    inner: Mutex<Inner>,
}

impl Choker {
    pub fn new(slots: usize) -> Choker {
        Choker {
            slots: slots.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> Option<R> {
        self.inner.lock().ok().map(|mut g| f(&mut g))
    }

    /// A new connection; the returned Notify is rung when its slot state changes.
    pub fn join(&self, id: u64) -> Arc<Notify> {
        let n = Arc::new(Notify::new());
        self.with(|i| i.wakers.insert(id, n.clone()));
        n
    }

    /// The peer wants data: true when unchoked now, else it waits in line.
    pub fn interested(&self, id: u64) -> bool {
        let slots = self.slots;
        self.with(|i| {
            if i.unchoked.contains_key(&id) {
                return true;
            }
            if !i.waiting.contains(&id) {
                i.waiting.push_back(id);
            }
            i.grant(Instant::now(), slots);
            i.unchoked.contains_key(&id)
        })
        .unwrap_or(false)
    }

    /// The peer no longer wants data (or left the line): its slot goes to the next.
    pub fn not_interested(&self, id: u64) {
        let slots = self.slots;
        self.with(|i| {
            i.unchoked.remove(&id);
            i.waiting.retain(|&w| w != id);
            i.grant(Instant::now(), slots);
        });
    }

    /// The connection closed.
    pub fn leave(&self, id: u64) {
        self.not_interested(id);
        self.with(|i| i.wakers.remove(&id));
    }

    pub fn is_unchoked(&self, id: u64) -> bool {
        self.with(|i| i.unchoked.contains_key(&id)).unwrap_or(false)
    }

    /// True when this peer held its slot long enough while others wait: it is
    /// choked, goes to the back of the line, and the first in line is unchoked.
    pub fn rotate(&self, id: u64, now: Instant) -> bool {
        let slots = self.slots;
        self.with(|i| {
            let due = i
                .unchoked
                .get(&id)
                .is_some_and(|&since| now.duration_since(since) >= ROTATE);
            if !due || i.waiting.is_empty() {
                return false;
            }
            i.unchoked.remove(&id);
            i.grant(now, slots);
            i.waiting.push_back(id);
            true
        })
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_rotate() {
        let c = Choker::new(2);
        for id in 1..=3 {
            c.join(id);
        }
        assert!(c.interested(1));
        assert!(c.interested(2));
        assert!(!c.interested(3), "third peer waits");
        let later = Instant::now() + ROTATE;
        assert!(c.rotate(1, later));
        assert!(c.is_unchoked(3) && !c.is_unchoked(1));
        assert!(!c.rotate(2, Instant::now()), "not held long enough");
        c.leave(2);
        assert!(c.is_unchoked(1), "a freed slot goes to the first in line");
        assert!(!c.rotate(3, later + ROTATE), "nobody waits");
        c.not_interested(3);
        c.not_interested(1);
        assert!(!c.is_unchoked(1) && !c.is_unchoked(3));
    }
}
