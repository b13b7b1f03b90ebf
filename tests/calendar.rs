//! The calendar through the real pipeline on a real SQLite file (issues 12 and 17): every
//! weekday deadline from November 2026 to December 2027 matches the official lists; a
//! complaint whose deadline crosses into 2028, a year without its list, carries a
//! `calendar_warning` saying which holidays may still move the date; a 2028 list and
//! `cuti_bersama_is_working_day` move the deadline.

mod support;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use pengaduan::app::actions::ManualComplaint;
use pengaduan::app::ingest::Outcome;
use pengaduan::app::load_pipeline;
use pengaduan::app::Pipeline;
use pengaduan::calendar::WIB;
use pengaduan::config::Config;
use pengaduan::domain::{Channel, Ticket};
use pengaduan::store::Store;
use support::offline::arrive;

/// A pipeline on `dir/p.db` with only the built-in holiday lists and templates plus
/// `calendar` (the body of a `[calendar]` table).
fn pipeline(dir: &Path, calendar: &str) -> (Pipeline, Store) {
    let text = format!(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
         [storage]\ndatabase = \"p.db\"\n\
         [recipients]\ntim_pengaduan = [\"tim@example.test\"]\nkepala_puskesmas = [\"kapus@example.test\"]\n\
         [calendar]\n{calendar}\n"
    );
    // Relative paths start at the config file's folder, here `dir`; the file is written
    // too, for the commands run as the real binary.
    std::fs::write(dir.join("pengaduan.toml"), &text).unwrap();
    let config = Config::parse(&text, &dir.join("pengaduan.toml")).unwrap();
    let pipeline = load_pipeline(&config).unwrap();
    let store = Store::open(&config.storage.database).unwrap();
    (pipeline, store)
}

