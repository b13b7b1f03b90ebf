//! Carries complaints through the procedure after registration: staff actions (the CLI
//! now, the web dashboard later — both call these functions), the complainant's
//! satisfaction reply, and the no-reply sweep. Each function is one transaction: the
//! change, its audit event and any mail it causes (DESIGN invariant 4).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clock::to_wib_rfc3339;
use crate::domain::{extract_phones, ticket, Channel, EmailAddress, Kind, Status, Ticket};
use crate::ingest::{MailArrival, Pipeline, Registration, Stored};
use crate::mail::compose::{self, MailSpec, PuskesmasView, Recipient, ThreadOf};
use crate::mail::parse::InboundMessage;
use crate::store::{CaseMessage, CaseRecord, EventRow, Store, Tx};
use crate::workflow::classify::{contact, guess_kind, guess_unit, Words};
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
            channel: c.channel.clone(),
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

/// A complaint that came by telephone, WhatsApp, the suggestion box, letter or in person.
pub struct ManualComplaint {
    pub channel: Channel,
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub subject: Option<String>,
    pub text: String,
    pub kind: Option<Kind>,
    pub received_at: DateTime<Utc>,
}

fn load(tx: &Tx<'_>, ticket: &Ticket) -> Result<CaseRecord> {
    tx.case(ticket)?
        .with_context(|| format!("tiket {ticket} tidak ditemukan"))
}

/// The `calendar_warning` event of a new complaint (email or any other channel) whose
/// answer deadline crossed a year without its holiday list: it names the year and says
/// which holidays may still move the date (text: `calendar::deadline_warning`).
pub(crate) fn note_calendar_warning(
    tx: &Tx<'_>,
    complaint_id: i64,
    ticket: &Ticket,
    due: &Deadlines,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(text) = crate::calendar::deadline_warning(&due.uncovered_years) {
        tracing::warn!(%ticket, years = ?due.uncovered_years, "the answer deadline crosses a year without its holiday list: only the fixed-date national holidays were skipped there");
        tx.add_event(Some(complaint_id), now, "sistem", "calendar_warning", &text)?;
    }
    Ok(())
}

