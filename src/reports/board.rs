//! PURE: the public announcement board (papan pengumuman, PROSEDUR.md step 7a) as the page
//! shows it. Built from [`Published`] entries only — the four things staff chose to make
//! public — so nothing else about a case can reach the page: no ticket, no name, no text
//! of the complainant exists in its input.

use serde::Serialize;

use crate::calendar::MONTHS;

/// One published case, as staff wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// `YYYY-MM`, the month (WIB) the complaint was received.
    pub month: String,
    pub unit: Option<String>,
    pub summary: String,
    pub followup: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    pub months: Vec<Month>,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    /// "November 2026".
    pub label: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub month: String,
    /// "Poli umum"; "Umum" when no unit was set.
    pub unit: String,
    pub summary: String,
    pub followup: String,
}

/// "2026-11" → "November 2026"; anything else is shown as it is.
pub fn month_label(month: &str) -> String {
    let parsed = month.split_once('-').and_then(|(y, m)| {
        let m: usize = m.parse().ok()?;
        Some((y.parse::<i32>().ok()?, MONTHS.get(m.checked_sub(1)?)?))
    });
    match parsed {
        Some((y, name)) => format!("{name} {y}"),
        None => month.to_string(),
    }
}

/// The built-in units (`config::default_units`) as a visitor of the puskesmas names them.
const UNIT_LABELS: &[(&str, &str)] = &[
    ("pendaftaran", "Pendaftaran (loket)"),
    ("farmasi", "Farmasi (apotek)"),
    ("poli_umum", "Poli umum"),
    ("poli_gigi", "Poli gigi"),
    (
        "kia_imunisasi",
        "KIA (kesehatan ibu dan anak) dan imunisasi",
    ),
    ("laboratorium", "Laboratorium"),
    ("kebersihan", "Kebersihan"),
    ("ambulans", "Ambulans"),
    ("administrasi_bpjs", "Administrasi dan BPJS"),
];

/// A unit key of `[units]` as the public reads it: a built-in one by its name
/// (`kia_imunisasi`: "KIA (kesehatan ibu dan anak) dan imunisasi"), another one with
/// spaces for `_` and a capital (`ruang_bersalin`: "Ruang bersalin").
pub fn unit_label(unit: Option<&str>) -> String {
    if let Some((_, label)) = UNIT_LABELS.iter().find(|(k, _)| Some(*k) == unit) {
        return label.to_string();
    }
    let words = unit.unwrap_or("").replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Umum".into(),
    }
}

pub fn entry(p: &Published) -> Entry {
    Entry {
        month: month_label(&p.month),
        unit: unit_label(p.unit.as_deref()),
        summary: p.summary.clone(),
        followup: p.followup.clone(),
    }
}

/// The board: months newest first, each month's entries in the order given.
pub fn build(published: &[Published]) -> Board {
    let mut sorted: Vec<&Published> = published.iter().collect();
    // Stable: within a month the caller's order (newest published first) stays.
    sorted.sort_by(|a, b| b.month.cmp(&a.month));
    let mut months: Vec<Month> = Vec::new();
    for p in sorted {
        let label = month_label(&p.month);
        match months.last_mut() {
            Some(m) if m.label == label => m.entries.push(entry(p)),
            _ => months.push(Month {
                label,
                entries: vec![entry(p)],
            }),
        }
    }
    Board {
        total: published.len(),
        months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(month: &str, unit: Option<&str>, summary: &str) -> Published {
        Published {
            month: month.into(),
            unit: unit.map(Into::into),
            summary: summary.into(),
            followup: "Tindak lanjut.".into(),
        }
    }

    #[test]
    fn labels() {
        for (month, want) in [
            ("2026-11", "November 2026"),
            ("2027-01", "Januari 2027"),
            ("2026-13", "2026-13"),
            ("2026-00", "2026-00"),
            ("", ""),
        ] {
            assert_eq!(month_label(month), want, "{month:?}");
        }
        for (unit, want) in [
            (Some("poli_umum"), "Poli umum"),
            (Some("farmasi"), "Farmasi (apotek)"),
            (
                Some("kia_imunisasi"),
                "KIA (kesehatan ibu dan anak) dan imunisasi",
            ),
            (Some("ruang_bersalin"), "Ruang bersalin"),
            (Some(""), "Umum"),
            (None, "Umum"),
        ] {
            assert_eq!(unit_label(unit), want, "{unit:?}");
        }
    }

    #[test]
    fn months_newest_first_entries_in_given_order() {
        let board = build(&[
            p("2026-10", Some("farmasi"), "a"),
            p("2026-11", None, "b"),
            p("2026-10", Some("poli_gigi"), "c"),
            p("2026-11", Some("loket"), "d"),
        ]);
        assert_eq!(board.total, 4);
        let got: Vec<(&str, Vec<&str>)> = board
            .months
            .iter()
            .map(|m| {
                (
                    m.label.as_str(),
                    m.entries.iter().map(|e| e.summary.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("November 2026", vec!["b", "d"]),
                ("Oktober 2026", vec!["a", "c"])
            ]
        );
        assert_eq!(board.months[0].entries[0].unit, "Umum");
        assert!(build(&[]).months.is_empty());
    }
}
