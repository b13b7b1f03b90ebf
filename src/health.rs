//! The daemon watching itself. When the mailbox has not been read successfully for
//! `alerts.mailbox_silent_minutes`, `recipients.tim_pengaduan` get one alert; when a read
//! succeeds again, one "recovered" mail. `decide` is PURE; `Pipeline::check_health` runs it
//! on the `health` table and queues the mail through the outbox in the same transaction
//! that records the alert's state, so a restart neither repeats nor loses it.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::clock::{to_db, to_wib_rfc3339};
use crate::ingest::Pipeline;
use crate::mail::compose::{self, MailSpec, PuskesmasView, Recipient};
use crate::store::Store;

/// `health` keys. `imap_ok`: the last successful mailbox read (set by the watcher after
/// every fetch round, at least every `idle_refresh_seconds`); `imap_error`: the last
/// connection failure; `daemon_started`: when `run` began; `mailbox_alert`: `silent`
/// while an alert is open, `ok` after recovery, its time when that changed.
pub const IMAP_OK: &str = "imap_ok";
pub const IMAP_ERROR: &str = "imap_error";
pub const DAEMON_STARTED: &str = "daemon_started";
pub const ALERT: &str = "mailbox_alert";

/// What the daemon knows of its own health (read by `Store::system_state`).
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
}

/// The error when no success came after it: the trouble is current.
fn current(
    error: &Option<(String, DateTime<Utc>)>,
    ok: Option<DateTime<Utc>>,
) -> Option<&(String, DateTime<Utc>)> {
    error
        .as_ref()
        .filter(|(_, at)| ok.is_none_or(|ok| ok < *at))
}

impl SystemState {
    /// The last mailbox error, when no read succeeded after it.
    pub fn current_imap_error(&self) -> Option<&(String, DateTime<Utc>)> {
        current(&self.last_imap_error, self.mailbox_read_at)
    }

    /// The last sending error, when no mail went out after it.
    pub fn current_smtp_error(&self) -> Option<&(String, DateTime<Utc>)> {
        current(&self.last_smtp_error, self.smtp_sent_at)
    }

