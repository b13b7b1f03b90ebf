//! PURE: the daemon's judgement of itself. `decide` opens and closes the mailbox alert
//! (`alerts.mailbox_silent_minutes`); `judge` is the one health judgement `check`, the
//! digest, `/healthz` and *Kondisi sistem* share; `hold_after` and the limits' meanings.
//! `app::health` reads the facts, runs these and queues the mail.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::clock::to_wib_rfc3339;
use crate::config::Config;
use crate::store::health::{ImapLimit, Limited, PauseCause, SystemState};

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

const MB: u64 = 1024 * 1024;
/// Less free disk than this in the database's folder: registration stops soon (the mail
/// then waits in the mailbox). The daemon counts as unhealthy.
pub const DISK_FAIL_BYTES: u64 = 20 * MB;
/// Less than this: a person should make room well before.
pub const DISK_WARN_BYTES: u64 = 200 * MB;

/// The judgement's thresholds, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// `[alerts] mailbox_silent_minutes`: the mailbox counts as silent after this long.
    pub silent_after: Duration,
    /// `[smtp] daily_limit`, when SMTP is configured.
    pub daily_limit: Option<u32>,
    /// `[imap] daily_download_mb` in bytes, when IMAP is configured.
    pub daily_download: Option<u64>,
}

impl Thresholds {
    pub fn of(config: &Config) -> Thresholds {
        Thresholds {
            silent_after: Duration::minutes(config.alerts.mailbox_silent_minutes.into()),
            daily_limit: config.smtp.as_ref().map(|s| s.daily_limit),
            daily_download: config.imap.as_ref().map(|i| i.daily_download_bytes),
        }
    }
}

/// What the judgement looks at, read by the caller; `None` (or empty) where a face does
/// not know it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub state: &'a SystemState,
    /// Mail sent in the sending window (`outbox::SENDING_WINDOW`, 24 hours).
    pub sent: Option<u32>,
    /// Bytes downloaded from the mailbox in the last 24 hours.
    pub downloaded: Option<u64>,
    /// The years whose holiday list staff must add (`calendar::missing_lists`).
    pub missing_lists: &'a [i32],
    /// Complaints waiting for their answer whose stored deadline today's calendar puts
    /// elsewhere (`app::calendar::stale_deadlines`): the daemon recomputes them at start.
    pub stale_deadlines: usize,
    /// Free bytes for the daemon in the database's folder (statvfs).
    pub free_disk: Option<u64>,
}

impl<'a> Facts<'a> {
    /// Only the stored facts.
    pub fn of(state: &'a SystemState) -> Facts<'a> {
        Facts {
            state,
            sent: None,
            downloaded: None,
            missing_lists: &[],
            stale_deadlines: 0,
            free_disk: None,
        }
    }
}

/// How urgently a person must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// It works (or heals by itself), but a person should look soon.
    Warn,
    /// Something did not or cannot happen until a person acts.
    Fail,
}

