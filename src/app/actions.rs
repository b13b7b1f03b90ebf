//! Staff actions on the register (PROSEDUR.md steps 1 and 3–7), for the CLI and the web
//! alike. Each is one transaction: the change, its audit event and any mail it causes
//! (DESIGN invariant 4). They fail with an [`ActionError`] a face can map: the CLI prints
//! its message, the web answers 404, 409 or 422 with it.

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::app::intake::{MailArrival, Registration, Stored};
use crate::app::procedure::transition;
use crate::app::Pipeline;
use crate::domain::{
    extract_phones, Channel, CloseOutcome, EmailAddress, Heard, Kind, LaporNumber, MessageClass,
    PhoneNumber, Status, Ticket,
};
use crate::store::{CaseRecord, Store, Tx};
use crate::workflow::classify::{contact, guess_kind, guess_unit, Words};
use crate::workflow::state::{self, Action, TransitionError};

/// Why a staff action did not happen. The text is for staff, in Bahasa Indonesia.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The ticket or message does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The complaint is not in a state where the action applies (what comes first).
    #[error("{0}")]
    WrongState(String),
    /// The input cannot be used (empty text, unknown unit, …): what to write instead.
    #[error("{0}")]
    Invalid(String),
    /// The database or a template failed; nothing was changed.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl From<TransitionError> for ActionError {
    fn from(e: TransitionError) -> Self {
        ActionError::WrongState(e.0)
    }
}

impl From<rusqlite::Error> for ActionError {
    fn from(e: rusqlite::Error) -> Self {
        ActionError::Store(e.into())
    }
}

pub type ActionResult<T> = Result<T, ActionError>;

/// A complaint that came by telephone, WhatsApp, the suggestion box, letter, in person,
/// SMS or SP4N-LAPOR!.
pub struct ManualComplaint {
    pub channel: Channel,
    /// The SP4N-LAPOR! report number as typed: required for channel `lapor`, refused for
    /// any other (checked by [`Pipeline::record`]).
    pub lapor_number: Option<String>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<EmailAddress>,
    pub subject: Option<String>,
    pub text: String,
    pub kind: Option<Kind>,
    pub received_at: DateTime<Utc>,
}

fn load(tx: &Tx<'_>, ticket: &Ticket) -> ActionResult<CaseRecord> {
    tx.case(ticket)?
        .ok_or_else(|| ActionError::NotFound(format!("tiket {ticket} tidak ditemukan")))
}

fn not_empty<'a>(text: &'a str, what: &str) -> ActionResult<&'a str> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ActionError::Invalid(format!(
            "{what} kosong; tuliskan isinya"
        )));
    }
    Ok(text)
}

/// The SP4N-LAPOR! report number of a manual complaint: required when it came through
/// LAPOR! (the answer is posted back there under it), refused for any other channel.
fn lapor_number(channel: Channel, typed: Option<&str>) -> ActionResult<Option<LaporNumber>> {
    let typed = typed.map(str::trim).filter(|s| !s.is_empty());
    match (channel, typed) {
        (Channel::Lapor, Some(n)) => LaporNumber::parse(n)
            .map(Some)
            .map_err(|e| ActionError::Invalid(e.to_string())),
        (Channel::Lapor, None) => Err(ActionError::Invalid(
            "pengaduan dari SP4N-LAPOR! perlu nomor laporannya (mis. 1916449) agar jawabannya \
             dapat diunggah kembali ke LAPOR!"
                .into(),
        )),
        (_, Some(n)) => Err(ActionError::Invalid(format!(
            "nomor laporan SP4N-LAPOR! {:?} hanya untuk pengaduan dari saluran SP4N-LAPOR!; \
             kosongkan nomornya atau pilih saluran SP4N-LAPOR!",
            crate::domain::shown(n)
        ))),
        (_, None) => Ok(None),
    }
}

/// PURE: whether a flagged message may be accepted as a complaint by a person: a suspect
/// (`curiga`), unreadable or machine message that registered nothing yet (nothing a
/// person wrote stays hidden because a rule misjudged it, invariant 12).
pub fn acceptable(class: MessageClass, registered: bool) -> bool {
    !registered
        && matches!(
            class,
            MessageClass::Curiga | MessageClass::Unreadable | MessageClass::Machine
        )
}

