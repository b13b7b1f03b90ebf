//! The monthly report: its figures recomputed from the register rows, both charts in the
//! page, and the printable page photographed by a real headless Chromium into
//! `target/screenshots/`.

#[path = "support/generate.rs"]
mod generate;
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use fantoccini::Locator;
use pengaduan::app::{register, report};
use pengaduan::calendar::{Calendar, WIB};
use pengaduan::reports::register::{Period, RegisterRow, Timeliness};
use support::browser::Browser;
use support::web::Site;

fn wib(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().to_utc()
}

/// Ten complaints in each month from November 2025 to September 2026, then 200 in
/// October 2026. Returns how many of October's were referred.
fn a_year(db: &Path, calendar: &Calendar) -> usize {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let mut rng = generate::Rng::new(14);
    let mut seq = 1;
    for m in 0..11 {
        let (y, month) = if m < 2 { (2025, 11 + m) } else { (2026, m - 1) };
        generate::complaints(
            &mut conn,
            calendar,
            &generate::Batch {
                year: y,
                first_seq: seq,
                start: wib(y, month, 1),
                days: 28,
                n: 10,
            },
            &mut rng,
        );
        seq += 10;
    }
    generate::complaints(
        &mut conn,
        calendar,
        &generate::Batch {
            year: 2026,
            first_seq: seq,
            start: wib(2026, 10, 1),
            days: 31,
            n: 200,
        },
        &mut rng,
    )
}

fn october() -> Period {
    Period::parse_month("2026-10").unwrap()
}

#[test]
fn the_report_is_recomputed_from_the_register_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (p, store) = support::offline::pipeline(dir.path(), "");
    let referred = a_year(&dir.path().join("p.db"), &p.calendar);
    let as_of = wib(2026, 11, 23) + Duration::hours(9);
    let r = report::monthly(&store, &p.calendar, &october(), as_of).unwrap();
    let rows = register::rows(&store, &p.calendar, &october(), as_of).unwrap();

    assert_eq!(rows.len(), 200);
    assert_eq!(r.total, rows.len());
    let counts = |f: fn(&RegisterRow) -> String| {
        let mut m = BTreeMap::new();
        for row in &rows {
            *m.entry(f(row)).or_insert(0usize) += 1;
        }
        m
    };
    let of = |c: &[pengaduan::reports::report::Count]| {
        c.iter()
            .map(|c| (c.label.clone(), c.n))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(of(&r.by_channel), counts(|r| r.channel_label().to_string()));
    assert_eq!(of(&r.by_kind), counts(|r| r.kind_label().to_string()));
    assert_eq!(of(&r.by_unit), counts(|r| r.unit.clone()));
    assert_eq!(of(&r.by_status), counts(|r| r.status_label().to_string()));
    assert!(r.by_channel.len() >= 5, "{:?}", r.by_channel);

    for (k, c) in r.compliance.iter().enumerate() {
        let n = |t| rows.iter().filter(|row| row.on_time[k] == t).count();
        assert_eq!(
            (c.on_time, c.late, c.pending),
            (
                n(Timeliness::OnTime),
                n(Timeliness::Late),
                n(Timeliness::Pending)
            )
        );
        let want = (c.on_time * 100 + (c.on_time + c.late) / 2) / (c.on_time + c.late);
        assert_eq!(c.percent, Some(want as u32), "{c:?}");
        assert!(
            c.late > 0 && c.on_time > c.late,
            "the generator makes some late: {c:?}"
        );
        assert_eq!(r.months[11].percents[k], c.percent, "October in the trend");
    }
    assert_eq!(r.referred, rows.iter().filter(|row| row.referred).count());
    assert_eq!(r.referred, referred, "the referrals the database holds");
    // Satisfaction by how it was heard: the complainant's mail apart from staff's record.
    use pengaduan::reports::register::Satisfaction;
    for s in Satisfaction::all()
        .into_iter()
        .filter(|s| *s != Satisfaction::None)
    {
        let n = rows.iter().filter(|row| row.satisfaction == s).count();
        let shown = r.satisfaction.iter().find(|c| c.label == s.label());
        assert_eq!(shown.map_or(0, |c| c.n), n, "{s:?}");
    }
    let by_mail = rows
        .iter()
        .filter(|row| row.satisfaction.label() == "puas (surel pengadu)")
        .count();
    assert!(
        by_mail > 0 && r.satisfied_by_staff > 0,
        "{:?}",
        r.satisfaction
    );
    assert_eq!(r.satisfied_by_complainant, by_mail);

    // Median and worst answer time in working days, from the rows.
    let mut days: Vec<i64> = rows
        .iter()
        .filter_map(|row| row.answer_working_days)
        .collect();
    days.sort();
    assert_eq!(r.times[2].n, days.len());
    assert_eq!(
        r.times[2].worst,
        Some(format!("{} hari kerja", days.last().unwrap()))
    );
    let mid = if days.len() % 2 == 1 {
        days[days.len() / 2]
    } else {
        (days[days.len() / 2 - 1] + days[days.len() / 2]) / 2
    };
    assert_eq!(r.times[2].median, Some(format!("{mid} hari kerja")));

    // An earlier month of the trend, from that month's register rows.
    let may = Period::parse_month("2026-05").unwrap();
    let may_rows = register::rows(&store, &p.calendar, &may, as_of).unwrap();
    let ok = may_rows
        .iter()
        .filter(|r| r.on_time[1] == Timeliness::OnTime)
        .count();
    let late = may_rows
        .iter()
        .filter(|r| r.on_time[1] == Timeliness::Late)
        .count();
    assert_eq!(r.months[6].label, "Mei 26");
    assert_eq!(r.months[6].total, may_rows.len());
    assert_eq!(
        r.months[6].percents[1],
        Some(((ok * 100 + (ok + late) / 2) / (ok + late)) as u32)
    );

    assert_eq!(r.weeks.iter().map(|w| w.total).sum::<usize>(), 200);
    assert_eq!(r.months.iter().map(|m| m.total).sum::<usize>(), 310);
    assert!(
        r.months.iter().all(|m| m.percents[0].is_some()),
        "every month has a share"
    );

    let html = report::printable(&p.templates, &p.config, &r).unwrap();
    assert_eq!(html.matches("<svg").count(), 2, "both charts");
    for unit in generate::UNITS {
        assert!(
            r.weekly_chart.contains(unit),
            "{unit} in the weekly chart's legend"
        );
    }
    assert!(html.contains("Oktober 2026"));
}