/// Thursday 10 December 2026, 10:00 WIB.
fn received() -> DateTime<Utc> {
    WIB.with_ymd_and_hms(2026, 12, 10, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Thursday 16 December 2027, 10:00 WIB: the answer deadline falls in 2028, which has no
/// list yet.
fn received_before_2028() -> DateTime<Utc> {
    WIB.with_ymd_and_hms(2027, 12, 16, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn end_of_day_wib(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(y, m, d, 23, 59, 59)
        .unwrap()
        .with_timezone(&Utc)
}

const COMPLAINT: &[u8] =
    b"From: Siti <siti@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\n\
Subject: Antrean loket lama\r\nMessage-ID: <desember@example.test>\r\n\r\n\
Antrean di loket pendaftaran lama sekali.\r\n";

/// Registers the complaint by mail; returns its ticket, answer deadline and calendar
/// warnings.
fn register_by_mail(
    p: &Pipeline,
    s: &mut Store,
    at: DateTime<Utc>,
) -> (Ticket, DateTime<Utc>, Vec<String>) {
    let Outcome::New { ticket, .. } = arrive(p, s, COMPLAINT, at) else {
        panic!("registered as a new complaint")
    };
    let (due, warnings) = deadline_and_warnings(s, &ticket);
    (ticket, due, warnings)
}

fn deadline_and_warnings(s: &Store, ticket: &Ticket) -> (DateTime<Utc>, Vec<String>) {
    let row = s.complaint(ticket).unwrap().unwrap();
    let due = row.answer_due;
    let warnings = s
        .events_of(row.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "calendar_warning")
        .map(|e| e.detail)
        .collect();
    (due, warnings)
}

/// The acknowledgement's text as queued in the outbox.
fn ack_text(dir: &Path) -> String {
    let raw: Vec<u8> = rusqlite::Connection::open(dir.join("p.db"))
        .unwrap()
        .query_row("SELECT raw FROM outbox WHERE purpose = 'ack'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mail = mail_parser::MessageParser::new().parse(&raw).unwrap();
    mail.body_text(0).unwrap().into_owned()
}

#[test]
fn received_10_december_2026_is_due_4_january_2027_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let (_, due, warnings) = register_by_mail(&p, &mut s, received());
    // 11 (1), 14-18 (2-6), 21-23 (7-9); 24 Dec cuti bersama and 25 Dec Natal skipped;
    // 28-31 (10-13); Fri 1 Jan 2027 skipped (national holiday); Mon 4 Jan (14).
    assert_eq!(due, end_of_day_wib(2027, 1, 4));
    assert!(
        warnings.is_empty(),
        "the 2027 list is built in: {warnings:?}"
    );
    let ack = ack_text(dir.path());
    assert!(ack.contains("Senin, 4 Januari 2027"), "{ack}");
}

#[test]
fn received_16_december_2027_is_due_6_january_2028_with_a_warning_naming_2028() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let (_, due, warnings) = register_by_mail(&p, &mut s, received_before_2028());
    // 17 (1), 20-23 (2-5); 24 Dec cuti bersama, 25-26 Dec holidays; 27-31 (6-10);
    // Mon 3 to Thu 6 January 2028 (11-14).
    assert_eq!(due, end_of_day_wib(2028, 1, 6));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    for needle in [
        "libur nasional bertanggal tetap tahun 2028",
        "cuti bersama tahun 2028 belum diketahui",
        "dapat bergeser",
        "libur-nasional-2028.toml",
    ] {
        assert!(w.contains(needle), "{w:?} lacks {needle:?}");
    }
    let ack = ack_text(dir.path());
    assert!(ack.contains("Kamis, 6 Januari 2028"), "{ack}");
}

#[test]
fn a_complaint_recorded_by_staff_gets_the_same_deadline_and_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let ticket = p
        .record(
            &mut s,
            &ManualComplaint {
                channel: Channel::Telepon,
                lapor_number: None,
                name: Some("Budi".into()),
                address: None,
                phone: Some("0812-3456-7890".into()),
                email: None,
                subject: None,
                text: "Antrean di loket pendaftaran lama sekali.".into(),
                kind: None,
                received_at: received_before_2028(),
            },
            "petugas",
            received_before_2028(),
        )
        .unwrap();
    let (due, warnings) = deadline_and_warnings(&s, &ticket);
    assert_eq!(due, end_of_day_wib(2028, 1, 6));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("tahun 2028"), "{warnings:?}");
}

#[test]
fn a_2028_list_file_moves_the_deadline_and_silences_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    // A test entry, not a decree: the official 2028 list is not published yet.
    std::fs::write(
        dir.path().join("libur-nasional-2028.toml"),
        "year = 2028\n[[holiday]]\ndate = 2028-01-06\nname = \"Libur uji\"\nkind = \"national\"\n",
    )
    .unwrap();
    let (p, mut s) = pipeline(dir.path(), "holidays = [\"libur-nasional-2028.toml\"]");
    let (_, due, warnings) = register_by_mail(&p, &mut s, received_before_2028());
    assert_eq!(due, end_of_day_wib(2028, 1, 7));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_deadline_over_lebaran_2027_says_the_dates_may_still_move() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let at = WIB
        .with_ymd_and_hms(2027, 3, 1, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let (_, due, warnings) = register_by_mail(&p, &mut s, at);
    // 2-5 (4), 8 Nyepi, 9-12 Lebaran, 15 cuti; 16-19 (8), 22-24 (11), 25-26 off; 29-31 (14).
    assert_eq!(due, end_of_day_wib(2027, 3, 31));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("Idul Fitri 1448 Hijriah"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("sidang isbat"), "{warnings:?}");
}

#[test]
fn cuti_bersama_as_working_days_counts_24_december() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "cuti_bersama_is_working_day = true");
    let (_, due, _) = register_by_mail(&p, &mut s, received());
    // 24 Dec is day 10; 28-31 Dec are 11-14.
    assert_eq!(due, end_of_day_wib(2026, 12, 31));
}

