//! The daemon's own state for `check`, the digest, `/healthz`, the *Kondisi sistem* page
//! and the health alert: rows of the `health` table (one fact per key), the types those
//! facts are stored as, and the outbox's counts. Only the facts: what they mean is judged
//! in `crate::health`.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{get_health, put_health, Store, Tx};
use crate::clock::{from_db, to_db};
use crate::domain::Delivery;
use keys::{
    ALERT, DAEMON_STARTED, IMAP_BUDGET, IMAP_ERROR, IMAP_LIMIT, IMAP_OK, SMTP_ERROR, SMTP_OK,
    SMTP_PAUSE,
};

/// The keys of the `health` table.
pub mod keys {
    /// The last successful mailbox read (set by the watcher after every fetch round, at
    /// least every `idle_refresh_seconds`).
    pub const IMAP_OK: &str = "imap_ok";
    /// The last mailbox connection failure.
    pub const IMAP_ERROR: &str = "imap_error";
    /// When `run` began.
    pub const DAEMON_STARTED: &str = "daemon_started";
    /// `silent` while a mailbox alert is open, `ok` after recovery, its time when that
    /// changed.
    pub const ALERT: &str = "mailbox_alert";
    /// The server limits the account ([`super::ImapHold`] as JSON); removed by the next
    /// successful read.
    pub const IMAP_LIMIT: &str = "imap_limit";
    /// Fetching waits for the daily download budget ([`super::DownloadHold`] as JSON);
    /// removed when nothing waits.
    pub const IMAP_BUDGET: &str = "imap_budget";
    /// The last successful send.
    pub const SMTP_OK: &str = "smtp_ok";
    /// The last failed attempt (transient or permanent) with the recipient and the
    /// server's reply. SMTP is in trouble while it is newer than `smtp_ok`.
    pub const SMTP_ERROR: &str = "smtp_error";
    /// The whole outbox is held ([`super::Pause`] as JSON); removed by the first successful
    /// send after it.
    pub const SMTP_PAUSE: &str = "smtp_pause";
}

/// A limit the mail provider put on the account: nothing is tried before `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limited<C> {
    pub cause: C,
    /// The first refusal of this episode.
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Refusals in a row; each doubles the wait.
    pub strikes: u32,
    /// The server's last reply.
    pub reply: String,
}

/// The limits Gmail's IMAP server puts on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapLimit {
    /// `[OVERQUOTA] Account exceeded command or bandwidth limits` (about 2,500 MB a day).
    Bandwidth,
    /// `[ALERT] Too many simultaneous connections` (15 at most), and the
    /// `[AUTHENTICATIONFAILED]` that follows it for a while.
    Connections,
}

pub type ImapHold = Limited<ImapLimit>;

/// Fetching waits for the daily download budget (`[imap] daily_download_mb`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadHold {
    /// When the budget lets the next message through.
    pub until: DateTime<Utc>,
    /// A backfill waits; new messages wait.
    pub backfill: bool,
    pub new: usize,
}

/// Why the whole outbox waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseCause {
    DailyLimit,
    TooManyLogins,
}

/// The whole outbox waits until `until` (stored as JSON in `smtp_pause`).
pub type Pause = Limited<PauseCause>;

/// What the daemon knows of its own health, as stored (read by `Store::system_state`).
#[derive(Debug, Clone, Default)]
pub struct SystemState {
    pub mailbox_read_at: Option<DateTime<Utc>>,
    pub last_imap_error: Option<(String, DateTime<Utc>)>,
    pub smtp_sent_at: Option<DateTime<Utc>>,
    pub last_smtp_error: Option<(String, DateTime<Utc>)>,
    pub daemon_started_at: Option<DateTime<Utc>>,
    /// Since when an alert is open (`None`: no alert open).
    pub alert: Option<DateTime<Utc>>,
    pub outbox_pending: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
    pub outbox_failed: i64,
    /// The whole outbox waits (Gmail's daily limit, too many logins).
    pub smtp_pause: Option<Pause>,
    /// The IMAP server limits the account.
    pub imap_limit: Option<ImapHold>,
    pub download_hold: Option<DownloadHold>,
}

/// One outgoing mail as the *Kondisi sistem* page lists it (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub purpose: String,
    pub rcpt_to: String,
    pub subject: String,
    pub status: Delivery,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub complaint_id: Option<i64>,
}

impl Store {
    pub fn system_state(&self) -> Result<SystemState> {
        system_state(&self.conn)
    }
}

impl Tx<'_> {
    pub fn system_state(&self) -> Result<SystemState> {
        system_state(&self.tx)
    }

    pub fn set_health(&self, key: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
        put_health(&self.tx, key, value, now)
    }
}

