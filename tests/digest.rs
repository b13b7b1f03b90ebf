//! The staff daily digest on a real SQLite file with a fixed clock: 50 open complaints
//! registered through `Pipeline::ingest`, the digest rendered (text and HTML) and queued
//! once per day. `WRITE_DIGEST_EXAMPLES=1 cargo test --test digest` rewrites
//! docs/examples/digest-50.{txt,html} from this run.

mod support;

use support::offline;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::ingest::{Arrival, Outcome};
use pengaduan::app::Pipeline;
use pengaduan::domain::Ticket;
use pengaduan::store::{MailboxPosition, Store};

fn setup(dir: &Path, team: &str) -> (Pipeline, Store) {
    offline::pipeline(dir, &format!("[recipients]\ntim_pengaduan = [{team}]\n"))
}

/// Monday 23 November 2026, 07:00 WIB: the digest's morning.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

const SUBJECTS: &[&str] = &[
    "Antrean pendaftaran terlalu lama",
    "Obat hipertensi kosong di apotek",
    "Toilet ruang tunggu kotor",
    "Jadwal imunisasi balita",
    "Dokter poli umum datang terlambat",
];

/// 50 complaints, one every 2 hours before `now()` (the oldest first, so it gets 0001).
fn register_50(p: &Pipeline, s: &mut Store) -> Vec<Ticket> {
    let mut tickets = Vec::new();
    for i in (1..=50).rev() {
        let at = now() - Duration::hours(2 * i);
        let subject = if i == 7 {
            "<script>alert(1)</script> pelayanan kasar".to_string()
        } else {
            SUBJECTS[i as usize % SUBJECTS.len()].to_string()
        };
        let raw = format!(
            "From: Warga {i} <warga{i}@example.test>\r\nTo: kademangan.puskesmas@gmail.com\r\n\
             Subject: {subject}\r\nMessage-ID: <digest-{i}@example.test>\r\n\r\n\
             Mohon ditindaklanjuti. {subject}.\r\n"
        );
        let outcome = p
            .ingest(
                s,
                &Arrival {
                    raw: raw.as_bytes(),
                    position: MailboxPosition::default(),
                    received_at: at,
                    historical: false,
                },
                at,
            )
            .unwrap();
        match outcome {
            Outcome::New { ticket, .. } => tickets.push(ticket),
            other => panic!("complaint {i} was not registered: {other:?}"),
        }
    }
    tickets
}

fn pending_mails(s: &Store) -> i64 {
    s.outbox_counts()
        .unwrap()
        .into_iter()
        .find(|(status, _)| status == "pending")
        .map(|(_, n)| n)
        .unwrap_or(0)
}

