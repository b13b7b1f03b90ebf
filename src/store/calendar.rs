//! What the deadline recomputation reads and writes (issue 17, invariant 11): the
//! calendar the deadlines were last computed with, the complaints whose answer deadline
//! still matters, and the deadline itself.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{time, word, Tx};
use crate::calendar::CalendarSnapshot;
use crate::clock::to_db;
use crate::domain::Ticket;

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

    pub fn set_calendar_snapshot(&self, snapshot: &CalendarSnapshot, now: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "INSERT INTO calendar_state (id, snapshot, updated_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at",
            params![serde_json::to_string(snapshot)?, to_db(now)],
        )?;
        Ok(())
    }

    /// `(id, ticket, received, answer deadline)` of the complaints whose answer has not
    /// gone out yet: their deadline still follows the calendar. An answered or closed
    /// complaint keeps the deadline that was in force (the status index serves this).
    pub fn answer_deadlines(&self) -> Result<Vec<(i64, Ticket, DateTime<Utc>, DateTime<Utc>)>> {
        let mut stmt = self.tx.prepare(
            "SELECT id, ticket, received_at, answer_due FROM complaints
             WHERE status IN ('received', 'acknowledged', 'reviewed') ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, word(r, 1)?, time(r, 2)?, time(r, 3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn set_answer_due(&self, id: i64, due: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE complaints SET answer_due = ?2 WHERE id = ?1",
            params![id, to_db(due)],
        )?;
        Ok(())
    }
}
