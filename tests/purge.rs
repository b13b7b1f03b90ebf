//! Retention (`[storage] retention_years`, `pengaduan purge`) on a real SQLite file with a
//! driven clock: an old closed complaint loses its raw mail (inbound bytes, attachments,
//! text, and the bytes of what we sent), while a recently closed one and an old OPEN one
//! keep theirs; the register row and the events stay, `complaints show` still works, and a
//! second purge changes nothing. The command line is driven through the real binary.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use chrono::{DateTime, TimeZone, Utc};
use pengaduan::app::load_pipeline;
use pengaduan::app::retention;
use pengaduan::app::Pipeline;
use pengaduan::clock::Clock;
use pengaduan::config::Config;
use pengaduan::domain::{CloseOutcome, Heard, Ticket};
use pengaduan::mail::smtp::Transport;
use pengaduan::store::{SharedStore, Store};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    // 09:00 WIB.
    Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap()
}

struct Fixed(DateTime<Utc>);

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn mail(n: u32, date: DateTime<Utc>) -> Vec<u8> {
    format!(
        "From: Warga {n} <warga{n}@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\n\
         Subject: Keluhan nomor {n}\r\nDate: {}\r\nMessage-ID: <retensi-{n}@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAntrean di loket lama sekali, keluhan {n}.\r\n\
         --b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"foto-{n}.jpg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP////8=\r\n--b--\r\n",
        date.to_rfc2822()
    )
    .into_bytes()
}

struct Register {
    dir: tempfile::TempDir,
    config: PathBuf,
    pipeline: Pipeline,
}

impl Register {
    fn new() -> Register {
        let dir = tempfile::tempdir().unwrap();
        let root = env!("CARGO_MANIFEST_DIR");
        let config = dir.path().join("pengaduan.toml");
        std::fs::write(
            &config,
            format!(
                "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
                 [storage]\ndatabase = \"{db}\"\n[calendar]\nholidays = [\"{root}/config/libur-nasional-2026.toml\"]\n\
                 [templates]\ndir = \"{root}/templates\"\n",
                db = dir.path().join("p.db").display()
            ),
        )
        .unwrap();
        let pipeline = load_pipeline(&Config::load(&config).unwrap()).unwrap();
        Register {
            dir,
            config,
            pipeline,
        }
    }