impl Pipeline {
    /// Step 3: the unit concerned and/or the corrected kind, while the complaint is open.
    pub fn assign(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        unit: Option<&str>,
        kind: Option<Kind>,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<()> {
        if unit.is_none() && kind.is_none() {
            return Err(ActionError::Invalid(
                "sebutkan unit dan/atau jenis yang dicatat".into(),
            ));
        }
        if let Some(unit) = unit {
            if !self.config.units.iter().any(|(u, _)| u == unit) {
                let known: Vec<&str> = self.config.units.iter().map(|(u, _)| u.as_str()).collect();
                return Err(ActionError::Invalid(format!("unit {unit:?} tidak dikenal; pilih salah satu: {} (daftar unit ada di [units] konfigurasi)", known.join(", "))));
            }
        }
        let tx = store.transaction()?;
        let case = load(&tx, ticket)?;
        if !state::is_open(case.status) {
            return Err(ActionError::WrongState(format!(
                "pengaduan {ticket} sudah {}; unit dan jenis tidak diubah lagi",
                state::label(case.status)
            )));
        }
        // What is already so is not written again (no event for an unchanged select).
        let unit = unit.filter(|u| case.unit.as_deref() != Some(*u));
        let kind = kind.filter(|k| *k != case.kind);
        if let Some(unit) = unit {
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
        Ok(tx.commit()?)
    }

    /// Step 5: the review with kepala puskesmas, tim mutu and the unit, and its plan.
    pub fn review(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        plan: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<()> {
        let plan = not_empty(plan, "rencana tindak lanjut")?;
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        transition(&tx, &mut case, Action::Review, by, "telaah dicatat", now)?;
        tx.set_plan(case.id, plan, now)?;
        tx.add_event(Some(case.id), now, by, "plan", plan)?;
        Ok(tx.commit()?)
    }

    /// Step 6: the resolution goes to the complainant in the same thread, asking PUAS or
    /// TIDAK PUAS. It is only scheduled here: the answer counts from the moment the SMTP
    /// server accepts it (`Store::mark_sent` sets `answer_sent_at`). A complaint without
    /// an email address is answered by phone or letter; the answer counts as given when
    /// staff record it. Returns whether an email was queued.
    pub fn answer(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        message: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<bool> {
        let message = not_empty(message, "isi jawaban")?;
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        let detail = if self.complainant(&case)?.is_some() {
            "jawaban dijadwalkan"
        } else {
            "jawaban dicatat; disampaikan petugas tanpa surel"
        };
        transition(&tx, &mut case, Action::Answer, by, detail, now)?;
        tx.set_answer(case.id, message, now)?;
        tx.add_event(Some(case.id), now, by, "answer", message)?;
        let mail = self.answer_mail(&tx, &mut case, message, now)?;
        let emailed = match mail {
            Some(mail) => {
                tx.enqueue(&mail, Some(case.id), now)?;
                true
            }
            None => {
                tx.set_answer_sent(case.id, now)?;
                tx.add_event(
                    Some(case.id),
                    now,
                    crate::app::procedure::SYSTEM,
                    "answer_offline",
                    "pengadu tidak punya alamat surel: sampaikan jawaban lewat telepon/WA/surat",
                )?;
                false
            }
        };
        tx.commit()?;
        Ok(emailed)
    }

    /// The exact email [`Pipeline::answer`] would queue for `message` now, for staff to
    /// read before sending; nothing is written. `None`: the complainant has no address.
    pub fn preview_answer(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        message: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<Option<crate::mail::compose::OutgoingMail>> {
        let message = not_empty(message, "isi jawaban")?;
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        state::next(case.status, case.kind, Action::Answer)?;
        let mail = self.answer_mail(&tx, &mut case, message, now)?;
        // Dropped without commit: a preview changes nothing.
        Ok(mail)
    }

    fn answer_mail(
        &self,
        tx: &Tx<'_>,
        case: &mut CaseRecord,
        message: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<Option<crate::mail::compose::OutgoingMail>> {
        case.status = Status::Answered;
        case.answer = Some(message.to_string());
        case.answered_at = Some(now);
        let Some(email) = self.complainant(case)? else {
            return Ok(None);
        };
        let name = case.complainant_name.clone();
        Ok(Some(self.case_mail(
            tx,
            case,
            "mail/answer",
            "answer",
            false,
            &[crate::mail::compose::Recipient {
                name: name.as_deref(),
                email: &email,
            }],
            true,
            now,
        )?))
    }

    /// Step 7b by hand (the complainant said so by phone, for instance).
    pub fn refer(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        reason: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<()> {
        let reason = not_empty(reason, "alasan rujukan")?;
        self.require_dinas()?;
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        self.refer_in(&tx, &mut case, reason, by, now)?;
        Ok(tx.commit()?)
    }

    fn require_dinas(&self) -> ActionResult<()> {
        if self.config.recipients.dinas_kesehatan.is_empty() {
            return Err(ActionError::Invalid("alamat Dinas Kesehatan belum diatur: isi recipients.dinas_kesehatan di konfigurasi".into()));
        }
        Ok(())
    }

    /// Step 7 by hand. An answered case closes with what the complainant said to the
    /// answer (`outcome`): satisfied, heard by telephone or in person (`via`, required);
    /// not satisfied, heard so too, which refers the case to the Dinas Kesehatan as a
    /// mailed TIDAK PUAS would; or no reply, once the answer has reached the complainant.
    /// Praise, suggestions and questions not answered close without an outcome, as
    /// "selesai tanpa jawaban". The outcome and how it was heard are recorded.
    pub fn close(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        outcome: Option<CloseOutcome>,
        via: Option<Heard>,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<()> {
        if let Some(via) = via.filter(|v| !Heard::BY_STAFF.contains(v)) {
            return Err(ActionError::Invalid(format!(
                "cara mendengar {:?} tidak dapat dicatat petugas; pilih telepon atau langsung \
                 (balasan lewat surel dibaca sendiri oleh sistem)",
                via.as_str()
            )));
        }
        if outcome == Some(CloseOutcome::TidakPuas) {
            self.require_dinas()?;
        }
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        if case.status != Status::Answered {
            // A complaint is answered first (the procedure's table says so below); praise, a
            // suggestion or a question may close unanswered, with nobody's outcome.
            if outcome.is_some() && state::is_open(case.status) && case.kind != Kind::Pengaduan {
                return Err(ActionError::Invalid(format!(
                    "{ticket} belum dijawab, jadi belum ada tanggapan pengadu; tutup tanpa \
                     tanggapan (selesai tanpa jawaban), atau kirim jawaban dulu"
                )));
            }
            transition(
                &tx,
                &mut case,
                Action::Close,
                by,
                "ditutup petugas tanpa jawaban",
                now,
            )?;
            tx.set_attention(case.id, None)?;
            return Ok(tx.commit()?);
        }
        let Some(outcome) = outcome else {
            return Err(ActionError::Invalid(
                "pengaduan ini sudah dijawab: sebutkan tanggapan pengadu atas jawaban \
                 (puas, tidak puas, atau tidak ada tanggapan)"
                    .into(),
            ));
        };
        let heard = match (outcome, via) {
            (CloseOutcome::TanpaTanggapan, Some(_)) => {
                return Err(ActionError::Invalid(
                    "tidak ada tanggapan dari pengadu, jadi tidak ada cara mendengarnya; \
                     jangan sebutkan telepon atau langsung"
                        .into(),
                ))
            }
            (CloseOutcome::TanpaTanggapan, None) => None,
            (_, Some(via)) => Some(via),
            (_, None) => {
                return Err(ActionError::Invalid(
                    "sebutkan bagaimana tanggapan pengadu didengar: telepon atau langsung".into(),
                ))
            }
        };
        match (outcome, heard) {
            (CloseOutcome::Puas, Some(heard)) => {
                let detail = format!("pengadu menyatakan puas, dicatat petugas ({heard})");
                transition(&tx, &mut case, Action::Satisfied, by, &detail, now)?;
                tx.set_satisfaction_heard(case.id, heard)?;
                tx.set_attention(case.id, None)?;
            }
            (CloseOutcome::TidakPuas, Some(heard)) => {
                let reason = format!("pengadu menyatakan tidak puas, dicatat petugas ({heard})");
                self.refer_in(&tx, &mut case, &reason, by, now)?;
                tx.set_satisfaction_heard(case.id, heard)?;
            }
            _ => {
                if case.answer_sent_at.is_none() {
                    return Err(ActionError::WrongState(format!(
                        "jawaban untuk {ticket} belum terkirim (masih di kotak keluar), jadi \
                         pengadu belum dapat menanggapinya; tunggu sampai terkirim"
                    )));
                }
                let detail = "tidak ada tanggapan pengadu atas jawaban, dicatat petugas";
                transition(&tx, &mut case, Action::NoReply, by, detail, now)?;
                tx.set_attention(case.id, None)?;
            }
        }
        Ok(tx.commit()?)
    }

    /// Step 7 decided by a person: the complainant's reply to the answer was unclear
    /// (`satisfaction::read` gave `Unclear`), and staff read it as PUAS (closed) or TIDAK
    /// PUAS (referred to the Dinas Kesehatan, as a clear TIDAK PUAS would be).
    pub fn decide_reply(
        &self,
        store: &mut Store,
        ticket: &Ticket,
        satisfied: bool,
        by: &str,
        now: DateTime<Utc>,
    ) -> ActionResult<()> {
        if !satisfied {
            self.require_dinas()?;
        }
        let tx = store.transaction()?;
        let mut case = load(&tx, ticket)?;
        if satisfied {
            let detail = "petugas membaca balasan pengadu: puas";
            transition(&tx, &mut case, Action::Satisfied, by, detail, now)?;
            tx.set_attention(case.id, None)?;
        } else {
            let reason = "petugas membaca balasan pengadu: tidak puas";
            self.refer_in(&tx, &mut case, reason, by, now)?;
        }
        // The complainant wrote it; staff only read it.
        tx.set_satisfaction_heard(case.id, Heard::Mail)?;
        Ok(tx.commit()?)
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
    ) -> ActionResult<(Ticket, bool)> {
        let message_id = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let tx = store.transaction()?;
        let stored = tx.stored_message(message_id)?.ok_or_else(|| {
            ActionError::NotFound(format!("surel dengan Message-ID {message_id} tidak ditemukan; lihat daftar surel yang perlu diperiksa (`pengaduan flagged`)"))
        })?;
        if let Some(cid) = stored.complaint_id {
            return Err(ActionError::WrongState(format!(
                "surel {message_id} sudah tercatat sebagai pengaduan {}",
                tx.case_by_id(cid)?.ticket
            )));
        }
        if !acceptable(stored.class, false) {
            return Err(ActionError::WrongState(format!(
                "surel {message_id} bukan surel curiga, tak terbaca atau otomatis (kelasnya {}); \
                 hanya surel dari daftar Surel ditandai yang dapat diterima sebagai pengaduan",
                stored.class
            )));
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
            Stored::Existing(stored.id),
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
    ) -> ActionResult<Ticket> {
        let lapor_number = lapor_number(c.channel, c.lapor_number.as_deref())?;
        let text = not_empty(&c.text, "isi pengaduan")?;
        let subject = c
            .subject
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| text.lines().next().unwrap_or("").chars().take(80).collect());
        let words = Words::new(&subject, text);
        let kind = c
            .kind
            .unwrap_or_else(|| guess_kind(&words, &self.config.keywords));
        let mut phones: Vec<String> = match c.phone.as_deref().map(str::trim) {
            Some(p) if !p.is_empty() => vec![PhoneNumber::parse(p)
                .map(|n| n.to_string())
                .ok_or_else(|| {
                    ActionError::Invalid(format!(
                        "nomor telepon {p:?} tidak dikenali; tulis seperti 0812-3456-7890"
                    ))
                })?],
            _ => Vec::new(),
        };
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
                lapor_number: lapor_number.as_ref(),
                kind,
                name: c.name.as_deref().filter(|s| !s.trim().is_empty()),
                email: c.email.as_ref().map(|e| e.as_str()),
                address: c.address.as_deref().filter(|s| !s.trim().is_empty()),
                phones: &phones,
                subject: &subject,
                body: text,
                received_at: c.received_at,
                unit: unit.as_deref(),
                attention: None,
                by,
                detail: &match &lapor_number {
                    Some(n) => format!(
                        "{kind} dicatat dari saluran {}, nomor laporan {n}",
                        c.channel
                    ),
                    None => format!("{kind} dicatat dari saluran {}", c.channel),
                },
            },
            now,
        )?;
        tx.commit()?;
        Ok(registered.ticket)
    }
}