/// Applies a state change and records it; the error explains what must come first.
fn transition(
    tx: &Tx<'_>,
    case: &mut CaseRecord,
    action: Action,
    by: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
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
    pub fn assign(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        unit: Option<&str>,
        kind: Option<Kind>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = store.transaction()?;
        let case = load(&tx, ticket)?;
        if !state::is_open(case.status) {
            bail!(
                "pengaduan {ticket} sudah {}; unit dan jenis tidak diubah lagi",
                state::label(case.status)
            );
        }
        if let Some(unit) = unit {
            if !self.config.units.iter().any(|(u, _)| u == unit) {
                let known: Vec<&str> = self.config.units.iter().map(|(u, _)| u.as_str()).collect();
                bail!("unit {unit:?} tidak dikenal; pilih salah satu: {} (daftar unit ada di [units] konfigurasi)", known.join(", "));
            }
            tx.set_unit(case.id, unit)?;
            tx.add_event(
                Some(case.id),
                now,
                by,
                "assigned",
                &format!("unit terkait: {unit}"),
            )?;
        }
        if let Some(kind) = kind {
            tx.set_kind(case.id, kind)?;
            tx.add_event(
                Some(case.id),
                now,
                by,
                "kind_set",
                &format!("jenis: {kind}"),
            )?;
        }
        tx.commit()
    }

    /// Step 5: the review with kepala puskesmas, tim mutu and the unit, and its plan.
    pub fn review(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        plan: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let plan = plan.trim();
        if plan.is_empty() {
            bail!("rencana tindak lanjut kosong; tulis hasil telaah dengan --plan \"...\"");
        }
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        transition(&tx, &mut case, Action::Review, by, "telaah dicatat", now)?;
        tx.set_plan(case.id, plan, now)?;
        tx.add_event(Some(case.id), now, by, "plan", plan)?;
        tx.commit()
    }

    /// Step 6: the resolution goes to the complainant in the same thread, asking PUAS or
    /// TIDAK PUAS. A complaint without an email address is answered by phone or letter;
    /// the answer is still recorded.
    pub fn answer(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        message: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let message = message.trim();
        if message.is_empty() {
            bail!("isi jawaban kosong");
        }
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        transition(&tx, &mut case, Action::Answer, by, "jawaban dikirim", now)?;
        tx.set_answer(case.id, message, now)?;
        case.answer = Some(message.to_string());
        case.answered_at = Some(now);
        tx.add_event(Some(case.id), now, by, "answer", message)?;
        let emailed = match self.complainant(&case)? {
            Some(email) => {
                let name = case.complainant_name.clone();
                let mail = self.case_mail(
                    &tx,
                    &case,
                    "mail/answer",
                    "answer",
                    false,
                    &[Recipient {
                        name: name.as_deref(),
                        email: &email,
                    }],
                    true,
                    now,
                )?;
                tx.enqueue(&mail, Some(case.id), now)?;
                true
            }
            None => {
                tx.add_event(
                    Some(case.id),
                    now,
                    SYSTEM,
                    "answer_offline",
                    "pengadu tidak punya alamat surel: sampaikan jawaban lewat telepon/WA/surat",
                )?;
                false
            }
        };
        tx.commit()?;
        Ok(emailed)
    }

    /// Step 7b by hand (the complainant said so by phone, for instance).
    pub fn refer(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if self.config.recipients.dinas_kesehatan.is_empty() {
            bail!("alamat Dinas Kesehatan belum diatur: isi recipients.dinas_kesehatan di konfigurasi");
        }
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        self.refer_in(&tx, &mut case, reason, by, now)?;
        tx.commit()
    }

    /// Step 7a by hand, or closing praise and suggestions that need no answer.
    pub fn close(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        transition(
            &tx,
            &mut case,
            Action::Close,
            by,
            "ditutup oleh petugas",
            now,
        )?;
        tx.set_attention(case.id, None)?;
        tx.commit()
    }

    /// A person decided a suspect (or unreadable) message is a genuine complaint: it is
    /// registered and acknowledged as an ordinary mail would have been (the same
    /// [`Pipeline::register_mail`]), and the decision is in the audit log with its actor.
    /// Returns the ticket and whether an acknowledgement was queued.
    pub fn accept_flagged(
        &self,
        store: &mut Store,
        message_id: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, bool)> {
        let message_id = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let tx = store.transaction()?;
        let stored = tx.stored_message(message_id)?.with_context(|| {
            format!("surel dengan Message-ID {message_id} tidak ditemukan; lihat daftarnya dengan `pengaduan flagged`")
        })?;
        if let Some(cid) = stored.complaint_id {
            bail!(
                "surel {message_id} sudah tercatat sebagai pengaduan {}",
                tx.case_by_id(cid)?.ticket
            );
        }
        if !matches!(stored.class.as_str(), "curiga" | "unreadable") {
            bail!(
                "surel {message_id} bukan surel curiga atau tak terbaca (kelasnya {}); hanya \
                 surel dari daftar `pengaduan flagged` yang dapat diterima sebagai pengaduan",
                stored.class
            );
        }
        let msg = self.parse(&stored.raw);
        let contact = contact(&msg, &self.config.intake);
        let (ticket, ack_queued) = self.register_mail(
            &tx,
            &MailArrival {
                msg: &msg,
                received_at: stored.received_at,
                historical: false,
                contact: &contact,
                foreign_tickets: &[],
            },
            Stored::Existing(message_id),
            by,
            now,
        )?;
        let case = tx.case(&ticket)?.context("the complaint just registered")?;
        tx.add_event(
            Some(case.id),
            now,
            by,
            "accepted",
            &format!(
                "surel {} diterima petugas sebagai pengaduan; alasan semula: {}",
                stored.class,
                stored.reason.as_deref().unwrap_or("-")
            ),
        )?;
        tx.commit()?;
        Ok((ticket, ack_queued))
    }

    /// Step 1 for the other channels: the register holds every complaint, not only email.
    pub fn record(
        &self,
        store: &mut Store,
        c: &ManualComplaint,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        let text = c.text.trim();
        if text.is_empty() {
            bail!("isi pengaduan kosong; tulis isinya dengan --text \"...\"");
        }
        let subject = c
            .subject
            .clone()
            .unwrap_or_else(|| text.lines().next().unwrap_or("").chars().take(80).collect());
        let words = Words::new(&subject, text);
        let kind = c
            .kind
            .unwrap_or_else(|| guess_kind(&words, &self.config.keywords));
        let mut phones: Vec<String> = c
            .phone
            .as_deref()
            .map(|p| {
                crate::domain::PhoneNumber::parse(p)
                    .map(|n| n.to_string())
                    .with_context(|| {
                        format!("nomor telepon {p:?} tidak dikenali; tulis seperti 0812-3456-7890")
                    })
            })
            .transpose()?
            .into_iter()
            .collect();
        for p in extract_phones(text) {
            if !phones.contains(&p.to_string()) {
                phones.push(p.to_string());
            }
        }
        let unit = guess_unit(&words, &self.config.units);
        let tx = store.transaction()?;
        let registered = self.register_in(
            &tx,
            &Registration {
                channel: c.channel,
                kind,
                name: c.name.as_deref(),
                email: c.email.as_ref().map(|e| e.as_str()),
                address: c.address.as_deref(),
                phones: &phones,
                subject: &subject,
                body: text,
                received_at: c.received_at,
                unit: unit.as_deref(),
                attention: None,
                by,
                detail: &format!("{kind} dicatat dari saluran {}", c.channel),
            },
            now,
        )?;
        let ticket = registered.ticket;
        tx.commit()?;
        Ok(ticket)
    }

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
    /// working days. Returns the tickets closed.
    pub fn sweep_no_reply(&self, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<Ticket>> {
        let days = self.config.workflow.satisfaction_reply_working_days;
        let tx = store.transaction()?;
        let mut closed = Vec::new();
        for mut case in tx.answered_cases()? {
            let Some(answered) = case.answered_at else {
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

    fn refer_in(
        &self,
        tx: &Tx<'_>,
        case: &mut CaseRecord,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
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

    fn complainant(&self, case: &CaseRecord) -> Result<Option<EmailAddress>> {
        case.complainant_email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(Into::into)
    }

    /// Renders one case mail with the whole case file in its context.
    #[allow(clippy::too_many_arguments)]
    fn case_mail(
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
