//! The calendar past 2026 (issue 12, item 6) through the real pipeline on a real SQLite
//! file: a complaint received on Thursday 10 December 2026 is due on Monday 4 January 2027,
//! not on New Year's Day, and its `calendar_warning` says which holidays of 2027 may still
//! move the date; a 2027 list and `cuti_bersama_is_working_day` move the deadline.

mod support;

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use pengaduan::app::actions::ManualComplaint;
use pengaduan::app::load_pipeline;
use pengaduan::calendar::WIB;
use pengaduan::config::Config;
use pengaduan::domain::{Channel, Ticket};
use pengaduan::ingest::{Outcome, Pipeline};
use pengaduan::store::Store;
use support::offline::arrive;

/// A pipeline on `dir/p.db` with only the built-in holiday lists and templates plus
/// `calendar` (the body of a `[calendar]` table).
fn pipeline(dir: &Path, calendar: &str) -> (Pipeline, Store) {
    let text = format!(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
         [storage]\ndatabase = \"p.db\"\n[calendar]\n{calendar}\n"
    );
    // Relative paths start at the config file's folder, here `dir`.
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
fn register_by_mail(p: &Pipeline, s: &mut Store) -> (Ticket, DateTime<Utc>, Vec<String>) {
    let Outcome::New { ticket, .. } = arrive(p, s, COMPLAINT, received()) else {
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
fn received_10_december_2026_is_due_4_january_2027_with_a_warning_naming_2027() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "");
    let (_, due, warnings) = register_by_mail(&p, &mut s);
    // 11 (1), 14-18 (2-6), 21-23 (7-9); 24 Dec cuti bersama and 25 Dec Natal skipped;
    // 28-31 (10-13); Fri 1 Jan 2027 skipped (fixed national holiday); Mon 4 Jan (14).
    assert_eq!(due, end_of_day_wib(2027, 1, 4));
    assert_ne!(due, end_of_day_wib(2027, 1, 1));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    for needle in [
        "libur nasional bertanggal tetap tahun 2027",
        "cuti bersama tahun 2027 belum diketahui",
        "dapat bergeser",
        "libur-nasional-2027.toml",
    ] {
        assert!(w.contains(needle), "{w:?} lacks {needle:?}");
    }
    let ack = ack_text(dir.path());
    assert!(ack.contains("Senin, 4 Januari 2027"), "{ack}");
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
                received_at: received(),
            },
            "petugas",
            received(),
        )
        .unwrap();
    let (due, warnings) = deadline_and_warnings(&s, &ticket);
    assert_eq!(due, end_of_day_wib(2027, 1, 4));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("tahun 2027"), "{warnings:?}");
}

#[test]
fn a_2027_list_file_moves_the_deadline_and_silences_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    // A test entry, not the decree: the official 2027 list is not in the project.
    std::fs::write(
        dir.path().join("libur-nasional-2027.toml"),
        "year = 2027\n[[holiday]]\ndate = 2027-01-04\nname = \"Libur uji\"\nkind = \"national\"\n",
    )
    .unwrap();
    let (p, mut s) = pipeline(dir.path(), "holidays = [\"libur-nasional-2027.toml\"]");
    let (_, due, warnings) = register_by_mail(&p, &mut s);
    assert_eq!(due, end_of_day_wib(2027, 1, 5));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn cuti_bersama_as_working_days_counts_24_december() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = pipeline(dir.path(), "cuti_bersama_is_working_day = true");
    let (_, due, _) = register_by_mail(&p, &mut s);
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
