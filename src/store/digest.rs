//! The digest's SQL: the complaints it reports on, whether today's digest is queued, and
//! the time of the last one (a row in `health`, key `last_digest`).

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{time, word, Store, Tx};
use crate::clock::to_db;
use crate::domain::{Kind, Status, Ticket};

/// The health key that holds the time of the last queued digest.
pub const LAST_DIGEST: &str = "last_digest";

/// A complaint as the digest needs it (`digest::build`).
#[derive(Debug, Clone)]
pub struct DigestCase {
    pub ticket: Ticket,
    pub status: Status,
    pub kind: Kind,
    pub unit: Option<String>,
    pub complainant_name: Option<String>,
    pub complainant_email: Option<String>,
    pub subject: String,
    pub received_at: DateTime<Utc>,
    pub ack_due: DateTime<Utc>,
    pub review_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    pub attention: Option<String>,
    /// The acknowledgement's outbox row ended `failed`.
    pub ack_failed: bool,
    /// The acknowledgement waits in the outbox (not yet accepted by the SMTP server).
    pub ack_pending: bool,
    /// An answer mail was queued and the SMTP server has not accepted it (pending or
    /// failed): not answered yet.
    pub answer_unsent: bool,
}

impl Store {
    /// Open complaints, complaints received after `since`, and complaints waiting for a person.
    pub fn digest_cases(&self, since: DateTime<Utc>) -> Result<Vec<DigestCase>> {
        digest_cases(&self.conn, since)
    }

    /// When the last digest was queued.
    pub fn last_digest(&self) -> Result<Option<DateTime<Utc>>> {
        last_digest(&self.conn)
    }
}

impl Tx<'_> {
    pub fn digest_cases(&self, since: DateTime<Utc>) -> Result<Vec<DigestCase>> {
        digest_cases(&self.tx, since)
    }

    pub fn last_digest(&self) -> Result<Option<DateTime<Utc>>> {
        last_digest(&self.tx)
    }

    /// True when a mail with this idempotency key is in the outbox, whatever its status.
    pub fn outbox_has(&self, idem_key: &str) -> Result<bool> {
        Ok(self.row(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE idem_key = ?1)",
            [idem_key],
            |r| r.get(0),
        )?)
    }

    /// Records that the digest `value` (its idempotency key) was queued at `now`.
    pub fn record_digest(&self, value: &str, now: DateTime<Utc>) -> Result<()> {
        super::put_health(&self.tx, LAST_DIGEST, value, now)
    }
}

fn last_digest(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    Ok(super::get_health(conn, LAST_DIGEST)?.map(|(_, at)| at))
}

fn digest_cases(conn: &Connection, since: DateTime<Utc>) -> Result<Vec<DigestCase>> {
    // Open complaints, recent ones, and ones waiting for a person, each found by an index
    // search (complaints_status, complaints_received, complaints_attention), so the closed
    // bulk of the register is never read. Written as one IN over three searches because
    // with a plain OR SQLite prefers to walk the whole table in (year, seq) order.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.ticket, c.status, c.kind, c.unit, c.complainant_name, c.complainant_email,
                c.subject, c.received_at, c.review_due, c.answer_due, c.attention,
                EXISTS (SELECT 1 FROM outbox o
                        WHERE o.complaint_id = c.id AND o.purpose = 'ack' AND o.status = 'failed'),
                c.ack_due,
                EXISTS (SELECT 1 FROM outbox o
                        WHERE o.complaint_id = c.id AND o.purpose = 'ack' AND o.status = 'pending'),
                EXISTS (SELECT 1 FROM outbox o
                        WHERE o.complaint_id = c.id AND o.purpose = 'answer' AND o.status != 'sent')
         FROM complaints c
         WHERE c.id IN ({}
                        UNION ALL SELECT id FROM complaints WHERE attention IS NOT NULL)
         ORDER BY c.year, c.seq",
        super::open_or_since_ids("?1")
    ))?;
    let rows = stmt.query_map(params![to_db(since)], |r| {
        Ok(DigestCase {
            ticket: word(r, 0)?,
            status: word(r, 1)?,
            kind: word(r, 2)?,
            unit: r.get(3)?,
            complainant_name: r.get(4)?,
            complainant_email: r.get(5)?,
            subject: r.get(6)?,
            received_at: time(r, 7)?,
            review_due: time(r, 8)?,
            answer_due: time(r, 9)?,
            attention: r.get(10)?,
            ack_failed: r.get(11)?,
            ack_due: time(r, 12)?,
            ack_pending: r.get(13)?,
            answer_unsent: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
