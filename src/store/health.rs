//! The daemon's own state for `check`, the digest and the health alert: rows of the
//! `health` table (one fact per key) and the outbox's counts.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{get_health, put_health, Store, Tx};
use crate::clock::{from_db, to_db};
use crate::health::{
    SystemState, ALERT, DAEMON_STARTED, IMAP_BUDGET, IMAP_ERROR, IMAP_LIMIT, IMAP_OK,
};
use crate::outbox::{SMTP_ERROR, SMTP_OK, SMTP_PAUSE};

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
