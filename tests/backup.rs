//! Online backup (`VACUUM INTO`) and restore of the register, on real SQLite files.

mod support;

use support::offline;

use chrono::{TimeZone, Utc};
use pengaduan::app::ingest::Outcome;
use pengaduan::store::{restore, Store};

#[test]
fn backup_while_open_then_restore_gives_the_same_register() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let (p, mut daemon_conn) = offline::pipeline(&live, "");
    let db = live.join("p.db");
    let at = Utc.with_ymd_and_hms(2026, 5, 4, 2, 0, 0).unwrap();
    for i in 0..3 {
        let raw = format!("From: w{i}@example.test\r\nSubject: Keluhan {i}\r\nMessage-ID: <b{i}@x>\r\n\r\nAntre lama.\r\n");
        let o = offline::arrive(&p, &mut daemon_conn, raw.as_bytes(), at);
        assert!(matches!(o, Outcome::New { .. }));
    }

    // The backup is taken through a second connection while the daemon's stays open.
    let copy = dir.path().join("cadangan.db");
    Store::open(&db).unwrap().backup_to(&copy).unwrap();
    let again = Store::open(&db)
        .unwrap()
        .backup_to(&copy)
        .unwrap_err()
        .to_string();
    assert!(again.contains("already exists"), "{again}");

    // Something happens after the backup, then the backup is restored.
    let raw = b"From: late@example.test\r\nSubject: Setelah cadangan\r\nMessage-ID: <late@x>\r\n\r\nx\r\n";
    offline::arrive(&p, &mut daemon_conn, raw, at);
    drop(daemon_conn);
    restore(&copy, &db).unwrap();

    let restored = Store::open(&db).unwrap();
    assert_eq!(restored.integrity_check().unwrap(), "ok");
    let tickets: Vec<String> = restored
        .list_complaints(&pengaduan::store::ListFilter::ALL)
        .unwrap()
        .into_iter()
        .map(|c| c.ticket.to_string())
        .collect();
    assert_eq!(
        tickets,
        vec!["ADU-2026-0001", "ADU-2026-0002", "ADU-2026-0003"]
    );
    assert!(
        db.with_extension("db.before-restore").exists(),
        "the replaced file is kept"
    );
}

#[test]
fn restore_refuses_what_is_not_a_good_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pengaduan.db");
    Store::open(&db).unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"bukan basis data").unwrap();
    assert!(restore(&junk, &db).is_err());
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let e = restore(&other, &db).unwrap_err().to_string();
    assert!(e.contains("not a pengaduan database"), "{e}");
    assert!(
        Store::open(&db).unwrap().integrity_check().unwrap() == "ok",
        "the live database is untouched"
    );
}
