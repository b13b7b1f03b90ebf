//! The daemon's own state for `check`, the digest and the health alert: rows of the
//! `health` table (one fact per key) and the outbox's counts.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::{get_health, put_health, Store, Tx};
use crate::clock::from_db;
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
    // A JSON fact; an unreadable one (an older or hand-edited row) counts as none.
    fn fact<T: serde::de::DeserializeOwned>(conn: &Connection, key: &str) -> Result<Option<T>> {
        Ok(get_health(conn, key)?.and_then(|(v, _)| serde_json::from_str(&v).ok()))
    }
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
