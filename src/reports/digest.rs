//! The staff daily digest: what arrived since the last digest, what is open and how close
//! its deadline is (overdue on top), what waits for the complainant, and what needs a person.
//! PURE: `build` takes the cases and `now`; `app::digest` reads the store, renders it from
//! `templates/mail/digest.*` and queues it to `recipients.tim_pengaduan` through the outbox,
//! once per WIB day (idempotency key `digest:YYYY-MM-DD`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::calendar::{local_date, Calendar};
use crate::clock::to_wib_rfc3339;
use crate::domain::Status;
use crate::store::health::SystemState;
use crate::store::FlaggedMessage;
use crate::workflow::health::{Facts, LimitView, ProblemView, Thresholds};
use crate::workflow::state;

/// A complaint as the digest needs it (read by `Store::digest_cases`).
pub use crate::store::DigestCase;

/// One complaint line of the digest. Times are RFC 3339 in WIB (for `|tanggal`).
#[derive(Debug, Clone, Serialize)]
pub struct DigestItem {
    pub ticket: String,
    pub kind: String,
    pub status: String,
    pub status_label: String,
    pub unit: Option<String>,
    /// Name, else address, else null.
    pub complainant: Option<String>,
    pub subject: String,
    pub received_at: String,
    /// `telaah` (review, 3x24 jam) or `jawaban` (answer, 14 hari kerja).
    pub deadline_kind: &'static str,
    pub deadline: String,
    pub working_days_left: i64,
    pub overdue: bool,
    pub attention: Option<String>,
    /// The answer was recorded but its mail is not accepted by the SMTP server yet.
    pub answer_unsent: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Count {
    pub label: String,
    pub n: usize,
}

/// The one-line summary: counts of open complaints by status and by unit.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub open: usize,
    pub new: usize,
    pub overdue: usize,
    pub awaiting_reply: usize,
    pub by_status: Vec<Count>,
    pub by_unit: Vec<Count>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// When it was built, and the WIB date it is for.
    pub generated_at: String,
    pub date: String,
    /// New complaints are those received after this time.
    pub since: String,
    /// True when no digest was sent before and `since` is simply 24 hours ago.
    pub first: bool,
    pub new: Vec<DigestItem>,
    /// Open complaints still waiting for review or answer, nearest deadline first
    /// (so the overdue ones come on top).
    pub open: Vec<DigestItem>,
    /// Answered, waiting for the complainant's PUAS / TIDAK PUAS.
    pub awaiting_reply: Vec<DigestItem>,
    pub ack_failed: Vec<DigestItem>,
    /// Open complaints whose acknowledgement still waits in the outbox 1x24 jam after
    /// receipt (deadline: the acknowledgement's).
    pub ack_late: Vec<DigestItem>,
    /// Complaints whose answer mail is still not accepted by the SMTP server after the
    /// answer deadline: late, whatever the history says was written.
    pub answer_late: Vec<DigestItem>,
    pub attention: Vec<DigestItem>,
    /// Messages received since `since` that wait for a person without being a complaint:
    /// suspect (`curiga`) and unreadable mail. Filled from the store like `system`.
    pub flagged: Vec<FlaggedMessage>,
    /// Machine mail (auto-replies, bounces, bulk) received in the same span: not listed,
    /// but counted, so staff know to look at *Surel otomatis*. Filled like `flagged`.
    pub machine: i64,
    pub summary: Summary,
    pub nothing_new: bool,
    /// A holiday list staff must add (`calendar::missing_lists`), said loudly on top.
    pub calendar_warning: Option<String>,
    /// Complaints waiting for their answer whose stored deadline today's calendar puts
    /// elsewhere (the daemon recomputes them at start; 0 in a running daemon).
    pub stale_deadlines: usize,
    /// The daemon's own health; filled from the store by `Pipeline::digest`.
    pub system: SystemView,
}

