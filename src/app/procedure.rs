//! Carries complaints through the procedure after registration, without a person: the
//! complainant's satisfaction reply and the no-reply sweep; and what the staff actions of
//! [`crate::app::actions`] share with them (the state change with its event, the
//! referral, the case mails). Each change is one transaction: the change, its audit event
//! and any mail it causes (DESIGN invariant 4).

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::{ActionError, Pipeline};
use crate::clock::to_wib_rfc3339;
use crate::domain::{ticket, EmailAddress, Heard, Status, Ticket};
use crate::mail::compose::{self, MailSpec, PuskesmasView, Recipient, ThreadOf};
use crate::mail::parse::InboundMessage;
use crate::store::{CaseMessage, CaseRecord, EventRow, Store, Tx};
use crate::workflow::intake::Deadlines;
use crate::workflow::satisfaction::{self, Verdict};
use crate::workflow::state::{self, Action};

/// Who did it: a staff member's name (`--by`), or `sistem` for the daemon.
pub const SYSTEM: &str = "sistem";

/// What the answer, referral and notice templates see.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub ticket: String,
    pub kind: String,
    pub unit: Option<String>,
    pub channel: String,
    pub complainant_name: Option<String>,
    pub complainant_email: Option<String>,
    pub complainant_address: Option<String>,
    pub phones: Vec<String>,
    pub subject: String,
    pub body: String,
    pub received_at: String,
    pub answer_due: String,
    pub plan: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub status_label: String,
}

impl From<&CaseRecord> for CaseView {
    fn from(c: &CaseRecord) -> Self {
        CaseView {
            ticket: c.ticket.to_string(),
            kind: c.kind.to_string(),
            unit: c.unit.clone(),
            channel: c.channel.to_string(),
            complainant_name: c.complainant_name.clone(),
            complainant_email: c.complainant_email.clone(),
            complainant_address: c.complainant_address.clone(),
            phones: c.phones.clone(),
            // Our subjects add the ticket; a number the person typed would make two.
            subject: ticket::without_mentions(&c.subject),
            body: c.body.clone(),
            received_at: to_wib_rfc3339(c.received_at),
            answer_due: to_wib_rfc3339(c.answer_due),
            plan: c.plan.clone(),
            answer: c.answer.clone(),
            answered_at: c.answered_at.map(to_wib_rfc3339),
            status_label: state::label(c.status).into(),
        }
    }
}

#[derive(Serialize)]
struct MailContext<'a> {
    puskesmas: PuskesmasView,
    case: CaseView,
    messages: &'a [CaseMessage],
    events: &'a [EventRow],
}

/// The `calendar_warning` events of a complaint whose answer deadline crossed a year
/// without its holiday list (it names the year and says which holidays may still move the
/// date: `calendar::deadline_warning`) or passes a day off whose date may still move
/// (`calendar::movable_warning`). A text the complaint already carries is not written
/// again, so a recomputed deadline adds only what is new.
pub(crate) fn note_calendar_warning(
    tx: &Tx<'_>,
    complaint_id: i64,
    ticket: &Ticket,
    due: &Deadlines,
    now: DateTime<Utc>,
) -> Result<()> {
    let warnings = due.warnings();
    if warnings.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = tx
        .events(complaint_id)?
        .into_iter()
        .filter(|e| e.kind == "calendar_warning")
        .map(|e| e.detail)
        .collect();
    for text in warnings {
        if known.contains(&text) {
            continue;
        }
        tracing::warn!(%ticket, years = ?due.uncovered_years, "the answer deadline crosses a year without its holiday list or a day off that may still move");
        tx.add_event(Some(complaint_id), now, SYSTEM, "calendar_warning", &text)?;
    }
    Ok(())
}

/// Applies a state change and records it; the error explains what must come first.
pub(crate) fn transition(
    tx: &Tx<'_>,
    case: &mut CaseRecord,
    action: Action,
    by: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let to = state::next(case.status, case.kind, action)?;
    if to != case.status {
        tx.set_status(case.id, to, now)?;
        tx.add_event(
            Some(case.id),
            now,
            by,
            &format!("status:{}", to.as_str()),
            detail,
        )?;
        case.status = to;
    }
    Ok(())
}