#[test]
fn the_printable_report_renders_both_charts_in_chromium() {
    let site = Site::start();
    site.add_user("kapus", "kepala", "kepala-rahasia-1");
    let config = pengaduan::config::Config::load(&site.config).unwrap();
    let calendar = pengaduan::app::load_pipeline(&config).unwrap().calendar;
    a_year(&site.db(), &calendar);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = Browser::start().await;
        b.log_in(&site.url, "kapus", "kepala-rahasia-1").await;
        b.client
            .goto(&format!("{}/laporan/cetak?bulan=2026-10", site.url))
            .await
            .unwrap();
        let charts = b
            .client
            .find_all(Locator::Css("figure.chart svg"))
            .await
            .unwrap();
        assert_eq!(charts.len(), 2);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        for (chart, name) in charts.iter().zip(["minggu", "bulan"]) {
            let size = chart.rectangle().await.unwrap();
            assert!(
                size.2 > 300.0 && size.3 > 150.0,
                "drawn at a readable size: {size:?}"
            );
            let png = chart.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("laporan-grafik-{name}.png")), png).unwrap();
        }
        assert_eq!(
            b.client.title().await.unwrap(),
            "Laporan pengaduan Oktober 2026 · Puskesmas Kademangan"
        );
        // A4 at 96 dpi is 794 px wide; tall enough for the whole report.
        b.client.set_window_size(794, 3400).await.unwrap();
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(dir.join("laporan-cetak-a4.png"), png).unwrap();

        // The dashboard page of the same report, with the month picker and the download.
        b.client
            .goto(&format!("{}/laporan?bulan=2026-10", site.url))
            .await
            .unwrap();
        let h1 = b
            .client
            .find(Locator::Css("h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(h1.contains("Laporan Penanganan Pengaduan"), "{h1}");
        b.screenshot("laporan", 1366).await;
        b.screenshot("laporan", 390).await;
        b.client
            .goto(&format!("{}/register?bulan=2026-10", site.url))
            .await
            .unwrap();
        let body = b
            .client
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("Oktober 2026: 200 pengaduan"), "{body}");
        b.screenshot("register", 390).await;
        b.close().await;
    });
}