/// The daemon's health as the digest shows it, so staff can tell "nothing happened" from
/// "nothing could happen". Times are RFC 3339 in WIB.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemView {
    pub mailbox_read_at: Option<String>,
    /// The mailbox health alert is open.
    pub mailbox_silent: bool,
    /// The last connection error, when none succeeded after it.
    pub last_error: Option<String>,
    /// The last sending error, when no mail went out after it.
    pub smtp_error: Option<String>,
    pub outbox_pending: i64,
    /// The oldest mail still waiting to be sent, when it waits longer than an hour.
    pub outbox_stuck_since: Option<String>,
    pub outbox_failed: i64,
    /// Gmail holds all sending (daily limit, too many logins).
    pub sending_paused: Option<LimitView>,
    /// Gmail limits the mailbox (bandwidth, connections): not a wrong password.
    pub mailbox_limited: Option<LimitView>,
    /// Fetching waits for the daily download budget.
    pub download_held: Option<DownloadHeldView>,
    /// What the one judgement (`health::judge`) finds, the most urgent first.
    pub problems: Vec<ProblemView>,
    /// Any of the above needs a person.
    pub trouble: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadHeldView {
    pub until: String,
    pub backfill: bool,
    pub new: usize,
}

impl SystemView {
    /// The stored facts as the digest shows them, judged by `health::judge` (the holiday
    /// lists are said on top of the digest, not here).
    pub fn of(state: &SystemState, limits: &Thresholds, now: DateTime<Utc>) -> SystemView {
        let problems = crate::workflow::health::judge(&Facts::of(state), limits, now);
        let stuck = problems.iter().find_map(|p| match p {
            crate::workflow::health::Problem::OutboxStuck { since } => Some(*since),
            _ => None,
        });
        SystemView {
            mailbox_read_at: state.mailbox_read_at.map(to_wib_rfc3339),
            mailbox_silent: state.alert.is_some(),
            trouble: !problems.is_empty(),
            last_error: state.current_imap_error().map(|(e, _)| e.clone()),
            smtp_error: state.current_smtp_error().map(|(e, _)| e.clone()),
            outbox_pending: state.outbox_pending,
            outbox_stuck_since: stuck.map(to_wib_rfc3339),
            outbox_failed: state.outbox_failed,
            sending_paused: state.smtp_pause.as_ref().map(LimitView::from),
            mailbox_limited: state.imap_limit.as_ref().map(LimitView::from),
            download_held: state.download_hold.as_ref().map(|h| DownloadHeldView {
                until: to_wib_rfc3339(h.until),
                backfill: h.backfill,
                new: h.new,
            }),
            problems: crate::workflow::health::shown(&problems),
        }
    }
}

/// The label used for a complaint without a unit in the per-unit count.
const NO_UNIT: &str = "belum ditentukan";

fn item(c: &DigestCase, now: DateTime<Utc>, calendar: &Calendar) -> DigestItem {
    let (deadline_kind, due) = match c.status {
        Status::Received | Status::Acknowledged => ("telaah", c.review_due),
        _ => ("jawaban", c.answer_due),
    };
    DigestItem {
        ticket: c.ticket.to_string(),
        kind: c.kind.as_str().to_string(),
        status: c.status.as_str().to_string(),
        status_label: state::label(c.status).to_string(),
        unit: c.unit.clone(),
        complainant: c
            .complainant_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| c.complainant_email.clone()),
        subject: c.subject.clone(),
        received_at: to_wib_rfc3339(c.received_at),
        deadline_kind,
        deadline: to_wib_rfc3339(due),
        working_days_left: calendar.working_days_left(now, due),
        overdue: now > due,
        attention: c.attention.clone(),
        answer_unsent: c.answer_unsent,
    }
}

fn deadline_of(c: &DigestCase) -> DateTime<Utc> {
    match c.status {
        Status::Received | Status::Acknowledged => c.review_due,
        _ => c.answer_due,
    }
}

