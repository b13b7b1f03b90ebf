//! The announcement board's rows (`board_entries`) and what publishing needs to know about
//! a case. The public page reads [`Store::board_entries`] only: that query touches no other
//! table, so it cannot return a complainant's data.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{opt_time, opt_word, time, word, Store, Tx};
use crate::clock::to_db;
use crate::domain::{Status, Ticket};

/// A published entry, as staff wrote it.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub ticket: Option<Ticket>,
    /// `YYYY-MM` (WIB) of the complaint's receipt.
    pub month: String,
    pub unit: Option<String>,
    pub summary: String,
    pub followup: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

/// Everything a case holds that could identify its complainant, for the check that a
/// board text carries none of it, plus what the entry copies (unit, receipt).
#[derive(Debug, Clone)]
pub struct BoardCase {
    pub id: i64,
    pub ticket: Ticket,
    pub status: Status,
    pub unit: Option<String>,
    pub received_at: DateTime<Utc>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<String>,
    pub subject: String,
    pub body: String,
    pub messages: Vec<MessageFields>,
}

/// The personal fields of one inbound message of a case.
#[derive(Debug, Clone)]
pub struct MessageFields {
    pub from_name: Option<String>,
    pub from_email: Option<String>,
    pub subject: String,
    pub body_text: String,
}

/// A closed case as the board's management page lists it (staff only).
#[derive(Debug, Clone)]
pub struct ClosedCase {
    pub ticket: Ticket,
    pub status: Status,
    pub unit: Option<String>,
    pub subject: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub published: bool,
}

const ENTRY_COLUMNS: &str = "month, unit, summary, followup, published_by, published_at";

fn board_row(r: &rusqlite::Row<'_>, ticket: Option<Ticket>) -> rusqlite::Result<BoardRow> {
    Ok(BoardRow {
        ticket,
        month: r.get(0)?,
        unit: r.get(1)?,
        summary: r.get(2)?,
        followup: r.get(3)?,
        published_by: r.get(4)?,
        published_at: time(r, 5)?,
    })
}

impl Store {
    /// Every published entry, newest month first: this table alone, never `complaints`.
    pub fn board_entries(&self) -> Result<Vec<BoardRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM board_entries ORDER BY month DESC, published_at DESC"
        ))?;
        let rows = stmt.query_map([], |r| board_row(r, None))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The published entries with their tickets, for staff (to unpublish one).
    pub fn board_entries_with_tickets(&self) -> Result<Vec<BoardRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT b.month, b.unit, b.summary, b.followup, b.published_by, b.published_at, c.ticket
             FROM board_entries b JOIN complaints c ON c.id = b.complaint_id
             ORDER BY b.month DESC, b.published_at DESC",
        )?;
        let rows = stmt.query_map([], |r| board_row(r, opt_word(r, 6)?))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest `limit` closed cases, those closed as satisfied first.
    pub fn closed_cases(&self, limit: usize) -> Result<Vec<ClosedCase>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.ticket, c.status, c.unit, c.subject, c.closed_at, b.complaint_id IS NOT NULL
             FROM complaints c LEFT JOIN board_entries b ON b.complaint_id = c.id
             WHERE c.status IN ('closed_satisfied', 'referred', 'closed_without_reply', 'closed_without_answer')
             ORDER BY c.status = 'closed_satisfied' DESC, c.closed_at DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(ClosedCase {
                ticket: word(r, 0)?,
                status: word(r, 1)?,
                unit: r.get(2)?,
                subject: r.get(3)?,
                closed_at: opt_time(r, 4)?,
                published: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Tx<'_> {
    pub fn board_case(&self, ticket: &Ticket) -> Result<Option<BoardCase>> {
        let case = self
            .tx
            .query_row(
                "SELECT id, status, unit, received_at, complainant_name, complainant_email,
                        complainant_address, phones, subject, body
                 FROM complaints WHERE ticket = ?1",
                [ticket.to_string()],
                |r| {
                    let phones: String = r.get(7)?;
                    Ok(BoardCase {
                        id: r.get(0)?,
                        ticket: *ticket,
                        status: word(r, 1)?,
                        unit: r.get(2)?,
                        received_at: time(r, 3)?,
                        name: r.get(4)?,
                        email: r.get(5)?,
                        address: r.get(6)?,
                        phones: serde_json::from_str(&phones).unwrap_or_default(),
                        subject: r.get(8)?,
                        body: r.get(9)?,
                        messages: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut case) = case else {
            return Ok(None);
        };
        let mut stmt = self.tx.prepare(
            "SELECT from_name, from_email, subject, body_text FROM messages WHERE complaint_id = ?1",
        )?;
        case.messages = stmt
            .query_map([case.id], |r| {
                Ok(MessageFields {
                    from_name: r.get(0)?,
                    from_email: r.get(1)?,
                    subject: r.get(2)?,
                    body_text: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Some(case))
    }

    /// Publishes, or replaces what was published for the case.
    pub fn put_board_entry(&self, complaint_id: i64, e: &BoardRow) -> Result<()> {
        self.exec(
            &format!(
                "INSERT OR REPLACE INTO board_entries (complaint_id, {ENTRY_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ),
            params![
                complaint_id,
                e.month,
                e.unit,
                e.summary,
                e.followup,
                e.published_by,
                to_db(e.published_at)
            ],
        )?;
        Ok(())
    }

    /// False when nothing was published for the case.
    pub fn delete_board_entry(&self, complaint_id: i64) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM board_entries WHERE complaint_id = ?1",
            [complaint_id],
        )? > 0)
    }
}
