//! Share limits, per torrent or from the global preferences.

use super::store::{Download, Prefs};

/// Upload over download (over the size while nothing was downloaded).
pub fn ratio(d: &Download) -> f64 {
    let base = if d.downloaded > 0 {
        d.downloaded
    } else {
        d.size
    };
    if base == 0 {
        0.0
    } else {
        d.uploaded as f64 / base as f64
    }
}

/// The ratio limit in force: `None` for no limit.
pub fn ratio_limit(d: &Download, p: &Prefs) -> Option<f64> {
    match d.ratio_limit {
        l if l >= 0.0 => Some(l),
        l if l == super::store::USE_GLOBAL && p.max_ratio_enabled => Some(p.max_ratio.max(0.0)),
        _ => None,
    }
}

/// The seeding-time limit in force, minutes.
pub fn seeding_time_limit(d: &Download, p: &Prefs) -> Option<i64> {
    match d.seeding_time_limit {
        l if l >= 0 => Some(l),
        -2 if p.max_seeding_time_enabled => Some(p.max_seeding_time.max(0)),
        _ => None,
    }
}

/// Whether a finished download has met a share limit.
pub fn reached(d: &Download, p: &Prefs) -> bool {
    ratio_limit(d, p).is_some_and(|l| ratio(d) >= l)
        || seeding_time_limit(d, p).is_some_and(|m| d.seeding_secs >= (m as u64).saturating_mul(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Download {
        serde_json::from_value(serde_json::json!({
            "info_hash": "00", "name": "x", "size": 100, "multi": false, "category": "",
            "tags": [], "save_path": "/d", "tracker": "", "ratio_limit": -2.0,
            "seeding_time_limit": -2, "added_on": 0, "completion_on": 1, "uploaded": 0,
            "downloaded": 100, "seeding_secs": 0, "stopped": false, "limit_reached": false,
            "completed_announced": false, "handed_off": false
        }))
        .unwrap()
    }

    #[test]
    fn global_and_own_limits() {
        let mut d = rec();
        let mut p = Prefs::default();
        assert!(!reached(&d, &p), "no limit set");
        p.max_ratio_enabled = true;
        p.max_ratio = 1.0;
        assert!(!reached(&d, &p));
        d.uploaded = 100;
        assert!(reached(&d, &p), "global ratio 1.0 met");
        d.ratio_limit = -1.0;
        assert!(!reached(&d, &p), "this torrent: no limit");
        d.ratio_limit = 2.0;
        assert!(!reached(&d, &p));
        d.seeding_time_limit = 1;
        d.seeding_secs = 59;
        assert!(!reached(&d, &p));
        d.seeding_secs = 60;
        assert!(reached(&d, &p), "one minute seeded");
    }
}
