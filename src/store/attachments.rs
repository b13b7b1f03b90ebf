//! The complaint page's extra reads: every mail of a case with what is needed to show it
//! whole (the inbound text and attachment list, the bytes of the mail we sent), one
//! stored message's raw bytes for an attachment download, and the complainant's other
//! complaints (same email address or telephone number).

use anyhow::Result;
use rusqlite::{params_from_iter, OptionalExtension};
use serde::Serialize;

use chrono::{DateTime, Utc};

use super::{opt_time, time, word, Store};
use crate::domain::{Kind, Status, Ticket};

/// One mail of a case, in or out, oldest first.
#[derive(Debug, Clone)]
pub struct ThreadMail {
    /// The row id in `messages` (inbound) or `outbox` (outbound).
    pub id: i64,
    pub inbound: bool,
    pub at: DateTime<Utc>,
    /// Inbound: the sender; outbound: our address.
    pub from: Option<String>,
    /// Outbound: the recipients (a JSON list as stored); inbound: none.
    pub to: Option<String>,
    pub subject: String,
    /// Inbound: the class (`complaint`, `reply`, `machine`, …); outbound: the purpose.
    pub class: String,
    /// Outbound: pending, sent or failed.
    pub delivery: Option<String>,
    /// Inbound: the text extracted when it arrived (HTML reduced to text); outbound: empty.
    pub text: String,
    /// Inbound: the attachment list as ingest stored it (JSON).
    pub attachments_json: String,
    /// Outbound: the stored mail, to show its text; empty once purged.
    pub raw_out: Vec<u8>,
    /// The raw bytes were deleted by `pengaduan purge` (retention).
    pub purged: bool,
}

/// A stored inbound message's bytes and where it belongs, for an attachment download.
#[derive(Debug, Clone)]
pub struct MessageBytes {
    pub raw: Vec<u8>,
    pub attachments_json: String,
    pub complaint_id: Option<i64>,
}

/// Another complaint of the same complainant.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedComplaint {
    pub ticket: Ticket,
    #[serde(serialize_with = "crate::clock::serialize_wib")]
    pub received_at: DateTime<Utc>,
    pub status: Status,
    pub kind: Kind,
    pub subject: String,
}

/// What the complaint page's case file needs of the complaint itself.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub id: i64,
    pub status: Status,
    pub kind: Kind,
    pub unit: Option<String>,
    pub complainant_email: Option<String>,
    /// E.164 numbers (the stored JSON list).
    pub phones: Vec<String>,
    /// When the answer went out (RFC 3339, UTC as stored); none before.
    pub answered_at: Option<DateTime<Utc>>,
    /// When `pengaduan purge` deleted the raw mail.
    pub purged_at: Option<DateTime<Utc>>,
}

/// At most this many other complaints are listed (the newest).
pub const RELATED_LIMIT: usize = 20;

