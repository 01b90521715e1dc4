//! Human-readable numbers and times for the pages.

use time::macros::format_description;
use time::OffsetDateTime;

pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `2026-11-25 13:05 UTC`.
pub fn date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| "?".into())
}

/// `2026-11-25`, for compact tables.
pub fn day(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or_else(|| "?".into())
}

/// "never", "just now", "5 min ago", "3 h ago", "2 days ago", then the date.
pub fn ago(unix: i64, now: i64) -> String {
    if unix <= 0 {
        return "never".into();
    }
    let d = now.saturating_sub(unix).max(0);
    match d {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=86_399 => format!("{} h ago", d / 3600),
        86_400..=604_799 => format!("{} days ago", d / 86_400),
        _ => date(unix),
    }
}

pub fn ratio(uploaded: u64, downloaded: u64) -> String {
    match (uploaded, downloaded) {
        (0, 0) => "—".into(),
        (_, 0) => "∞".into(),
        (u, d) => format!("{:.2}", u as f64 / d as f64),
    }
}

/// A moment on a page: the UTC text (what shows without JavaScript) and the
/// RFC 3339 form for `<time datetime>`, which panel.js turns into local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    pub iso: String,
    pub text: String,
    /// How panel.js shows it: `day`, `date` or `ago`.
    pub kind: &'static str,
}

impl Time {
    fn new(unix: i64, text: String, kind: &'static str) -> Time {
        let iso = OffsetDateTime::from_unix_timestamp(unix)
            .ok()
            .filter(|_| unix > 0)
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        Time { iso, text, kind }
    }

    pub fn day(unix: i64) -> Time {
        Time::new(unix, day(unix), "day")
    }

    pub fn date(unix: i64) -> Time {
        Time::new(unix, date(unix), "date")
    }

    pub fn ago(unix: i64, now: i64) -> Time {
        Time::new(unix, ago(unix, now), "ago")
    }
}

/// Per-minute rates with one decimal, trailing `.0` kept short.
pub fn rate(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(ago(0, 100), "never");
        assert_eq!(ago(100, 130), "just now");
        assert_eq!(ago(100, 100 + 7200), "2 h ago");
        assert_eq!(ratio(0, 0), "—");
        assert_eq!(ratio(5, 0), "∞");
        assert_eq!(ratio(3, 2), "1.50");
        assert_eq!(rate(2.25), "2.2");
        let t = Time::date(86_400);
        assert_eq!(
            (t.iso.as_str(), t.text.as_str()),
            ("1970-01-02T00:00:00Z", "1970-01-02 00:00 UTC")
        );
        assert_eq!(Time::ago(0, 5).iso, "", "never has no moment");
    }
}
