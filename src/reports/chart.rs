//! PURE: the report's two charts as SVG text, drawn here rather than with `plotters`: two
//! fixed chart shapes need a few dozen lines, no font files and no extra crates, and the
//! output is small enough to inline in a page. Readable in black and white: every series
//! has its own fill pattern or line style and marker, the legend repeats them, and the
//! numbers are written on the chart. Only presentation attributes are used (no `style`),
//! so the pages' Content-Security-Policy (no inline style) leaves them intact.

use std::fmt::Write;

/// Fills for stacked bars: solid, greys, hatches, dots, crosses, stripes — distinct without colour.
const PATTERNS: [&str; 8] = [
    r##"<rect width="6" height="6" fill="#333"/>"##,
    r##"<rect width="6" height="6" fill="#fff"/><path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#000" stroke-width="1.2"/>"##,
    r##"<rect width="6" height="6" fill="#fff"/><circle cx="3" cy="3" r="1.3" fill="#000"/>"##,
    r##"<rect width="6" height="6" fill="#bbb"/>"##,
    r##"<rect width="6" height="6" fill="#fff"/><path d="M0,0 L6,6 M6,0 L0,6" stroke="#000" stroke-width="0.8"/>"##,
    r##"<rect width="6" height="6" fill="#fff"/><path d="M0,3 L6,3" stroke="#000" stroke-width="1"/>"##,
    r##"<rect width="6" height="6" fill="#777"/><path d="M3,0 L3,6" stroke="#fff" stroke-width="1.2"/>"##,
    r##"<rect width="6" height="6" fill="#fff"/><path d="M0,6 L6,0" stroke="#000" stroke-width="0.6"/><path d="M0,0 L6,6" stroke="#777" stroke-width="0.6"/>"##,
];
/// Most series a chart shows; the rest are summed into the last one by the caller.
pub const MAX_SERIES: usize = PATTERNS.len();

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 720.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const PLOT_H: f64 = 220.0;
const FONT: &str = r#"font-family="sans-serif" font-size="12""#;

fn open(id: &str, title: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" role="img" aria-labelledby="{id}-t" class="chart"><title id="{id}-t">{}</title>"#,
        escape(title)
    )
}

fn legend(out: &mut String, y: f64, items: &[(String, String)]) {
    // (swatch markup at 0,0 of a 14x14 box, label); wrapped over lines of 720 px.
    let (mut x, mut y) = (LEFT, y);
    for (swatch, label) in items {
        let width = 24.0 + 7.0 * label.chars().count() as f64 + 16.0;
        if x + width > W - RIGHT {
            x = LEFT;
            y += 20.0;
        }
        let _ = write!(
            out,
            r#"<g transform="translate({x},{y})">{swatch}<text x="20" y="12" {FONT}>{}</text></g>"#,
            escape(label)
        );
        x += width;
    }
}

fn legend_rows(items: &[(String, String)]) -> f64 {
    let (mut x, mut rows) = (LEFT, 1.0);
    for (_, label) in items {
        let width = 24.0 + 7.0 * label.chars().count() as f64 + 16.0;
        if x + width > W - RIGHT {
            x = LEFT;
            rows += 1.0;
        }
        x += width;
    }
    rows
}

/// A round step for the y axis so that about five grid lines cover `max`.
fn step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn y_axis(out: &mut String, max: f64, step: f64, suffix: &str) {
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let y = TOP + PLOT_H - v / max * PLOT_H;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#999" stroke-width="0.5"/><text x="{}" y="{}" text-anchor="end" {FONT}>{v}{suffix}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0
        );
        v += step;
    }
}