impl Store {
    /// The complaint with ticket `ticket` (as stored), if it exists.
    pub fn case_facts(&self, ticket: &str) -> Result<Option<CaseFacts>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, status, kind, unit, complainant_email, phones, answered_at, purged_at
                 FROM complaints WHERE ticket = ?1",
                [ticket],
                |r| {
                    let phones: String = r.get(5)?;
                    Ok(CaseFacts {
                        id: r.get(0)?,
                        status: word(r, 1)?,
                        kind: word(r, 2)?,
                        unit: r.get(3)?,
                        complainant_email: r.get(4)?,
                        phones: serde_json::from_str(&phones).unwrap_or_default(),
                        answered_at: opt_time(r, 6)?,
                        purged_at: opt_time(r, 7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Every mail of complaint `complaint_id`, inbound and outbound, oldest first.
    pub fn thread_mails(&self, complaint_id: i64) -> Result<Vec<ThreadMail>> {
        let mut stmt = self.conn.prepare(
            "SELECT 1, id, received_at, from_email, NULL, subject, class, NULL, body_text,
                    attachments, x'', length(raw) = 0
               FROM messages WHERE complaint_id = ?1
             UNION ALL
             SELECT 0, id, coalesce(sent_at, created_at), mail_from, rcpt_to, subject, purpose,
                    status, '', '[]', raw, length(raw) = 0
               FROM outbox WHERE complaint_id = ?1
             ORDER BY 3, 2",
        )?;
        let rows = stmt.query_map([complaint_id], |r| {
            Ok(ThreadMail {
                inbound: r.get::<_, i64>(0)? == 1,
                id: r.get(1)?,
                at: time(r, 2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                subject: r.get(5)?,
                class: r.get(6)?,
                delivery: r.get(7)?,
                text: r.get(8)?,
                attachments_json: r.get(9)?,
                raw_out: r.get(10)?,
                purged: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The text of the stored message with Message-ID `message_id` (as extracted when it
    /// arrived), if it exists.
    pub fn message_text(&self, message_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT body_text FROM messages {}", super::BY_MESSAGE_ID),
                [message_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The raw bytes of inbound message `id` (row id), if it exists.
    pub fn message_bytes(&self, id: i64) -> Result<Option<MessageBytes>> {
        Ok(self
            .conn
            .query_row(
                "SELECT raw, attachments, complaint_id FROM messages WHERE id = ?1",
                [id],
                |r| {
                    Ok(MessageBytes {
                        raw: r.get(0)?,
                        attachments_json: r.get(1)?,
                        complaint_id: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Other complaints (not `except`) with the email address `email` (ignoring case) or
    /// one of `phones` (E.164, as stored), newest first, at most [`RELATED_LIMIT`] and one
    /// more (which tells the caller the list was cut). The
    /// address is a search of `complaints_email`; the phones a scan of the partial index
    /// `complaints_phones` (only complaints with a number), not of the table (schema).
    pub fn related_complaints(
        &self,
        except: i64,
        email: Option<&str>,
        phones: &[String],
    ) -> Result<Vec<RelatedComplaint>> {
        let Some((sql, values)) = related_query(except, email, phones) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(values.iter()), |r| {
            Ok(RelatedComplaint {
                ticket: word(r, 0)?,
                received_at: time(r, 1)?,
                status: word(r, 2)?,
                kind: word(r, 3)?,
                subject: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The SQL of [`Store::related_complaints`] and its parameters; `None`: nothing to match.
fn related_query(
    except: i64,
    email: Option<&str>,
    phones: &[String],
) -> Option<(String, Vec<String>)> {
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    // E.164 only: `+` and digits, so nothing in a LIKE pattern is a wildcard.
    let phones: Vec<&String> = phones
        .iter()
        .filter(|p| p.len() > 1 && p.bytes().all(|b| b == b'+' || b.is_ascii_digit()))
        .collect();
    if email.is_none() && phones.is_empty() {
        return None;
    }
    let mut values: Vec<String> = vec![except.to_string()];
    let mut parts = Vec::new();
    if let Some(e) = email {
        values.push(e.to_string());
        parts.push(format!(
            "SELECT id FROM complaints WHERE complainant_email IS NOT NULL \
                 AND lower(complainant_email) = lower(?{})",
            values.len()
        ));
    }
    if !phones.is_empty() {
        let mut likes = Vec::new();
        for p in phones {
            // The stored list is JSON: each number stands in quotes.
            values.push(format!("%\"{p}\"%"));
            likes.push(format!("phones LIKE ?{}", values.len()));
        }
        parts.push(format!(
            "SELECT id FROM complaints INDEXED BY complaints_phones \
                 WHERE phones != '[]' AND ({})",
            likes.join(" OR ")
        ));
    }
    let sql = format!(
        "SELECT ticket, received_at, status, kind, subject FROM complaints
             WHERE id IN ({}) AND id != ?1 ORDER BY received_at DESC, id DESC LIMIT {}",
        parts.join(" UNION "),
        RELATED_LIMIT + 1
    );
    Some((sql, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_complaints_by_address_or_phone_through_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db")).unwrap();
        let add = |n: i64, email: Option<&str>, phones: &str| {
            store
                .conn
                .execute(
                    "INSERT INTO complaints (ticket, year, seq, status, kind, channel, complainant_email,
                     phones, subject, body, received_at, ack_due, review_due, answer_due, created_at)
                     VALUES (?1, 2026, ?2, 'received', 'pengaduan', 'email', ?3, ?4, 's', 'b',
                     '2026-11-23T02:00:0' || ?2 || 'Z', 'x', 'x', 'x', 'x')",
                    rusqlite::params![format!("ADU-2026-000{n}"), n, email, phones],
                )
                .unwrap();
        };
        add(1, Some("siti@example.test"), "[\"+6281234567890\"]");
        add(2, Some("SITI@example.test"), "[]");
        add(3, None, "[\"+6285550001111\",\"+6281234567890\"]");
        add(4, Some("ani@example.test"), "[\"+6281234567899\"]");
        add(5, None, "[\"+62812345678\"]");
        let phones = vec!["+6281234567890".to_string()];
        let found = store
            .related_complaints(1, Some("siti@example.test"), &phones)
            .unwrap();
        let tickets: Vec<String> = found.iter().map(|r| r.ticket.to_string()).collect();
        assert_eq!(tickets, ["ADU-2026-0003", "ADU-2026-0002"], "newest first");
        let (sql, values) = related_query(1, Some("siti@example.test"), &phones).unwrap();
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let plan = stmt
            .query_map(params_from_iter(values.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap()
            .join("\n");
        assert!(plan.contains("INDEX complaints_email"), "{plan}");
        assert!(plan.contains("COVERING INDEX complaints_phones"), "{plan}");
        assert!(store.related_complaints(1, None, &[]).unwrap().is_empty());
        // Wildcards never reach the pattern.
        let odd = vec!["%".to_string(), "_".to_string()];
        assert!(store.related_complaints(1, None, &odd).unwrap().is_empty());
    }
}