fn system_state(conn: &Connection) -> Result<SystemState> {
    let at =
        |key| -> Result<Option<DateTime<Utc>>> { Ok(get_health(conn, key)?.map(|(_, at)| at)) };
    // Three searches of the outbox_due index (status first): a FILTER over the whole
    // table read every mail ever sent, body and all, on each health check and digest.
    let (pending, oldest_pending, failed): (i64, Option<String>, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'),
                (SELECT min(created_at) FROM outbox WHERE status = 'pending'),
                (SELECT count(*) FROM outbox WHERE status = 'failed')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(SystemState {
        mailbox_read_at: at(IMAP_OK)?,
        last_imap_error: get_health(conn, IMAP_ERROR)?,
        smtp_sent_at: at(SMTP_OK)?,
        last_smtp_error: get_health(conn, SMTP_ERROR)?,
        daemon_started_at: at(DAEMON_STARTED)?,
        alert: get_health(conn, ALERT)?
            .filter(|(v, _)| v == "silent")
            .map(|(_, at)| at),
        outbox_pending: pending,
        oldest_pending: oldest_pending.as_deref().and_then(from_db),
        outbox_failed: failed,
        smtp_pause: fact(conn, SMTP_PAUSE)?,
        imap_limit: fact(conn, IMAP_LIMIT)?,
        download_hold: fact(conn, IMAP_BUDGET)?,
    })
}

impl Store {
    /// A JSON fact of the `health` table; an unreadable one counts as none.
    pub fn health_fact<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        fact(&self.conn, key)
    }

    /// Writes a JSON fact, or removes it (`None`).
    pub fn set_health_fact<T: serde::Serialize>(
        &mut self,
        key: &str,
        value: Option<&T>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        match value {
            Some(v) => put_health(&self.conn, key, &serde_json::to_string(v)?, now),
            None => {
                self.conn
                    .execute("DELETE FROM health WHERE key = ?1", [key])?;
                Ok(())
            }
        }
    }

    /// Counts `bytes` downloaded at `now` into the hour they belong to, and forgets hours
    /// older than a day (the window the download budget looks at).
    pub fn add_download(&mut self, bytes: u64, now: DateTime<Utc>) -> Result<()> {
        let hour = to_db(hour_of(now));
        self.conn.execute(
            "INSERT INTO imap_download (hour, bytes) VALUES (?1, ?2)
             ON CONFLICT (hour) DO UPDATE SET bytes = bytes + ?2",
            rusqlite::params![hour, bytes as i64],
        )?;
        self.conn.execute(
            "DELETE FROM imap_download WHERE hour < ?1",
            [to_db(now - chrono::Duration::days(2))],
        )?;
        Ok(())
    }

    /// Bytes downloaded in the hours that began after `since`, and the first such hour.
    pub fn downloaded_since(&self, since: DateTime<Utc>) -> Result<(u64, Option<DateTime<Utc>>)> {
        let (bytes, first): (i64, Option<String>) = self.conn.query_row(
            "SELECT coalesce(sum(bytes), 0), min(hour) FROM imap_download WHERE hour > ?1",
            [to_db(since)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((bytes.max(0) as u64, first.as_deref().and_then(from_db)))
    }
}

/// The start of the hour `t` falls in.
fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// A JSON fact; an unreadable one (an older or hand-edited row) counts as none.
fn fact<T: serde::de::DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
    Ok(get_health(conn, key)?.and_then(|(v, _)| serde_json::from_str(&v).ok()))
}

/// The columns of an [`OutboxEntry`], in its order.
const ENTRY: &str =
    "id, purpose, rcpt_to, subject, status, attempts, last_error, next_attempt_at, \
                     created_at, complaint_id";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        let s: String = r.get(i)?;
        Ok(from_db(&s).unwrap_or_default())
    };
    Ok(OutboxEntry {
        id: r.get(0)?,
        purpose: r.get(1)?,
        rcpt_to: r.get(2)?,
        subject: r.get(3)?,
        status: super::word(r, 4)?,
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        next_attempt_at: time(7)?,
        created_at: time(8)?,
        complaint_id: r.get(9)?,
    })
}

/// At most this many mails are listed for a person to look at.
const ATTENTION_ROWS: usize = 200;

impl Store {
    /// The mail a person should look at: every failed mail (newest first), then the mail
    /// pending since before `waiting_since` (oldest first); at most 200. Both searches use
    /// the outbox_due index (status first).
    pub fn outbox_attention(&self, waiting_since: DateTime<Utc>) -> Result<Vec<OutboxEntry>> {
        let mut rows = Vec::new();
        for (sql, p) in [
            (
                format!(
                    "SELECT {ENTRY} FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT ?1"
                ),
                None,
            ),
            (
                format!(
                    "SELECT {ENTRY} FROM outbox WHERE status = 'pending' AND created_at < ?2 \
                     ORDER BY created_at, id LIMIT ?1"
                ),
                Some(to_db(waiting_since)),
            ),
        ] {
            let left = ATTENTION_ROWS - rows.len();
            let mut stmt = self.conn.prepare(&sql)?;
            let found = match p {
                None => stmt
                    .query_map(params![left as i64], entry)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                Some(since) => stmt
                    .query_map(params![left as i64, since], entry)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            rows.extend(found);
        }
        Ok(rows)
    }
}

impl Tx<'_> {
    /// One outgoing mail, without its body.
    pub fn outbox_entry(&self, id: i64) -> Result<Option<OutboxEntry>> {
        Ok(self
            .tx
            .query_row(
                &format!("SELECT {ENTRY} FROM outbox WHERE id = ?1"),
                [id],
                entry,
            )
            .optional()?)
    }

    /// Makes a failed mail due again at `now` (its attempts and last error stay, as
    /// history). False when the mail is not failed.
    pub fn retry_failed_mail(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n = self.tx.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1 AND status = 'failed'",
            params![id, to_db(now)],
        )?;
        Ok(n > 0)
    }
}
