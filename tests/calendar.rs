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
