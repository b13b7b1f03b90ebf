//! A register generated straight into a real SQLite file (the schema `Store::open` made):
//! complaints from every channel and unit with acknowledgements, reviews, answers,
//! satisfaction replies and referrals at varied times, some late. Deterministic for a seed.
//! Used by tests/report.rs (a month of 200) and benches/reports.rs (a year of 100,000);
//! included with `#[path]`, not through support/mod.rs.

use chrono::{DateTime, Duration, Utc};
use pengaduan::calendar::Calendar;
use pengaduan::clock::to_db;
use pengaduan::workflow::intake::deadlines;
use rusqlite::{params, Connection};

pub const UNITS: [&str; 6] = [
    "pendaftaran",
    "farmasi",
    "poli umum",
    "poli gigi",
    "laboratorium",
    "KIA",
];
const CHANNELS: [&str; 7] = [
    "email",
    "email",
    "email",
    "telepon",
    "whatsapp",
    "kotak_saran",
    "langsung",
];

/// xorshift64*: a fixed sequence without a crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// `n` complaints received in `[start, start + days)`, ticket numbers from `first_seq`
/// in `year`.
pub struct Batch {
    pub year: i32,
    pub first_seq: u32,
    pub start: DateTime<Utc>,
    pub days: i64,
    pub n: usize,
}

/// Inserts a batch in one transaction. Returns how many were referred.
pub fn complaints(conn: &mut Connection, calendar: &Calendar, b: &Batch, rng: &mut Rng) -> usize {
    let Batch {
        year,
        first_seq,
        start,
        days,
        n,
    } = *b;
    let tx = conn.transaction().unwrap();
    let mut referred = 0;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO complaints (ticket, year, seq, status, kind, channel, unit,
                    complainant_email, complainant_name, complainant_address, phones, subject, body,
                    received_at, ack_due, review_due, answer_due, ack_sent_at, plan, reviewed_at,
                    answer, answered_at, closed_at, created_at, answer_sent_at, satisfaction_heard)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?14, ?22, ?24)",
            )
            .unwrap();
        let mut event = tx
            .prepare(
                "INSERT INTO events (complaint_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .unwrap();
        for i in 0..n {
            let seq = first_seq + i as u32;
            let ticket = format!("ADU-{year}-{seq:04}");
            // Office hours, 07:00–15:00 WIB (00:00–08:00 UTC), on any day.
            let received = start
                + Duration::days(rng.below(days as u64) as i64)
                + Duration::minutes(rng.below(8 * 60) as i64);
            let due = deadlines(received, calendar);
            let channel = CHANNELS[rng.below(CHANNELS.len() as u64) as usize];
            let kind = match rng.below(20) {
                0 => "saran",
                1 => "apresiasi",
                2 => "permintaan_informasi",
                _ => "pengaduan",
            };
            let unit = (!rng.chance(8)).then(|| UNITS[rng.below(UNITS.len() as u64) as usize]);
            let email = (channel == "email").then(|| format!("warga{seq}@example.test"));
            let ack = email.as_ref().map(|_| {
                received
                    + if rng.chance(92) {
                        Duration::minutes(1 + rng.below(50) as i64)
                    } else {
                        Duration::hours(25 + rng.below(20) as i64)
                    }
            });
            let reviewed = rng.chance(85).then(|| {
                received
                    + if rng.chance(85) {
                        Duration::hours(2 + rng.below(68) as i64)
                    } else {
                        Duration::hours(73 + rng.below(60) as i64)
                    }
            });
            let answered = reviewed.filter(|_| rng.chance(80)).map(|r| {
                if rng.chance(88) {
                    r + (due.answer_due - r) * (20 + rng.below(75) as i32) / 100
                } else {
                    due.answer_due + Duration::days(1 + rng.below(6) as i64)
                }
            });
            let status = match (reviewed, answered) {
                (None, _) if ack.is_some() => "acknowledged",
                (None, _) => "received",
                (Some(_), None) => "reviewed",
                (Some(_), Some(_)) => match rng.below(10) {
                    0..=4 => "closed_satisfied",
                    5 => "referred",
                    6 | 7 => "closed_without_reply",
                    _ => "answered",
                },
            };
            let closed = answered
                .filter(|_| {
                    matches!(
                        status,
                        "closed_satisfied" | "referred" | "closed_without_reply"
                    )
                })
                .map(|a| a + Duration::days(2));
            let t = |x: Option<DateTime<Utc>>| x.map(to_db);
            // Satisfaction said in the complainant's mail, or heard by staff; a referral
            // follows a mailed TIDAK PUAS (the event below).
            let heard = match status {
                "closed_satisfied" if email.is_some() && rng.chance(60) => Some("surel"),
                "closed_satisfied" => Some(if rng.chance(70) {
                    "telepon"
                } else {
                    "langsung"
                }),
                "referred" => Some("surel"),
                _ => None,
            };
            insert
                .execute(params![
                    ticket,
                    year,
                    seq,
                    status,
                    kind,
                    channel,
                    unit,
                    email,
                    format!("Warga {seq}"),
                    format!("Dusun Krajan RT {} Kademangan", seq % 9 + 1),
                    format!("[\"+62812{:07}\"]", seq),
                    format!("Keluhan pelayanan {}", unit.unwrap_or("umum")),
                    "Antrean lama dan petugas kurang ramah. Mohon ditindaklanjuti.",
                    to_db(received),
                    to_db(due.ack_due),
                    to_db(due.review_due),
                    to_db(due.answer_due),
                    t(ack),
                    reviewed.map(|_| "Rapat tim; perbaikan alur antrean."),
                    t(reviewed),
                    answered.map(|_| "Terima kasih; antrean kini dibagi dua loket."),
                    t(answered),
                    t(closed),
                    heard,
                ])
                .unwrap();
            let id = tx.last_insert_rowid();
            if let Some(r) = reviewed {
                event
                    .execute(params![id, to_db(r), "ella", "plan", "Rapat tim"])
                    .unwrap();
            }
            if status == "referred" {
                referred += 1;
                event
                    .execute(params![
                        id,
                        to_db(closed.unwrap()),
                        "warga",
                        "status:referred",
                        "pengadu menyatakan tidak puas"
                    ])
                    .unwrap();
            }
        }
    }
    tx.execute(
        "INSERT INTO ticket_seq (year, last) VALUES (?1, ?2)
         ON CONFLICT (year) DO UPDATE SET last = max(last, excluded.last)",
        params![year, i64::from(first_seq) + n as i64 - 1],
    )
    .unwrap();
    tx.commit().unwrap();
    referred
}
