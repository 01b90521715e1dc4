//! The last few announces of a torrent and what the tracker answered, for
//! the dashboard; a fixed number per torrent, oldest dropped.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::protocol::{AnnounceError, Answer};

/// Announces kept per torrent.
pub const KEPT: usize = 10;

/// What one announce got.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answered {
        interval_secs: u64,
        min_interval_secs: Option<u64>,
        seeders: Option<u64>,
        leechers: Option<u64>,
        peers: usize,
        warning: Option<String>,
    },
    /// The tracker's failure reason, or why it could not be asked.
    Failed(String),
}

impl Outcome {
    pub fn of(r: &Result<Answer, AnnounceError>) -> Outcome {
        match r {
            Ok(a) => Outcome::Answered {
                interval_secs: a.interval.as_secs(),
                min_interval_secs: a.min_interval.map(|m| m.as_secs()),
                seeders: a.complete,
                leechers: a.incomplete,
                peers: a.peers,
                warning: a.warning.clone(),
            },
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnnounceRecord {
    /// Unix seconds.
    pub at: i64,
    /// `started`, `completed`, `stopped`, or empty for a regular one.
    pub event: &'static str,
    /// Asked for by the member (dashboard or `torrents/reannounce`).
    pub asked: bool,
    pub outcome: Outcome,
}

#[derive(Default)]
pub struct History(Mutex<VecDeque<AnnounceRecord>>);

impl History {
    pub fn push(&self, r: AnnounceRecord) {
        if let Ok(mut h) = self.0.lock() {
            if h.len() == KEPT {
                h.pop_front();
            }
            h.push_back(r);
        }
    }

    /// Newest first.
    pub fn list(&self) -> Vec<AnnounceRecord> {
        self.0
            .lock()
            .map(|h| h.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_few_newest_first() {
        let h = History::default();
        for at in 0..(KEPT as i64 + 5) {
            h.push(AnnounceRecord {
                at,
                event: "",
                asked: false,
                outcome: Outcome::Failed("x".into()),
            });
        }
        let l = h.list();
        assert_eq!(l.len(), KEPT);
        assert_eq!((l[0].at, l[KEPT - 1].at), (KEPT as i64 + 4, 5));
    }
}
