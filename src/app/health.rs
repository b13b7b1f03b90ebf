//! The daemon watching itself, as a use case: `Pipeline::check_health` runs the PURE
//! `workflow::health::decide` on the `health` table and queues the alert (or "recovered")
//! mail through the outbox in the same transaction that records the alert's state, so a
//! restart neither repeats nor loses it. Also the one statvfs edge (`free_bytes`).

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::app::Pipeline;
use crate::clock::{to_db, to_wib_rfc3339};
use crate::mail::compose::{self, MailSpec, OutgoingMail, PuskesmasView, Recipient};
use crate::store::health::keys::ALERT;
use crate::store::Store;
use crate::workflow::health::{decide, LimitView, Transition};

/// Free bytes for an unprivileged user on the file system holding `dir` (statvfs(3));
/// `None` when it cannot be read. An EDGE, beside the judgement that uses it.
pub fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` is written by statvfs before it is read.
    let rc = unsafe { libc::statvfs(path.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// The folder holding the database file (the current folder for a bare file name).
pub fn database_dir(database: &std::path::Path) -> &std::path::Path {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
}

/// What `templates/mail/health.*` see. Times are RFC 3339 in WIB.
#[derive(Serialize)]
struct HealthContext {
    puskesmas: PuskesmasView,
    /// `silent`, `recovered` (the mailbox), or `sending_paused` (the outbox).
    state: &'static str,
    /// `silent`: the last successful read (or the daemon's start); `recovered`: when the
    /// alert was opened; `sending_paused`: the first refusal.
    since: String,
    minutes: i64,
    read_at: Option<String>,
    last_error: Option<String>,
    mailbox: String,
    /// The account limit behind it (`silent`: the IMAP server's, `sending_paused`: SMTP's).
    limit: Option<LimitView>,
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
        let ctx = HealthContext {
            puskesmas: (&self.config.puskesmas).into(),
            state: name,
            since: to_wib_rfc3339(since),
            minutes: (now - since).num_minutes(),
            read_at: state.mailbox_read_at.map(to_wib_rfc3339),
            last_error: state.last_imap_error.map(|(e, _)| e),
            mailbox: self.mailbox_name(),
            limit: state.imap_limit.as_ref().map(LimitView::from),
        };
        let queued = match self.team_alert(key.clone(), "health", &ctx, now)? {
            Some(mail) => tx.enqueue(&mail, None, now)?.then_some(key),
            None => None,
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

    /// The team's alert that Gmail refused to send any mail (the outbox queues it in the
    /// transaction that records the pause); `None` when `recipients.tim_pengaduan` is empty.
    pub fn outbox_alert(
        &self,
        pause: &crate::store::health::Pause,
        now: DateTime<Utc>,
    ) -> Result<Option<OutgoingMail>> {
        let ctx = HealthContext {
            puskesmas: (&self.config.puskesmas).into(),
            state: "sending_paused",
            since: to_wib_rfc3339(pause.since),
            minutes: (now - pause.since).num_minutes(),
            read_at: None,
            last_error: Some(pause.reply.clone()),
            mailbox: self.mailbox_name(),
            limit: Some(pause.into()),
        };
        let key = format!("health:outbox:paused:{}", to_db(pause.since));
        self.team_alert(key, crate::outbox::PAUSE_ALERT, &ctx, now)
    }

    fn mailbox_name(&self) -> String {
        self.config
            .imap
            .as_ref()
            .map(|i| format!("{} ({})", i.username, i.mailbox))
            .unwrap_or_default()
    }

    /// Renders `templates/mail/health.*` to `recipients.tim_pengaduan`.
    fn team_alert(
        &self,
        key: String,
        purpose: &'static str,
        ctx: &HealthContext,
        now: DateTime<Utc>,
    ) -> Result<Option<OutgoingMail>> {
        let team: Vec<Recipient<'_>> = self
            .config
            .recipients
            .tim_pengaduan
            .iter()
            .map(|email| Recipient { name: None, email })
            .collect();
        if team.is_empty() {
            tracing::warn!(
                "alert ({}) not mailed: recipients.tim_pengaduan is empty",
                ctx.state
            );
            return Ok(None);
        }
        let mail = compose::render(
            &self.templates,
            &MailSpec {
                template: "mail/health",
                idem_key: key,
                purpose,
                automatic: true,
                from: &self.config.puskesmas,
                to: &team,
                thread: None,
            },
            ctx,
            now,
        )
        .context("cannot render the health alert (templates/mail/health.*)")?;
        Ok(Some(mail))
    }
}
