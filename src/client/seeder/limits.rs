//! `UPLOAD_LIMIT`: one token bucket for every peer connection together.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// At most this much is sent in one burst after an idle spell.
const BURST: Duration = Duration::from_millis(250);

pub struct UploadLimit {
    /// Bytes per second; 0 = unlimited.
    rate: u64,
    bucket: Mutex<(f64, Instant)>,
}

impl UploadLimit {
    pub fn new(rate: u64) -> UploadLimit {
        UploadLimit {
            rate,
            bucket: Mutex::new((rate as f64 * BURST.as_secs_f64(), Instant::now())),
        }
    }

    /// How long to wait before sending `n` bytes; the bytes are taken at once
    /// (the bucket may go negative, so large blocks are never starved).
    fn reserve(&self, n: usize, now: Instant) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        let rate = self.rate as f64;
        let Ok(mut b) = self.bucket.lock() else {
            return Duration::ZERO;
        };
        let refill = now.saturating_duration_since(b.1).as_secs_f64() * rate;
        b.0 = (b.0 + refill).min(rate * BURST.as_secs_f64());
        b.1 = now;
        b.0 -= n as f64;
        if b.0 >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-b.0 / rate)
        }
    }

    /// Waits until `n` bytes may be sent.
    pub async fn take(&self, n: usize) {
        let wait = self.reserve(n, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Parses `UPLOAD_LIMIT` (bytes per second) or a byte size, with an optional K/M/G suffix
/// (powers of 1024, `B`, `iB` and `/s` allowed); `0` or empty is unlimited.
pub fn parse_rate(s: &str, setting: &str) -> Result<u64, String> {
    let t = s.trim().trim_end_matches("/s").trim_end_matches(['B', 'b']);
    let t = t.trim_end_matches('i');
    if t.is_empty() {
        return Ok(0);
    }
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1u64 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    let n: f64 = num
        .trim()
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| {
            format!("{setting}: expected a number of bytes like 10M or 512K, got {s:?}")
        })?;
    let v = n * mult as f64;
    if v > u64::MAX as f64 / 2.0 {
        return Err(format!("{setting}: {s:?} is too large"));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("0", "X"), Ok(0));
        assert_eq!(parse_rate("", "X"), Ok(0));
        assert_eq!(parse_rate("1000", "X"), Ok(1000));
        assert_eq!(parse_rate("512K", "X"), Ok(512 * 1024));
        assert_eq!(parse_rate("10M", "X"), Ok(10 << 20));
        assert_eq!(parse_rate("10MiB/s", "X"), Ok(10 << 20));
        assert_eq!(parse_rate("1.5G", "X"), Ok(3 << 29));
        assert!(parse_rate("fast", "X").is_err());
        assert!(parse_rate("-1M", "X").is_err());
        assert!(parse_rate("1e30G", "X").is_err());
    }

    #[test]
    fn the_bucket_spreads_bytes_at_the_rate() {
        let l = UploadLimit::new(1000);
        let t0 = Instant::now();
        // The first second's worth: the burst (250 bytes) then waits.
        assert_eq!(l.reserve(250, t0), Duration::ZERO);
        assert_eq!(l.reserve(500, t0), Duration::from_millis(500));
        // One second later the debt is paid and 500 bytes more are in.
        assert_eq!(l.reserve(250, t0 + Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(UploadLimit::new(0).reserve(1 << 30, t0), Duration::ZERO);
    }
}
