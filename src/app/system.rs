//! The daemon's own condition for staff (*Kondisi sistem*, `/sistem` and `pengaduan outbox`):
//! the facts read in one place, judged by the one `health::judge`, and the one action on
//! them, sending a failed mail again.

use anyhow::Result;
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::Serialize;

use super::actions::{ActionError, ActionResult};
use crate::calendar::{local_date, Calendar};
use crate::clock::to_wib_rfc3339;
use crate::config::Config;
use crate::domain::Delivery;
use crate::outbox::SENDING_WINDOW;
use crate::store::health::{OutboxEntry, SystemState};
use crate::store::Store;
use crate::workflow::health::{self, Facts, LimitView, Problem, ProblemView, Thresholds};

/// Everything the judgement looks at, read at `now`, and its verdict.
#[derive(Debug, Clone)]
pub struct Reading {
    pub state: SystemState,
    /// Mail sent in the last 24 hours (when SMTP is configured).
    pub sent: Option<u32>,
    /// Bytes downloaded in the last 24 hours (when IMAP is configured).
    pub downloaded: Option<u64>,
    pub missing_lists: Vec<i32>,
    pub stale_deadlines: usize,
    pub free_disk: Option<u64>,
    pub problems: Vec<Problem>,
}

/// Reads the facts and judges them. `calendar`: `None` when it could not be loaded (the
/// holiday lists are then not judged).
pub fn read_health(
    store: &Store,
    config: &Config,
    calendar: Option<&Calendar>,
    now: DateTime<Utc>,
) -> Result<Reading> {
    let state = store.system_state()?;
    let sent = match config.smtp {
        Some(_) => Some(store.sent_since(now - SENDING_WINDOW)?.0),
        None => None,
    };
    let downloaded = match config.imap {
        Some(_) => Some(store.downloaded_since(now - Duration::hours(24))?.0),
        None => None,
    };
    let missing_lists = calendar.map_or_else(Vec::new, |c| crate::calendar::missing_lists(now, c));
    let stale_deadlines = match calendar {
        Some(c) => super::calendar::stale_deadlines(store, c)?,
        None => 0,
    };
    let free_disk =
        crate::app::health::free_bytes(crate::app::health::database_dir(&config.storage.database));
    let problems = health::judge(
        &Facts {
            state: &state,
            sent,
            downloaded,
            missing_lists: &missing_lists,
            stale_deadlines,
            free_disk,
        },
        &Thresholds::of(config),
        now,
    );
    Ok(Reading {
        state,
        sent,
        downloaded,
        missing_lists,
        stale_deadlines,
        free_disk,
        problems,
    })
}

/// An error as the page shows it; `current`: nothing succeeded after it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorView {
    pub text: String,
    pub at: String,
    pub current: bool,
}

/// Used of a daily budget, in mails or MB.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    pub used: u64,
    pub limit: u64,
    /// Whole percent, at most 100 (for the bar).
    pub percent: u64,
}

impl Budget {
    fn of(used: u64, limit: u64) -> Budget {
        let percent = match limit {
            0 => 100,
            l => (used.saturating_mul(100) / l).min(100),
        };
        Budget {
            used,
            limit,
            percent,
        }
    }
}

/// One mail of the outbox table on the page. Times are RFC 3339 in WIB.
#[derive(Debug, Clone, Serialize)]
pub struct MailView {
    pub id: i64,
    pub purpose: String,
    pub rcpt_to: String,
    pub subject: String,
    pub failed: bool,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: String,
    pub created_at: String,
}