    fn store(&self) -> Store {
        Store::open(&self.dir.path().join("p.db")).unwrap()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("p.db")).unwrap()
    }

    /// A mail that arrives at `received`, is acknowledged, and, with `closed`, is reviewed,
    /// answered and closed that day. Every mail queued is sent (to a directory) at once.
    fn complaint(&self, n: u32, received: DateTime<Utc>, closed: Option<DateTime<Utc>>) -> Ticket {
        let mut store = self.store();
        let outcome =
            support::offline::arrive(&self.pipeline, &mut store, &mail(n, received), received);
        let pengaduan::app::ingest::Outcome::New { ticket, .. } = outcome else {
            panic!("{outcome:?}");
        };
        self.send(received);
        if let Some(day) = closed {
            let p = &self.pipeline;
            p.review(&mut store, &ticket, "rapat unit", "rina", day)
                .unwrap();
            p.answer(
                &mut store,
                &ticket,
                "Loket kedua sudah dibuka.",
                "rina",
                day,
            )
            .unwrap();
            self.send(day);
            p.close(
                &mut store,
                &ticket,
                Some(CloseOutcome::Puas),
                Some(Heard::Telepon),
                "rina",
                day,
            )
            .unwrap();
        }
        ticket
    }

    fn send(&self, now: DateTime<Utc>) {
        let shared = SharedStore::new(self.store());
        let out = Transport::Directory(self.dir.path().join("outbox"));
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(pengaduan::outbox::drain(&shared, &out, &Fixed(now)))
            .unwrap();
    }

    /// (raw bytes, text bytes, attachments listed) of the inbound mail, and raw bytes of
    /// the mail sent, for one ticket.
    fn held(&self, ticket: &Ticket) -> (i64, i64, i64, i64) {
        self.db()
            .query_row(
                "SELECT (SELECT sum(length(raw)) FROM messages WHERE complaint_id = c.id),
                        (SELECT sum(length(body_text)) FROM messages WHERE complaint_id = c.id),
                        (SELECT sum(json_array_length(attachments)) FROM messages WHERE complaint_id = c.id),
                        (SELECT coalesce(sum(length(raw)), 0) FROM outbox WHERE complaint_id = c.id)
                 FROM complaints c WHERE ticket = ?1",
                [ticket.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap()
    }

    fn events(&self, kind: &str) -> Vec<(String, String, String)> {
        let db = self.db();
        let mut stmt = db
            .prepare(
                "SELECT c.ticket, e.actor, e.detail FROM events e JOIN complaints c ON c.id = e.complaint_id
                 WHERE e.kind = ?1 ORDER BY e.id",
            )
            .unwrap();
        stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pengaduan"))
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{o:?}");
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Three complaints: closed in March 2020, closed in November 2026, and one from 2020
/// still open (answered, no reply yet).
fn three(r: &Register) -> (Ticket, Ticket, Ticket) {
    let old = r.complaint(1, at(2020, 3, 2), Some(at(2020, 3, 5)));
    let recent = r.complaint(2, at(2026, 11, 2), Some(at(2026, 11, 6)));
    let open = r.complaint(3, at(2020, 4, 6), None);
    let mut store = r.store();
    r.pipeline
        .review(&mut store, &open, "rapat", "rina", at(2020, 4, 7))
        .unwrap();
    r.pipeline
        .answer(
            &mut store,
            &open,
            "Sudah ditangani.",
            "rina",
            at(2020, 4, 8),
        )
        .unwrap();
    (old, recent, open)
}

#[test]
fn an_old_closed_complaint_loses_its_raw_mail_and_nothing_else() {
    let r = Register::new();
    let (old, recent, open) = three(&r);
    let before = |t: &Ticket| r.held(t);
    for t in [&old, &recent, &open] {
        let (raw, text, attachments, sent) = before(t);
        assert!(
            raw > 0 && text > 0 && attachments == 1 && sent > 0,
            "{t}: {:?}",
            before(t)
        );
    }
    let (open_before, recent_before) = (r.held(&open), r.held(&recent));
    let register_before: String = r
        .db()
        .query_row(
            "SELECT json_group_array(json_array(ticket, status, complainant_name, complainant_email, subject, body, plan, answer, received_at, closed_at)) FROM complaints",
            [],
            |row| row.get(0),
        )
        .unwrap();

    // Five years and a day after the old one closed; the open one is older still.
    let now = at(2025, 3, 6);
    let listed = retention::due_for_purge(&r.store(), now, 5).unwrap();
    assert_eq!(listed.iter().map(|h| h.ticket).collect::<Vec<_>>(), [old]);
    assert_eq!(listed[0].messages[0].attachments[0].0, "foto-1.jpg");
    assert!(
        retention::due_for_purge(&r.store(), at(2025, 3, 4), 5)
            .unwrap()
            .is_empty(),
        "a day early"
    );

    let purged = retention::purge(&mut r.store(), now, 5, "rina").unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!(
        r.held(&old),
        (0, 0, 0, 0),
        "raw, text, attachments and sent bytes gone"
    );
    assert_eq!(r.held(&recent), recent_before);
    assert_eq!(
        r.held(&open),
        open_before,
        "an open complaint is never touched"
    );
    let register_after: String = r
        .db()
        .query_row(
            "SELECT json_group_array(json_array(ticket, status, complainant_name, complainant_email, subject, body, plan, answer, received_at, closed_at)) FROM complaints",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(register_after, register_before, "the register rows stay");
    let events = r.events("purged");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].0.as_str(), events[0].1.as_str()),
        (old.to_string().as_str(), "rina")
    );
    assert!(
        events[0].2.contains("masa simpan 5 tahun"),
        "{}",
        events[0].2
    );
    assert!(
        r.events("status:closed_satisfied")
            .iter()
            .any(|e| e.0 == old.to_string()),
        "earlier events stay"
    );

    // `complaints show` still shows the case with its messages and history.
    let shown = stdout(&r.cli(&["complaints", "show", &old.to_string()]));
    assert!(
        shown.contains(&old.to_string()) && shown.contains("Keluhan nomor 1"),
        "{shown}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&r.cli(&[
        "complaints",
        "show",
        &old.to_string(),
        "--json",
    ])))
    .unwrap();
    assert!(json["messages"].as_array().unwrap().len() >= 2, "{json}");
    assert!(
        json["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "purged"),
        "{json}"
    );

    // Idempotent: a second purge, even years later, finds nothing more to delete.
    assert!(retention::purge(&mut r.store(), at(2026, 1, 1), 5, "rina")
        .unwrap()
        .is_empty());
    assert_eq!(r.events("purged").len(), 1);
}

#[test]
fn the_purge_command_lists_deletes_and_refuses_without_a_choice() {
    let r = Register::new();
    let (old, recent, open) = three(&r);
    // Neither flag, or both: a clear error, nothing deleted.
    for args in [
        &["purge"][..],
        &["purge", "--dry-run", "--yes", "--by", "rina"],
    ] {
        let out = r.cli(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("pilih tepat satu"), "{args:?}: {err}");
    }
    let out = r.cli(&["purge", "--yes"]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--by"),
        "{out:?}"
    );
    // Today (December 2026 or later) the 2020 closing is over five years old.
    let listed = stdout(&r.cli(&["purge", "--dry-run"]));
    assert!(
        listed.contains("AKAN DIHAPUS") && listed.contains(&old.to_string()),
        "{listed}"
    );
    assert!(
        listed.contains("foto-1.jpg") && listed.contains("retensi-1@example.test"),
        "{listed}"
    );
    assert!(
        !listed.contains(&recent.to_string()) && !listed.contains(&open.to_string()),
        "{listed}"
    );
    assert!(r.held(&old).0 > 0, "a dry run deletes nothing");
    let done = stdout(&r.cli(&["purge", "--yes", "--by", "rina"]));
    assert!(
        done.contains("DIHAPUS") && done.contains(&old.to_string()),
        "{done}"
    );
    assert!(
        done.contains("pengaduan backup"),
        "says how to shrink the file: {done}"
    );
    assert_eq!(r.held(&old).0, 0);
    assert!(r.held(&open).0 > 0 && r.held(&recent).0 > 0);
    let again = stdout(&r.cli(&["purge", "--yes", "--by", "rina"]));
    assert!(again.contains("Tidak ada surel mentah"), "{again}");
    assert!(stdout(&r.cli(&["purge", "--dry-run"])).contains("Tidak ada surel mentah"));
}
