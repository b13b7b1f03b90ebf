//! Read models: what the register, one complaint and the flagged mail look like to staff,
//! the same rows for the CLI's templates, its JSON and the web pages.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::ActionError;
use crate::clock::to_wib_rfc3339;
use crate::domain::{Status, Ticket};
use crate::store::{ComplaintRow, EventRow, ListFilter, MessageSummary, Store};

/// What `cli/complaints.txt` shows: the rows and how they were chosen.
#[derive(Serialize)]
pub struct RegisterView {
    pub complaints: Vec<ComplaintRow>,
    /// Complaints in the register, shown or not.
    pub total: usize,
    /// Only open complaints and those received since then (RFC 3339, WIB); none: all.
    pub since: Option<String>,
    /// `filter.limit` cut the list short.
    pub limited: bool,
}

/// The register as `filter` chooses it, oldest first.
pub fn register_view(store: &Store, filter: &ListFilter) -> Result<RegisterView> {
    // One row more than asked tells whether the limit left any out.
    let mut complaints = store.list_complaints(&ListFilter {
        since: filter.since,
        limit: filter.limit.map(|n| n.saturating_add(1)),
    })?;
    let limited = filter.limit.is_some_and(|n| complaints.len() > n);
    if let Some(n) = filter.limit {
        // Oldest first: the extra row is the first one.
        complaints.drain(..complaints.len().saturating_sub(n));
    }
    Ok(RegisterView {
        total: store.count_complaints()?,
        since: filter.since.map(to_wib_rfc3339),
        limited,
        complaints,
    })
}

/// One complaint with its thread and its audit trail.
#[derive(Serialize)]
pub struct ComplaintDetail {
    #[serde(flatten)]
    pub complaint: ComplaintRow,
    pub messages: Vec<MessageSummary>,
    pub events: Vec<EventRow>,
}

pub fn complaint_detail(store: &Store, ticket: &Ticket) -> Result<ComplaintDetail, ActionError> {
    let complaint = store
        .complaint(ticket)?
        .ok_or_else(|| ActionError::NotFound(format!("Tiket {ticket} tidak ditemukan.")))?;
    Ok(ComplaintDetail {
        messages: store.messages_of(complaint.id)?,
        events: store.events_of(complaint.id)?,
        complaint,
    })
}

/// How a complaint's next deadline stands at `now` (the colours of the register page,
/// with words for those who cannot tell them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    OnTime,
    /// Due within 24 hours.
    DueSoon,
    Overdue,
}

/// PURE: the deadline the complaint waits on now — the review (3x24 jam) until it is
/// reviewed, then the answer (14 hari kerja); none once answered or closed (the
/// complainant's turn) — and how it stands at `now`.
pub fn next_deadline(
    status: Status,
    review_due: DateTime<Utc>,
    answer_due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Urgency)> {
    let due = match status {
        Status::Received | Status::Acknowledged => review_due,
        Status::Reviewed => answer_due,
        _ => return None,
    };
    let urgency = if now > due {
        Urgency::Overdue
    } else if due - now <= chrono::Duration::hours(24) {
        Urgency::DueSoon
    } else {
        Urgency::OnTime
    };
    Some((due, urgency))
}

/// The register page's filters (all optional); `q` matches the ticket, the name, the
/// address, words of the subject or the SP4N-LAPOR! number, ignoring case.
#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub kind: String,
    /// Only complaints past their next deadline.
    #[serde(default)]
    pub overdue: Option<String>,
    #[serde(default)]
    pub q: String,
}

#[derive(Serialize)]
pub struct RegisterLine {
    #[serde(flatten)]
    pub complaint: ComplaintRow,
    /// The next deadline and how it stands.
    #[serde(serialize_with = "crate::clock::serialize_wib_opt")]
    pub due: Option<DateTime<Utc>>,
    pub urgency: Option<Urgency>,
}

