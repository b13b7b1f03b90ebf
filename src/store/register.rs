//! The register's SQL: the facts of every complaint received in a span of time, from every
//! channel, with what the events say was done when. One query; `reports::register` turns
//! the facts into rows.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{Store, Tx};
use crate::clock::{from_db, to_db};
use crate::domain::{Channel, Heard, Kind, Status, Ticket};

/// A complaint as the register needs it (`reports::register` turns it into a row).
#[derive(Debug, Clone)]
pub struct Facts {
    pub ticket: Ticket,
    pub status: Status,
    pub kind: Kind,
    pub channel: Channel,
    /// The SP4N-LAPOR! report number (channel `lapor` only).
    pub lapor_number: Option<String>,
    pub unit: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub subject: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub ack_due: DateTime<Utc>,
    pub review_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    /// When the acknowledgement reached the SMTP server (`ack_sent` event).
    pub ack_sent_at: Option<DateTime<Utc>>,
    pub plan: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// When staff recorded the answer (the mail may still wait in the outbox).
    pub answered_at: Option<DateTime<Utc>>,
    /// When the SMTP server accepted the answer, or staff recorded one given without
    /// mail: the answer counts from here.
    pub answer_sent_at: Option<DateTime<Utc>>,
    /// How the complainant's satisfaction or dissatisfaction was heard.
    pub satisfaction_heard: Option<Heard>,
    /// When the case was referred to the Dinas Kesehatan (`status:referred` event).
    pub referred_at: Option<DateTime<Utc>>,
}

/// The body is only summarised in the register; reading a few hundred characters keeps a
/// year of long mails out of memory.
const BODY_CHARS: usize = 400;

impl Store {
    /// Complaints received in `[start, end)`, oldest first.
    pub fn register_facts(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Facts>> {
        register_facts(&self.conn, start, end)
    }
}

impl Tx<'_> {
    pub fn register_facts(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Facts>> {
        register_facts(&self.tx, start, end)
    }
}

fn register_facts(
    conn: &Connection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Facts>> {
    // A search of complaints_received; the two event times come from events_complaint.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.ticket, c.status, c.kind, c.channel, c.unit, c.complainant_name,
                c.complainant_address, c.phones, c.complainant_email, c.subject,
                substr(c.body, 1, {BODY_CHARS}), c.received_at, c.ack_due, c.review_due,
                c.answer_due, c.ack_sent_at, c.plan,
                -- The first review, not the last revision of the plan.
                coalesce((SELECT min(e.at) FROM events e
                           WHERE e.complaint_id = c.id AND e.kind = 'plan'), c.reviewed_at),
                c.answer, c.answered_at,
                (SELECT min(e.at) FROM events e
                  WHERE e.complaint_id = c.id AND e.kind = 'status:referred'),
                c.lapor_number, c.answer_sent_at, c.satisfaction_heard
           FROM complaints c
          WHERE c.received_at >= ?1 AND c.received_at < ?2
          ORDER BY c.received_at, c.ticket"
    ))?;
    let rows = stmt.query_map(params![to_db(start), to_db(end)], |r| {
        let text = |i: usize| r.get::<_, String>(i);
        let opt = |i: usize| r.get::<_, Option<String>>(i);
        Ok((
            [text(0)?, text(1)?, text(2)?, text(3)?],
            [opt(4)?, opt(5)?, opt(6)?],
            text(7)?,
            opt(8)?,
            [text(9)?, text(10)?],
            [text(11)?, text(12)?, text(13)?, text(14)?],
            [opt(15)?, opt(16)?, opt(17)?, opt(18)?, opt(19)?, opt(20)?],
            opt(21)?,
            [opt(22)?, opt(23)?],
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            [ticket, status, kind, channel],
            [unit, name, address],
            phones,
            email,
            [subject, body],
            times,
            later,
            lapor_number,
            [answer_sent, heard],
        ) = row?;
        let at =
            |s: &str| from_db(s).with_context(|| format!("{ticket}: unreadable timestamp {s:?}"));
        let maybe = |s: &Option<String>| s.as_deref().map(at).transpose();
        let [ack_sent, plan, reviewed, answer, answered, referred] = later;
        out.push(Facts {
            status: status
                .parse()
                .with_context(|| format!("{ticket}: status"))?,
            kind: kind.parse().with_context(|| format!("{ticket}: kind"))?,
            channel: channel
                .parse()
                .with_context(|| format!("{ticket}: channel"))?,
            lapor_number,
            unit,
            name,
            address,
            phones: serde_json::from_str(&phones).unwrap_or_default(),
            email,
            subject,
            body,
            received_at: at(&times[0])?,
            ack_due: at(&times[1])?,
            review_due: at(&times[2])?,
            answer_due: at(&times[3])?,
            ack_sent_at: maybe(&ack_sent)?,
            plan,
            reviewed_at: maybe(&reviewed)?,
            answer,
            answered_at: maybe(&answered)?,
            answer_sent_at: maybe(&answer_sent)?,
            satisfaction_heard: heard
                .as_deref()
                .map(str::parse)
                .transpose()
                .with_context(|| format!("{ticket}: satisfaction_heard"))?,
            referred_at: maybe(&referred)?,
            ticket: ticket
                .parse()
                .with_context(|| format!("column ticket holds {ticket:?}"))?,
        });
    }
    Ok(out)
}
