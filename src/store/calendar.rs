//! What the deadline recomputation reads and writes (issue 17, invariant 11): the
//! calendar the deadlines were last computed with, the complaints whose answer deadline
//! still matters, and the deadline itself.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{time, word, Store, Tx};
use crate::calendar::CalendarSnapshot;
use crate::clock::to_db;
use crate::domain::Ticket;

/// `(id, ticket, received, answer deadline)` of a complaint.
pub type AnswerDeadline = (i64, Ticket, DateTime<Utc>, DateTime<Utc>);

/// The complaints whose answer has not gone out yet (not answered, or answered with the
/// mail still in the outbox): their deadline still follows the calendar. A complaint whose
/// answer was sent, or a closed one, keeps the deadline that was in force (the status
/// index serves this).
fn answer_deadlines(conn: &Connection) -> Result<Vec<AnswerDeadline>> {
    let mut stmt = conn.prepare(
        "SELECT id, ticket, received_at, answer_due FROM complaints
         WHERE status IN ('received', 'acknowledged', 'reviewed')
            OR (status = 'answered' AND answer_sent_at IS NULL)
         ORDER BY id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, word(r, 1)?, time(r, 2)?, time(r, 3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

impl Store {
    /// [`answer_deadlines`], for the read-only faces (`check`, the digest, `/sistem`).
    pub fn answer_deadlines(&self) -> Result<Vec<AnswerDeadline>> {
        answer_deadlines(&self.conn)
    }
}

impl Tx<'_> {
    /// The calendar stored by the last recomputation; `None` before the first one.
    pub fn calendar_snapshot(&self) -> Result<Option<CalendarSnapshot>> {
        let text: Option<String> = self
            .tx
            .query_row(
                "SELECT snapshot FROM calendar_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| serde_json::from_str(&t).context("calendar_state.snapshot is not readable"))
            .transpose()
    }

    pub fn set_calendar_snapshot(
        &self,
        snapshot: &CalendarSnapshot,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.tx.execute(
            "INSERT INTO calendar_state (id, snapshot, updated_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at",
            params![serde_json::to_string(snapshot)?, to_db(now)],
        )?;
        Ok(())
    }

    /// [`answer_deadlines`] inside the transaction.
    pub fn answer_deadlines(&self) -> Result<Vec<AnswerDeadline>> {
        answer_deadlines(&self.tx)
    }

    pub fn set_answer_due(&self, id: i64, due: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE complaints SET answer_due = ?2 WHERE id = ?1",
            params![id, to_db(due)],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::super::schema::MIGRATIONS;

    /// The migration that keys answer notices by their deadline rewrites the keys of
    /// notices queued by the previous release with the deadline they were for, so none is
    /// queued again under the new key.
    #[test]
    fn older_answer_notice_keys_get_their_deadline() {
        let conn = Connection::open_in_memory().unwrap();
        let last = MIGRATIONS
            .iter()
            .position(|m| m.contains("CREATE TABLE calendar_state"))
            .unwrap();
        for step in &MIGRATIONS[..last] {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO complaints (id, ticket, year, seq, status, kind, channel, subject, body,
                received_at, ack_due, review_due, answer_due, created_at)
             VALUES (1, 'ADU-2026-0042', 2026, 42, 'acknowledged', 'pengaduan', 'email', 's', 'b',
                '2026-12-11T03:00:00.000Z', '2026-12-12T03:00:00.000Z', '2026-12-14T03:00:00.000Z',
                '2027-01-05T16:59:59.000Z', '2026-12-11T03:00:00.000Z');
             INSERT INTO outbox (idem_key, message_id, complaint_id, purpose, automatic, mail_from,
                rcpt_to, subject, raw, next_attempt_at, created_at)
             VALUES
              ('remind:ADU-2026-0042:answer:H-1', 'a@x', 1, 'reminder_answer', 1, 'f', 't', 's', x'00', 'n', 'c'),
              ('escalate:ADU-2026-0042:answer:2', 'b@x', 1, 'overdue_answer', 1, 'f', 't', 's', x'00', 'n', 'c'),
              ('remind:ADU-2026-0042:review:H-24h', 'c@x', 1, 'reminder_review', 1, 'f', 't', 's', x'00', 'n', 'c'),
              ('ack:ADU-2026-0042', 'd@x', 1, 'ack', 1, 'f', 't', 's', x'00', 'n', 'c');",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[last]).unwrap();
        let keys: Vec<String> = conn
            .prepare("SELECT idem_key FROM outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            keys,
            vec![
                "remind:ADU-2026-0042:answer:2027-01-05:H-1",
                "escalate:ADU-2026-0042:answer:2027-01-05:2",
                "remind:ADU-2026-0042:review:H-24h",
                "ack:ADU-2026-0042",
            ]
        );
    }
}
