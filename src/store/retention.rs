//! Retention (`pengaduan purge`): which closed complaints still hold raw mail, and deleting
//! it. What goes: each inbound message's raw bytes (headers, body, every attachment's
//! data), its extracted text and its attachment list, and the stored bytes of mail we sent
//! about the case (sent or failed, never one still waiting). What stays: the complaint row
//! (the register: name, address, phones, subject, the text as registered, plan, answer,
//! dates, status), each message's envelope (Message-ID, date, sender, subject, class, size),
//! the outbox rows' metadata, and every event.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{opt_time, time, word, Store, Tx};
use crate::clock::to_db;
use crate::domain::{Status, Ticket};

/// A closed complaint whose raw mail is still stored, with what a purge would delete.
#[derive(Debug, Clone, Serialize)]
pub struct RawHolding {
    #[serde(skip)]
    pub id: i64,
    pub ticket: Ticket,
    pub status: Status,
    pub closed_at: Option<DateTime<Utc>>,
    pub messages: Vec<RawMessage>,
    /// Mail we sent about the case whose bytes are kept: how many, how large.
    pub sent_mails: i64,
    pub sent_bytes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RawMessage {
    pub message_id: String,
    pub received_at: DateTime<Utc>,
    pub size: i64,
    /// Attachment file names with their sizes in bytes.
    pub attachments: Vec<(String, i64)>,
}

impl RawHolding {
    pub fn bytes(&self) -> i64 {
        self.messages.iter().map(|m| m.size).sum::<i64>() + self.sent_bytes
    }
}

/// The attachment list as `ingest` stores it (JSON objects with `name` and `size`).
fn attachment_list(json: &str) -> Vec<(String, i64)> {
    let list: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    list.iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["size"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

impl Store {
    /// Complaints closed before `closed_before` whose raw mail was not purged yet: an
    /// index search of `complaints_closed`. Open ones are returned too if their
    /// `closed_at` qualifies; the caller's decision (`app::retention::due`) drops them.
    pub fn raw_holdings(&self, closed_before: DateTime<Utc>) -> Result<Vec<RawHolding>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, ticket, status, closed_at FROM complaints
             WHERE closed_at IS NOT NULL AND closed_at < ?1 AND purged_at IS NULL ORDER BY closed_at",
        )?;
        let cases = stmt
            .query_map([to_db(closed_before)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    word::<Ticket>(r, 1)?,
                    word::<Status>(r, 2)?,
                    opt_time(r, 3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut messages = self.conn.prepare(
            "SELECT message_id, received_at, length(raw), attachments FROM messages
             WHERE complaint_id = ?1 AND length(raw) > 0 ORDER BY received_at",
        )?;
        let mut sent = self.conn.prepare(
            "SELECT count(*), coalesce(sum(length(raw)), 0) FROM outbox
             WHERE complaint_id = ?1 AND status IN ('sent', 'failed') AND length(raw) > 0",
        )?;
        let mut out = Vec::new();
        for (id, ticket, status, closed_at) in cases {
            let list = messages
                .query_map([id], |r| {
                    Ok(RawMessage {
                        message_id: r.get(0)?,
                        received_at: time(r, 1)?,
                        size: r.get(2)?,
                        attachments: attachment_list(&r.get::<_, String>(3)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let (sent_mails, sent_bytes) = sent.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            out.push(RawHolding {
                id,
                ticket,
                status,
                closed_at,
                messages: list,
                sent_mails,
                sent_bytes,
            });
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// Deletes the raw mail of one complaint (see the module comment for what stays) and
    /// stamps `purged_at`.
    pub fn purge_raw(&self, complaint_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE messages SET raw = x'', body_text = '', attachments = '[]'
             WHERE complaint_id = ?1",
            [complaint_id],
        )?;
        self.exec(
            "UPDATE outbox SET raw = x'' WHERE complaint_id = ?1 AND status IN ('sent', 'failed')",
            [complaint_id],
        )?;
        self.exec(
            "UPDATE complaints SET purged_at = ?2 WHERE id = ?1",
            params![complaint_id, to_db(now)],
        )?;
        Ok(())
    }
}