/// Something wrong at `now`. Times are UTC; each face says it in Bahasa Indonesia
/// (`check`, the digest, `templates/web/sistem.html`), `/healthz` as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The mailbox was never read and the daemon never started.
    MailboxNeverRead,
    /// No successful read since then, for at least `silent_after`; `alerted`: when the
    /// team's alert was opened.
    MailboxSilent {
        since: DateTime<Utc>,
        alerted: Option<DateTime<Utc>>,
    },
    /// The last mailbox connection failed and no read succeeded since.
    MailboxError { error: String, at: DateTime<Utc> },
    /// Gmail limits the mailbox (bandwidth, connections): nothing is tried before `until`.
    MailboxLimited {
        cause: ImapLimit,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        reply: String,
    },
    /// Fetching waits for the daily download budget (`used` of `budget` bytes in 24 h).
    DownloadHeld {
        until: DateTime<Utc>,
        backfill: bool,
        new: usize,
        used: Option<u64>,
        budget: Option<u64>,
    },
    /// The last send failed (it is retried) and none succeeded since.
    SendingError { error: String, at: DateTime<Utc> },
    /// Gmail holds all sending (the 5.4.5 daily limit, too many logins) until `until`.
    SendingPaused {
        cause: PauseCause,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        reply: String,
    },
    /// The daily sending budget is in its reserve (only acknowledgements and answers go)
    /// or `spent`.
    SendingQuota { sent: u32, limit: u32, spent: bool },
    /// The oldest mail waiting to be sent has waited since then, over an hour.
    OutboxStuck { since: DateTime<Utc> },
    /// Mail that will not be sent unless a person retries it.
    OutboxFailed { count: i64 },
    /// No holiday list for these years.
    HolidayListMissing { years: Vec<i32> },
    /// Open complaints whose stored answer deadline differs from today's calendar (the
    /// calendar changed and the daemon has not restarted, or `calendar recompute` was not
    /// run).
    DeadlinesStale { count: usize },
    /// Little free disk in the database's folder.
    DiskLow { free: u64 },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        use Problem::*;
        match self {
            MailboxSilent { .. } | OutboxStuck { .. } | OutboxFailed { .. } => Severity::Fail,
            DiskLow { free } if *free < DISK_FAIL_BYTES => Severity::Fail,
            _ => Severity::Warn,
        }
    }

    /// The daemon cannot do its work now (mail is not read or not sent): `/healthz`
    /// answers 503. A failed mail or a missing holiday list needs a person, but the daemon
    /// works.
    pub fn unhealthy(&self) -> bool {
        use Problem::*;
        match self {
            MailboxNeverRead
            | MailboxSilent { .. }
            | MailboxLimited { .. }
            | SendingPaused { .. }
            | OutboxStuck { .. } => true,
            DiskLow { free } => *free < DISK_FAIL_BYTES,
            _ => false,
        }
    }
}

/// A problem as templates and JSON see it: its fields and `problem` (the kind), with its
/// severity (`warn`, `fail`) and whether it makes the daemon unhealthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemView {
    pub severity: Severity,
    pub unhealthy: bool,
    #[serde(flatten)]
    pub problem: Problem,
}

/// The problems as shown: those that stop the daemon first, then by severity (stable
/// otherwise), so a cause (Gmail's pause) stands near what it causes (stuck mail).
pub fn shown(problems: &[Problem]) -> Vec<ProblemView> {
    let mut v: Vec<ProblemView> = problems
        .iter()
        .map(|p| ProblemView {
            severity: p.severity(),
            unhealthy: p.unhealthy(),
            problem: p.clone(),
        })
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse((p.unhealthy, p.severity)));
    v
}

