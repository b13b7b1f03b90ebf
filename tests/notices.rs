//! Reminders and escalations over five weeks of March–April 2026 (Nyepi, Idul Fitri, cuti
//! bersama, Good Friday), with a controlled clock on a real SQLite file: exactly which
//! notices are queued, once each, and what one run after a long downtime queues.

mod support;

use support::offline;

use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pengaduan::app::ingest::{Arrival, Outcome};
use pengaduan::app::Pipeline;
use pengaduan::domain::Ticket;
use pengaduan::store::{MailboxPosition, Store};

fn setup(dir: &Path) -> (Pipeline, Store) {
    offline::pipeline(
        dir,
        "[recipients]\ntim_pengaduan = [\"tim@example.test\"]\nkepala_puskesmas = [\"kapus@example.test\"]\ntim_mutu = [\"mutu@example.test\"]\n",
    )
}

/// WIB wall-clock time as UTC.
fn wib(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap() - Duration::hours(7)
}

/// Registers a complaint and records its acknowledgement as sent.
fn register(p: &Pipeline, s: &mut Store, id: &str, at: DateTime<Utc>) -> Ticket {
    let raw = format!("From: w@example.test\r\nSubject: Antrean lama\r\nMessage-ID: <{id}>\r\n\r\nMenunggu lama.\r\n");
    let Outcome::New { ticket, .. } = p
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
        .unwrap()
    else {
        panic!()
    };
    let row = s
        .claim_due_mail(at, at + Duration::minutes(2))
        .unwrap()
        .unwrap();
    s.mark_sent(&row, at).unwrap();
    ticket
}

fn notice_keys(s: &Store, t: &Ticket) -> Vec<String> {
    let c = s.complaint(t).unwrap().unwrap();
    s.events_of(c.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.detail.starts_with("pemberitahuan "))
        .map(|e| e.detail.split_whitespace().nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn five_weeks_hour_by_hour_then_one_run_after_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    // Thursday 12 March 2026, 10:00 WIB.
    let a = register(&p, &mut s, "a@x", wib(3, 12, 10));

    let mut now = wib(3, 12, 11);
    while now <= wib(4, 14, 12) {
        if now == wib(3, 16, 9) {
            p.review(&mut s, &a, "Tambah petugas loket pagi.", "Yetty", now)
                .unwrap();
        }
        p.queue_notices(&mut s, now).unwrap();
        now += Duration::hours(1);
    }
    let t = a.to_string();
    assert_eq!(
        notice_keys(&s, &a),
        vec![
            format!("remind:{t}:review:H-24h"), // Saturday 14 March 10:00, 24 h before the 72 h
            format!("escalate:{t}:review"),     // Sunday 15 March 10:00, no plan yet
            format!("remind:{t}:answer:2026-04-09:H-3"), // Monday 6 April: 6, 7, 8 April left
            format!("remind:{t}:answer:2026-04-09:H-1"), // Wednesday 8 April
            format!("escalate:{t}:answer:2026-04-09:1"), // Friday 10 April, due was Thursday 9 April
            format!("escalate:{t}:answer:2026-04-09:2"), // Monday 13 April (the weekend adds nothing)
            format!("escalate:{t}:answer:2026-04-09:3"), // Tuesday 14 April
        ]
    );
    // Who got what: reminders to the team, escalations to the head and the quality team.
    let counts = s.outbox_counts().unwrap();
    assert_eq!(
        counts,
        vec![("pending".to_string(), 7), ("sent".to_string(), 1)]
    );

    // The same complaint in a daemon that was down from 13 March to 14 April: one run
    // queues one notice per key due now, not one per missed tick.
    let b = register(&p, &mut s, "b@x", wib(3, 12, 10));
    p.queue_notices(&mut s, wib(3, 13, 9)).unwrap();
    assert!(notice_keys(&s, &b).is_empty());
    p.queue_notices(&mut s, wib(4, 14, 12)).unwrap();
    p.queue_notices(&mut s, wib(4, 14, 13)).unwrap();
    let u = b.to_string();
    assert_eq!(
        notice_keys(&s, &b),
        vec![
            format!("escalate:{u}:review"),
            format!("escalate:{u}:answer:2026-04-09:3")
        ]
    );
}

#[test]
fn an_answered_complaint_gets_no_more_notices() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut s) = setup(dir.path());
    let a = register(&p, &mut s, "a@x", wib(3, 12, 10));
    p.review(&mut s, &a, "rencana", "Ella", wib(3, 13, 9))
        .unwrap();
    p.answer(&mut s, &a, "jawaban", "Ella", wib(3, 13, 10))
        .unwrap();
    assert_eq!(p.queue_notices(&mut s, wib(4, 20, 9)).unwrap(), 0);
}