    /// The mailbox counts as read at start: a daemon that was switched off is not
    /// "silent" for the hours it was off, only from the moment it should be reading.
    pub fn silent_since(&self) -> Option<DateTime<Utc>> {
        match (self.mailbox_read_at, self.daemon_started_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Open an alert: nothing was read since `since`.
    Silent { since: DateTime<Utc> },
    /// Close the alert opened at `opened`: a read succeeded after it.
    Recovered { opened: DateTime<Utc> },
}

/// PURE: whether the alert opens or closes now.
pub fn decide(
    state: &SystemState,
    now: DateTime<Utc>,
    silent_after: Duration,
) -> Option<Transition> {
    let since = state.silent_since()?;
    match state.alert {
        None if now - since >= silent_after => Some(Transition::Silent { since }),
        Some(opened) if state.mailbox_read_at.is_some_and(|read| read > opened) => {
            Some(Transition::Recovered { opened })
        }
        _ => None,
    }
}

/// Mail waiting longer than this to be sent counts as stuck.
pub const OUTBOX_STUCK_AFTER: Duration = Duration::hours(1);

/// Something that makes the daemon unhealthy now (`/healthz`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The mailbox was never read and the daemon never started.
    MailboxNeverRead,
    /// No successful read since then, for at least `silent_after`.
    MailboxSilent { since: DateTime<Utc> },
    /// The oldest mail waiting to be sent has waited since then.
    OutboxStuck { since: DateTime<Utc> },
}

/// PURE: what is wrong at `now`; empty when healthy. The mailbox is judged as `decide`
/// judges it (counted from the daemon's start after downtime).
pub fn judge(state: &SystemState, now: DateTime<Utc>, silent_after: Duration) -> Vec<Problem> {
    let mailbox = match state.silent_since() {
        None => Some(Problem::MailboxNeverRead),
        Some(since) if now - since >= silent_after => Some(Problem::MailboxSilent { since }),
        Some(_) => None,
    };
    let outbox = state
        .oldest_pending
        .filter(|t| now - *t > OUTBOX_STUCK_AFTER)
        .map(|since| Problem::OutboxStuck { since });
    mailbox.into_iter().chain(outbox).collect()
}

/// What `templates/mail/health.*` see. Times are RFC 3339 in WIB.
#[derive(Serialize)]
struct HealthContext {
    puskesmas: PuskesmasView,
    /// `silent` or `recovered`.
    state: &'static str,
    /// `silent`: the last successful read (or the daemon's start); `recovered`: when the
    /// alert was opened.
    since: String,
    minutes: i64,
    read_at: Option<String>,
    last_error: Option<String>,
    mailbox: String,
}

impl Pipeline {
    /// Opens or closes the mailbox alert and queues its mail. Returns the idempotency key
    /// of a queued mail. One transaction.
    pub fn check_health(&self, store: &mut Store, now: DateTime<Utc>) -> Result<Option<String>> {
        let silent_after = Duration::minutes(self.config.alerts.mailbox_silent_minutes.into());
        let tx = store.transaction()?;
        let state = tx.system_state()?;
        let Some(change) = decide(&state, now, silent_after) else {
            return Ok(None);
        };
        let (name, value, key, since) = match change {
            Transition::Silent { since } => (
                "silent",
                "silent",
                format!("health:mailbox:silent:{}", to_db(since)),
                since,
            ),
            Transition::Recovered { opened } => (
                "recovered",
                "ok",
                format!("health:mailbox:recovered:{}", to_db(opened)),
                opened,
            ),
        };
        tx.set_health(ALERT, value, now)?;
        let team: Vec<Recipient<'_>> = self
            .config
            .recipients
            .tim_pengaduan
            .iter()
            .map(|email| Recipient { name: None, email })
            .collect();
        let queued = if team.is_empty() {
            tracing::warn!("mailbox alert ({name}) not mailed: recipients.tim_pengaduan is empty");
            None
        } else {
            let ctx = HealthContext {
                puskesmas: (&self.config.puskesmas).into(),
                state: name,
                since: to_wib_rfc3339(since),
                minutes: (now - since).num_minutes(),
                read_at: state.mailbox_read_at.map(to_wib_rfc3339),
                last_error: state.last_imap_error.map(|(e, _)| e),
                mailbox: self
                    .config
                    .imap
                    .as_ref()
                    .map(|i| format!("{} ({})", i.username, i.mailbox))
                    .unwrap_or_default(),
            };
            let mail = compose::render(
                &self.templates,
                &MailSpec {
                    template: "mail/health",
                    idem_key: key.clone(),
                    purpose: "health",
                    automatic: true,
                    from: &self.config.puskesmas,
                    to: &team,
                    thread: None,
                },
                &ctx,
                now,
            )
            .context("cannot render the health alert (templates/mail/health.*)")?;
            tx.enqueue(&mail, None, now)?.then_some(key)
        };
        tx.commit()?;
        match change {
            Transition::Silent { .. } => tracing::error!(
                minutes = (now - since).num_minutes(),
                "mailbox not read successfully since {since}: the team is alerted"
            ),
            Transition::Recovered { .. } => tracing::info!("mailbox read again: alert closed"),
        }
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    #[test]
    fn alert_opens_after_the_silence_and_closes_after_a_read() {
        let limit = Duration::minutes(30);
        let mut s = SystemState {
            mailbox_read_at: Some(t(1, 0)),
            daemon_started_at: Some(t(0, 0)),
            ..SystemState::default()
        };
        assert_eq!(decide(&s, t(1, 29), limit), None);
        assert_eq!(
            decide(&s, t(1, 30), limit),
            Some(Transition::Silent { since: t(1, 0) })
        );
        s.alert = Some(t(1, 30));
        assert_eq!(decide(&s, t(3, 0), limit), None, "one alert per outage");
        s.mailbox_read_at = Some(t(3, 5));
        assert_eq!(
            decide(&s, t(3, 10), limit),
            Some(Transition::Recovered { opened: t(1, 30) })
        );
    }

    #[test]
    fn judge_names_every_problem() {
        let limit = Duration::minutes(30);
        let ok = SystemState {
            mailbox_read_at: Some(t(1, 0)),
            daemon_started_at: Some(t(0, 0)),
            oldest_pending: Some(t(1, 0)),
            ..SystemState::default()
        };
        assert_eq!(judge(&ok, t(1, 29), limit), vec![]);
        assert_eq!(
            judge(&ok, t(2, 1), limit),
            vec![
                Problem::MailboxSilent { since: t(1, 0) },
                Problem::OutboxStuck { since: t(1, 0) }
            ]
        );
        assert_eq!(
            judge(&SystemState::default(), t(1, 0), limit),
            vec![Problem::MailboxNeverRead]
        );
        // Started but not read yet: healthy until the silence is long enough.
        let started = SystemState {
            daemon_started_at: Some(t(1, 0)),
            ..SystemState::default()
        };
        assert_eq!(judge(&started, t(1, 10), limit), vec![]);
    }

    #[test]
    fn a_restart_after_downtime_is_not_silence_but_never_reading_is() {
        let limit = Duration::minutes(30);
        // Read last on Friday, started again on Monday 08:00.
        let s = SystemState {
            mailbox_read_at: Some(t(0, 0) - Duration::days(3)),
            daemon_started_at: Some(t(8, 0)),
            ..SystemState::default()
        };
        assert_eq!(decide(&s, t(8, 5), limit), None);
        assert_eq!(
            decide(&s, t(8, 30), limit),
            Some(Transition::Silent { since: t(8, 0) })
        );
        // Never read, never started (no daemon): nothing to say.
        assert_eq!(decide(&SystemState::default(), t(8, 30), limit), None);
    }
}