impl Pipeline {
    /// A complainant wrote again in a case's thread. After the answer, a clear PUAS closes
    /// and a clear TIDAK PUAS refers; anything else waits for a person.
    pub fn on_reply(
        &self,
        tx: &Tx<'_>,
        complaint_id: i64,
        msg: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut case = tx.case_by_id(complaint_id)?;
        let from = msg
            .reply_address()
            .map(|s| s.email.to_string())
            .unwrap_or_default();
        if case.status != Status::Answered {
            if state::is_open(case.status) {
                tx.set_attention(case.id, Some("ada balasan baru dari pengadu"))?;
            }
            return Ok(());
        }
        match satisfaction::read(&msg.text) {
            Verdict::Satisfied => {
                transition(
                    tx,
                    &mut case,
                    Action::Satisfied,
                    &from,
                    "pengadu menyatakan puas",
                    now,
                )?;
                tx.set_satisfaction_heard(case.id, Heard::Mail)?;
                tx.set_attention(case.id, None)?;
            }
            Verdict::Unsatisfied => {
                if self.config.recipients.dinas_kesehatan.is_empty() {
                    tx.set_attention(
                        case.id,
                        Some("pengadu TIDAK PUAS, tetapi alamat Dinas Kesehatan belum diatur"),
                    )?;
                    tx.add_event(
                        Some(case.id),
                        now,
                        SYSTEM,
                        "referral_blocked",
                        "recipients.dinas_kesehatan kosong",
                    )?;
                } else {
                    self.refer_in(tx, &mut case, "pengadu menyatakan tidak puas", &from, now)?;
                    tx.set_satisfaction_heard(case.id, Heard::Mail)?;
                }
            }
            Verdict::Unclear => {
                tx.set_attention(
                    case.id,
                    Some("balasan pengadu perlu dibaca: puas atau tidak puas belum jelas"),
                )?;
                tx.add_event(
                    Some(case.id),
                    now,
                    SYSTEM,
                    "needs_person",
                    "tanggapan atas jawaban tidak jelas; menunggu petugas",
                )?;
            }
        }
        Ok(())
    }

    /// Closes answered cases whose complainant did not reply within the configured
    /// working days, counted from when the answer reached them (an answer still in the
    /// outbox waits). Returns the tickets closed.
    pub fn sweep_no_reply(&self, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<Ticket>> {
        let days = self.config.workflow.satisfaction_reply_working_days;
        let tx = store.transaction()?;
        let mut closed = Vec::new();
        for mut case in tx.answered_cases()? {
            let Some(answered) = case.answer_sent_at else {
                continue;
            };
            if now > self.calendar.add_working_days(answered, days).at {
                transition(
                    &tx,
                    &mut case,
                    Action::NoReply,
                    SYSTEM,
                    &format!("tidak ada tanggapan dalam {days} hari kerja setelah jawaban"),
                    now,
                )?;
                closed.push(case.ticket);
            }
        }
        tx.commit()?;
        Ok(closed)
    }

    pub(crate) fn refer_in(
        &self,
        tx: &Tx<'_>,
        case: &mut CaseRecord,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ActionError> {
        transition(tx, case, Action::Refer, by, reason, now)?;
        tx.set_attention(case.id, None)?;
        let dinas: Vec<Recipient<'_>> = self
            .config
            .recipients
            .dinas_kesehatan
            .iter()
            .map(|e| Recipient {
                name: None,
                email: e,
            })
            .collect();
        let referral = self.case_mail(
            tx,
            case,
            "mail/referral",
            "referral",
            true,
            &dinas,
            false,
            now,
        )?;
        tx.enqueue(&referral, Some(case.id), now)?;
        tx.add_event(
            Some(case.id),
            now,
            SYSTEM,
            "referral_queued",
            &format!(
                "berkas pengaduan dikirim ke Dinas Kesehatan ({})",
                referral.rcpt_to.join(", ")
            ),
        )?;
        if let Some(email) = self.complainant(case)? {
            let name = case.complainant_name.clone();
            let notice = self.case_mail(
                tx,
                case,
                "mail/referred",
                "referred_notice",
                true,
                &[Recipient {
                    name: name.as_deref(),
                    email: &email,
                }],
                true,
                now,
            )?;
            tx.enqueue(&notice, Some(case.id), now)?;
        }
        Ok(())
    }

    pub(crate) fn complainant(&self, case: &CaseRecord) -> Result<Option<EmailAddress>> {
        case.complainant_email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(Into::into)
    }

    /// Renders one case mail with the whole case file in its context.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn case_mail(
        &self,
        tx: &Tx<'_>,
        case: &CaseRecord,
        template: &'static str,
        purpose: &'static str,
        automatic: bool,
        to: &[Recipient<'_>],
        threaded: bool,
        now: DateTime<Utc>,
    ) -> Result<compose::OutgoingMail> {
        let messages = tx.case_messages(case.id)?;
        let events = tx.events(case.id)?;
        let ids = tx.thread_ids(case.id)?;
        let thread = ids
            .last_inbound
            .as_deref()
            .filter(|_| threaded)
            .map(|id| ThreadOf {
                message_id: id,
                references: &ids.all,
            });
        let ctx = MailContext {
            puskesmas: (&self.config.puskesmas).into(),
            case: case.into(),
            messages: &messages,
            events: &events,
        };
        compose::render(
            &self.templates,
            &MailSpec {
                template,
                idem_key: format!("{purpose}:{}", case.ticket),
                purpose,
                automatic,
                from: &self.config.puskesmas,
                to,
                thread: thread.as_ref(),
            },
            &ctx,
            now,
        )
    }
}