/// PURE: the digest as of `now`. `since` is the time of the last digest; `None` means the
/// last 24 hours.
pub fn build(
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    complaints: &[DigestCase],
    calendar: &Calendar,
) -> Digest {
    let first = since.is_none();
    let since = since.unwrap_or(now - Duration::hours(24));

    let mut new: Vec<&DigestCase> = complaints
        .iter()
        .filter(|c| c.received_at > since && c.received_at <= now)
        .collect();
    new.sort_by(|a, b| (a.received_at, &a.ticket).cmp(&(b.received_at, &b.ticket)));

    let open_cases: Vec<&DigestCase> = complaints
        .iter()
        .filter(|c| state::is_open(c.status))
        .collect();

    let mut pending: Vec<&DigestCase> = open_cases
        .iter()
        .copied()
        .filter(|c| c.status != Status::Answered)
        .collect();
    // Overdue first, then nearest deadline; the ticket breaks ties so the order is stable.
    pending.sort_by(|a, b| {
        let key = |c: &DigestCase| (now <= deadline_of(c), deadline_of(c), c.ticket);
        key(a).cmp(&key(b))
    });

    let mut by_status: BTreeMap<Status, usize> = BTreeMap::new();
    let mut by_unit: BTreeMap<String, usize> = BTreeMap::new();
    for c in &open_cases {
        *by_status.entry(c.status).or_default() += 1;
        let unit = c.unit.clone().unwrap_or_else(|| NO_UNIT.to_string());
        *by_unit.entry(unit).or_default() += 1;
    }
    let mut by_unit: Vec<Count> = by_unit
        .into_iter()
        .map(|(label, n)| Count { label, n })
        .collect();
    // Largest unit first; the unassigned ones last, whatever their number.
    by_unit.sort_by(|a, b| {
        ((a.label == NO_UNIT), std::cmp::Reverse(a.n), &a.label).cmp(&(
            (b.label == NO_UNIT),
            std::cmp::Reverse(b.n),
            &b.label,
        ))
    });

    let items = |cs: &[&DigestCase]| -> Vec<DigestItem> {
        cs.iter().map(|c| item(c, now, calendar)).collect()
    };
    let open = items(&pending);
    let awaiting: Vec<&DigestCase> = open_cases
        .iter()
        .copied()
        .filter(|c| c.status == Status::Answered)
        .collect();
    let ack_failed: Vec<&DigestCase> = open_cases
        .iter()
        .copied()
        .filter(|c| c.ack_failed)
        .collect();
    let ack_late: Vec<DigestItem> = open_cases
        .iter()
        .filter(|c| c.ack_pending && now > c.ack_due)
        .map(|c| DigestItem {
            deadline_kind: "tanda terima",
            deadline: to_wib_rfc3339(c.ack_due),
            working_days_left: calendar.working_days_left(now, c.ack_due),
            overdue: true,
            ..item(c, now, calendar)
        })
        .collect();
    let answer_late: Vec<&DigestCase> = open_cases
        .iter()
        .copied()
        .filter(|c| c.answer_unsent && now > c.answer_due)
        .collect();
    let attention: Vec<&DigestCase> = complaints
        .iter()
        .filter(|c| c.attention.as_deref().is_some_and(|a| !a.trim().is_empty()))
        .collect();

    let summary = Summary {
        open: open_cases.len(),
        new: new.len(),
        overdue: open.iter().filter(|i| i.overdue).count(),
        awaiting_reply: awaiting.len(),
        by_status: by_status
            .into_iter()
            .map(|(s, n)| Count {
                label: state::label(s).to_string(),
                n,
            })
            .collect(),
        by_unit,
    };
    Digest {
        generated_at: to_wib_rfc3339(now),
        date: to_wib_rfc3339(now),
        since: to_wib_rfc3339(since),
        first,
        nothing_new: new.is_empty(),
        calendar_warning: crate::calendar::missing_lists_warning(&crate::calendar::missing_lists(
            now, calendar,
        )),
        stale_deadlines: open_cases
            .iter()
            .filter(|c| {
                (matches!(
                    c.status,
                    Status::Received | Status::Acknowledged | Status::Reviewed
                ) || c.answer_unsent)
                    && crate::workflow::intake::deadlines(c.received_at, calendar).answer_due
                        != c.answer_due
            })
            .count(),
        new: items(&new),
        open,
        awaiting_reply: items(&awaiting),
        ack_failed: items(&ack_failed),
        ack_late,
        answer_late: items(&answer_late),
        attention: items(&attention),
        flagged: Vec::new(),
        machine: 0,
        summary,
        system: SystemView::default(),
    }
}

/// New messages are those after the last digest, or of the last 24 hours for the first.
pub fn digest_since(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    last.unwrap_or(now - Duration::hours(24))
}

/// Flagged messages that are not complaints (those show with their complaint's attention).
pub fn unregistered(list: Vec<FlaggedMessage>) -> Vec<FlaggedMessage> {
    list.into_iter().filter(|m| m.ticket.is_none()).collect()
}

