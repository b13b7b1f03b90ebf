//! PURE: the monthly report on complaint handling (PROSEDUR.md step 8), computed from the
//! register rows of `reports::register` only, so the report and the register can never
//! disagree: counts by channel, kind, unit and status, the share of steps done on time,
//! median and worst times, satisfaction and referrals, and the two charts.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::chart;
use super::register::{
    channel_label, kind_label, local_day, month_name, Period, RegisterRow, Satisfaction, Timeliness,
};

/// How many months the compliance chart looks back, the report's month included.
pub const TREND_MONTHS: usize = 12;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Count {
    pub label: String,
    pub n: usize,
}

/// One deadline of the procedure over the month's complaints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Compliance {
    /// `1x24 jam`, `3x24 jam`, `14 hari kerja`.
    pub deadline: &'static str,
    /// What was done in time: `tanda terima`, `telaah`, `jawaban`.
    pub step: &'static str,
    pub on_time: usize,
    pub late: usize,
    /// Not done yet, deadline still ahead: not judged.
    pub pending: usize,
    /// `on_time / (on_time + late)` in percent, rounded; none when nothing was judged.
    pub percent: Option<u32>,
}

/// Median and worst of one duration, already written for people (`3,5 jam`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Times {
    pub what: &'static str,
    pub n: usize,
    pub median: Option<String>,
    pub worst: Option<String>,
    /// The ticket that took longest.
    pub worst_ticket: Option<String>,
}

