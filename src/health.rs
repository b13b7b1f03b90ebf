//! The daemon watching itself. When the mailbox has not been read successfully for
//! `alerts.mailbox_silent_minutes`, `recipients.tim_pengaduan` get one alert; when a read
//! succeeds again, one "recovered" mail. `decide` is PURE; `Pipeline::check_health` runs it
//! on the `health` table and queues the mail through the outbox in the same transaction
//! that records the alert's state, so a restart neither repeats nor loses it.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::{to_db, to_wib_rfc3339};
use crate::ingest::Pipeline;
use crate::mail::compose::{self, MailSpec, OutgoingMail, PuskesmasView, Recipient};
use crate::store::Store;

/// `health` keys. `imap_ok`: the last successful mailbox read (set by the watcher after
/// every fetch round, at least every `idle_refresh_seconds`); `imap_error`: the last
/// connection failure; `daemon_started`: when `run` began; `mailbox_alert`: `silent`
/// while an alert is open, `ok` after recovery, its time when that changed.
pub const IMAP_OK: &str = "imap_ok";
pub const IMAP_ERROR: &str = "imap_error";
pub const DAEMON_STARTED: &str = "daemon_started";
pub const ALERT: &str = "mailbox_alert";
/// `imap_limit`: the server limits the account ([`ImapHold`] as JSON); removed by the next
/// successful read. `imap_budget`: fetching waits for the daily download budget
/// ([`DownloadHold`] as JSON); removed when nothing waits.
pub const IMAP_LIMIT: &str = "imap_limit";
pub const IMAP_BUDGET: &str = "imap_budget";

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

/// PURE: the hold after a refusal of `cause` at `now`, following `previous` (the hold
/// before it, when nothing succeeded since): `first`, doubling with each refusal in a row,
/// at most `cap`. Also whether this refusal begins a new episode.
pub fn hold_after<C: Copy + PartialEq>(
    previous: Option<&Limited<C>>,
    cause: C,
    reply: &str,
    now: DateTime<Utc>,
    (first, cap): (Duration, Duration),
) -> (Limited<C>, bool) {
    let same = previous.filter(|p| p.cause == cause);
    let strikes = same.map_or(1, |p| p.strikes.saturating_add(1));
    let wait = (first * (1i32 << (strikes - 1).min(10))).min(cap);
    let hold = Limited {
        cause,
        since: same.map_or(now, |p| p.since),
        until: now + wait,
        strikes,
        reply: reply.to_string(),
    };
    (hold, same.is_none())
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
    /// The whole outbox waits (Gmail's daily limit, too many logins).
    pub smtp_pause: Option<crate::outbox::Pause>,
    /// The IMAP server limits the account.
    pub imap_limit: Option<ImapHold>,
    pub download_hold: Option<DownloadHold>,
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

/// What Gmail's limits mean, in the words `check` uses (`cause` as in [`LimitView`]).
pub fn limit_meaning(cause: &str) -> &'static str {
    match cause {
        "daily_limit" => {
            "Gmail menolak semua surel: batas kirim harian akun tercapai (tidak ada surel yang \
             hilang, semuanya menunggu di kotak keluar)"
        }
        "too_many_logins" => "Gmail menolak login SMTP: akun terlalu sering login",
        "bandwidth" => {
            "Gmail membatasi akun: batas unduhan harian IMAP (sekitar 2.500 MB) terlampaui; \
             kata sandi tidak salah"
        }
        "connections" => {
            "Gmail membatasi akun: terlalu banyak koneksi bersamaan (paling banyak 15, misalnya \
             ponsel atau aplikasi surel lain); Gmail lalu menjawab seolah-olah kata sandi salah, \
             padahal kata sandi tidak salah"
        }
        _ => "Gmail membatasi akun",
    }
}

/// `check`'s lines about Gmail's limits: (needs a person, what, detail). `sending`: mail
/// sent in the last 24 hours and `[smtp] daily_limit`; `download`: bytes downloaded in the
/// last 24 hours and the download budget.
pub fn limit_lines(
    state: &SystemState,
    sending: Option<(u32, u32)>,
    download: Option<(u64, u64)>,
) -> Vec<(bool, &'static str, String)> {
    let when = |t| crate::templates::format_date(&to_wib_rfc3339(t), true);
    let mut lines = Vec::new();
    let held = |v: LimitView| {
        format!(
            "{} sejak {}; dicoba lagi {} — {}",
            limit_meaning(&v.cause),
            crate::templates::format_date(&v.since, true),
            crate::templates::format_date(&v.until, true),
            v.reply
        )
    };
    if let Some(p) = &state.smtp_pause {
        lines.push((true, "pengiriman surel ditahan", held(p.into())));
    }
    if let Some((sent, limit)) = sending {
        let (warn, note) = match crate::outbox::admitted(limit, sent) {
            Some(crate::outbox::Priority::Staff) => (false, ""),
            Some(_) => (
                true,
                "; sisanya hanya untuk tanda terima dan jawaban, pengingat dan ringkasan menunggu",
            ),
            None => (true, "; habis, pengiriman berhenti sampai kuota pulih"),
        };
        lines.push((
            warn,
            "kuota kirim harian",
            format!("{sent} dari {limit} surel dalam 24 jam terakhir{note}"),
        ));
    }
    if let Some(h) = &state.imap_limit {
        lines.push((true, "kotak surel dibatasi Gmail", held(h.into())));
    }
    if let Some((used, budget)) = download {
        let mb = |b: u64| b / (1024 * 1024);
        let detail = format!("{} dari {} MB dalam 24 jam terakhir", mb(used), mb(budget));
        match &state.download_hold {
            Some(hold) => lines.push((
                true,
                "kuota unduh harian",
                format!(
                    "{detail}; habis: {}{} menunggu sampai {}",
                    if hold.backfill {
                        "surel lama (backfill)"
                    } else {
                        ""
                    },
                    match (hold.backfill, hold.new) {
                        (_, 0) => String::new(),
                        (true, n) => format!(" dan {n} surel baru"),
                        (false, n) => format!("{n} surel baru"),
                    },
                    when(hold.until)
                ),
            )),
            None => lines.push((false, "kuota unduh harian", detail)),
        }
    }
    lines
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

/// An account limit as staff read it: `cause` is `bandwidth` or `connections` (IMAP),
/// `daily_limit` or `too_many_logins` (SMTP).
#[derive(Debug, Clone, Serialize)]
pub struct LimitView {
    pub cause: String,
    pub since: String,
    pub until: String,
    pub reply: String,
}

impl LimitView {
    /// A cause's name as stored (`daily_limit`, `bandwidth`, …).
    pub fn cause_of(cause: &impl Serialize) -> String {
        serde_json::to_value(cause)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl<C: Serialize> From<&Limited<C>> for LimitView {
    fn from(l: &Limited<C>) -> LimitView {
        LimitView {
            cause: LimitView::cause_of(&l.cause),
            since: to_wib_rfc3339(l.since),
            until: to_wib_rfc3339(l.until),
            reply: l.reply.clone(),
        }
    }
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
        pause: &crate::outbox::Pause,
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