/// `digest:2026-11-23`, the WIB date: one digest per day.
pub fn idem_key(now: DateTime<Utc>) -> String {
    format!("digest:{}", local_date(now).format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Kind;
    use chrono::{TimeZone, Weekday};

    fn calendar() -> Calendar {
        use Weekday::*;
        Calendar::new(&[Mon, Tue, Wed, Thu, Fri, Sat], Vec::new())
    }

    /// Monday 23 November 2026, 07:00 WIB.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
    }

    fn case(seq: u32, hours_ago: i64, status: Status) -> DigestCase {
        let received_at = now() - Duration::hours(hours_ago);
        DigestCase {
            ticket: crate::domain::Ticket { year: 2026, seq },
            status,
            kind: Kind::Pengaduan,
            unit: None,
            complainant_name: Some("Siti".into()),
            complainant_email: None,
            subject: format!("Pengaduan {seq}"),
            received_at,
            ack_due: received_at + Duration::hours(24),
            review_due: received_at + Duration::hours(72),
            answer_due: received_at + Duration::days(20),
            attention: None,
            ack_failed: false,
            ack_pending: false,
            answer_unsent: false,
        }
    }

    #[test]
    fn open_complaints_by_next_deadline_overdue_on_top() {
        let mut reviewed = case(1, 200, Status::Reviewed); // answer due in ~12 days
        reviewed.unit = Some("farmasi".into());
        let cases = vec![
            reviewed,
            case(2, 10, Status::Acknowledged), // review due in 62 h
            case(3, 80, Status::Acknowledged), // review 8 h overdue
            case(4, 100, Status::Received),    // review 28 h overdue
            case(5, 30, Status::Answered),     // waits for the complainant
            case(6, 5, Status::ClosedSatisfied), // closed: new, but not open
        ];
        let d = build(now(), None, &cases, &calendar());
        let order: Vec<&str> = d.open.iter().map(|i| i.ticket.as_str()).collect();
        assert_eq!(
            order,
            [
                "ADU-2026-0004",
                "ADU-2026-0003",
                "ADU-2026-0002",
                "ADU-2026-0001"
            ]
        );
        assert!(d.open[0].overdue && d.open[1].overdue);
        assert!(!d.open[2].overdue && !d.open[3].overdue);
        assert_eq!(d.open[0].deadline_kind, "telaah");
        assert_eq!(d.open[3].deadline_kind, "jawaban");
        assert!(d.open[0].working_days_left < 0, "{:?}", d.open[0]);
        assert!(d.open[3].working_days_left > 0);
        assert_eq!(d.summary.overdue, 2);
        assert_eq!(d.summary.open, 5);
        assert_eq!(d.awaiting_reply.len(), 1);
        assert_eq!(d.awaiting_reply[0].ticket, "ADU-2026-0005");
        let new: Vec<&str> = d.new.iter().map(|i| i.ticket.as_str()).collect();
        assert_eq!(new, ["ADU-2026-0002", "ADU-2026-0006"]);
        assert!(!d.nothing_new && d.first);
        assert_eq!(
            d.summary.by_unit,
            vec![
                Count {
                    label: "farmasi".into(),
                    n: 1
                },
                Count {
                    label: NO_UNIT.into(),
                    n: 4
                }
            ]
        );
        assert_eq!(d.summary.by_status.iter().map(|c| c.n).sum::<usize>(), 5);
    }

    #[test]
    fn nothing_new_since_the_last_digest() {
        let cases = vec![case(1, 30, Status::Acknowledged)];
        let d = build(now(), Some(now() - Duration::hours(2)), &cases, &calendar());
        assert!(d.nothing_new);
        assert!(!d.first);
        assert!(d.new.is_empty());
        assert_eq!(d.open.len(), 1);
        let empty = build(now(), None, &[], &calendar());
        assert!(empty.nothing_new && empty.open.is_empty());
        assert_eq!(empty.summary.open, 0);
    }

    #[test]
    fn a_missing_holiday_list_is_said_from_1_october() {
        use Weekday::*;
        // The built-in 2026 and 2027 lists, no 2028 list.
        let cal = crate::calendar::load(&[Mon, Tue, Wed, Thu, Fri], &[]).unwrap();
        let at = |m, d| Utc.with_ymd_and_hms(2027, m, d, 0, 0, 0).unwrap();
        assert_eq!(build(at(9, 30), None, &[], &cal).calendar_warning, None);
        let warning = build(at(10, 1), None, &[], &cal).calendar_warning.unwrap();
        assert!(
            warning.starts_with("DAFTAR HARI LIBUR 2028 BELUM ADA."),
            "{warning}"
        );
    }

    #[test]
    fn deadlines_the_calendar_puts_elsewhere_are_counted() {
        let cal = calendar();
        let mut right = case(1, 10, Status::Acknowledged);
        right.answer_due = crate::workflow::intake::deadlines(right.received_at, &cal).answer_due;
        let wrong = case(2, 10, Status::Reviewed);
        // An answered complaint keeps the deadline that was in force.
        let answered = case(3, 10, Status::Answered);
        let d = build(now(), None, &[right, wrong, answered], &cal);
        assert_eq!(d.stale_deadlines, 1);
    }

    #[test]
    fn failed_acks_and_attention_are_listed() {
        let mut a = case(1, 3, Status::Received);
        a.ack_failed = true;
        let mut b = case(2, 50, Status::Answered);
        b.attention = Some("balasan tidak jelas".into());
        let mut closed = case(3, 50, Status::Referred);
        closed.ack_failed = true;
        let d = build(now(), None, &[a, b, closed], &calendar());
        assert_eq!(d.ack_failed.len(), 1);
        assert_eq!(d.ack_failed[0].ticket, "ADU-2026-0001");
        assert_eq!(d.attention.len(), 1);
        assert_eq!(
            d.attention[0].attention.as_deref(),
            Some("balasan tidak jelas")
        );
    }

    /// An answer still in the outbox after its deadline is late and listed for staff, as is
    /// an acknowledgement still waiting 1x24 jam after the complaint; an unsent answer
    /// within its deadline, or one sent, is not.
    #[test]
    fn unsent_answers_and_acknowledgements_past_their_deadline_are_listed() {
        let mut late = case(1, 24 * 21, Status::Answered);
        late.answer_unsent = true;
        let mut early = case(2, 24 * 3, Status::Answered);
        early.answer_unsent = true;
        let sent = case(3, 24 * 21, Status::Answered);
        let mut ack_late = case(4, 30, Status::Received);
        ack_late.ack_pending = true;
        let mut ack_early = case(5, 20, Status::Received);
        ack_early.ack_pending = true;
        let d = build(
            now(),
            None,
            &[late, early, sent, ack_late, ack_early],
            &calendar(),
        );
        let tickets = |items: &[DigestItem]| -> Vec<String> {
            items.iter().map(|i| i.ticket.clone()).collect()
        };
        assert_eq!(tickets(&d.answer_late), ["ADU-2026-0001"]);
        assert_eq!(d.answer_late[0].deadline_kind, "jawaban");
        assert!(d.answer_late[0].overdue && d.answer_late[0].answer_unsent);
        assert_eq!(tickets(&d.ack_late), ["ADU-2026-0004"]);
        assert_eq!(d.ack_late[0].deadline_kind, "tanda terima");
        assert_eq!(
            d.ack_late[0].deadline,
            to_wib_rfc3339(now() - Duration::hours(6))
        );
    }

    #[test]
    fn idem_key_uses_the_wib_date() {
        // 23 Nov 2026 20:00 UTC is already 24 Nov in WIB.
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap();
        assert_eq!(idem_key(t), "digest:2026-11-24");
        assert_eq!(idem_key(now()), "digest:2026-11-23");
    }

    #[test]
    fn system_view_names_what_needs_a_person() {
        let t = now();
        let limits = Thresholds {
            silent_after: Duration::minutes(30),
            daily_limit: None,
            daily_download: None,
        };
        let calm = SystemState {
            mailbox_read_at: Some(t - Duration::minutes(3)),
            last_imap_error: Some(("timeout".into(), t - Duration::hours(5))),
            outbox_pending: 2,
            oldest_pending: Some(t - Duration::minutes(10)),
            ..SystemState::default()
        };
        let v = SystemView::of(&calm, &limits, t);
        assert!(!v.trouble, "{v:?}");
        assert_eq!(
            v.last_error, None,
            "an error followed by a good read is history"
        );
        assert_eq!(v.outbox_stuck_since, None);

        let stuck = SystemState {
            oldest_pending: Some(t - Duration::minutes(61)),
            ..calm.clone()
        };
        assert!(SystemView::of(&stuck, &limits, t)
            .outbox_stuck_since
            .is_some());
        assert!(SystemView::of(&stuck, &limits, t).trouble);

        let down = SystemState {
            last_imap_error: Some(("connection refused".into(), t - Duration::minutes(1))),
            alert: Some(t - Duration::minutes(2)),
            ..calm
        };
        let v = SystemView::of(&down, &limits, t);
        assert!(v.trouble && v.mailbox_silent);
        assert_eq!(v.last_error.as_deref(), Some("connection refused"));
    }
}
