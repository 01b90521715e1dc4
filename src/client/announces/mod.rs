//! Talking to the member's tracker, for the library seeder and the download
//! engine's relay alike: the protocol (`protocol`), the last announces of a
//! torrent (`history`), one announce over HTTP, and when the next may go.

pub mod history;
pub mod protocol;

use std::time::Duration;

use tokio::time::Instant;

use protocol::{parse_answer, AnnounceError, Answer};

const FIRST_BACKOFF: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Shortest re-announce accepted from a tracker's answer.
const FLOOR_INTERVAL: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What became of a member's "announce now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reannounce {
    /// Its turn is now.
    Now,
    /// The tracker's `min interval` since the last announce is not over: its
    /// turn is moved to when it is, this far ahead.
    Deferred(Duration),
    /// Not announced by this client (not served, or not a torrent here).
    NotSeeded,
}

/// Tracker outcome of the last announce, for the dashboard.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TrackerStatus {
    pub announced: bool,
    pub message: Option<String>,
    pub error: Option<String>,
    pub seeders: Option<u64>,
    pub leechers: Option<u64>,
}

impl TrackerStatus {
    /// The tracker's status after an announce got `r`; `announced`: one was
    /// answered before.
    pub fn after(r: &Result<Answer, AnnounceError>, announced: bool) -> TrackerStatus {
        match r {
            Ok(a) => TrackerStatus {
                announced: true,
                message: a.warning.clone(),
                error: None,
                seeders: a.complete,
                leechers: a.incomplete,
            },
            Err(AnnounceError::NoUrl) => TrackerStatus {
                announced,
                ..Default::default()
            },
            Err(e) => TrackerStatus {
                announced,
                error: Some(e.to_string()),
                ..Default::default()
            },
        }
    }
}

/// The HTTP client announces go out with.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// One announce: GET `url` (the passkey is in it, never logged) and the
/// tracker's answer, checked.
pub async fn fetch_answer(http: &reqwest::Client, url: &str) -> Result<Answer, AnnounceError> {
    // reqwest's errors carry the URL (with the passkey): only their kind is kept.
    let resp = http.get(url).send().await.map_err(|e| {
        AnnounceError::Http(if e.is_timeout() {
            "timed out".into()
        } else if e.is_connect() {
            "cannot connect".into()
        } else {
            "request failed".into()
        })
    })?;
    if !resp.status().is_success() {
        return Err(AnnounceError::Http(format!("HTTP {}", resp.status())));
    }
    let body = resp
        .bytes()
        .await
        .map_err(|_| AnnounceError::Http("answer cut short".into()))?;
    parse_answer(&body)
}

/// The wait after a failed announce, the `failures`-th in a row.
pub fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.min(8))
        .min(MAX_BACKOFF)
}

/// The shortest wait after `a`: its `min interval`, never under a floor of ours.
pub fn floor(a: &Answer) -> Duration {
    a.min_interval.unwrap_or(FLOOR_INTERVAL).max(FLOOR_INTERVAL)
}

/// The wait before the next regular announce after `a`: its `interval`, but
/// never under [`floor`].
pub fn regular_wait(a: &Answer) -> Duration {
    a.interval.max(floor(a))
}

/// When a torrent last announced at `last` may announce again, given the
/// tracker's `min interval` (none: at once).
pub fn allowed_at(last: Option<Instant>, min_interval: Option<Duration>, now: Instant) -> Instant {
    match (last, min_interval) {
        (Some(l), Some(m)) => (l + m).max(now),
        _ => now,
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asked_announce_waits_for_the_trackers_min_interval() {
        let now = Instant::now();
        let min = Some(Duration::from_secs(60));
        assert_eq!(allowed_at(None, min, now), now, "never announced");
        assert_eq!(allowed_at(Some(now), None, now), now, "no min interval");
        let ten_ago = now - Duration::from_secs(10);
        assert_eq!(
            allowed_at(Some(ten_ago), min, now),
            now + Duration::from_secs(50)
        );
        let long_ago = now - Duration::from_secs(600);
        assert_eq!(allowed_at(Some(long_ago), min, now), now);
    }

    #[test]
    fn failures_back_off_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(240));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