/// Stacked bars: one bar per category (a week), one layer per series (a unit), the
/// total written above each bar.
pub fn stacked_bars(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(String, Vec<usize>)],
) -> String {
    let totals: Vec<usize> = (0..categories.len())
        .map(|i| {
            series
                .iter()
                .map(|(_, v)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let top = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let st = step(top);
    let max = (top / st).ceil() * st;
    let items: Vec<(String, String)> = series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            (
                format!(r##"<rect width="14" height="14" fill="url(#{id}-p{k})" stroke="#000"/>"##),
                name.clone(),
            )
        })
        .collect();
    let height = TOP + PLOT_H + 30.0 + 20.0 * legend_rows(&items) + 8.0;
    let mut out = open(id, title, height);
    out.push_str("<defs>");
    for (k, p) in PATTERNS.iter().enumerate().take(series.len()) {
        let _ = write!(
            out,
            r#"<pattern id="{id}-p{k}" width="6" height="6" patternUnits="userSpaceOnUse">{p}</pattern>"#
        );
    }
    out.push_str("</defs>");
    y_axis(&mut out, max, st, "");
    let slot = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let bar = (slot * 0.6).min(70.0);
    for (i, cat) in categories.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = TOP + PLOT_H;
        for (k, (_, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let h = v as f64 / max * PLOT_H;
            y -= h;
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="url(#{id}-p{k})" stroke="#000" stroke-width="0.8"/>"##
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" {FONT} font-weight="bold">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" {FONT}>{}</text>"#,
            x + bar / 2.0,
            y - 4.0,
            totals[i],
            x + bar / 2.0,
            TOP + PLOT_H + 16.0,
            escape(cat)
        );
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="#000"/>"##,
        TOP + PLOT_H,
        W - RIGHT
    );
    legend(&mut out, TOP + PLOT_H + 26.0, &items);
    out.push_str("</svg>");
    out
}

/// Line styles and markers for the percentage chart.
const DASHES: [&str; 3] = [
    "",
    r#" stroke-dasharray="8 4""#,
    r#" stroke-dasharray="2 3""#,
];

fn marker(k: usize, x: f64, y: f64) -> String {
    match k % 3 {
        0 => format!(r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#000"/>"##),
        1 => format!(
            r##"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="#fff" stroke="#000" stroke-width="1.5"/>"##,
            x - 4.0,
            y - 4.0
        ),
        _ => format!(
            r##"<path d="M{x:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z" fill="#888" stroke="#000"/>"##,
            y - 5.0,
            x + 5.0,
            y + 4.0,
            x - 5.0,
            y + 4.0
        ),
    }
}

/// Percentages (0–100) per category (a month), one line per series; a month without a
/// value leaves a gap. The last value of each line is written beside it.
pub fn percent_lines(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[(String, Vec<Option<f64>>)],
) -> String {
    let items: Vec<(String, String)> = series
        .iter()
        .enumerate()
        .map(|(k, (name, _))| {
            (
                format!(
                    r##"<line x1="0" y1="7" x2="14" y2="7" stroke="#000" stroke-width="2"{}/>{}"##,
                    DASHES[k % 3],
                    marker(k, 7.0, 7.0)
                ),
                name.clone(),
            )
        })
        .collect();
    let height = TOP + PLOT_H + 30.0 + 20.0 * legend_rows(&items) + 8.0;
    let mut out = open(id, title, height);
    y_axis(&mut out, 100.0, 20.0, "%");
    let slot = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let x_of = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y_of = |v: f64| TOP + PLOT_H - v.clamp(0.0, 100.0) / 100.0 * PLOT_H;
    for (i, cat) in categories.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" {FONT}>{}</text>"#,
            x_of(i),
            TOP + PLOT_H + 16.0,
            escape(cat)
        );
    }
    for (k, (_, values)) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                out,
                r##"<path d="{}" fill="none" stroke="#000" stroke-width="2"{}/>"##,
                path.trim_end(),
                DASHES[k % 3]
            );
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                out.push_str(&marker(k, x_of(i), y_of(*v)));
            }
        }
    }
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" y1="{0}" x2="{1}" y2="{0}" stroke="#000"/>"##,
        TOP + PLOT_H,
        W - RIGHT
    );
    legend(&mut out, TOP + PLOT_H + 26.0, &items);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_show_totals_patterns_and_escaped_labels() {
        let svg = stacked_bars(
            "w",
            "Per minggu",
            &["1–7".into(), "8–14".into()],
            &[
                ("Poli <gigi>".into(), vec![2, 0]),
                ("farmasi".into(), vec![1, 3]),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Poli &lt;gigi&gt;") && !svg.contains("<gigi>"));
        assert!(svg.contains(r#"fill="url(#w-p1)""#));
        assert!(svg.contains(">3</text>") && svg.contains(">3</text>"));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn lines_leave_gaps_for_missing_months() {
        let svg = percent_lines(
            "m",
            "Kepatuhan",
            &["Jan".into(), "Feb".into(), "Mar".into()],
            &[("Tanda terima".into(), vec![Some(100.0), None, Some(50.0)])],
        );
        assert_eq!(svg.matches("<path d=\"M").count(), 1);
        // Two separate pieces: the gap starts a new sub-path.
        let d = svg.split("<path d=\"").nth(1).unwrap();
        assert_eq!(d.split('"').next().unwrap().matches('M').count(), 2);
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(step(3.0), 1.0);
        assert_eq!(step(37.0), 10.0);
        assert_eq!(step(240.0), 50.0);
    }
}