impl From<&OutboxEntry> for MailView {
    fn from(e: &OutboxEntry) -> MailView {
        MailView {
            id: e.id,
            purpose: e.purpose.clone(),
            rcpt_to: e.rcpt_to.replace(',', ", "),
            subject: e.subject.clone(),
            failed: e.status == Delivery::Failed,
            attempts: e.attempts,
            last_error: e.last_error.clone(),
            next_attempt_at: to_wib_rfc3339(e.next_attempt_at),
            created_at: to_wib_rfc3339(e.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HolidayList {
    pub year: i32,
    pub present: bool,
    /// The year's days off as `pengaduan calendar YEAR` lists them.
    pub days: Vec<crate::calendar::DayOff>,
}

/// *Kondisi sistem*: what `templates/web/sistem.html` sees. Times are RFC 3339 in WIB.
#[derive(Debug, Clone, Serialize)]
pub struct SystemPage {
    pub now: String,
    /// The judgement, the most urgent first.
    pub problems: Vec<ProblemView>,
    /// Any problem makes the daemon unhealthy (`/healthz` answers 503).
    pub unhealthy: bool,
    pub mailbox_read_at: Option<String>,
    pub mailbox_read_minutes: Option<i64>,
    pub daemon_started_at: Option<String>,
    pub imap_error: Option<ErrorView>,
    pub imap_limit: Option<LimitView>,
    pub smtp_sent_at: Option<String>,
    pub smtp_error: Option<ErrorView>,
    pub smtp_pause: Option<LimitView>,
    /// Mail sent in the last 24 hours of `[smtp] daily_limit`.
    pub sending: Option<Budget>,
    /// MB downloaded in the last 24 hours of `[imap] daily_download_mb`.
    pub download: Option<Budget>,
    pub outbox_pending: i64,
    pub outbox_failed: i64,
    /// Failed mail (newest first), then mail waiting over an hour (oldest first).
    pub mails: Vec<MailView>,
    pub free_disk_mb: Option<u64>,
    pub database_dir: String,
    /// This year's and next year's holiday list.
    pub holidays: Vec<HolidayList>,
}

fn error_view(
    e: &Option<(String, DateTime<Utc>)>,
    current: Option<&(String, DateTime<Utc>)>,
) -> Option<ErrorView> {
    e.as_ref().map(|(text, at)| ErrorView {
        text: text.clone(),
        at: to_wib_rfc3339(*at),
        current: current.is_some(),
    })
}

/// The page's read model (reads the store, decides nothing but through `health::judge`).
pub fn system_page(
    store: &Store,
    config: &Config,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<SystemPage> {
    let r = read_health(store, config, Some(calendar), now)?;
    page_of(&r, store, config, Some(calendar), now)
}

/// [`SystemPage`] from a [`Reading`] already made (`pengaduan check` reads once and shows
/// the same facts as the page). Without a calendar the holiday lists are left out.
pub fn page_of(
    r: &Reading,
    store: &Store,
    config: &Config,
    calendar: Option<&Calendar>,
    now: DateTime<Utc>,
) -> Result<SystemPage> {
    let s = &r.state;
    let mails = store
        .outbox_attention(now - health::OUTBOX_STUCK_AFTER)?
        .iter()
        .map(MailView::from)
        .collect();
    let mb = |b: u64| b / (1024 * 1024);
    let year = local_date(now).year();
    Ok(SystemPage {
        now: to_wib_rfc3339(now),
        unhealthy: r.problems.iter().any(Problem::unhealthy),
        problems: health::shown(&r.problems),
        mailbox_read_at: s.mailbox_read_at.map(to_wib_rfc3339),
        mailbox_read_minutes: s.mailbox_read_at.map(|t| (now - t).num_minutes().max(0)),
        daemon_started_at: s.daemon_started_at.map(to_wib_rfc3339),
        imap_error: error_view(&s.last_imap_error, s.current_imap_error()),
        imap_limit: s.imap_limit.as_ref().map(LimitView::from),
        smtp_sent_at: s.smtp_sent_at.map(to_wib_rfc3339),
        smtp_error: error_view(&s.last_smtp_error, s.current_smtp_error()),
        smtp_pause: s.smtp_pause.as_ref().map(LimitView::from),
        sending: r
            .sent
            .zip(config.smtp.as_ref())
            .map(|(sent, c)| Budget::of(sent.into(), c.daily_limit.into())),
        download: r
            .downloaded
            .zip(config.imap.as_ref())
            .map(|(used, c)| Budget::of(mb(used), mb(c.daily_download_bytes))),
        outbox_pending: s.outbox_pending,
        outbox_failed: s.outbox_failed,
        mails,
        free_disk_mb: r.free_disk.map(mb),
        database_dir: crate::app::health::database_dir(&config.storage.database)
            .display()
            .to_string(),
        holidays: calendar.map_or_else(Vec::new, |calendar| {
            [year, year + 1]
                .into_iter()
                .map(|year| HolidayList {
                    year,
                    present: calendar.covers_year(year),
                    days: calendar.year_days_off(year),
                })
                .collect()
        }),
    })
}

/// The mail a person should look at (failed, and waiting over an hour), for
/// `pengaduan outbox list`.
pub fn attention(store: &Store, now: DateTime<Utc>) -> Result<Vec<OutboxEntry>> {
    store.outbox_attention(now - health::OUTBOX_STUCK_AFTER)
}

/// Makes the failed mail `id` due again at `now` and records who did it, in one
/// transaction. The outbox worker sends it on its next round (within seconds). Its bytes
/// and Message-ID stay the same (DESIGN invariant 4).
pub fn retry_outbox(
    store: &mut Store,
    id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> ActionResult<OutboxEntry> {
    let by = by.trim();
    if by.is_empty() {
        return Err(ActionError::Invalid(
            "Nama petugas yang mengirim ulang harus diisi.".into(),
        ));
    }
    let tx = store.transaction()?;
    let mail = tx
        .outbox_entry(id)?
        .ok_or_else(|| ActionError::NotFound(format!("Surel keluar #{id} tidak ditemukan.")))?;
    if mail.status != Delivery::Failed || !tx.retry_failed_mail(id, now)? {
        return Err(ActionError::WrongState(format!(
            "Surel keluar #{id} tidak berstatus gagal ({}); hanya surel yang gagal dapat \
             dikirim ulang.",
            match mail.status {
                Delivery::Pending => "masih menunggu dikirim",
                Delivery::Sent => "sudah terkirim",
                Delivery::Failed => "gagal",
            }
        )));
    }
    tx.add_event(
        mail.complaint_id,
        now,
        by,
        "mail_retry",
        &format!(
            "surel keluar #{id} ({}) ke {} dikirim ulang; galat terakhir: {}",
            mail.purpose,
            mail.rcpt_to,
            mail.last_error.as_deref().unwrap_or("-")
        ),
    )?;
    tx.commit()?;
    Ok(mail)
}