/// One line of the satisfaction table.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SatisfactionCount {
    /// `puas (surel pengadu)`, `puas (dicatat petugas: telepon)`, …
    pub label: String,
    pub n: usize,
    /// Said by the complainant in a mail; false: recorded by staff, or no statement.
    pub by_complainant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekRow {
    pub label: String,
    pub counts: Vec<usize>,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthRow {
    pub label: String,
    pub total: usize,
    pub percents: [Option<u32>; 3],
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub period: String,
    pub slug: String,
    /// When the figures were drawn up (RFC 3339 WIB, for `|tanggal_jam`).
    pub as_of: String,
    pub total: usize,
    pub by_channel: Vec<Count>,
    pub by_kind: Vec<Count>,
    pub by_unit: Vec<Count>,
    pub by_status: Vec<Count>,
    pub compliance: [Compliance; 3],
    pub times: [Times; 3],
    /// What complainants said to the answers, each outcome with how it was heard.
    pub satisfaction: Vec<SatisfactionCount>,
    /// Satisfied, said by the complainant in a mail / recorded by staff.
    pub satisfied_by_complainant: usize,
    pub satisfied_by_staff: usize,
    pub referred: usize,
    /// The weekly chart's numbers, also shown as a table (mail clients drop SVG).
    pub week_units: Vec<String>,
    pub weeks: Vec<WeekRow>,
    pub months: Vec<MonthRow>,
    pub weekly_chart: String,
    pub monthly_chart: String,
}

/// The months of the compliance chart: `TREND_MONTHS` ending with `month`.
pub fn trend_months(month: &Period) -> Vec<Period> {
    let mut months = vec![*month];
    while months.len() < TREND_MONTHS {
        let first = months[0].from;
        months.insert(0, Period::month_before(first));
    }
    months
}

/// PURE: the report of `period` from its register rows, with `trend` (the
/// [`month_row`] of each of the [`trend_months`], computed from their register rows) for
/// the compliance chart. Rows outside the period are not counted.
pub fn build(
    rows: &[RegisterRow],
    trend: Vec<MonthRow>,
    period: &Period,
    as_of: DateTime<Utc>,
) -> Report {
    let (start, end) = period.bounds();
    let month: Vec<&RegisterRow> = rows
        .iter()
        .filter(|r| r.received >= start && r.received < end)
        .collect();
    let count = |label: fn(&RegisterRow) -> String| -> Vec<Count> {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for r in &month {
            *m.entry(label(r)).or_default() += 1;
        }
        let mut v: Vec<Count> = m.into_iter().map(|(label, n)| Count { label, n }).collect();
        v.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.label.cmp(&b.label)));
        v
    };
    let compliance = [
        ("1x24 jam", "tanda terima dikirim"),
        ("3x24 jam", "telaah dicatat"),
        ("14 hari kerja", "jawaban dikirim"),
    ];
    let compliance = std::array::from_fn(|k| {
        let (deadline, step) = compliance[k];
        let of = |t: Timeliness| month.iter().filter(|r| r.on_time[k] == t).count();
        let (on_time, late) = (of(Timeliness::OnTime), of(Timeliness::Late));
        Compliance {
            deadline,
            step,
            on_time,
            late,
            pending: of(Timeliness::Pending),
            percent: percent(on_time, late),
        }
    });
    let hours = |r: &RegisterRow, done: Option<DateTime<Utc>>| done.map(|d| d - r.received);
    let times = [
        duration_times("tanda terima", &month, |r| hours(r, r.ack_sent), hours_text),
        duration_times("telaah", &month, |r| hours(r, r.reviewed), hours_text),
        duration_times(
            "jawaban",
            &month,
            |r| r.answer_working_days.map(Duration::days),
            |d| format!("{} hari kerja", d.num_days()),
        ),
    ];
    let satisfaction: Vec<SatisfactionCount> = Satisfaction::all()
        .into_iter()
        .map(|s| SatisfactionCount {
            label: s.label(),
            n: month.iter().filter(|r| r.satisfaction == s).count(),
            by_complainant: s.by_complainant(),
        })
        .zip(Satisfaction::all())
        .filter(|(c, s)| *s != Satisfaction::None && (s.always_shown() || c.n > 0))
        .map(|(c, _)| c)
        .collect();
    let satisfied = |by_complainant: bool| {
        month
            .iter()
            .filter(|r| {
                matches!(r.satisfaction, Satisfaction::Satisfied(_))
                    && r.satisfaction.by_complainant() == by_complainant
            })
            .count()
    };

    let (week_units, weeks) = weekly(&month, period);
    let series: Vec<(String, Vec<usize>)> = week_units
        .iter()
        .enumerate()
        .map(|(k, u)| (u.clone(), weeks.iter().map(|w| w.counts[k]).collect()))
        .collect();
    let weekly_chart = chart::stacked_bars(
        "minggu",
        &format!("Pengaduan per minggu menurut unit, {}", period.label()),
        &weeks.iter().map(|w| w.label.clone()).collect::<Vec<_>>(),
        &series,
    );
    let months = trend;
    let names = [
        "Tanda terima ≤ 1x24 jam",
        "Telaah ≤ 3x24 jam",
        "Jawaban ≤ 14 hari kerja",
    ];
    let monthly_chart = chart::percent_lines(
        "bulan",
        "Kepatuhan tenggat per bulan, 12 bulan terakhir",
        &months.iter().map(|m| m.label.clone()).collect::<Vec<_>>(),
        &(0..3)
            .map(|k| {
                (
                    names[k].to_string(),
                    months
                        .iter()
                        .map(|m| m.percents[k].map(f64::from))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
    );
    Report {
        period: period.label(),
        slug: period.slug(),
        as_of: crate::clock::to_wib_rfc3339(as_of),
        total: month.len(),
        by_channel: count(|r| channel_label(r.channel).to_string()),
        by_kind: count(|r| kind_label(r.kind).to_string()),
        by_unit: count(|r| r.unit.clone()),
        by_status: count(|r| r.status_label().to_string()),
        compliance,
        times,
        satisfaction,
        satisfied_by_complainant: satisfied(true),
        satisfied_by_staff: satisfied(false),
        referred: month.iter().filter(|r| r.referred).count(),
        week_units,
        weeks,
        months,
        weekly_chart,
        monthly_chart,
    }
}

fn percent(on_time: usize, late: usize) -> Option<u32> {
    let judged = on_time + late;
    (judged > 0).then(|| ((on_time as f64 * 100.0 / judged as f64).round()) as u32)
}

/// `3,5 jam` (Indonesian decimal comma); whole days past 48 hours are said as days too.
fn hours_text(d: Duration) -> String {
    let h = d.num_minutes() as f64 / 60.0;
    let text = format!("{h:.1}").replace('.', ",");
    format!("{text} jam")
}

fn duration_times(
    what: &'static str,
    rows: &[&RegisterRow],
    of: impl Fn(&RegisterRow) -> Option<Duration>,
    show: fn(Duration) -> String,
) -> Times {
    let mut all: Vec<(Duration, &str)> = rows
        .iter()
        .filter_map(|r| of(r).map(|d| (d, r.ticket.as_str())))
        .collect();
    all.sort();
    let median = match all.len() {
        0 => None,
        n if n % 2 == 1 => Some(all[n / 2].0),
        n => Some((all[n / 2 - 1].0 + all[n / 2].0) / 2),
    };
    let worst = all.last();
    Times {
        what,
        n: all.len(),
        median: median.map(show),
        worst: worst.map(|(d, _)| show(*d)),
        worst_ticket: worst.map(|(_, t)| t.to_string()),
    }
}

/// Weeks of seven days from the 1st (1–7, 8–14, …, 29–end), and the units with the most
/// complaints; the rest are summed as `lainnya` so each series keeps its own pattern.
fn weekly(rows: &[&RegisterRow], period: &Period) -> (Vec<String>, Vec<WeekRow>) {
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *totals.entry(r.unit.as_str()).or_default() += 1;
    }
    let mut units: Vec<(&str, usize)> = totals.into_iter().collect();
    units.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut names: Vec<String> = units.iter().map(|(u, _)| u.to_string()).collect();
    if names.len() > chart::MAX_SERIES {
        names.truncate(chart::MAX_SERIES - 1);
        names.push("lainnya".into());
    }
    let days = (period.to - period.from).num_days() + 1;
    let n_weeks = ((days + 6) / 7) as usize;
    let mut weeks: Vec<WeekRow> = (0..n_weeks)
        .map(|w| {
            let first = period.from + Duration::days(7 * w as i64);
            let last = (first + Duration::days(6)).min(period.to);
            WeekRow {
                label: week_label(first, last),
                counts: vec![0; names.len()],
                total: 0,
            }
        })
        .collect();
    for r in rows {
        let w = ((local_day(r.received) - period.from).num_days() / 7) as usize;
        let k = names
            .iter()
            .position(|n| *n == r.unit)
            .unwrap_or(names.len().saturating_sub(1));
        if let Some(week) = weeks.get_mut(w) {
            week.counts[k] += 1;
            week.total += 1;
        }
    }
    (names, weeks)
}

fn week_label(first: NaiveDate, last: NaiveDate) -> String {
    let m = &month_name(last.month())[..3];
    if first == last {
        format!("{} {m}", first.day())
    } else {
        format!("{}–{} {m}", first.day(), last.day())
    }
}

/// PURE: one month of the compliance trend, from the register rows received in it.
pub fn month_row(rows: &[RegisterRow], month: &Period) -> MonthRow {
    let (start, end) = month.bounds();
    let in_month: Vec<&RegisterRow> = rows
        .iter()
        .filter(|r| r.received >= start && r.received < end)
        .collect();
    MonthRow {
        label: format!(
            "{} {}",
            &month_name(month.from.month())[..3],
            month.from.year() % 100
        ),
        total: in_month.len(),
        percents: std::array::from_fn(|k| {
            let of = |t| in_month.iter().filter(|r| r.on_time[k] == t).count();
            percent(of(Timeliness::OnTime), of(Timeliness::Late))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Channel, Status};
    use crate::reports::register::{build as rows_of, tests as reg, Facts};
    use chrono::TimeZone;

    fn month() -> Period {
        Period::parse_month("2026-11").unwrap()
    }

    #[test]
    fn figures_come_from_the_rows() {
        let r0 = reg::facts(1).received_at;
        let mk = |seq, unit: &str, channel, ack_h: i64, status| Facts {
            unit: Some(unit.into()),
            channel,
            ack_sent_at: Some(r0 + Duration::hours(ack_h)),
            status,
            received_at: r0 + Duration::days(i64::from(seq)),
            ack_due: r0 + Duration::days(i64::from(seq)) + Duration::hours(24),
            ..reg::facts(seq)
        };
        let mut facts = vec![
            mk(1, "farmasi", Channel::Email, 1 + 24, Status::Acknowledged),
            mk(2, "farmasi", Channel::Telepon, 2 + 48, Status::Referred),
            mk(
                3,
                "poli umum",
                Channel::KotakSaran,
                100 + 72,
                Status::Acknowledged,
            ),
        ];
        facts[1].referred_at = Some(r0 + Duration::days(20));
        let as_of = Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap();
        let rows = rows_of(&facts, &month(), &reg::calendar(), as_of);
        let trend = trend_months(&month())
            .iter()
            .map(|m| month_row(&rows, m))
            .collect();
        let r = build(&rows, trend, &month(), as_of);
        assert_eq!(r.total, 3);
        assert_eq!(
            r.by_unit[0],
            Count {
                label: "farmasi".into(),
                n: 2
            }
        );
        assert_eq!(r.by_channel.len(), 3);
        // Acks after 1 h, 2 h and 100 h: two of three on time.
        assert_eq!((r.compliance[0].on_time, r.compliance[0].late), (2, 1));
        assert_eq!(r.compliance[0].percent, Some(67));
        assert_eq!(r.times[0].median.as_deref(), Some("2,0 jam"));
        assert_eq!(r.times[0].worst.as_deref(), Some("100,0 jam"));
        assert_eq!(r.times[0].worst_ticket.as_deref(), Some("ADU-2026-0003"));
        assert_eq!(r.referred, 1);
        assert_eq!(r.weeks.len(), 5);
        assert_eq!(r.weeks[0].label, "1–7 Nov");
        assert_eq!(r.weeks[4].label, "29–30 Nov");
        assert_eq!(r.weeks[0].total, 3);
        assert_eq!(r.months.len(), TREND_MONTHS);
        assert_eq!(r.months[0].label, "Des 25");
        assert_eq!(r.months[11].percents[0], Some(67));
        assert_eq!(r.months[10].percents[0], None);
        assert!(r.weekly_chart.contains("farmasi") && r.monthly_chart.contains("Nov 26"));
    }

    /// The satisfaction table keeps what the complainant said by mail apart from what staff
    /// recorded, and says both; a queued answer is neither answered nor on time.
    #[test]
    fn satisfaction_by_mail_and_by_staff_and_queued_answers() {
        use crate::domain::Heard;
        let r0 = reg::facts(1).received_at;
        let answered = |seq, status, heard: Option<Heard>, sent: bool| Facts {
            status,
            satisfaction_heard: heard,
            reviewed_at: Some(r0 + Duration::hours(20)),
            answer: Some("Jawaban".into()),
            answered_at: Some(r0 + Duration::days(2)),
            answer_sent_at: sent.then(|| r0 + Duration::days(2) + Duration::minutes(3)),
            ..reg::facts(seq)
        };
        let facts = vec![
            answered(1, Status::ClosedSatisfied, Some(Heard::Mail), true),
            answered(2, Status::ClosedSatisfied, Some(Heard::Mail), true),
            answered(3, Status::ClosedSatisfied, Some(Heard::Telepon), true),
            answered(4, Status::ClosedSatisfied, Some(Heard::Staff), true),
            answered(5, Status::Referred, Some(Heard::Langsung), true),
            answered(6, Status::ClosedWithoutReply, None, true),
            // Answered on day 2, its mail still in the outbox on 20 December.
            answered(7, Status::Answered, None, false),
        ];
        let as_of = Utc.with_ymd_and_hms(2026, 12, 20, 0, 0, 0).unwrap();
        let rows = rows_of(&facts, &month(), &reg::calendar(), as_of);
        let r = build(&rows, vec![month_row(&rows, &month())], &month(), as_of);
        let got: Vec<(&str, usize, bool)> = r
            .satisfaction
            .iter()
            .map(|c| (c.label.as_str(), c.n, c.by_complainant))
            .collect();
        assert_eq!(
            got,
            [
                ("puas (surel pengadu)", 2, true),
                ("puas (dicatat petugas: telepon)", 1, false),
                ("puas (dicatat petugas: langsung)", 0, false),
                ("puas (dicatat petugas)", 1, false),
                ("tidak puas (surel pengadu)", 0, true),
                ("tidak puas (dicatat petugas: telepon)", 0, false),
                ("tidak puas (dicatat petugas: langsung)", 1, false),
                ("tidak ada tanggapan", 1, false),
                ("menunggu tanggapan", 0, false),
            ]
        );
        assert_eq!((r.satisfied_by_complainant, r.satisfied_by_staff), (2, 2));
        // Six answers sent in time; the queued one is past its deadline: late.
        assert_eq!((r.compliance[2].on_time, r.compliance[2].late), (6, 1));
        assert_eq!(r.times[2].n, 6);
        let status = |label: &str| r.by_status.iter().find(|c| c.label == label).map(|c| c.n);
        assert_eq!(status("jawaban belum terkirim"), Some(1));
        assert_eq!(status("sudah dijawab"), None);
    }

    #[test]
    fn many_units_fold_into_lainnya() {
        let facts: Vec<Facts> = (1..=11)
            .map(|i| Facts {
                unit: Some(format!("unit {i}")),
                ..reg::facts(i)
            })
            .collect();
        let as_of = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let rows = rows_of(&facts, &month(), &reg::calendar(), as_of);
        let r = build(&rows, vec![month_row(&rows, &month())], &month(), as_of);
        assert_eq!(r.week_units.len(), chart::MAX_SERIES);
        assert_eq!(r.week_units.last().unwrap(), "lainnya");
        assert_eq!(r.weeks[0].counts.iter().sum::<usize>(), 11);
    }
}