#[derive(Serialize, Default, PartialEq, Eq, Debug)]
pub struct RegisterCounts {
    pub open: usize,
    /// Next deadline later today (WIB), not passed yet.
    pub due_today: usize,
    pub overdue: usize,
}

#[derive(Serialize)]
pub struct RegisterPage {
    pub lines: Vec<RegisterLine>,
    pub counts: RegisterCounts,
    /// Complaints in the register, shown or not.
    pub total: usize,
    /// At most this many lines are shown (the most urgent first).
    pub shown_at_most: usize,
    /// More lines matched than are shown.
    pub cut: bool,
}

/// Lines on one register page: the most urgent come first, and a search finds the rest.
/// 100 keeps the page within its 60 KB budget (about 400 bytes a line).
pub const PAGE_LINES: usize = 100;

/// The register page: open complaints and those received in the last 30 days, filtered by
/// `q`, sorted by the next deadline (the most urgent first; those waiting on nobody last,
/// newest first); the counts cover every open complaint, whatever the filter.
pub fn register_page(store: &Store, q: &RegisterQuery, now: DateTime<Utc>) -> Result<RegisterPage> {
    let today = crate::calendar::local_date(now);
    let since = crate::calendar::start_of_day_utc(today - chrono::Days::new(30));
    let tomorrow = crate::calendar::start_of_day_utc(today + chrono::Days::new(1));
    let words: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).collect();
    // SQLite picks and orders the lines and counts the open ones (store::register_lines,
    // register_counts): only the lines shown are read, whatever the register's size.
    let (rows, cut) = match since {
        Some(since) => store.register_lines(&crate::store::RegisterSearch {
            since,
            now,
            status: &q.status,
            unit: &q.unit,
            channel: &q.channel,
            kind: &q.kind,
            overdue: q.overdue.is_some(),
            words: &words,
            limit: PAGE_LINES,
        })?,
        None => (Vec::new(), false),
    };
    let (open, overdue, due_today) = match tomorrow {
        Some(tomorrow) => store.register_counts(now, tomorrow)?,
        None => (0, 0, 0),
    };
    let lines = rows
        .into_iter()
        .map(|c| {
            let next = next_deadline(c.status, c.review_due, c.answer_due, now);
            RegisterLine {
                due: next.map(|(d, _)| d),
                urgency: next.map(|(_, u)| u),
                complaint: c,
            }
        })
        .collect();
    Ok(RegisterPage {
        lines,
        counts: RegisterCounts {
            open,
            due_today,
            overdue,
        },
        total: store.count_complaints()?,
        shown_at_most: PAGE_LINES,
        cut,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_next_deadline_follows_the_procedure_step() {
        let now = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        let h = chrono::Duration::hours;
        let (review, answer) = (now + h(30), now + h(200));
        type Row = (Status, DateTime<Utc>, DateTime<Utc>, Option<Urgency>);
        let table: &[Row] = &[
            (Status::Received, review, answer, Some(Urgency::OnTime)),
            (
                Status::Acknowledged,
                now + h(24),
                answer,
                Some(Urgency::DueSoon),
            ),
            (
                Status::Acknowledged,
                now - h(1),
                answer,
                Some(Urgency::Overdue),
            ),
            (Status::Reviewed, now - h(1), answer, Some(Urgency::OnTime)),
            (Status::Reviewed, review, now + h(3), Some(Urgency::DueSoon)),
            (Status::Reviewed, review, now - h(3), Some(Urgency::Overdue)),
            (Status::Answered, now - h(9), now - h(9), None),
            (Status::ClosedSatisfied, now - h(9), now - h(9), None),
            (Status::Referred, now - h(9), now - h(9), None),
        ];
        for (status, r, a, want) in table {
            let got = next_deadline(*status, *r, *a, now).map(|(_, u)| u);
            assert_eq!(got, *want, "{status:?}");
        }
    }
}

/// What the complaint page shows: the register row, the case file (every message in and
/// out, as text: HTML mail was reduced to text when it arrived), the review plan and the
/// answer, and the audit trail.
#[derive(Serialize)]
pub struct ComplaintPage {
    #[serde(flatten)]
    pub detail: ComplaintDetail,
    pub body: String,
    pub address: Option<String>,
    pub plan: Option<String>,
    pub answer: Option<String>,
    /// The next deadline and how it stands at `now`.
    #[serde(serialize_with = "crate::clock::serialize_wib_opt")]
    pub due: Option<DateTime<Utc>>,
    pub urgency: Option<Urgency>,
}

pub fn complaint_page(
    store: &mut Store,
    ticket: &Ticket,
    now: DateTime<Utc>,
) -> Result<ComplaintPage, ActionError> {
    let detail = complaint_detail(store, ticket)?;
    let tx = store.transaction()?;
    let case = tx
        .case(ticket)?
        .ok_or_else(|| ActionError::NotFound(format!("Tiket {ticket} tidak ditemukan.")))?;
    let next = next_deadline(
        case.status,
        detail.complaint.review_due,
        case.answer_due,
        now,
    );
    Ok(ComplaintPage {
        body: case.body,
        address: case.complainant_address,
        plan: case.plan,
        answer: case.answer,
        due: next.map(|(d, _)| d),
        urgency: next.map(|(_, u)| u),
        detail,
    })
}

/// One line of the flagged-mail page (`/ditandai`): the message as `pengaduan flagged`
/// lists it, and whether a person may accept it as a complaint.
#[derive(Serialize)]
pub struct FlaggedLine {
    #[serde(flatten)]
    pub message: crate::store::FlaggedMessage,
    pub acceptable: bool,
    /// The text extracted when it arrived (HTML reduced to text), for a person deciding
    /// whether to accept it: only for those that may be accepted, at most
    /// [`FLAGGED_TEXT_CHARS`] characters.
    pub text: Option<String>,
}

/// At most this much of a flagged message's text is shown on its page.
pub const FLAGGED_TEXT_CHARS: usize = 4000;

#[derive(Serialize)]
pub struct FlaggedPage {
    pub lines: Vec<FlaggedLine>,
    /// How many may still be accepted (suspect or unreadable, no complaint yet).
    pub waiting: usize,
}

/// At most this many machine messages are listed, newest first.
pub const MACHINE_LINES: u32 = 200;

/// The flagged-mail page: every message `pengaduan flagged` lists, newest first.
pub fn flagged_page(store: &Store) -> Result<FlaggedPage> {
    let mut page = lines_of(store, store.flagged_messages()?)?;
    page.lines.reverse();
    Ok(page)
}

/// The *Surel otomatis* tab and `pengaduan flagged --machine`: machine mail (auto-replies,
/// bounces, bulk), newest first, each with its reason and the same accept action.
pub fn machine_page(store: &Store) -> Result<FlaggedPage> {
    lines_of(store, store.machine_messages(MACHINE_LINES)?)
}

fn lines_of(store: &Store, messages: Vec<crate::store::FlaggedMessage>) -> Result<FlaggedPage> {
    let lines: Vec<FlaggedLine> = messages
        .into_iter()
        .map(|m| {
            let acceptable = crate::app::actions::acceptable(m.class, m.ticket.is_some());
            let text = match acceptable {
                true => store.message_text(&m.message_id)?.map(|t| {
                    let mut cut: String = t.chars().take(FLAGGED_TEXT_CHARS).collect();
                    if cut.len() < t.len() {
                        cut.push_str(" …");
                    }
                    cut
                }),
                false => None,
            };
            Ok(FlaggedLine {
                acceptable,
                text: text.filter(|t| !t.trim().is_empty()),
                message: m,
            })
        })
        .collect::<Result<_>>()?;
    Ok(FlaggedPage {
        waiting: lines.iter().filter(|l| l.acceptable).count(),
        lines,
    })
}
