//! EDGE: the only module with SQL. One SQLite file in WAL mode; one transaction per decision.

pub mod accounts;
pub mod attachments;
mod backup;
pub mod board;
mod calendar;
mod digest;
pub mod health;
pub mod metrics;
mod notices;
mod outbox;
pub mod register;
pub mod retention;
mod schema;

pub use backup::restore;
pub use digest::DigestCase;
pub use outbox::{priority, priority_sql, Priority, PAUSE_ALERT};

use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::clock::{from_db, serialize_wib, serialize_wib_opt, to_db};
use crate::domain::{Channel, Delivery, Direction, Heard, Kind, MessageClass, Status, Ticket};

pub struct Store {
    conn: Connection,
}

/// Where a message came from in the mailbox; `None` fields for files and manual records.
#[derive(Debug, Clone, Default)]
pub struct MailboxPosition {
    pub mailbox: Option<String>,
    pub uidvalidity: Option<u32>,
    pub uid: Option<u32>,
}

#[derive(Clone, Copy)]
pub struct NewMessage<'a> {
    pub message_id: &'a str,
    pub position: &'a MailboxPosition,
    pub received_at: DateTime<Utc>,
    pub date_header: Option<DateTime<Utc>>,
    pub from_email: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub subject: &'a str,
    pub class: MessageClass,
    pub reason: Option<&'a str>,
    pub problems: &'a [String],
    pub complaint_id: Option<i64>,
    pub body_text: &'a str,
    pub attachments_json: &'a str,
    pub raw: &'a [u8],
}

pub struct NewComplaint<'a> {
    pub ticket: &'a Ticket,
    pub status: Status,
    pub kind: Kind,
    pub channel: Channel,
    /// The SP4N-LAPOR! report number (digits), for channel `lapor` only.
    pub lapor_number: Option<&'a str>,
    pub complainant_email: Option<&'a str>,
    pub complainant_name: Option<&'a str>,
    pub phones: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub received_at: DateTime<Utc>,
    pub ack_due: DateTime<Utc>,
    pub review_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
}

/// Which part of the register `list_complaints` gives.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFilter {
    /// Open complaints plus those received at or after this instant; `None`: every one.
    pub since: Option<DateTime<Utc>>,
    /// The newest this many of those at most; `None`: no limit.
    pub limit: Option<usize>,
}

impl ListFilter {
    /// The whole register.
    pub const ALL: ListFilter = ListFilter {
        since: None,
        limit: None,
    };
}

/// SQL giving the ids of open complaints and of those received after the timestamp
/// parameter `param`, as index searches (an OR of the two makes SQLite scan the table).
fn open_or_since_ids(param: &str) -> String {
    let open = Status::ALL
        .iter()
        .filter(|s| crate::workflow::state::is_open(**s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT id FROM complaints WHERE status IN ({open}) \
         UNION ALL SELECT id FROM complaints WHERE received_at >= {param}"
    )
}

/// What `register_lines` looks for (empty strings: no filter).
pub struct RegisterSearch<'a> {
    pub since: DateTime<Utc>,
    pub now: DateTime<Utc>,
    pub status: &'a str,
    pub unit: &'a str,
    pub channel: &'a str,
    pub kind: &'a str,
    /// Only those past their next deadline at `now`.
    pub overdue: bool,
    /// Lowercased words, each of which the ticket, name, email address, subject or
    /// SP4N-LAPOR! number contains.
    pub words: &'a [String],
    pub limit: usize,
}

/// The register page's column filters and search words as SQL (` AND …`), their values
/// appended to `args`.
fn register_filters(f: &RegisterSearch<'_>, args: &mut Vec<rusqlite::types::Value>) -> String {
    let mut sql = String::new();
    for (column, value) in [("unit", f.unit), ("channel", f.channel), ("kind", f.kind)] {
        if !value.is_empty() {
            args.push(value.to_string().into());
            sql.push_str(&format!(" AND {column} = ?{}", args.len()));
        }
    }
    for word in f.words {
        args.push(word.clone().into());
        // SQLite's lower() folds ASCII letters only (the word was lowercased in full).
        sql.push_str(&format!(
            " AND instr(lower(ticket || char(10) || coalesce(complainant_name, '') || char(10) \
             || coalesce(complainant_email, '') || char(10) || subject || char(10) \
             || coalesce(lapor_number, '')), ?{}) > 0",
            args.len()
        ));
    }
    sql
}

/// One walk of the register page: complaints matching `cond` in `due` order, `limit` of
/// them, along an index on (status, `due`) when `cond` fixes the status.
fn register_walk_sql(due: &str, cond: &str, limit: &str) -> String {
    format!("SELECT id, {due} AS due FROM complaints WHERE {cond} ORDER BY {due}, id LIMIT {limit}")
}

