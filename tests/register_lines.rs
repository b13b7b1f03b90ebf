//! The register page's lines and counts, chosen by SQLite (`store::register_lines`,
//! `register_counts`), are those of the plain rule applied to every open or recent
//! complaint in Rust: a generated register of 3,000 (tests/support/generate.rs), several
//! filters, and a clock at several moments.

#[path = "support/generate.rs"]
mod generate;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::views::{self, next_deadline, RegisterQuery, Urgency};
use pengaduan::calendar::{local_date, start_of_day_utc, WIB};
use pengaduan::store::{ListFilter, Store};

/// The rule, written out plainly: (tickets shown, cut, open, due today, overdue).
fn reference(
    store: &Store,
    q: &RegisterQuery,
    now: DateTime<Utc>,
) -> (Vec<String>, bool, usize, usize, usize) {
    let today = local_date(now);
    let since = start_of_day_utc(today - chrono::Days::new(30));
    let rows = store
        .list_complaints(&ListFilter { since, limit: None })
        .unwrap();
    let words: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).collect();
    let (mut open, mut due_today, mut overdue) = (0, 0, 0);
    let mut lines = Vec::new();
    for c in rows {
        let next = next_deadline(c.status, c.review_due, c.answer_due, now);
        if pengaduan::workflow::state::is_open(c.status) {
            open += 1;
            match next {
                Some((_, Urgency::Overdue)) => overdue += 1,
                Some((d, _)) if local_date(d) == today => due_today += 1,
                _ => {}
            }
        }
        let ticket = c.ticket.to_string();
        let text = [
            Some(ticket.as_str()),
            c.complainant_name.as_deref(),
            c.complainant_email.as_deref(),
            Some(c.subject.as_str()),
            c.lapor_number.as_deref(),
        ];
        let keep = (q.status.is_empty() || c.status.as_str() == q.status)
            && (q.unit.is_empty() || c.unit.as_deref() == Some(q.unit.as_str()))
            && (q.channel.is_empty() || c.channel.as_str() == q.channel)
            && (q.kind.is_empty() || c.kind.as_str() == q.kind)
            && (q.overdue.is_none() || matches!(next, Some((_, Urgency::Overdue))))
            && words.iter().all(|w| {
                text.iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(w.as_str()))
            });
        if keep {
            lines.push((next.map(|(d, _)| d), c.id, ticket));
        }
    }
    lines.sort_by(|(a, ia, _), (b, ib, _)| match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => ib.cmp(ia),
    });
    let cut = lines.len() > views::PAGE_LINES;
    lines.truncate(views::PAGE_LINES);
    (
        lines.into_iter().map(|(_, _, t)| t).collect(),
        cut,
        open,
        due_today,
        overdue,
    )
}

#[test]
fn the_register_page_shows_what_the_plain_rule_picks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let config = dir.path().join("pengaduan.toml");
    std::fs::write(
        &config,
        format!(
            "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"puskesmas@example.test\"\n\
             [storage]\ndatabase = \"{}\"\n[calendar]\nholidays = [\"{}/config/libur-nasional-2026.toml\"]\n",
            db.display(),
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let pipeline =
        pengaduan::app::load_pipeline(&pengaduan::config::Config::load(&config).unwrap()).unwrap();
    let holidays = &pipeline.calendar;
    drop(Store::open(&db).unwrap());
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    let mut rng = generate::Rng::new(13);
    let start = WIB.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap().to_utc();
    generate::complaints(
        &mut conn,
        holidays,
        &generate::Batch {
            year: 2026,
            first_seq: 1,
            start,
            days: 91,
            n: 3_000,
        },
        &mut rng,
    );
    drop(conn);
    let store = Store::open(&db).unwrap();
    let q = |f: &dyn Fn(&mut RegisterQuery)| {
        let mut q = RegisterQuery::default();
        f(&mut q);
        q
    };
    let queries = [
        RegisterQuery::default(),
        q(&|q| q.status = "reviewed".into()),
        q(&|q| q.status = "answered".into()),
        q(&|q| q.overdue = Some("1".into())),
        q(&|q| q.unit = "farmasi".into()),
        q(&|q| q.channel = "telepon".into()),
        q(&|q| q.kind = "saran".into()),
        q(&|q| q.q = "WARGA 12".into()),
        q(&|q| q.q = "adu-2026-01".into()),
        q(&|q| q.q = "tidak-ada-yang-cocok".into()),
    ];
    let base = WIB
        .with_ymd_and_hms(2026, 11, 20, 9, 0, 0)
        .unwrap()
        .to_utc();
    let mut seen_cut = false;
    for now in [base, base + Duration::days(9), base + Duration::hours(7)] {
        for query in &queries {
            let page = views::register_page(&store, query, now).unwrap();
            let got: Vec<String> = page
                .lines
                .iter()
                .map(|l| l.complaint.ticket.to_string())
                .collect();
            let (want, cut, open, today, overdue) = reference(&store, query, now);
            assert_eq!(got, want, "lines for {query:?} at {now}");
            assert_eq!(page.cut, cut, "cut for {query:?} at {now}");
            assert_eq!(
                (page.counts.open, page.counts.due_today, page.counts.overdue),
                (open, today, overdue),
                "counts at {now}"
            );
            seen_cut |= cut;
        }
    }
    assert!(seen_cut, "some query has more lines than a page holds");
}
