//! Prometheus metrics for both roles: the text exposition format (0.0.4), a
//! lock-free latency histogram, and the `/metrics` route behind METRICS_TOKEN.
//!
//! A small writer of our own rather than the `prometheus`/`metrics` crates:
//! every figure already lives in our own atomics or comes from the store at
//! scrape time, so a registry would only copy them; the format is a few lines
//! of text per family, and this keeps the build free of another dependency tree.

pub mod route;

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What kind of family a metric is (its `# TYPE`).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// One exposition text, family by family.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

/// Label values are ours (fixed words), but escape them as the format asks anyway.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn labels(pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

impl Exposition {
    fn head(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// A family without labels.
    pub fn one(&mut self, name: &str, help: &str, kind: Kind, value: f64) {
        self.family(name, help, kind, &[(&[], value)]);
    }

    /// A family with one sample per label set.
    pub fn family(
        &mut self,
        name: &str,
        help: &str,
        kind: Kind,
        samples: &[(&[(&str, &str)], f64)],
    ) {
        self.head(name, help, kind.name());
        for (l, v) in samples {
            let _ = writeln!(self.out, "{name}{} {v}", labels(l));
        }
    }

    /// A histogram family: one histogram per value of label `label`.
    pub fn histograms(&mut self, name: &str, help: &str, label: &str, hs: &[(&str, &Histogram)]) {
        self.head(name, help, "histogram");
        for (value, h) in hs {
            let snap = h.snapshot();
            let mut cumulative = 0;
            for (bound, n) in BOUNDS.iter().zip(snap.buckets) {
                cumulative += n;
                let le = bound.to_string();
                let _ = writeln!(
                    self.out,
                    "{name}_bucket{} {cumulative}",
                    labels(&[(label, value), ("le", &le)])
                );
            }
            let l = labels(&[(label, value)]);
            let all = labels(&[(label, value), ("le", "+Inf")]);
            let _ = writeln!(self.out, "{name}_bucket{all} {}", snap.count);
            let _ = writeln!(self.out, "{name}_sum{l} {}", snap.sum_micros as f64 / 1e6);
            let _ = writeln!(self.out, "{name}_count{l} {}", snap.count);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Upper bounds of the latency buckets, in seconds.
pub const BOUNDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Request latencies: one relaxed atomic add per bucket hit, no lock.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

struct Snapshot {
    buckets: [u64; BOUNDS.len()],
    count: u64,
    sum_micros: u64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BOUNDS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            count: self.count.load(Ordering::Relaxed),
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }
}

/// One latency histogram per surface of a port, chosen by request path.
pub struct Surfaces {
    names: &'static [&'static str],
    hs: Vec<Histogram>,
}

impl Surfaces {
    /// `names`: the surfaces; the last one takes every path `pick` does not place.
    pub fn new(names: &'static [&'static str]) -> Surfaces {
        Surfaces {
            names,
            hs: names.iter().map(|_| Histogram::default()).collect(),
        }
    }

    pub fn observe(&self, surface: &str, took: Duration) {
        let i = self
            .names
            .iter()
            .position(|n| *n == surface)
            .unwrap_or(self.names.len() - 1);
        self.hs[i].observe(took);
    }

    pub fn write(&self, e: &mut Exposition, name: &str, help: &str) {
        let all: Vec<(&str, &Histogram)> = self.names.iter().copied().zip(&self.hs).collect();
        e.histograms(name, help, "surface", &all);
    }
}

/// How many things ended well and how many did not (announces, searches).
#[derive(Default)]
pub struct Outcomes {
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Outcomes {
    pub fn record(&self, ok: bool) {
        let c = if ok { &self.ok } else { &self.failed };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// (ok, failed) so far.
    pub fn get(&self) -> (u64, u64) {
        (
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_is_prometheus_text() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(700));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(60));
        let mut e = Exposition::default();
        e.one("pi_torrents", "Torrents.", Kind::Gauge, 3.0);
        e.family(
            "pi_announces_total",
            "Announces.",
            Kind::Counter,
            &[
                (&[("outcome", "ok")], 5.0),
                (&[("outcome", "re\"fused")], 1.0),
            ],
        );
        e.histograms("pi_seconds", "Latency.", "surface", &[("torznab", &h)]);
        let text = e.finish();
        assert!(text.starts_with(
            "# HELP pi_torrents Torrents.\n# TYPE pi_torrents gauge\npi_torrents 3\n"
        ));
        assert!(text.contains("pi_announces_total{outcome=\"ok\"} 5\n"));
        assert!(text.contains("pi_announces_total{outcome=\"re\\\"fused\"} 1\n"));
        assert!(text.contains("pi_seconds_bucket{surface=\"torznab\",le=\"0.001\"} 1\n"));
        assert!(text.contains("pi_seconds_bucket{surface=\"torznab\",le=\"0.025\"} 1\n"));
        assert!(text.contains("pi_seconds_bucket{surface=\"torznab\",le=\"0.05\"} 2\n"));
        assert!(text.contains("pi_seconds_bucket{surface=\"torznab\",le=\"10\"} 2\n"));
        assert!(text.contains("pi_seconds_bucket{surface=\"torznab\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("pi_seconds_count{surface=\"torznab\"} 3\n"));
        assert!(text.contains("pi_seconds_sum{surface=\"torznab\"} 60.0307\n"));
    }

    #[test]
    fn outcomes_count_each_side() {
        let o = Outcomes::default();
        o.record(true);
        o.record(true);
        o.record(false);
        assert_eq!(o.get(), (2, 1));
    }
}
