//! Charts as small inline SVGs drawn on the server (no script, no CDN): the
//! admin overview's activity, the client dashboard's speeds. Only numbers we
//! computed go into them.

use std::fmt::Write;

use crate::core::activity::Minute;

const W: f64 = 960.0;
const H: f64 = 200.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 10.0;
/// Minutes per point: 96 points over a day.
const STEP: usize = 15;

/// Announces and searches per minute (15-minute averages) over the given minutes, oldest first.
pub fn activity_svg(minutes: &[Minute]) -> String {
    let points: Vec<(f64, f64)> = minutes
        .chunks(STEP)
        .map(|c| {
            let n = c.len().max(1) as f64;
            (
                c.iter().map(|m| m.announces).sum::<u64>() as f64 / n,
                c.iter().map(|m| m.searches).sum::<u64>() as f64 / n,
            )
        })
        .collect();
    two_lines_svg(
        &points,
        "Announces and searches per minute over the last 24 hours",
        ["24 h ago", "12 h ago", "now"],
        label,
    )
}

/// Two series (blue, orange) over a time axis with three labels (oldest,
/// middle, now), on a grid scaled to a round maximum; `value` writes the grid
/// values. Only numbers and the caller's constant texts go into the markup.
pub fn two_lines_svg(
    points: &[(f64, f64)],
    aria: &'static str,
    axis: [&'static str; 3],
    value: fn(f64) -> String,
) -> String {
    let peak = points
        .iter()
        .flat_map(|(a, s)| [*a, *s])
        .fold(0.0f64, f64::max);
    let top = nice_ceiling(peak);
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - TOP - BOTTOM;
    let n = points.len().max(2) as f64 - 1.0;
    let xy = |i: usize, v: f64| {
        (
            LEFT + plot_w * i as f64 / n,
            TOP + plot_h - plot_h * (v / top).min(1.0),
        )
    };
    let line = |pick: fn(&(f64, f64)) -> f64| {
        let mut s = String::new();
        for (i, p) in points.iter().enumerate() {
            let (x, y) = xy(i, pick(p));
            let _ = write!(s, "{}{x:.1},{y:.1}", if i == 0 { "" } else { " " });
        }
        s
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{aria}">"##
    );
    // Grid lines with their values, then the time axis.
    for k in 0..=4 {
        let v = top * k as f64 / 4.0;
        let y = TOP + plot_h - plot_h * k as f64 / 4.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e6ec" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#677085" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0,
            value(v)
        );
    }
    for (i, (frac, anchor)) in [(0.0, "start"), (0.5, "middle"), (1.0, "end")]
        .into_iter()
        .enumerate()
    {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#677085" text-anchor="{anchor}">{}</text>"##,
            LEFT + plot_w * frac,
            H - 6.0,
            axis[i]
        );
    }
    if points.len() >= 2 {
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#2f6fdf" stroke-width="2" stroke-linejoin="round"/><polyline points="{}" fill="none" stroke="#e08a1e" stroke-width="2" stroke-linejoin="round"/>"##,
            line(|p| p.0),
            line(|p| p.1)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A round axis maximum above `v` (1, 2, 5 × 10ⁿ), at least 1.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

fn label(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::activity::MINUTES;

    #[test]
    fn draws_two_lines_scaled_to_a_round_maximum() {
        let mut day = vec![Minute::default(); MINUTES];
        day[MINUTES - 1] = Minute {
            announces: 30,
            searches: 3,
        };
        let svg = activity_svg(&day);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        // 30 per minute over a 15-minute point averages to 2 → axis tops at 2.
        assert!(svg.contains(">2</text>"));
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
    }
}
