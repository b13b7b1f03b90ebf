//! A fetched chunk is stored in one transaction (`Pipeline::ingest_together`); when that
//! fails, `Pipeline::ingest_in_order` stores the messages one by one so that those before
//! the failing one are kept, the cursor stops right before it, and nothing after it is
//! stored (DESIGN invariant 1: the cursor never passes a message that is not stored).
//! On a real SQLite file; a trigger makes one message fail to store, as a full disk would.

mod support;

use support::offline;

use chrono::{TimeZone, Utc};
use pengaduan::app::ingest::{Arrival, Outcome};
use pengaduan::store::MailboxPosition;

fn complaint(n: u32) -> Vec<u8> {
    format!(
        "From: Warga {n} <warga{n}@desa.test>\r\nTo: kademangan.puskesmas@gmail.com\r\n\
         Subject: Antrean lama {n}\r\nMessage-ID: <keluhan-{n}@desa.test>\r\n\
         Date: Thu, 12 Mar 2026 10:00:00 +0700\r\n\r\nSaya menunggu tiga jam di loket.\r\n"
    )
    .into_bytes()
}

#[test]
fn a_failing_chunk_keeps_the_messages_before_the_failing_one_and_the_cursor_stops_there() {
    let dir = tempfile::tempdir().unwrap();
    let (pipeline, mut store) = offline::pipeline(dir.path(), "");
    let at = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
    let raws: Vec<Vec<u8>> = (1..=4).map(complaint).collect();
    let parsed: Vec<_> = raws.iter().map(|raw| pipeline.parse(raw)).collect();
    let chunk: Vec<(Arrival, _)> = raws
        .iter()
        .zip(&parsed)
        .enumerate()
        .map(|(i, (raw, msg))| {
            let arrival = Arrival {
                raw,
                position: MailboxPosition {
                    mailbox: Some("INBOX".into()),
                    uidvalidity: Some(7),
                    uid: Some(101 + i as u32),
                },
                received_at: at,
                historical: false,
            };
            (arrival, msg)
        })
        .collect();

    // The third message (UID 103) cannot be stored.
    let side = rusqlite::Connection::open(dir.path().join("p.db")).unwrap();
    side.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON messages
         WHEN NEW.message_id LIKE '%keluhan-3@desa.test%'
         BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END;",
    )
    .unwrap();

    // Together, the chunk fails as a whole and stores nothing.
    assert!(pipeline.ingest_together(&mut store, &chunk, at).is_err());
    assert_eq!(store.count_complaints().unwrap(), 0);
    assert!(store.cursor("INBOX").unwrap().is_none());

    // In order: UIDs 101 and 102 are kept, 103 is named, 104 waits behind it.
    let (failed, error) = pipeline
        .ingest_in_order(&mut store, &chunk, at)
        .expect_err("the third message cannot be stored");
    assert_eq!(failed, 2);
    assert!(
        format!("{error:#}").contains("disk full (simulated)"),
        "{error:#}"
    );
    assert_eq!(store.count_complaints().unwrap(), 2);
    let cursor = store.cursor("INBOX").unwrap().unwrap();
    assert_eq!((cursor.uidvalidity, cursor.last_uid), (7, 102));

    // Once the message can be stored, the whole chunk goes again in one transaction:
    // the two kept are duplicates, the other two are registered, the cursor is at the end.
    side.execute_batch("DROP TRIGGER refuse").unwrap();
    let outcomes = pipeline.ingest_in_order(&mut store, &chunk, at).unwrap();
    assert!(matches!(
        outcomes[..2],
        [Outcome::Duplicate, Outcome::Duplicate]
    ));
    assert!(matches!(
        outcomes[2],
        Outcome::New {
            ack_queued: true,
            ..
        }
    ));
    assert!(matches!(
        outcomes[3],
        Outcome::New {
            ack_queued: true,
            ..
        }
    ));
    assert_eq!(store.count_complaints().unwrap(), 4);
    assert_eq!(store.cursor("INBOX").unwrap().unwrap().last_uid, 104);
}