/// The official days off of 2026 and 2027 (SKB 3 Menteri: No. 1497, 2 and 5 of 2025; No.
/// 1205, 3 and 2 of 2026), libur nasional and cuti bersama, written here and not read
/// from the program, so a wrong or missing list in the program fails this test.
const DAYS_OFF: &[(i32, u32, u32)] = &[
    // 2026, libur nasional (17)
    (2026, 1, 1),
    (2026, 1, 16),
    (2026, 2, 17),
    (2026, 3, 19),
    (2026, 3, 21),
    (2026, 3, 22),
    (2026, 4, 3),
    (2026, 4, 5),
    (2026, 5, 1),
    (2026, 5, 14),
    (2026, 5, 27),
    (2026, 5, 31),
    (2026, 6, 1),
    (2026, 6, 16),
    (2026, 8, 17),
    (2026, 8, 25),
    (2026, 12, 25),
    // 2026, cuti bersama (8)
    (2026, 2, 16),
    (2026, 3, 18),
    (2026, 3, 20),
    (2026, 3, 23),
    (2026, 3, 24),
    (2026, 5, 15),
    (2026, 5, 28),
    (2026, 12, 24),
    // 2027, libur nasional (18 days, 17 dates with Idulfitri's two)
    (2027, 1, 1),
    (2027, 1, 5),
    (2027, 2, 6),
    (2027, 3, 8),
    (2027, 3, 10),
    (2027, 3, 11),
    (2027, 3, 26),
    (2027, 3, 28),
    (2027, 5, 1),
    (2027, 5, 6),
    (2027, 5, 17),
    (2027, 5, 20),
    (2027, 6, 1),
    (2027, 6, 6),
    (2027, 8, 15),
    (2027, 8, 17),
    (2027, 12, 25),
    (2027, 12, 26),
    // 2027, cuti bersama (8)
    (2027, 2, 5),
    (2027, 3, 9),
    (2027, 3, 12),
    (2027, 3, 15),
    (2027, 3, 25),
    (2027, 5, 18),
    (2027, 5, 19),
    (2027, 12, 24),
];