#[test]
fn digest_of_50_open_complaints() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path(), "\"tim@example.test\", \"kapus@example.test\"");
    let tickets = register_50(&p, &mut s);
    assert_eq!(tickets.len(), 50);

    // The oldest complaint's acknowledgement failed for good.
    let row = s
        .claim_due_mail(now(), now() + Duration::minutes(5))
        .unwrap()
        .unwrap();
    s.mark_failed(&row, now(), "550 mailbox unavailable")
        .unwrap();
    // The other acknowledgements went out.
    while let Some(row) = s
        .claim_due_mail(now(), now() + Duration::minutes(5))
        .unwrap()
    {
        s.mark_sent(&row, now()).unwrap();
    }
    // Two were reviewed: their next deadline is the answer (14 hari kerja), not overdue.
    for t in ["ADU-2026-0003", "ADU-2026-0020"] {
        let t: Ticket = t.parse().unwrap();
        p.review(&mut s, &t, "Dibahas dengan unit terkait", "Bu Rina", now())
            .unwrap();
    }

    let digest = p.digest(&s, now()).unwrap();
    assert!(digest.first, "no digest was sent before");
    assert_eq!(digest.summary.open, 50);
    // Received within the last 24 h: 2, 4, ..., 22 hours ago.
    assert_eq!(digest.summary.new, 11);
    assert!(!digest.nothing_new);
    // Review (3x24 jam) passed for those received more than 72 h ago (74..100 h: 14),
    // less the reviewed ADU-2026-0003.
    assert_eq!(digest.summary.overdue, 13);
    assert_eq!(digest.open.len(), 50);
    assert_eq!(digest.open[0].ticket, "ADU-2026-0001");
    assert!(digest.open[0].overdue);
    assert!(digest.open[..13].iter().all(|c| c.overdue));
    assert!(digest.open[13..].iter().all(|c| !c.overdue));
    assert_eq!(digest.open.last().unwrap().deadline_kind, "jawaban");
    assert_eq!(digest.ack_failed.len(), 1);
    assert_eq!(digest.ack_failed[0].ticket, "ADU-2026-0001");

    let r = p.render_digest(&digest).unwrap();
    assert!(r.subject.contains("11 baru"), "{}", r.subject);
    assert!(r.subject.contains("50 terbuka"), "{}", r.subject);
    assert!(r.subject.contains("13 lewat batas"), "{}", r.subject);
    assert!(r.text.contains("50 pengaduan terbuka"), "{}", r.text);
    assert!(
        r.text
            .contains("(1 baru diterima, 47 sudah diberi tanda terima, 2 sudah ditelaah)"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("11 baru, 13 lewat batas waktu"),
        "{}",
        r.text
    );
    assert!(r.text.contains("Senin, 23 November 2026 pukul 07.00 WIB"));
    assert!(!r.text.contains("Tidak ada pengaduan baru"));
    let open_section = r.text.split("== PENGADUAN TERBUKA").nth(1).unwrap();
    let first_line = open_section.lines().nth(1).unwrap();
    assert!(
        first_line.starts_with("[!] ADU-2026-0001"),
        "overdue ticket first: {first_line}"
    );
    assert!(open_section.contains("LEWAT BATAS telaah"));
    assert!(r.text.contains("ADU-2026-0001 TANDA TERIMA GAGAL TERKIRIM"));
    // Text is not escaped; HTML is.
    assert!(r.text.contains("<script>alert(1)</script> pelayanan kasar"));
    assert!(r
        .html
        .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; pelayanan kasar"));
    assert!(!r.html.contains("<script>"), "unescaped script in HTML");
    assert!(r.html.contains("50 pengaduan terbuka"));
    let html_first = r.html.split("<h2").nth(3).unwrap();
    assert!(
        html_first.find("ADU-2026-0001") < html_first.find("ADU-2026-0002"),
        "overdue ticket first in HTML"
    );

    if std::env::var_os("WRITE_DIGEST_EXAMPLES").is_some_and(|v| v == "1") {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples");
        std::fs::create_dir_all(&out).unwrap();
        let text = format!("Subjek: {}\n\n{}\n", r.subject.trim(), r.text.trim_end());
        std::fs::write(out.join("digest-50.txt"), text).unwrap();
        std::fs::write(out.join("digest-50.html"), &r.html).unwrap();
    }

    // Queued once per WIB day, whatever the number of calls.
    let before = pending_mails(&s);
    let key = p.queue_digest(&mut s, now()).unwrap();
    assert_eq!(key.as_deref(), Some("digest:2026-11-23"));
    assert_eq!(pending_mails(&s), before + 1);
    let later = now() + Duration::hours(10); // 17:00 WIB, same day
    assert_eq!(p.queue_digest(&mut s, later).unwrap(), None);
    assert_eq!(pending_mails(&s), before + 1);
    assert_eq!(s.last_digest().unwrap(), Some(now()));

    // The next morning nothing arrived: the digest says so, and goes out again.
    let tomorrow = now() + Duration::days(1);
    let next = p.digest(&s, tomorrow).unwrap();
    assert!(next.nothing_new && !next.first);
    let r = p.render_digest(&next).unwrap();
    assert!(r
        .text
        .contains("Tidak ada pengaduan baru sejak ringkasan terakhir"));
    assert!(r
        .html
        .contains("Tidak ada pengaduan baru sejak ringkasan terakhir"));
    assert_eq!(
        p.queue_digest(&mut s, tomorrow).unwrap().as_deref(),
        Some("digest:2026-11-24")
    );
    assert_eq!(pending_mails(&s), before + 2);
}

#[test]
fn digest_needs_the_team_address() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path(), "");
    let e = p.queue_digest(&mut s, now()).unwrap_err();
    assert!(e.to_string().contains("recipients.tim_pengaduan"), "{e:#}");
    assert_eq!(pending_mails(&s), 0);
    // The dry run needs no recipient.
    let d = p.digest(&s, now()).unwrap();
    assert!(d.nothing_new);
    let r = p.render_digest(&d).unwrap();
    assert!(r
        .text
        .contains("Tidak ada pengaduan baru sejak ringkasan terakhir"));
}