/// PURE: the one health judgement, what is wrong at `now` (empty when all is well), for
/// `check`, the digest, `/healthz` and the *Kondisi sistem* page. The mailbox is judged as
/// `decide` judges it (counted from the daemon's start after downtime). While Gmail holds
/// an account, its hold says it, not the error it caused.
pub fn judge(f: &Facts<'_>, t: &Thresholds, now: DateTime<Utc>) -> Vec<Problem> {
    let s = f.state;
    let mut out = Vec::new();
    match s.silent_since() {
        None => out.push(Problem::MailboxNeverRead),
        Some(since) if now - since >= t.silent_after => out.push(Problem::MailboxSilent {
            since,
            alerted: s.alert,
        }),
        Some(_) => {}
    }
    match (&s.imap_limit, s.current_imap_error()) {
        (Some(h), _) => out.push(Problem::MailboxLimited {
            cause: h.cause,
            since: h.since,
            until: h.until,
            reply: h.reply.clone(),
        }),
        (None, Some((error, at))) => out.push(Problem::MailboxError {
            error: error.clone(),
            at: *at,
        }),
        (None, None) => {}
    }
    if let Some(h) = &s.download_hold {
        out.push(Problem::DownloadHeld {
            until: h.until,
            backfill: h.backfill,
            new: h.new,
            used: f.downloaded,
            budget: t.daily_download,
        });
    }
    match (&s.smtp_pause, s.current_smtp_error()) {
        (Some(p), _) => out.push(Problem::SendingPaused {
            cause: p.cause,
            since: p.since,
            until: p.until,
            reply: p.reply.clone(),
        }),
        (None, Some((error, at))) => out.push(Problem::SendingError {
            error: error.clone(),
            at: *at,
        }),
        (None, None) => {}
    }
    if let (Some(sent), Some(limit)) = (f.sent, t.daily_limit) {
        match crate::outbox::admitted(limit, sent) {
            Some(crate::outbox::Priority::Staff) => {}
            reserve => out.push(Problem::SendingQuota {
                sent,
                limit,
                spent: reserve.is_none(),
            }),
        }
    }
    if let Some(since) = s.oldest_pending.filter(|p| now - *p > OUTBOX_STUCK_AFTER) {
        out.push(Problem::OutboxStuck { since });
    }
    if s.outbox_failed > 0 {
        out.push(Problem::OutboxFailed {
            count: s.outbox_failed,
        });
    }
    if !f.missing_lists.is_empty() {
        out.push(Problem::HolidayListMissing {
            years: f.missing_lists.to_vec(),
        });
    }
    if f.stale_deadlines > 0 {
        out.push(Problem::DeadlinesStale {
            count: f.stale_deadlines,
        });
    }
    if let Some(free) = f.free_disk.filter(|b| *b < DISK_WARN_BYTES) {
        out.push(Problem::DiskLow { free });
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::health::{DownloadHold, ImapHold, Pause};
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

    fn limits() -> Thresholds {
        Thresholds {
            silent_after: Duration::minutes(30),
            daily_limit: Some(450),
            daily_download: Some(2000 * MB),
        }
    }

    /// Read at 01:00, started at 00:00, one mail waiting since 01:00.
    fn well() -> SystemState {
        SystemState {
            mailbox_read_at: Some(t(1, 0)),
            daemon_started_at: Some(t(0, 0)),
            oldest_pending: Some(t(1, 0)),
            outbox_pending: 1,
            ..SystemState::default()
        }
    }

    /// One row of the judgement's table: the facts at `now` and the problems wanted.
    struct Case {
        what: &'static str,
        state: SystemState,
        sent: Option<u32>,
        disk: Option<u64>,
        missing: &'static [i32],
        now: DateTime<Utc>,
        want: Vec<Problem>,
    }

    fn case(
        what: &'static str,
        state: SystemState,
        now: DateTime<Utc>,
        want: Vec<Problem>,
    ) -> Case {
        Case {
            what,
            state,
            sent: None,
            disk: None,
            missing: &[],
            now,
            want,
        }
    }

    impl Case {
        fn sent(self, n: u32) -> Case {
            Case {
                sent: Some(n),
                ..self
            }
        }
        fn disk(self, bytes: u64) -> Case {
            Case {
                disk: Some(bytes),
                ..self
            }
        }
        fn missing(self, years: &'static [i32]) -> Case {
            Case {
                missing: years,
                ..self
            }
        }
    }

    #[test]
    fn one_judgement_over_every_state() {
        use Problem::*;
        let pause = Pause {
            cause: PauseCause::DailyLimit,
            since: t(1, 5),
            until: t(2, 5),
            strikes: 1,
            reply: "550 5.4.5 Daily user sending limit exceeded".into(),
        };
        let hold = ImapHold {
            cause: ImapLimit::Connections,
            since: t(1, 10),
            until: t(1, 40),
            strikes: 2,
            reply: "[ALERT] Too many simultaneous connections".into(),
        };
        let err = |e: &str, h, m| Some((e.to_string(), t(h, m)));
        let table = vec![
            case("all well", well(), t(1, 29), vec![])
                .sent(10)
                .disk(5000 * MB),
            case(
                "never read, never started",
                SystemState::default(),
                t(1, 0),
                vec![MailboxNeverRead],
            ),
            case(
                "started, not read yet: healthy until the silence is long enough",
                SystemState {
                    daemon_started_at: Some(t(1, 0)),
                    ..SystemState::default()
                },
                t(1, 10),
                vec![],
            ),
            case(
                "silent and stuck",
                well(),
                t(2, 1),
                vec![
                    MailboxSilent {
                        since: t(1, 0),
                        alerted: None,
                    },
                    OutboxStuck { since: t(1, 0) },
                ],
            ),
            case(
                "silent with the alert open",
                SystemState {
                    alert: Some(t(1, 30)),
                    oldest_pending: None,
                    ..well()
                },
                t(1, 45),
                vec![MailboxSilent {
                    since: t(1, 0),
                    alerted: Some(t(1, 30)),
                }],
            ),
            case(
                "an IMAP error after the last read is current",
                SystemState {
                    last_imap_error: err("connection refused", 1, 5),
                    ..well()
                },
                t(1, 10),
                vec![MailboxError {
                    error: "connection refused".into(),
                    at: t(1, 5),
                }],
            ),
            case(
                "an IMAP error before the last read is history",
                SystemState {
                    last_imap_error: err("timeout", 0, 30),
                    ..well()
                },
                t(1, 10),
                vec![],
            ),
            case(
                "Gmail limits the mailbox: the hold, not its error",
                SystemState {
                    imap_limit: Some(hold.clone()),
                    last_imap_error: err("[ALERT] Too many", 1, 10),
                    ..well()
                },
                t(1, 15),
                vec![MailboxLimited {
                    cause: ImapLimit::Connections,
                    since: t(1, 10),
                    until: t(1, 40),
                    reply: hold.reply.clone(),
                }],
            ),
            case(
                "the download budget holds fetching",
                SystemState {
                    download_hold: Some(DownloadHold {
                        until: t(3, 0),
                        backfill: true,
                        new: 2,
                    }),
                    ..well()
                },
                t(1, 15),
                vec![DownloadHeld {
                    until: t(3, 0),
                    backfill: true,
                    new: 2,
                    used: None,
                    budget: Some(2000 * MB),
                }],
            ),
            case(
                "an SMTP error after the last send is current",
                SystemState {
                    smtp_sent_at: Some(t(0, 50)),
                    last_smtp_error: err("ack ke a@b: 451 busy", 1, 0),
                    ..well()
                },
                t(1, 10),
                vec![SendingError {
                    error: "ack ke a@b: 451 busy".into(),
                    at: t(1, 0),
                }],
            ),
            case(
                "Gmail's daily-limit pause: the pause, not its error",
                SystemState {
                    smtp_pause: Some(pause.clone()),
                    last_smtp_error: err("550 5.4.5", 1, 5),
                    ..well()
                },
                t(1, 10),
                vec![SendingPaused {
                    cause: PauseCause::DailyLimit,
                    since: t(1, 5),
                    until: t(2, 5),
                    reply: pause.reply.clone(),
                }],
            ),
            case("the budget has room", well(), t(1, 10), vec![]).sent(404),
            case(
                "the budget is in its reserve",
                well(),
                t(1, 10),
                vec![SendingQuota {
                    sent: 405,
                    limit: 450,
                    spent: false,
                }],
            )
            .sent(405),
            case(
                "the budget is spent",
                well(),
                t(1, 10),
                vec![SendingQuota {
                    sent: 450,
                    limit: 450,
                    spent: true,
                }],
            )
            .sent(450),
            case(
                "failed mail",
                SystemState {
                    outbox_failed: 2,
                    ..well()
                },
                t(1, 10),
                vec![OutboxFailed { count: 2 }],
            ),
            case(
                "next year's holiday list is missing",
                well(),
                t(1, 10),
                vec![HolidayListMissing { years: vec![2027] }],
            )
            .missing(&[2027]),
            case("plenty of disk", well(), t(1, 10), vec![]).disk(200 * MB),
            case(
                "little disk",
                well(),
                t(1, 10),
                vec![DiskLow { free: 150 * MB }],
            )
            .disk(150 * MB),
            case("no disk", well(), t(1, 10), vec![DiskLow { free: 0 }]).disk(0),
        ];
        for c in table {
            let facts = Facts {
                state: &c.state,
                sent: c.sent,
                downloaded: None,
                missing_lists: c.missing,
                stale_deadlines: 0,
                free_disk: c.disk,
            };
            assert_eq!(judge(&facts, &limits(), c.now), c.want, "{}", c.what);
        }
        // Deadlines the calendar puts elsewhere need a person, and the daemon still works.
        let state = well();
        let stale = judge(
            &Facts {
                stale_deadlines: 3,
                ..Facts::of(&state)
            },
            &limits(),
            t(1, 10),
        );
        assert_eq!(stale, vec![DeadlinesStale { count: 3 }]);
        assert_eq!(stale[0].severity(), Severity::Warn);
        assert!(!stale[0].unhealthy());
        // Without a budget configured, the count says nothing.
        let no_smtp = Thresholds {
            daily_limit: None,
            ..limits()
        };
        let state = well();
        let facts = Facts {
            sent: Some(10_000),
            ..Facts::of(&state)
        };
        assert_eq!(judge(&facts, &no_smtp, t(1, 10)), vec![]);
    }

    #[test]
    fn severity_for_people_and_health_for_machines() {
        use Problem::*;
        let at = t(1, 0);
        // (problem, severity, /healthz 503)
        let table = [
            (MailboxNeverRead, Severity::Warn, true),
            (
                MailboxSilent {
                    since: at,
                    alerted: None,
                },
                Severity::Fail,
                true,
            ),
            (
                MailboxError {
                    error: String::new(),
                    at,
                },
                Severity::Warn,
                false,
            ),
            (
                MailboxLimited {
                    cause: ImapLimit::Bandwidth,
                    since: at,
                    until: at,
                    reply: String::new(),
                },
                Severity::Warn,
                true,
            ),
            (
                DownloadHeld {
                    until: at,
                    backfill: false,
                    new: 1,
                    used: None,
                    budget: None,
                },
                Severity::Warn,
                false,
            ),
            (
                SendingError {
                    error: String::new(),
                    at,
                },
                Severity::Warn,
                false,
            ),
            (
                SendingPaused {
                    cause: PauseCause::DailyLimit,
                    since: at,
                    until: at,
                    reply: String::new(),
                },
                Severity::Warn,
                true,
            ),
            (
                SendingPaused {
                    cause: PauseCause::TooManyLogins,
                    since: at,
                    until: at,
                    reply: String::new(),
                },
                Severity::Warn,
                true,
            ),
            (
                SendingQuota {
                    sent: 450,
                    limit: 450,
                    spent: true,
                },
                Severity::Warn,
                false,
            ),
            (OutboxStuck { since: at }, Severity::Fail, true),
            (OutboxFailed { count: 1 }, Severity::Fail, false),
            (
                HolidayListMissing { years: vec![2027] },
                Severity::Warn,
                false,
            ),
            (
                DiskLow {
                    free: DISK_FAIL_BYTES,
                },
                Severity::Warn,
                false,
            ),
            (
                DiskLow {
                    free: DISK_FAIL_BYTES - 1,
                },
                Severity::Fail,
                true,
            ),
        ];
        for (p, severity, unhealthy) in table {
            assert_eq!(
                (p.severity(), p.unhealthy()),
                (severity, unhealthy),
                "{p:?}"
            );
        }
        let order: Vec<String> = shown(&[
            HolidayListMissing { years: vec![2027] },
            OutboxFailed { count: 1 },
            MailboxNeverRead,
            OutboxStuck { since: at },
        ])
        .iter()
        .map(|v| {
            serde_json::to_value(v).unwrap()["problem"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
        assert_eq!(
            order,
            vec![
                "outbox_stuck",
                "mailbox_never_read",
                "outbox_failed",
                "holiday_list_missing"
            ]
        );
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