/// The 14th working day (Monday to Friday, not in [`DAYS_OFF`]) after `day`, counted one
/// day at a time.
fn fourteenth_working_day_after(day: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::{Datelike, Weekday};
    let off: Vec<chrono::NaiveDate> = DAYS_OFF
        .iter()
        .map(|&(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
        .collect();
    let mut date = day;
    let mut counted = 0;
    while counted < 14 {
        date = date.succ_opt().unwrap();
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !off.contains(&date) {
            counted += 1;
        }
    }
    date
}

/// Issue 17: a complaint received at 10:00 WIB on every weekday from 1 November 2026 to
/// 10 December 2027 is due at the end of the 14th working day of the official calendar,
/// with the program's built-in lists and no holiday file configured.
#[test]
fn every_weekday_deadline_from_november_2026_to_december_2027_matches_the_official_lists() {
    use chrono::{Datelike, NaiveDate, Weekday};
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = pipeline(dir.path(), "");
    let mut day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2027, 12, 10).unwrap();
    let (mut checked, mut wrong) = (0, Vec::new());
    while day <= last {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let received = WIB
                .with_ymd_and_hms(day.year(), day.month(), day.day(), 10, 0, 0)
                .unwrap()
                .with_timezone(&Utc);
            let due = pengaduan::workflow::intake::deadlines(received, &p.calendar).answer_due;
            let expected = fourteenth_working_day_after(day);
            let expected_at = end_of_day_wib(expected.year(), expected.month(), expected.day());
            if due != expected_at {
                wrong.push(format!("{day}: {due} instead of {expected}"));
            }
            checked += 1;
        }
        day = day.succ_opt().unwrap();
    }
    assert_eq!(checked, 290);
    assert!(
        wrong.is_empty(),
        "{} of {checked} deadlines wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

fn wib_at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    WIB.with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn cli(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(dir.join("pengaduan.toml"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The answer notices (reminders and escalations) queued for a complaint, by key, with
/// the time they were queued.
fn answer_notices(dir: &Path, ticket: &Ticket) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(dir.join("p.db")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT o.idem_key, o.created_at FROM outbox o JOIN complaints c ON c.id = o.complaint_id
             WHERE c.ticket = ?1 AND o.idem_key LIKE '%:answer:%' ORDER BY o.id",
        )
        .unwrap();
    stmt.query_map([ticket.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Issue 17: a register whose open complaints carry deadlines computed without the 2027
/// list (as the previous release computed them) is corrected by `calendar recompute`, each
/// change with its audit event; reminders follow the new deadline and none goes out twice
/// or for a deadline that moved later.
#[test]
fn recompute_corrects_deadlines_computed_without_the_2027_list() {
    use chrono::{Datelike, Weekday};
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    // The previous release: the 2026 list only (2027's fixed dates are a rule).
    let file_2026 = pengaduan::calendar::parse_holiday_file(
        include_str!("../config/libur-nasional-2026.toml"),
        "2026",
    )
    .unwrap();
    let old = Pipeline {
        calendar: pengaduan::calendar::Calendar::new(
            &[
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            vec![file_2026],
        ),
        ..load_pipeline(&p.config).unwrap()
    };
    // A complaint on every weekday of December 2026, registered by the old release.
    let mut tickets = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    while day.month() == 12 {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let at = wib_at(2026, 12, day.day(), 10);
            let raw = format!(
                "From: w{0}@example.test\r\nSubject: Antrean {0}\r\nMessage-ID: <d{0}@example.test>\r\n\r\nAntrean lama.\r\n",
                day.day()
            );
            let Outcome::New { ticket, .. } = arrive(&old, &mut s, raw.as_bytes(), at) else {
                panic!("registered")
            };
            tickets.push((ticket, day));
        }
        day = day.succ_opt().unwrap();
    }
    // The old release reminded the team on Monday 4 January 2027.
    old.queue_notices(&mut s, wib_at(2027, 1, 4, 9)).unwrap();
    let before: Vec<DateTime<Utc>> = tickets
        .iter()
        .map(|(t, _)| s.complaint(t).unwrap().unwrap().answer_due)
        .collect();
    let expected: Vec<DateTime<Utc>> = tickets
        .iter()
        .map(|(_, d)| {
            let due = fourteenth_working_day_after(*d);
            end_of_day_wib(due.year(), due.month(), due.day())
        })
        .collect();
    let wrong = before.iter().zip(&expected).filter(|(b, e)| b != e).count();
    assert_eq!(
        wrong, 15,
        "complaints from 11 December on are due a day or more too early"
    );

    // `check` and the digest say so before anyone acts.
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_pengaduan"))
        .arg("--config")
        .arg(dir.path().join("pengaduan.toml"))
        .arg("check")
        .output()
        .unwrap();
    let check = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.contains("15 pengaduan yang masih berjalan memakai tenggat jawaban yang berbeda"),
        "{check}"
    );
    let digest = cli(dir.path(), &["digest", "--dry-run"]);
    assert!(
        digest.contains("PERHATIAN, TENGGAT: 15 pengaduan"),
        "{digest}"
    );

    // A dry run lists them and changes nothing.
    let listed = cli(dir.path(), &["calendar", "recompute", "--dry-run"]);
    assert!(
        listed.contains("TENGGAT JAWABAN YANG AKAN DIUBAH (15 pengaduan)"),
        "{listed}"
    );
    assert!(
        listed.contains("Selasa, 5 Januari 2027 -> Rabu, 6 Januari 2027"),
        "{listed}"
    );
    assert_eq!(
        s.complaint(&tickets[8].0).unwrap().unwrap().answer_due,
        before[8]
    );

    let applied = cli(
        dir.path(),
        &["calendar", "recompute", "--yes", "--by", "yetty"],
    );
    assert!(
        applied.contains("TENGGAT JAWABAN DIUBAH (15 pengaduan)"),
        "{applied}"
    );
    for (i, (ticket, _)) in tickets.iter().enumerate() {
        let (due, _) = deadline_and_warnings(&s, ticket);
        assert_eq!(due, expected[i], "{ticket}");
        let c = s.complaint(ticket).unwrap().unwrap();
        let events: Vec<_> = s
            .events_of(c.id)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "deadline_recomputed")
            .collect();
        assert_eq!(
            events.len(),
            usize::from(before[i] != expected[i]),
            "{ticket}"
        );
        if let Some(e) = events.first() {
            assert_eq!(e.actor, "yetty");
            assert!(
                e.detail.starts_with("tenggat jawaban diubah dari "),
                "{}",
                e.detail
            );
            assert!(e.detail.contains("daftar libur 2026, 2027"), "{}", e.detail);
        }
    }
    // Nothing left to change.
    let again = cli(dir.path(), &["calendar", "recompute", "--dry-run"]);
    assert!(again.contains("sudah sesuai"), "{again}");

    // The sweep with today's calendar on the same Monday and two days later.
    let (p, mut s) = pipeline(dir.path(), "");
    p.queue_notices(&mut s, wib_at(2027, 1, 4, 10)).unwrap();
    p.queue_notices(&mut s, wib_at(2027, 1, 6, 9)).unwrap();
    // Received 11 December: due 5 January before, 6 January now. The old H-1 reminder
    // stays; the new deadline gets its own H-1; the old deadline's escalation, due on
    // 6 January, is never queued because that deadline moved later.
    let (t11, _) = tickets.iter().find(|(_, d)| d.day() == 11).unwrap();
    let keys: Vec<String> = answer_notices(dir.path(), t11)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        vec![
            format!("remind:{t11}:answer:2027-01-05:H-1"),
            format!("remind:{t11}:answer:2027-01-06:H-1"),
        ]
    );
    // No complaint got two notices for one deadline and threshold, and none for a
    // deadline that is no longer its own after the recompute.
    for (i, (ticket, _)) in tickets.iter().enumerate() {
        let notices = answer_notices(dir.path(), ticket);
        let mut keys: Vec<&String> = notices.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), notices.len(), "{ticket}: {notices:?}");
        let new_due = expected[i].with_timezone(&WIB).date_naive().to_string();
        for (key, at) in &notices {
            if at.as_str() > "2027-01-04T02:30" {
                assert!(key.contains(&new_due), "{ticket}: {key} queued at {at}");
            }
        }
    }
}

/// Issue 17: flipping `cuti_bersama_is_working_day` moves the stored deadlines of open
/// complaints, and the audit event says why.
#[test]
fn flipping_cuti_bersama_moves_stored_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let (ticket, due, _) = register_by_mail(&p, &mut s, received());
    assert_eq!(due, end_of_day_wib(2027, 1, 4));
    // The daemon remembers the calendar it counted with (as at every start).
    p.recompute_deadlines(&mut s, "sistem", true, received())
        .unwrap();
    drop(s);

    let (_, s) = pipeline(dir.path(), "cuti_bersama_is_working_day = true");
    let out = cli(
        dir.path(),
        &["calendar", "recompute", "--yes", "--by", "yetty"],
    );
    assert!(
        out.contains("cuti bersama kini dihitung sebagai hari kerja"),
        "{out}"
    );
    let (due, _) = deadline_and_warnings(&s, &ticket);
    assert_eq!(due, end_of_day_wib(2026, 12, 31));

    let (_, s) = pipeline(dir.path(), "cuti_bersama_is_working_day = false");
    let out = cli(
        dir.path(),
        &["calendar", "recompute", "--yes", "--by", "yetty"],
    );
    assert!(
        out.contains("cuti bersama kini tidak dihitung sebagai hari kerja"),
        "{out}"
    );
    let (due, _) = deadline_and_warnings(&s, &ticket);
    assert_eq!(due, end_of_day_wib(2027, 1, 4));
    let c = s.complaint(&ticket).unwrap().unwrap();
    let moves = s
        .events_of(c.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "deadline_recomputed")
        .count();
    assert_eq!(moves, 2);
}

/// `pengaduan calendar 2027` lists the 26 days off of the decree with their origin and
/// says which dates may still move.
#[test]
fn calendar_command_lists_the_year() {
    let dir = tempfile::tempdir().unwrap();
    pipeline(dir.path(), "");
    let out = cli(dir.path(), &["calendar", "2027"]);
    assert!(
        out.contains("18 libur nasional, 8 cuti bersama, 0 libur lokal"),
        "{out}"
    );
    assert!(
        out.contains("Rabu, 10 Maret 2027  Idul Fitri 1448 Hijriah  (libur nasional)"),
        "{out}"
    );
    assert!(out.contains("TANGGAL MASIH DAPAT BERGESER"), "{out}");
    assert!(
        out.contains("dari config/libur-nasional-2027.toml (bawaan program)"),
        "{out}"
    );
    let out = cli(dir.path(), &["calendar", "2028"]);
    assert!(out.contains("DAFTAR RESMI 2028 BELUM ADA"), "{out}");
    assert!(
        out.contains("Sabtu, 1 Januari 2028  Tahun Baru Masehi"),
        "{out}"
    );
}