fn open_statuses() -> String {
    Status::ALL
        .iter()
        .filter(|s| crate::workflow::state::is_open(**s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A complaint as the register, the CLI and JSON show it. Times serialize as RFC 3339 in
/// WIB.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintRow {
    #[serde(skip)]
    pub id: i64,
    pub ticket: Ticket,
    pub status: Status,
    pub kind: Kind,
    pub channel: Channel,
    /// The SP4N-LAPOR! report number; null for other channels.
    pub lapor_number: Option<String>,
    pub unit: Option<String>,
    pub complainant_email: Option<String>,
    pub complainant_name: Option<String>,
    pub phones: Vec<String>,
    pub subject: String,
    #[serde(serialize_with = "serialize_wib")]
    pub received_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_wib")]
    pub ack_due: DateTime<Utc>,
    #[serde(serialize_with = "serialize_wib")]
    pub review_due: DateTime<Utc>,
    #[serde(serialize_with = "serialize_wib")]
    pub answer_due: DateTime<Utc>,
    #[serde(serialize_with = "serialize_wib_opt")]
    pub ack_sent_at: Option<DateTime<Utc>>,
    /// When staff recorded the answer (it may still wait in the outbox).
    #[serde(serialize_with = "serialize_wib_opt")]
    pub answered_at: Option<DateTime<Utc>>,
    /// When the SMTP server accepted the answer (or staff recorded one given without mail).
    #[serde(serialize_with = "serialize_wib_opt")]
    pub answer_sent_at: Option<DateTime<Utc>>,
    /// How the complainant's satisfaction or dissatisfaction was heard; null when none.
    pub satisfaction_heard: Option<Heard>,
    /// Why a person must look at it now; null when nothing is waiting.
    pub attention: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageSummary {
    pub direction: Direction,
    pub message_id: String,
    pub subject: String,
    #[serde(serialize_with = "serialize_wib")]
    pub date: DateTime<Utc>,
    /// Incoming: the message's class (`MessageClass`); outgoing: the mail's purpose
    /// (`ack`, `answer`, `reminder_review`, ...).
    pub class: String,
    /// Outgoing only.
    pub delivery: Option<Delivery>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    #[serde(serialize_with = "serialize_wib")]
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

/// A mail to queue, as the outbox holds it (`mail::compose::OutgoingMail` gives one).
#[derive(Debug, Clone, Copy)]
pub struct QueuedMail<'a> {
    /// What this mail is for, e.g. `ack:ADU-2026-0007`; unique in the outbox.
    pub idem_key: &'a str,
    /// With angle brackets, as it stands in the header.
    pub message_id: &'a str,
    pub purpose: &'a str,
    /// Counts toward the per-address limit on automatic mail (RFC 3834).
    pub automatic: bool,
    pub mail_from: &'a str,
    pub rcpt_to: &'a [String],
    pub subject: &'a str,
    pub raw: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub complaint_id: Option<i64>,
    pub purpose: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub raw: Vec<u8>,
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlaggedMessage {
    pub message_id: String,
    #[serde(serialize_with = "serialize_wib")]
    pub received_at: DateTime<Utc>,
    pub from_email: Option<String>,
    pub subject: String,
    pub class: MessageClass,
    pub reason: Option<String>,
    pub problems: Option<String>,
    /// The complaint it registered, if any (a `curiga` message has none until accepted).
    pub ticket: Option<Ticket>,
}

impl Store {
    /// Opens (creating if needed) the database, with WAL and foreign keys, and migrates it.
    /// A new database file and its directory are private to the daemon's user.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the database directory {}", dir.display())
                })?;
                set_mode(dir, 0o700);
            }
        }
        let is_new = !path.exists();
        let mut conn = Connection::open(path)
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        if is_new {
            set_mode(path, 0o600);
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL is durable across application crashes in WAL mode; only an OS crash or
        // power cut can lose the last transactions, and those mails are still in the
        // mailbox above the cursor, so they are fetched again.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Room for every statement an ingest and a send use (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    /// For the daemon's connections, which `checkpointer` serves: a commit no longer
    /// copies the write-ahead log into the database itself each time the log passes 1,000
    /// pages (SQLite's default). That copy, with its fsync, landed in the middle of an
    /// ingest: during a backlog it was a third of the time spent per message
    /// (docs/PERFORMANCE.md). A commit still does it past `CHECKPOINT_BACKSTOP_PAGES`,
    /// should the checkpointer fall behind.
    pub fn defer_checkpoints(&self) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", CHECKPOINT_BACKSTOP_PAGES)?;
        Ok(())
    }

    /// For the connection that stores fetched chunks: a page cache (16 MB; SQLite's
    /// default is 2 MB) that holds a whole chunk's transaction, so it is not spilled into
    /// the log before its commit, some pages twice (spilling was a sixth of the time a
    /// backlog spent storing). [`Store::release_memory`] hands it back afterwards.
    pub fn cache_whole_chunks(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -16_384)?;
        Ok(())
    }

    /// Frees the page cache (after a backlog, before the daemon waits idle).
    pub fn release_memory(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA shrink_memory")?;
        Ok(())
    }

    /// Copies what is committed in the write-ahead log into the database, without waiting
    /// for (or blocking) readers and writers (PASSIVE); the log starts over once all of it
    /// is copied.
    /// Gives the frames in the log and how many of them are now in the database.
    pub fn checkpoint(&self) -> Result<(i64, i64)> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }

    /// Copies the rest of the write-ahead log into the database and waits until readers
    /// have left the log, so the next write starts it over (RESTART). Run on the writer's
    /// own connection, between its transactions: it then waits for no writer, and the
    /// copy is short right after a PASSIVE [`Store::checkpoint`] on another connection.
    /// Gives up after `RESTART_PATIENCE` (a long read, a backup) rather than hold the
    /// writer that long; the log then simply grows until the next try.
    pub fn restart_log(&self) -> Result<()> {
        self.conn.busy_timeout(RESTART_PATIENCE)?;
        let done = self
            .conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(done?)
    }

    pub fn transaction(&mut self) -> Result<Tx<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("cannot start a database transaction")?;
        Ok(Tx { tx })
    }

    pub fn cursor(&self, mailbox: &str) -> Result<Option<Cursor>> {
        Ok(self
            .conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM mailbox_cursor WHERE mailbox = ?1",
                [mailbox],
                |r| {
                    Ok(Cursor {
                        uidvalidity: r.get(0)?,
                        last_uid: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Sets the cursor outright (first start at the mailbox's end, UIDVALIDITY change).
    pub fn reset_cursor(
        &mut self,
        mailbox: &str,
        cursor: Cursor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO mailbox_cursor (mailbox, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = ?2, last_uid = ?3, updated_at = ?4",
            params![mailbox, cursor.uidvalidity, cursor.last_uid, to_db(now)],
        )?;
        Ok(())
    }

    /// The newest arrival time stored for a mailbox: after a UIDVALIDITY change the mailbox
    /// is searched again from a little before it, and duplicates fall to the Message-ID.
    pub fn latest_received(&self, mailbox: &str) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = self.conn.query_row(
            "SELECT max(received_at) FROM messages WHERE mailbox = ?1",
            [mailbox],
            |r| r.get(0),
        )?;
        Ok(s.as_deref().and_then(from_db))
    }

    /// The register in ticket order, as `filter` narrows it.
    pub fn list_complaints(&self, filter: &ListFilter) -> Result<Vec<ComplaintRow>> {
        // Open complaints and recent ones are two index searches (complaints_status,
        // complaints_received), so the closed bulk of the register is not read; the
        // newest `limit` are taken from the end, then put back in ticket order.
        let limit = filter
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let clause = match filter.since {
            Some(_) => format!("WHERE id IN ({})", open_or_since_ids("?2")),
            None => String::new(),
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "{COMPLAINT_SELECT} {clause} ORDER BY year DESC, seq DESC LIMIT ?1"
        ))?;
        let rows = match filter.since {
            Some(since) => stmt.query_map(params![limit, to_db(since)], complaint_row)?,
            None => stmt.query_map(params![limit], complaint_row)?,
        };
        let mut rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// The register page's lines, chosen and ordered by SQLite so that only about as many
    /// rows as are shown are read (at 100,000 complaints the open ones alone can be tens
    /// of thousands): open complaints and those received since `f.since`, narrowed by the
    /// filters, the earliest next deadline first (the review until reviewed, then the
    /// answer, as `app::views::next_deadline`; times are `to_db` text, fixed width, so they
    /// compare as strings), then those waiting on nobody, the newest first. At most `f.limit` lines; the bool says whether more
    /// matched. Ties keep registration order.
    pub fn register_lines(&self, f: &RegisterSearch<'_>) -> Result<(Vec<ComplaintRow>, bool)> {
        let want = f.limit.saturating_add(1);
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let filters = register_filters(f, &mut args);
        let limit = |args: &mut Vec<rusqlite::types::Value>| {
            args.push(i64::try_from(want).unwrap_or(i64::MAX).into());
            format!("?{}", args.len())
        };
        // Waiting on a deadline: one walk of an index per status, in deadline order
        // (complaints_review_due, complaints_status), merged.
        let mut walks = Vec::new();
        for (status, due) in [
            (Status::Received, "review_due"),
            (Status::Acknowledged, "review_due"),
            (Status::Reviewed, "answer_due"),
        ] {
            if !f.status.is_empty() && f.status != status.as_str() {
                continue;
            }
            let mut cond = format!("status = '{}'{filters}", status.as_str());
            if f.overdue {
                args.push(to_db(f.now).into());
                cond.push_str(&format!(" AND {due} < ?{}", args.len()));
            }
            let n = limit(&mut args);
            walks.push(format!(
                "SELECT * FROM ({})",
                register_walk_sql(due, &cond, &n)
            ));
        }
        let mut ids: Vec<i64> = Vec::new();
        if !walks.is_empty() {
            let n = limit(&mut args);
            let sql = format!(
                "SELECT id FROM ({}) ORDER BY due, id LIMIT {n}",
                walks.join(" UNION ALL ")
            );
            ids = self
                .conn
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        // Then those without a deadline (answered, or closed and received since), newest
        // first: only needed when the first part did not fill the page.
        if ids.len() < want && !f.overdue {
            let waiting: Vec<String> = [Status::Received, Status::Acknowledged, Status::Reviewed]
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            let mut args: Vec<rusqlite::types::Value> = vec![to_db(f.since).into()];
            let filters = register_filters(f, &mut args);
            let status = if f.status.is_empty() {
                String::new()
            } else {
                args.push(f.status.to_string().into());
                format!(" AND status = ?{}", args.len())
            };
            args.push(i64::try_from(want - ids.len()).unwrap_or(i64::MAX).into());
            let sql = format!(
                "SELECT id FROM complaints WHERE status NOT IN ({waiting}) \
                 AND (status IN ({open}) OR received_at >= ?1){status}{filters} \
                 ORDER BY id DESC LIMIT ?{n}",
                waiting = waiting.join(", "),
                open = open_statuses(),
                n = args.len()
            );
            let rest = self
                .conn
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            ids.extend(rest);
        }
        let cut = ids.len() > f.limit;
        ids.truncate(f.limit);
        if ids.is_empty() {
            return Ok((Vec::new(), cut));
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut by_id: std::collections::HashMap<i64, ComplaintRow> = self
            .conn
            .prepare(&format!("{COMPLAINT_SELECT} WHERE id IN ({list})"))?
            .query_map([], complaint_row)?
            .map(|r| r.map(|c| (c.id, c)))
            .collect::<rusqlite::Result<_>>()?;
        Ok((ids.iter().filter_map(|id| by_id.remove(id)).collect(), cut))
    }

    /// Open complaints, those past their next deadline at `now`, and those due later
    /// today (before `tomorrow`, the start of the next WIB day): index searches.
    pub fn register_counts(
        &self,
        now: DateTime<Utc>,
        tomorrow: DateTime<Utc>,
    ) -> Result<(usize, usize, usize)> {
        let (now, tomorrow) = (to_db(now), to_db(tomorrow));
        let count = |sql: String, args: &[&str]| -> Result<usize> {
            let n: i64 = self
                .conn
                .prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        let open = count(
            format!(
                "SELECT count(*) FROM complaints WHERE status IN ({})",
                open_statuses()
            ),
            &[],
        )?;
        let (mut overdue, mut today) = (0, 0);
        for (status, due) in [
            (Status::Received, "review_due"),
            (Status::Acknowledged, "review_due"),
            (Status::Reviewed, "answer_due"),
        ] {
            let s = status.as_str();
            overdue += count(
                format!("SELECT count(*) FROM complaints WHERE status = '{s}' AND {due} < ?1"),
                &[&now],
            )?;
            today += count(
                format!(
                    "SELECT count(*) FROM complaints WHERE status = '{s}' AND {due} >= ?1 AND {due} < ?2"
                ),
                &[&now, &tomorrow],
            )?;
        }
        Ok((open, overdue, today))
    }

    /// How many complaints the register holds.
    pub fn count_complaints(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM complaints", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub fn complaint(&self, ticket: &Ticket) -> Result<Option<ComplaintRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("{COMPLAINT_SELECT} WHERE ticket = ?1"),
                [ticket.to_string()],
                complaint_row,
            )
            .optional()?)
    }

    /// Inbound and outbound mail of one complaint, oldest first.
    pub fn messages_of(&self, complaint_id: i64) -> Result<Vec<MessageSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT 'in' AS direction, message_id, subject, received_at AS date, class, NULL AS delivery
               FROM messages WHERE complaint_id = ?1
             UNION ALL
             SELECT 'out', message_id, subject, coalesce(sent_at, created_at), purpose, status FROM outbox WHERE complaint_id = ?1
             ORDER BY 4",
        )?;
        let rows = stmt.query_map([complaint_id], |r| {
            Ok(MessageSummary {
                direction: word(r, 0)?,
                message_id: r.get(1)?,
                subject: r.get(2)?,
                date: time(r, 3)?,
                class: r.get(4)?,
                delivery: opt_word(r, 5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn events_of(&self, complaint_id: i64) -> Result<Vec<EventRow>> {
        events_of(&self.conn, complaint_id)
    }

    /// Messages a person should look at: suspect (`curiga`) and unreadable ones, ones with
    /// parse problems, and complaints registered with a reason to check (a web form, no
    /// From).
    pub fn flagged_messages(&self) -> Result<Vec<FlaggedMessage>> {
        flagged_since(&self.conn, None)
    }

    /// [`Store::flagged_messages`] received after `since`, with the ticket of any.
    pub fn flagged_since(&self, since: DateTime<Utc>) -> Result<Vec<FlaggedMessage>> {
        flagged_since(&self.conn, Some(since))
    }

    /// Machine mail (auto-replies, bounces, bulk), newest first, at most `limit`: listed
    /// for staff so a complaint the classifier misjudged is never lost without a trace
    /// (invariant 12). An index walk of `messages_machine`.
    pub fn machine_messages(&self, limit: u32) -> Result<Vec<FlaggedMessage>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {FLAGGED_COLUMNS}
             FROM messages m LEFT JOIN complaints c ON c.id = m.complaint_id
             WHERE m.class = 'machine' ORDER BY m.received_at DESC LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], flagged_message)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Machine mail received after `since`, for the digest.
    pub fn machine_count_since(&self, since: DateTime<Utc>) -> Result<i64> {
        machine_count_since(&self.conn, since)
    }

    pub fn message_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT class, count(*) FROM messages GROUP BY class ORDER BY class")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Claims the next pending mail whose time has come: its next attempt moves to `lease`,
    /// so a second sender (another process, a restarted worker) does not take it too; if
    /// this sender dies, the mail is due again when the lease ends.
    pub fn claim_due_mail(
        &self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
    ) -> Result<Option<OutboxRow>> {
        self.claim_next_mail(now, lease, Priority::Staff)
    }

    /// When the earliest pending mail is due, so the worker can sleep until then.
    pub fn next_attempt_at(&self) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = self.conn.query_row(
            "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(s.as_deref().and_then(from_db))
    }

    /// Records a delivery and its consequences (the complaint is acknowledged) at once.
    pub fn mark_sent(&mut self, row: &OutboxRow, now: DateTime<Utc>) -> Result<()> {
        let tx = self.transaction()?;
        tx.tx.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![row.id, to_db(now)],
        )?;
        if let (Some(cid), "ack") = (row.complaint_id, row.purpose.as_str()) {
            let changed = tx.tx.execute(
                "UPDATE complaints SET ack_sent_at = ?2 WHERE id = ?1 AND ack_sent_at IS NULL",
                params![cid, to_db(now)],
            )?;
            if changed > 0 {
                // The procedure's table decides (received → acknowledged; a later state
                // stays; a closed one refuses, and stays too).
                let case = tx.case_by_id(cid)?;
                let next = crate::workflow::state::next(
                    case.status,
                    case.kind,
                    crate::workflow::state::Action::AckSent,
                );
                if let Some(to) = next.ok().filter(|to| *to != case.status) {
                    tx.set_status(cid, to, now)?;
                }
                tx.add_event(
                    Some(cid),
                    now,
                    "sistem",
                    "ack_sent",
                    &format!("tanda terima terkirim ke {}", row.rcpt_to.join(", ")),
                )?;
            }
        }
        // The answer counts from here, not from its queueing (DESIGN invariant 10).
        if let (Some(cid), "answer") = (row.complaint_id, row.purpose.as_str()) {
            let changed = tx.tx.execute(
                "UPDATE complaints SET answer_sent_at = ?2 WHERE id = ?1 AND answer_sent_at IS NULL",
                params![cid, to_db(now)],
            )?;
            if changed > 0 {
                tx.add_event(
                    Some(cid),
                    now,
                    "sistem",
                    "answer_sent",
                    &format!("jawaban terkirim ke {}", row.rcpt_to.join(", ")),
                )?;
            }
        }
        tx.commit()
    }

    pub fn mark_retry(&mut self, row: &OutboxRow, next: DateTime<Utc>, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
            params![row.id, to_db(next), error],
        )?;
        Ok(())
    }

    pub fn mark_failed(&mut self, row: &OutboxRow, now: DateTime<Utc>, error: &str) -> Result<()> {
        let tx = self.transaction()?;
        tx.tx.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![row.id, error],
        )?;
        if let Some(cid) = row.complaint_id {
            tx.add_event(
                Some(cid),
                now,
                "sistem",
                "mail_failed",
                &format!("{} gagal dikirim: {error}", row.purpose),
            )?;
        }
        tx.commit()
    }

    pub fn set_health(&mut self, key: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
        put_health(&self.conn, key, value, now)
    }

    pub fn health(&self, key: &str) -> Result<Option<(String, DateTime<Utc>)>> {
        get_health(&self.conn, key)
    }

    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// A stored inbound message as `flagged accept` needs it.
pub struct StoredMessage {
    /// The row id: a Message-ID may name several stored messages (invariant 3).
    pub id: i64,
    pub raw: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub class: MessageClass,
    pub reason: Option<String>,
    pub complaint_id: Option<i64>,
}

/// What [`Tx::seen`] found for an arriving message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The same bytes, or the same mailbox position: nothing new.
    Duplicate,
    /// A stored message has this Message-ID with other bytes (a resend with the phone
    /// number added, a client reusing ids, a list copy with a changed body). The complaint
    /// of the first such message that has one.
    SameIdOtherBytes {
        complaint_id: Option<i64>,
    },
    New,
}

/// SHA-256 of a message's raw bytes, hex: with the Message-ID, a message's identity.
pub fn content_hash(raw: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, raw)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Of the messages with one Message-ID (`?1`), the newest not registered yet, else the
/// newest: the one a person acts on from the flagged list.
const BY_MESSAGE_ID: &str =
    "WHERE message_id = ?1 ORDER BY complaint_id IS NOT NULL, id DESC LIMIT 1";

/// The condition `messages_flagged` (schema) indexes; keep the two the same.
const FLAGGED: &str = "(class IN ('unreadable', 'curiga') OR problems IS NOT NULL
    OR (class = 'complaint' AND reason IS NOT NULL))";

/// The columns [`flagged_message`] reads, of `messages m` joined with `complaints c`.
const FLAGGED_COLUMNS: &str =
    "m.message_id, m.received_at, m.from_email, m.subject, m.class, m.reason, m.problems, c.ticket";

fn flagged_message(r: &rusqlite::Row<'_>) -> rusqlite::Result<FlaggedMessage> {
    Ok(FlaggedMessage {
        message_id: r.get(0)?,
        received_at: time(r, 1)?,
        from_email: r.get(2)?,
        subject: r.get(3)?,
        class: word(r, 4)?,
        reason: r.get(5)?,
        problems: r.get(6)?,
        ticket: opt_word(r, 7)?,
    })
}

fn flagged_since(conn: &Connection, since: Option<DateTime<Utc>>) -> Result<Vec<FlaggedMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {FLAGGED_COLUMNS}
         FROM messages m LEFT JOIN complaints c ON c.id = m.complaint_id
         WHERE {FLAGGED} AND m.received_at > ?1 ORDER BY m.received_at"
    ))?;
    let since = since.map(to_db).unwrap_or_default();
    let rows = stmt.query_map([since], flagged_message)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Machine mail received after `since` (the digest's count), from `messages_machine`.
fn machine_count_since(conn: &Connection, since: DateTime<Utc>) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM messages WHERE class = 'machine' AND received_at > ?1",
        [to_db(since)],
        |r| r.get(0),
    )?)
}

