//! The outbox's queries for Gmail's limits: the next mail by priority, the mail sent in the
//! sending window, the pause of the whole outbox, a claimed mail handed back untouched.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::health::keys::SMTP_PAUSE;
use super::{OutboxRow, Store, Tx};
use crate::clock::{from_db, to_db};

/// The outbox row purpose of the team's alert about a paused outbox.
pub const PAUSE_ALERT: &str = "outbox_alert";

/// Who a mail serves, in the order the outbox sends when it must choose: alerts about the
/// daemon itself (few: one per outage), then mail that carries a complaint forward (to the
/// complainant, or the referral to the Dinas Kesehatan), then the team's own reminders,
/// escalations and digests, which can wait a day without harm to a citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Alert = 0,
    Complainant = 1,
    Staff = 2,
}

/// Purposes that are not `Staff`; every other purpose (reminder_*, overdue_*,
/// ack_undelivered, digest, anything new) is.
const PRIORITIES: &[(&str, Priority)] = &[
    ("health", Priority::Alert),
    (PAUSE_ALERT, Priority::Alert),
    ("ack", Priority::Complainant),
    ("answer", Priority::Complainant),
    ("referred_notice", Priority::Complainant),
    ("referral", Priority::Complainant),
];

/// PURE: a purpose's priority.
pub fn priority(purpose: &str) -> Priority {
    PRIORITIES
        .iter()
        .find(|(p, _)| *p == purpose)
        .map_or(Priority::Staff, |(_, pr)| *pr)
}

/// The same table as an SQL expression over `purpose`, so the claim orders by it.
pub fn priority_sql() -> String {
    let arms: String = PRIORITIES
        .iter()
        .map(|(p, pr)| format!(" WHEN '{p}' THEN {}", *pr as u8))
        .collect();
    format!("CASE purpose{arms} ELSE {} END", Priority::Staff as u8)
}

impl Store {
    /// Claims the most urgent pending mail whose time has come, of priority `admitted` or
    /// more urgent ([`priority`]; oldest first within a priority): its next attempt
    /// moves to `lease`, so a second sender (another process, a restarted worker) does not
    /// take it too; if this sender dies, the mail is due again when the lease ends.
    pub fn claim_next_mail(
        &self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        admitted: Priority,
    ) -> Result<Option<OutboxRow>> {
        let rank = priority_sql();
        Ok(self
            .conn
            .query_row(
                &format!(
                    "UPDATE outbox SET next_attempt_at = ?2
                     WHERE id = (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                                   AND {rank} <= ?3
                                 ORDER BY {rank}, next_attempt_at, id LIMIT 1)
                     RETURNING id, message_id, complaint_id, purpose, mail_from, rcpt_to, raw, attempts"
                ),
                params![to_db(now), to_db(lease), admitted as u8],
                |r| {
                    let rcpt: String = r.get(5)?;
                    Ok(OutboxRow {
                        id: r.get(0)?,
                        message_id: r.get(1)?,
                        complaint_id: r.get(2)?,
                        purpose: r.get(3)?,
                        mail_from: r.get(4)?,
                        rcpt_to: rcpt.split(',').map(str::to_string).collect(),
                        raw: r.get(6)?,
                        attempts: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Mail sent after `since`, and when the oldest of it was sent (the partial index
    /// `outbox_sent` keeps this a short index range however long the outbox's history).
    pub fn sent_since(&self, since: DateTime<Utc>) -> Result<(u32, Option<DateTime<Utc>>)> {
        let (n, oldest): (u32, Option<String>) = self.conn.query_row(
            "SELECT count(*), min(sent_at) FROM outbox WHERE status = 'sent' AND sent_at > ?1",
            [to_db(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((n, oldest.as_deref().and_then(from_db)))
    }

    /// The pause of the whole outbox, if one is held (`outbox::Pause`, JSON in the `health`
    /// row `smtp_pause`).
    pub fn outbox_pause<P: serde::de::DeserializeOwned>(&self) -> Result<Option<P>> {
        self.health_fact(SMTP_PAUSE)
    }
}

impl Tx<'_> {
    /// Hands a claimed mail back as it was (Gmail refused the account, not this mail): due
    /// at once, no attempt counted, the server's reply kept for `complaints show`.
    pub fn release_mail(&self, row: &OutboxRow, now: DateTime<Utc>, reply: &str) -> Result<()> {
        self.tx.execute(
            "UPDATE outbox SET next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
            params![row.id, to_db(now), reply],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claim walks the priority index in order: no sort of the pending mail, however
    /// many acknowledgements a backlog queued.
    #[test]
    fn the_claim_follows_the_priority_index() {
        assert!(
            super::super::schema::MIGRATIONS
                .iter()
                .any(|m| m.contains(&priority_sql())),
            "the index must use priority_sql() word for word"
        );
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db")).unwrap();
        let rank = priority_sql();
        let plan: Vec<String> = store
            .conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                   AND {rank} <= ?3 ORDER BY {rank}, next_attempt_at, id LIMIT 1"
            ))
            .unwrap()
            .query_map(params!["", "", 2], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let plan = plan.join("; ");
        assert!(plan.contains("outbox_priority"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