/// One decision's writes. Dropped without `commit`, it rolls back.
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Tx<'_> {
    /// `execute` through the connection's statement cache: an ingest runs the same dozen
    /// statements for every message, and compiling them each time showed in the profile
    /// of a backlog.
    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    /// `query_row` through the statement cache, as [`Tx::exec`].
    fn row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.prepare_cached(sql)?.query_row(params, f)
    }

    /// True when this message was stored before, by Message-ID or by mailbox position.
    /// Whether `raw` with `message_id` at `pos` was stored before (invariant 3): the same
    /// mailbox position or the same bytes is the same message; the same Message-ID with
    /// other bytes is another message, kept and flagged.
    pub fn seen(&self, message_id: &str, raw: &[u8], pos: &MailboxPosition) -> Result<Seen> {
        if let (Some(mb), Some(v), Some(uid)) = (&pos.mailbox, pos.uidvalidity, pos.uid) {
            let at_position: bool = self.row(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE mailbox = ?1 AND uidvalidity = ?2 AND uid = ?3)",
                params![mb, v, uid],
                |r| r.get(0),
            )?;
            if at_position {
                return Ok(Seen::Duplicate);
            }
        }
        let hash = content_hash(raw);
        let mut stmt = self.tx.prepare_cached(
            "SELECT content_hash, raw, complaint_id FROM messages WHERE message_id = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([message_id])?;
        let mut first_complaint = None;
        let mut known = false;
        while let Some(r) = rows.next()? {
            known = true;
            let stored: Option<String> = r.get(0)?;
            let same = match stored {
                Some(h) => h == hash,
                // Older rows carry no hash: their bytes decide. A purged message (retention)
                // has no bytes left; a copy of it is taken for the same message.
                None => {
                    let bytes: Vec<u8> = r.get(1)?;
                    bytes.is_empty() || bytes == raw
                }
            };
            if same {
                return Ok(Seen::Duplicate);
            }
            if first_complaint.is_none() {
                first_complaint = r.get(2)?;
            }
        }
        Ok(match known {
            true => Seen::SameIdOtherBytes {
                complaint_id: first_complaint,
            },
            false => Seen::New,
        })
    }

    /// What a message's thread hints point at: the complaint of the first referenced
    /// Message-ID that is one of ours (outbox) or a stored inbound message, and each
    /// mentioned ticket that exists, with its complainant's address (who may thread onto
    /// it is decided in `workflow::classify::pick_thread`).
    #[allow(clippy::type_complexity)]
    pub fn thread_facts(
        &self,
        tickets: &[Ticket],
        referenced_ids: &[&str],
    ) -> Result<(Option<i64>, Vec<(Ticket, i64, Option<String>)>)> {
        let mut referenced = None;
        for mid in referenced_ids {
            let id: Option<i64> = self
                .row(
                    // Outbox ids keep their angle brackets, as sent in the header.
                    "SELECT complaint_id FROM outbox WHERE message_id = '<' || ?1 || '>' AND complaint_id IS NOT NULL
                     UNION ALL
                     SELECT complaint_id FROM messages WHERE message_id = ?1 AND complaint_id IS NOT NULL
                     LIMIT 1",
                    [mid],
                    |r| r.get(0),
                )
                .optional()?;
            if id.is_some() {
                referenced = id;
                break;
            }
        }
        let mut found = Vec::new();
        // A handful at most; bounded so a subject full of numbers costs nothing.
        for t in tickets.iter().take(10) {
            let row: Option<(i64, Option<String>)> = self
                .row(
                    "SELECT id, complainant_email FROM complaints WHERE ticket = ?1",
                    [t.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((id, email)) = row {
                found.push((*t, id, email));
            }
        }
        Ok((referenced, found))
    }

    /// [`Store::flagged_since`] inside a transaction (the digest as it is queued).
    pub fn flagged_since(&self, since: DateTime<Utc>) -> Result<Vec<FlaggedMessage>> {
        flagged_since(&self.tx, Some(since))
    }

    /// [`Store::machine_count_since`] inside a transaction (the digest as it is queued).
    pub fn machine_count_since(&self, since: DateTime<Utc>) -> Result<i64> {
        machine_count_since(&self.tx, since)
    }

    /// A stored message a person may turn into a complaint (`flagged accept`): of the
    /// messages with this Message-ID, the newest one not registered yet, else the newest.
    pub fn stored_message(&self, message_id: &str) -> Result<Option<StoredMessage>> {
        Ok(self
            .row(
                &format!("SELECT id, raw, received_at, class, reason, complaint_id FROM messages {BY_MESSAGE_ID}"),
                [message_id],
                |r| {
                    Ok(StoredMessage {
                        id: r.get(0)?,
                        raw: r.get(1)?,
                        received_at: time(r, 2)?,
                        class: word(r, 3)?,
                        reason: r.get(4)?,
                        complaint_id: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Makes stored message `id` (row id) the registering message of `complaint_id` (class
    /// `complaint`); its earlier reason moves to the audit log with the person's decision.
    pub fn link_message(&self, id: i64, complaint_id: i64) -> Result<()> {
        self.exec(
            "UPDATE messages SET class = 'complaint', reason = NULL, complaint_id = ?2 WHERE id = ?1",
            params![id, complaint_id],
        )?;
        Ok(())
    }

    pub fn insert_message(&self, m: &NewMessage<'_>, now: DateTime<Utc>) -> Result<i64> {
        let problems = if m.problems.is_empty() {
            None
        } else {
            Some(m.problems.join("; "))
        };
        self.exec(
            "INSERT INTO messages (message_id, mailbox, uidvalidity, uid, received_at, date_header, from_email,
               from_name, subject, class, reason, problems, complaint_id, body_text, attachments, size, raw, stored_at,
               content_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            params![
                m.message_id,
                m.position.mailbox,
                m.position.uidvalidity,
                m.position.uid,
                to_db(m.received_at),
                m.date_header.map(to_db),
                m.from_email,
                m.from_name,
                m.subject,
                m.class.as_str(),
                m.reason,
                problems,
                m.complaint_id,
                m.body_text,
                m.attachments_json,
                m.raw.len() as i64,
                m.raw,
                to_db(now),
                content_hash(m.raw),
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Allocates the next ticket of a year. Runs inside the transaction that uses it, so a
    /// rolled-back registration gives its number back.
    pub fn next_ticket(&self, year: i32) -> Result<Ticket> {
        let seq: u32 = self.row(
            "INSERT INTO ticket_seq (year, last) VALUES (?1, 1)
             ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
            [year],
            |r| r.get(0),
        )?;
        Ok(Ticket { year, seq })
    }

    pub fn insert_complaint(&self, c: &NewComplaint<'_>, now: DateTime<Utc>) -> Result<i64> {
        self.exec(
            "INSERT INTO complaints (ticket, year, seq, status, kind, channel, complainant_email, complainant_name,
               phones, subject, body, received_at, ack_due, review_due, answer_due, created_at, lapor_number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                c.ticket.to_string(),
                c.ticket.year,
                c.ticket.seq,
                c.status.as_str(),
                c.kind.as_str(),
                c.channel.as_str(),
                c.complainant_email,
                c.complainant_name,
                serde_json::to_string(c.phones)?,
                c.subject,
                c.body,
                to_db(c.received_at),
                to_db(c.ack_due),
                to_db(c.review_due),
                to_db(c.answer_due),
                to_db(now),
                c.lapor_number,
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    pub fn add_event(
        &self,
        complaint_id: Option<i64>,
        at: DateTime<Utc>,
        actor: &str,
        kind: &str,
        detail: &str,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO events (complaint_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![complaint_id, to_db(at), actor, kind, detail],
        )?;
        Ok(())
    }

    /// Automatic mails queued to `rcpt` since `since` (per-sender loop limit, RFC 3834).
    pub fn auto_mails_since(&self, rcpt: &str, since: DateTime<Utc>) -> Result<u32> {
        Ok(self.row(
            "SELECT count(*) FROM outbox WHERE rcpt_to = ?1 AND automatic = 1 AND created_at >= ?2",
            params![rcpt, to_db(since)],
            |r| r.get(0),
        )?)
    }

    /// Queues a mail. Returns false when a mail with the same idempotency key exists.
    pub fn enqueue<'m>(
        &self,
        mail: impl Into<QueuedMail<'m>>,
        complaint_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mail = mail.into();
        let n = self.exec(
            "INSERT INTO outbox (idem_key, message_id, complaint_id, purpose, automatic, mail_from, rcpt_to,
               subject, raw, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT (idem_key) DO NOTHING",
            params![
                mail.idem_key,
                mail.message_id,
                complaint_id,
                mail.purpose,
                mail.automatic,
                mail.mail_from,
                mail.rcpt_to.join(","),
                mail.subject,
                mail.raw,
                to_db(now),
            ],
        )?;
        Ok(n > 0)
    }

    /// Moves the cursor forward (never back) past `uid`, in the message's own transaction,
    /// so the cursor never passes a message that is not stored (invariant 1).
    pub fn advance_cursor(
        &self,
        mailbox: &str,
        uidvalidity: u32,
        uid: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO mailbox_cursor (mailbox, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (mailbox) DO UPDATE SET last_uid = max(last_uid, ?3), updated_at = ?4
             WHERE uidvalidity = ?2",
            params![mailbox, uidvalidity, uid, to_db(now)],
        )?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx
            .commit()
            .context("cannot commit the database transaction")
    }
}

const COMPLAINT_SELECT: &str = "SELECT id, ticket, status, kind, channel, unit, complainant_email, complainant_name,
    phones, subject, received_at, ack_due, review_due, answer_due, ack_sent_at, attention, lapor_number,
    answered_at, answer_sent_at, satisfaction_heard FROM complaints";

fn complaint_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ComplaintRow> {
    let phones: String = r.get(8)?;
    Ok(ComplaintRow {
        id: r.get(0)?,
        ticket: word(r, 1)?,
        status: word(r, 2)?,
        kind: word(r, 3)?,
        channel: word(r, 4)?,
        unit: r.get(5)?,
        complainant_email: r.get(6)?,
        complainant_name: r.get(7)?,
        phones: serde_json::from_str(&phones).unwrap_or_default(),
        subject: r.get(9)?,
        received_at: time(r, 10)?,
        ack_due: time(r, 11)?,
        review_due: time(r, 12)?,
        answer_due: time(r, 13)?,
        ack_sent_at: opt_time(r, 14)?,
        attention: r.get(15)?,
        lapor_number: r.get(16)?,
        answered_at: opt_time(r, 17)?,
        answer_sent_at: opt_time(r, 18)?,
        satisfaction_heard: opt_word(r, 19)?,
    })
}

/// A value in column `col` that this build cannot read (a word renamed by hand, a
/// timestamp in another format): the error names the column and the value.
fn unreadable(r: &rusqlite::Row<'_>, col: usize, value: &str, why: &str) -> rusqlite::Error {
    let name = r.as_ref().column_name(col).unwrap_or("?");
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("column {name} holds {value:?}: {why}").into(),
    )
}

/// Column `col` parsed at the boundary into a word enum, a ticket, ...
pub(super) fn word<T>(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: String = r.get(col)?;
    s.parse()
        .map_err(|e: T::Err| unreadable(r, col, &s, &e.to_string()))
}

/// [`word`] of a nullable column.
pub(super) fn opt_word<T>(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match r.get::<_, Option<String>>(col)? {
        None => Ok(None),
        Some(_) => word(r, col).map(Some),
    }
}

/// Column `col` as a time (stored as by [`to_db`]).
pub(super) fn time(r: &rusqlite::Row<'_>, col: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = r.get(col)?;
    from_db(&s).ok_or_else(|| unreadable(r, col, &s, "not an RFC 3339 time"))
}

/// [`time`] of a nullable column.
pub(super) fn opt_time(
    r: &rusqlite::Row<'_>,
    col: usize,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match r.get::<_, Option<String>>(col)? {
        None => Ok(None),
        Some(_) => time(r, col).map(Some),
    }
}

/// The `health` table holds one fact per key: the daemon's own state, for `check`.
fn put_health(conn: &Connection, key: &str, value: &str, now: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO health (key, value, at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = ?2, at = ?3",
        params![key, value, to_db(now)],
    )?;
    Ok(())
}

fn get_health(conn: &Connection, key: &str) -> Result<Option<(String, DateTime<Utc>)>> {
    let row: Option<(String, String)> = conn
        .query_row("SELECT value, at FROM health WHERE key = ?1", [key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(v, at)| from_db(&at).map(|t| (v, t))))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let read = |c: &Connection| -> Result<usize> {
        let v: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(usize::try_from(v).unwrap_or(0))
    };
    let version = read(conn)?;
    if version > schema::MIGRATIONS.len() {
        anyhow::bail!(
            "the database was written by a newer pengaduan (schema {version}, this one knows {}); \
             upgrade pengaduan or restore a backup",
            schema::MIGRATIONS.len()
        );
    }
    if version == schema::MIGRATIONS.len() {
        return Ok(());
    }
    // Read again inside a write transaction: two processes opening a new database at once
    // (the daemon starting, `check` or a test reading it) otherwise both saw version 0, and
    // the second failed on "table complaints already exists".
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = read(&tx)?;
    for (i, step) in schema::MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(step)
            .with_context(|| format!("database migration {} failed", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            tracing::warn!("cannot restrict permissions of {}: {e}", path.display());
        }
    }
}

/// How long a statement waits for another connection's lock before it fails.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long [`Store::restart_log`] may hold the writer waiting for readers.
const RESTART_PATIENCE: std::time::Duration = std::time::Duration::from_millis(200);

/// See [`Store::defer_checkpoints`]: 256 MB of log at 4 KB pages.
const CHECKPOINT_BACKSTOP_PAGES: i64 = 65_536;

/// How often the daemon's checkpointer looks at a log it last found idle.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// ... and at a log that is being written to.
const CHECKPOINT_SOON: std::time::Duration = std::time::Duration::from_millis(100);

/// A log this long (32 MB at 4 KB pages) is started over: well before the commits'
/// backstop (`CHECKPOINT_BACKSTOP_PAGES`), at about two a second during a backlog.
const CHECKPOINT_RESTART_PAGES: i64 = 8_192;

/// What the checkpointer does after a pass.
#[derive(Debug, PartialEq, Eq)]
enum AfterPass {
    /// Nothing new (an idle log, or a reader holding the copy back): look again after
    /// `CHECKPOINT_EVERY`.
    Wait,
    /// Being written to: look again after `CHECKPOINT_SOON`.
    Soon,
    /// Long: the writer copies the frames written during the pass and starts the log
    /// over.
    Restart,
}

/// PURE: the checkpointer's next step, from this pass's (frames in the log, frames
/// copied) and the last pass's. SQLite starts the log over only when a writer begins
/// while every frame is copied; while an ingest keeps committing, that moment never came
/// by itself: the log grew to the backstop and the ingest's own commits did the copying,
/// 64 MB at a time (in a 10,000-message backlog, more than a third of the ingest's time).
/// So passes follow a written log closely, and once it is long the writer itself, between
/// two of its transactions, copies what the last pass missed and starts the log over.
/// (A RESTART from the checkpointer's connection had to catch the writer between two
/// chunks; it seldom did, and the commits' backstop copied the log after all.)
fn after_pass(last: (i64, i64), (log, copied): (i64, i64)) -> AfterPass {
    // A log shorter than the last one was started over in between.
    let before = if log >= last.0 { last.1 } else { 0 };
    if copied <= before {
        AfterPass::Wait
    } else if log >= CHECKPOINT_RESTART_PAGES {
        AfterPass::Restart
    } else {
        AfterPass::Soon
    }
}

/// The daemon's checkpointer: copies the write-ahead log into the database on a
/// connection of its own, so no ingest or send waits for it, and has `writer` (the
/// connection that stores mail) start a long log over (see [`after_pass`]).
pub async fn checkpointer(
    store: SharedStore,
    writer: SharedStore,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = CHECKPOINT_EVERY;
    let mut last = (0, 0);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
        let started = std::time::Instant::now();
        let mut pass = store
            .run(move |s| {
                let pass = s.checkpoint()?;
                Ok((pass, after_pass(last, pass)))
            })
            .await;
        if let Ok((_, AfterPass::Restart)) = pass {
            if let Err(e) = writer.run(|s| s.restart_log()).await {
                pass = Err(e);
            }
        }
        wait = match pass {
            Ok(((log, copied), step)) => {
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(log, copied, ?step, ms, "checkpoint");
                // A restarted log shows as shorter at the next pass (see `after_pass`).
                last = (log, copied);
                match step {
                    AfterPass::Wait => CHECKPOINT_EVERY,
                    AfterPass::Soon | AfterPass::Restart => CHECKPOINT_SOON,
                }
            }
            Err(e) => {
                tracing::warn!("database checkpoint failed, will retry: {e:#}");
                CHECKPOINT_EVERY
            }
        };
    }
}

/// A store shared by async tasks. SQLite calls are blocking, so each runs on tokio's
/// blocking pool; every task opens its own `Store` (own connection), and WAL lets the
/// reader of one and the writer of another proceed together.
#[derive(Clone)]
pub struct SharedStore(std::sync::Arc<std::sync::Mutex<Store>>);

impl SharedStore {
    pub fn new(store: Store) -> Self {
        SharedStore(std::sync::Arc::new(std::sync::Mutex::new(store)))
    }

    /// After a burst of work (a backlog, a run of sends): frees this connection's page
    /// cache, then hands the process's freed heap pages back to the system.
    pub async fn release_memory(&self) {
        if let Err(e) = self.run(|s| s.release_memory()).await {
            tracing::debug!("cannot free the database page cache: {e:#}");
        }
        crate::memory::release_free();
    }

    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            // A panic elsewhere poisons the lock but leaves the connection usable:
            // SQLite rolled back the unfinished transaction.
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .context("database task ended unexpectedly")?
    }
}

/// A complaint as the procedure needs it: typed status and kind, raw texts.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub id: i64,
    pub ticket: Ticket,
    pub status: Status,
    pub kind: Kind,
    pub channel: Channel,
    pub unit: Option<String>,
    pub complainant_email: Option<String>,
    pub complainant_name: Option<String>,
    pub complainant_address: Option<String>,
    pub phones: Vec<String>,
    pub subject: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    pub plan: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ack_sent_at: Option<DateTime<Utc>>,
    /// When the SMTP server accepted the answer; `None` while it waits in the outbox.
    pub answer_sent_at: Option<DateTime<Utc>>,
}

/// One message of a case file, with its text, for the referral to the Dinas Kesehatan.
#[derive(Debug, Clone, Serialize)]
pub struct CaseMessage {
    pub direction: Direction,
    #[serde(serialize_with = "serialize_wib")]
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub subject: String,
    pub text: String,
}

/// Message-IDs of a case, oldest first, for threading replies (RFC 5322 section 3.6.4).
#[derive(Debug, Clone, Default)]
pub struct ThreadIds {
    pub last_inbound: Option<String>,
    /// Every id, inbound and outbound, bracket-free.
    pub all: Vec<String>,
}

pub struct NewManualComplaint<'a> {
    pub complaint: NewComplaint<'a>,
    pub address: Option<&'a str>,
}

const CASE_SELECT: &str = "SELECT id, ticket, status, kind, channel, unit, complainant_email, complainant_name,
    complainant_address, phones, subject, body, received_at, answer_due, plan, answer, answered_at, ack_sent_at,
    answer_sent_at FROM complaints";

fn case_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRecord> {
    let phones: String = r.get(9)?;
    Ok(CaseRecord {
        id: r.get(0)?,
        ticket: word(r, 1)?,
        status: word(r, 2)?,
        kind: word(r, 3)?,
        channel: word(r, 4)?,
        unit: r.get(5)?,
        complainant_email: r.get(6)?,
        complainant_name: r.get(7)?,
        complainant_address: r.get(8)?,
        phones: serde_json::from_str(&phones).unwrap_or_default(),
        subject: r.get(10)?,
        body: r.get(11)?,
        received_at: time(r, 12)?,
        answer_due: time(r, 13)?,
        plan: r.get(14)?,
        answer: r.get(15)?,
        answered_at: opt_time(r, 16)?,
        ack_sent_at: opt_time(r, 17)?,
        answer_sent_at: opt_time(r, 18)?,
    })
}

impl Tx<'_> {
    pub fn case(&self, ticket: &Ticket) -> Result<Option<CaseRecord>> {
        Ok(self
            .tx
            .query_row(
                &format!("{CASE_SELECT} WHERE ticket = ?1"),
                [ticket.to_string()],
                case_record,
            )
            .optional()?)
    }

    pub fn case_by_id(&self, id: i64) -> Result<CaseRecord> {
        Ok(self
            .tx
            .query_row(&format!("{CASE_SELECT} WHERE id = ?1"), [id], case_record)?)
    }

    /// Answered cases, for the no-reply sweep (closed cases are never scanned).
    pub fn answered_cases(&self) -> Result<Vec<CaseRecord>> {
        let mut stmt = self
            .tx
            .prepare(&format!("{CASE_SELECT} WHERE status = 'answered'"))?;
        let rows = stmt.query_map([], case_record)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets the status; closing states also stamp `closed_at`.
    pub fn set_status(&self, id: i64, status: Status, now: DateTime<Utc>) -> Result<()> {
        let closed = !crate::workflow::state::is_open(status);
        self.exec(
            "UPDATE complaints SET status = ?2, closed_at = CASE WHEN ?3 THEN ?4 ELSE closed_at END WHERE id = ?1",
            params![id, status.as_str(), closed, to_db(now)],
        )?;
        Ok(())
    }

    pub fn set_unit(&self, id: i64, unit: &str) -> Result<()> {
        self.exec(
            "UPDATE complaints SET unit = ?2 WHERE id = ?1",
            params![id, unit],
        )?;
        Ok(())
    }

    pub fn set_kind(&self, id: i64, kind: Kind) -> Result<()> {
        self.exec(
            "UPDATE complaints SET kind = ?2 WHERE id = ?1",
            params![id, kind.as_str()],
        )?;
        Ok(())
    }

    pub fn set_plan(&self, id: i64, plan: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE complaints SET plan = ?2, reviewed_at = ?3 WHERE id = ?1",
            params![id, plan, to_db(now)],
        )?;
        Ok(())
    }

    pub fn set_answer(&self, id: i64, answer: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE complaints SET answer = ?2, answered_at = ?3 WHERE id = ?1",
            params![id, answer, to_db(now)],
        )?;
        Ok(())
    }

    /// Records that the answer reached the complainant at `at` (an answer given without
    /// mail; a mailed one is marked by [`Store::mark_sent`]).
    pub fn set_answer_sent(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE complaints SET answer_sent_at = ?2 WHERE id = ?1",
            params![id, to_db(at)],
        )?;
        Ok(())
    }

    /// How the complainant's satisfaction or dissatisfaction was heard.
    pub fn set_satisfaction_heard(&self, id: i64, heard: Heard) -> Result<()> {
        self.exec(
            "UPDATE complaints SET satisfaction_heard = ?2 WHERE id = ?1",
            params![id, heard.as_str()],
        )?;
        Ok(())
    }

    /// Marks (or clears, with `None`) the reason a person must look at the case.
    pub fn set_attention(&self, id: i64, reason: Option<&str>) -> Result<()> {
        self.exec(
            "UPDATE complaints SET attention = ?2 WHERE id = ?1",
            params![id, reason],
        )?;
        Ok(())
    }

    pub fn set_address(&self, id: i64, address: &str) -> Result<()> {
        self.exec(
            "UPDATE complaints SET complainant_address = ?2 WHERE id = ?1",
            params![id, address],
        )?;
        Ok(())
    }

    pub fn thread_ids(&self, complaint_id: i64) -> Result<ThreadIds> {
        let mut stmt = self.tx.prepare(
            "SELECT 'in', message_id, received_at FROM messages WHERE complaint_id = ?1 AND class IN ('complaint', 'reply')
             UNION ALL
             SELECT 'out', trim(message_id, '<>'), created_at FROM outbox WHERE complaint_id = ?1 AND purpose != 'referral'
             ORDER BY 3",
        )?;
        let rows = stmt.query_map([complaint_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut ids = ThreadIds::default();
        for row in rows {
            let (dir, id) = row?;
            if dir == "in" && !id.ends_with("@pengaduan.invalid") {
                ids.last_inbound = Some(id.clone());
            }
            ids.all.push(id);
        }
        Ok(ids)
    }

    /// The case file: every inbound message with its text and every mail we sent.
    pub fn case_messages(&self, complaint_id: i64) -> Result<Vec<CaseMessage>> {
        let mut stmt = self.tx.prepare(
            "SELECT 'in' AS direction, received_at AS at, from_email, subject, body_text
               FROM messages WHERE complaint_id = ?1
             UNION ALL
             SELECT 'out', coalesce(sent_at, created_at), mail_from, subject, '' FROM outbox WHERE complaint_id = ?1
             ORDER BY 2",
        )?;
        let rows = stmt.query_map([complaint_id], |r| {
            Ok(CaseMessage {
                direction: word(r, 0)?,
                at: time(r, 1)?,
                from: r.get(2)?,
                subject: r.get(3)?,
                text: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn events(&self, complaint_id: i64) -> Result<Vec<EventRow>> {
        events_of(&self.tx, complaint_id)
    }
}

fn events_of(conn: &Connection, complaint_id: i64) -> Result<Vec<EventRow>> {
    let mut stmt = conn.prepare(
        "SELECT at, actor, kind, detail FROM events WHERE complaint_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([complaint_id], |r| {
        Ok(EventRow {
            at: time(r, 0)?,
            actor: r.get(1)?,
            kind: r.get(2)?,
            detail: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The register page's walks follow an index in deadline order: no sort of the
    /// waiting complaints, however many there are, with or without the overdue filter.
    #[test]
    fn the_register_walks_follow_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("p.db")).unwrap();
        for (status, due, index) in [
            ("received", "review_due", "complaints_review_due"),
            ("reviewed", "answer_due", "complaints_status"),
        ] {
            for cond in [
                format!("status = '{status}'"),
                format!("status = '{status}' AND kind = ?2 AND {due} < ?3"),
            ] {
                let mut stmt = store
                    .conn
                    .prepare(&format!(
                        "EXPLAIN QUERY PLAN {}",
                        register_walk_sql(due, &cond, "?1")
                    ))
                    .unwrap();
                let args = vec![""; stmt.parameter_count()];
                let plan: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(args), |r| r.get(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                let plan = plan.join("; ");
                assert!(plan.contains(index), "{cond}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{cond}: {plan}");
            }
        }
    }

    /// Commits `pages` pages of data, then one small write (which starts the log over
    /// when everything in it was already copied into the database).
    fn big_commit_then_a_small_one(store: &Store, pages: usize) {
        let sql = |q: &str| store.conn.execute_batch(q).unwrap();
        sql("CREATE TABLE IF NOT EXISTS scratch (b BLOB)");
        sql(&format!(
            "INSERT INTO scratch VALUES (zeroblob({}))",
            pages * 4096
        ));
        sql("INSERT INTO scratch VALUES (x'00')");
    }

    #[test]
    fn the_checkpointer_follows_a_written_log_and_starts_a_long_one_over() {
        use AfterPass::*;
        // Nothing written since the last pass: no hurry.
        assert_eq!(after_pass((0, 0), (0, 0)), Wait);
        assert_eq!(after_pass((500, 500), (500, 500)), Wait);
        // Being written to: follow it.
        assert_eq!(after_pass((0, 0), (1_500, 1_500)), Soon);
        assert_eq!(after_pass((1_500, 1_500), (3_000, 3_000)), Soon);
        // Long: start it over.
        assert_eq!(after_pass((7_000, 7_000), (8_500, 8_500)), Restart);
        // Frames held back for a reader, no progress: wait instead of spinning.
        assert_eq!(after_pass((9_000, 6_000), (9_500, 6_000)), Wait);
        // The log was started over since the last pass: its count starts again from 0.
        assert_eq!(after_pass((8_500, 8_500), (1_200, 1_200)), Soon);
    }

    /// Rows come out typed; a word or time the database holds that this build cannot read
    /// is an error naming the column and the value, not a panic and not a default.
    #[test]
    fn an_unreadable_value_is_an_error_naming_its_column() {
        use chrono::TimeZone;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("p.db")).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        let tx = store.transaction().unwrap();
        let ticket = tx.next_ticket(2026).unwrap();
        tx.insert_complaint(
            &NewComplaint {
                ticket: &ticket,
                status: Status::Received,
                kind: Kind::Saran,
                channel: Channel::Telepon,
                lapor_number: None,
                complainant_email: None,
                complainant_name: Some("Siti"),
                phones: &[],
                subject: "Antrean",
                body: "Antrean lama.",
                received_at: at,
                ack_due: at,
                review_due: at,
                answer_due: at,
            },
            at,
        )
        .unwrap();
        tx.commit().unwrap();

        let row = store.complaint(&ticket).unwrap().unwrap();
        assert_eq!(
            (row.ticket, row.status, row.kind, row.channel),
            (ticket, Status::Received, Kind::Saran, Channel::Telepon)
        );
        assert_eq!((row.received_at, row.ack_sent_at), (at, None));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["ticket"], "ADU-2026-0001");
        assert_eq!(json["status"], "received");
        assert_eq!(json["channel"], "telepon");
        assert_eq!(json["received_at"], "2026-03-12T10:00:00+07:00");
        assert_eq!(json["ack_sent_at"], serde_json::Value::Null);

        let sql = |q: &str| store.conn.execute_batch(q).unwrap();
        sql("UPDATE complaints SET status = 'ditunda'");
        let e = format!("{:#}", store.complaint(&ticket).unwrap_err());
        assert!(
            e.contains("column status") && e.contains("\"ditunda\""),
            "{e}"
        );
        let e = format!("{:#}", store.list_complaints(&ListFilter::ALL).unwrap_err());
        assert!(e.contains("column status"), "{e}");

        sql("UPDATE complaints SET status = 'received', review_due = 'besok'");
        let e = format!("{:#}", store.complaint(&ticket).unwrap_err());
        assert!(
            e.contains("column review_due") && e.contains("\"besok\""),
            "{e}"
        );
    }

    /// Issue 17's migration on a database written by the release before it: closes by staff
    /// become "recorded by staff" (no claim the complainant said it), unanswered praise is
    /// no longer satisfied, a mailed PUAS or TIDAK PUAS is the complainant's own word, and
    /// an answer counts from its mail's acceptance (none while the mail waits).
    #[test]
    fn the_migration_keeps_staff_closes_apart_from_the_complainants_word() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        // The database as it was before the migration of issue 17's parts 4 and 5.
        let before = schema::MIGRATIONS
            .iter()
            .position(|m| m.contains("ADD COLUMN satisfaction_heard"))
            .unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            for step in &schema::MIGRATIONS[..before] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", before as i64)
                .unwrap();
            let t = "2026-03-12T03:00:00.000Z";
            let (answered, sent) = ("2026-03-13T03:00:00.000Z", "2026-03-13T03:05:00.000Z");
            // (seq, status, kind, answered, event kind and detail, answer mail status)
            type Row<'a> = (
                i64,
                &'a str,
                &'a str,
                bool,
                Option<(&'a str, &'a str)>,
                Option<&'a str>,
            );
            let rows: &[Row] = &[
                (
                    1,
                    "closed_satisfied",
                    "pengaduan",
                    true,
                    Some(("status:closed_satisfied", "ditutup oleh petugas")),
                    Some("sent"),
                ),
                (
                    2,
                    "closed_satisfied",
                    "pengaduan",
                    true,
                    Some(("status:closed_satisfied", "pengadu menyatakan puas")),
                    Some("sent"),
                ),
                (
                    3,
                    "closed_satisfied",
                    "apresiasi",
                    false,
                    Some(("status:closed_satisfied", "ditutup oleh petugas")),
                    None,
                ),
                (
                    4,
                    "referred",
                    "pengaduan",
                    true,
                    Some(("status:referred", "pengadu menyatakan tidak puas")),
                    Some("sent"),
                ),
                (
                    5,
                    "referred",
                    "pengaduan",
                    true,
                    Some(("status:referred", "dirujuk oleh petugas")),
                    Some("sent"),
                ),
                (6, "answered", "pengaduan", true, None, Some("pending")),
                (7, "answered", "pengaduan", true, None, None),
                (
                    8,
                    "closed_satisfied",
                    "saran",
                    true,
                    Some((
                        "status:closed_satisfied",
                        "petugas membaca balasan pengadu: puas",
                    )),
                    Some("failed"),
                ),
                (9, "acknowledged", "pengaduan", false, None, None),
            ];
            for (seq, status, kind, was_answered, event, mail) in rows {
                conn.execute(
                    "INSERT INTO complaints (ticket, year, seq, status, kind, channel, subject, body,
                        received_at, ack_due, review_due, answer_due, answer, answered_at, created_at)
                     VALUES (?1, 2026, ?2, ?3, ?4, 'email', 's', 'b', ?5, ?5, ?5, ?5, ?6, ?7, ?5)",
                    params![
                        format!("ADU-2026-{seq:04}"),
                        seq,
                        status,
                        kind,
                        t,
                        was_answered.then_some("jawaban"),
                        was_answered.then_some(answered)
                    ],
                )
                .unwrap();
                if let Some((kind, detail)) = event {
                    conn.execute(
                        "INSERT INTO events (complaint_id, at, actor, kind, detail) VALUES (?1, ?2, 'x', ?3, ?4)",
                        params![seq, t, kind, detail],
                    )
                    .unwrap();
                }
                if let Some(state) = mail {
                    conn.execute(
                        "INSERT INTO outbox (idem_key, message_id, complaint_id, purpose, automatic, mail_from,
                            rcpt_to, subject, raw, status, next_attempt_at, created_at, sent_at)
                         VALUES (?1, ?1, ?2, 'answer', 0, 'p', 'w', 's', x'00', ?3, ?4, ?4, ?5)",
                        params![
                            format!("answer:{seq}"),
                            seq,
                            state,
                            answered,
                            (*state == "sent").then_some(sent)
                        ],
                    )
                    .unwrap();
                }
            }
        }
        let store = Store::open(&path).unwrap();
        let got = |seq: u32| {
            let c = store
                .complaint(&Ticket { year: 2026, seq })
                .unwrap()
                .unwrap();
            (
                c.status.as_str(),
                c.satisfaction_heard.map(Heard::as_str),
                c.answer_sent_at.map(to_db),
            )
        };
        let (answered, sent) = (
            Some("2026-03-13T03:00:00.000Z".to_string()),
            Some("2026-03-13T03:05:00.000Z".to_string()),
        );
        assert_eq!(got(1), ("closed_satisfied", Some("petugas"), sent.clone()));
        assert_eq!(got(2), ("closed_satisfied", Some("surel"), sent.clone()));
        assert_eq!(got(3), ("closed_without_answer", None, None));
        assert_eq!(got(4), ("referred", Some("surel"), sent.clone()));
        assert_eq!(got(5), ("referred", None, sent));
        assert_eq!(got(6), ("answered", None, None), "still in the outbox");
        assert_eq!(got(7), ("answered", None, answered), "given without mail");
        assert_eq!(
            got(8),
            ("closed_satisfied", Some("surel"), None),
            "its mail failed"
        );
        assert_eq!(got(9), ("acknowledged", None, None));
    }

    #[test]
    fn deferred_checkpoints_leave_the_log_to_the_checkpointer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");

        // SQLite's default: the 1,500-page commit copies the log into the database itself,
        // so the next write starts the log over.
        let plain = Store::open(&path).unwrap();
        big_commit_then_a_small_one(&plain, 1500);
        let (log, _) = plain.checkpoint().unwrap();
        assert!(
            log < 100,
            "commit checkpointed by itself: {log} frames left"
        );
        drop(plain);

        // Deferred: the commit leaves the log alone; `checkpoint` copies all of it, and the
        // write after that starts the log over.
        let daemon = Store::open(&path).unwrap();
        daemon.defer_checkpoints().unwrap();
        big_commit_then_a_small_one(&daemon, 1500);
        let (log, copied) = daemon.checkpoint().unwrap();
        assert!(
            log >= 1500,
            "the commit checkpointed: only {log} frames in the log"
        );
        assert_eq!(copied, log);
        daemon
            .conn
            .execute_batch("INSERT INTO scratch VALUES (x'01')")
            .unwrap();
        let (log, copied) = daemon.checkpoint().unwrap();
        assert!(log < 100 && copied == log, "{log} / {copied}");
    }
}
