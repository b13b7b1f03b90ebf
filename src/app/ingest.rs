//! One inbound message, start to end: parse, classify, decide, and write everything the
//! decision implies in ONE transaction — raw message, complaint, audit events, the
//! acknowledgement in the outbox, and the mailbox cursor (DESIGN "The flow").

use anyhow::Result;
use chrono::{DateTime, Datelike, Utc};

use crate::app::intake::{MailArrival, Stored};
use crate::app::procedure::SYSTEM;
use crate::calendar::WIB;
use crate::domain::{extract_phones, Kind, MessageClass, PhoneNumber, Ticket};
use crate::mail::compose::{self, AckInput, OutgoingMail, Recipient, ThreadOf};
use crate::mail::parse::{parse, InboundMessage, Sender};
use crate::store::{MailboxPosition, NewMessage, Seen, Store, Tx};
use crate::workflow::classify::{
    contact, guess_kind, guess_unit, pick_thread, route, thread_hints, Contact, Route, ThreadFacts,
    Words,
};
use crate::workflow::intake::deadlines;

use crate::app::Pipeline;

/// The flag of a message whose Message-ID a stored message already has, with other bytes.
pub const SAME_ID_OTHER_BYTES: &str =
    "Message-ID sama dengan surel yang sudah tercatat, isi berbeda";

#[derive(Clone)]
pub struct Arrival<'a> {
    pub raw: &'a [u8],
    pub position: MailboxPosition,
    /// When the mailbox received it (IMAP INTERNALDATE), which starts the deadlines.
    pub received_at: DateTime<Utc>,
    /// From history (backfill, an export): acknowledged only when younger than 24 h.
    pub historical: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Seen before (same Message-ID or same mailbox position): nothing new was written.
    Duplicate,
    New {
        ticket: Ticket,
        ack_queued: bool,
    },
    Reply {
        complaint_id: i64,
    },
    Machine {
        reason: String,
    },
    /// Stored as `curiga` for a person (`pengaduan flagged`); not registered, not answered.
    Suspect {
        reason: String,
    },
    Unreadable {
        reason: String,
    },
}

/// What the pipeline decides about one raw message before anything is stored: see
/// [`Pipeline::examine`].
#[derive(Debug)]
pub struct Examination {
    pub message: InboundMessage,
    /// The route when no stored complaint matches the thread hints.
    pub route: Route,
    /// The first ticket number written in the subject or the first lines of the body, if
    /// any (threads the mail when it is the sender's own complaint).
    pub ticket_in_subject: Option<Ticket>,
    /// Who a new complaint is from and where its acknowledgement may go (`None` unless
    /// the route is New).
    pub contact: Option<Contact>,
    pub kind: Kind,
    pub unit: Option<String>,
    pub phones: Vec<PhoneNumber>,
    /// The acknowledgement a new complaint would get (`None` unless the route is New);
    /// an `Err` is what `register` records as `ack_failed`.
    pub ack: Option<Result<OutgoingMail>>,
}

impl Pipeline {
    /// The whole decision path for `raw` without a database: parse, classify, guess kind
    /// and unit, find phone numbers, compute deadlines and compose the acknowledgement,
    /// with the same functions [`Pipeline::ingest`] uses. No I/O beyond the templates the
    /// pipeline already holds. The fuzz target (`fuzz/`) and the hostile-input tests drive
    /// it; it must never panic, whatever `raw` is.
    pub fn examine(
        &self,
        raw: &[u8],
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Examination {
        let msg = self.parse(raw);
        let ticket_in_subject = thread_hints(&msg).tickets.first().copied();
        let route = route(
            &msg,
            &self.config.puskesmas.email,
            None,
            &self.config.intake,
        );
        let words = Words::new(&msg.subject, &msg.text);
        let kind = guess_kind(&words, &self.config.keywords);
        let unit = guess_unit(&words, &self.config.units);
        let contact = matches!(route, Route::New).then(|| contact(&msg, &self.config.intake));
        let phones = match &contact {
            Some(c) => c.phones.clone(),
            None => extract_phones(&format!("{}\n{}", msg.subject, msg.text)),
        };
        let ack = match contact.as_ref().map(|c| &c.ack_to) {
            Some(Ok(to)) => {
                let year = received_at.with_timezone(&WIB).year();
                let ticket = Ticket::new(year, 1).unwrap_or(Ticket { year: 2026, seq: 1 });
                Some(self.compose_ack(&msg, to, &ticket, kind, received_at, now))
            }
            _ => None,
        };
        Examination {
            message: msg,
            route,
            ticket_in_subject,
            contact,
            kind,
            unit,
            phones,
            ack,
        }
    }

    /// The acknowledgement of a new complaint, threaded to the complainant's message.
    pub(crate) fn compose_ack(
        &self,
        msg: &InboundMessage,
        sender: &Sender,
        ticket: &Ticket,
        kind: Kind,
        received_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<OutgoingMail> {
        let due = deadlines(received_at, &self.calendar);
        let input = AckInput {
            puskesmas: &self.config.puskesmas,
            ticket,
            kind: kind.as_str(),
            to: Recipient {
                name: sender.name.as_deref(),
                email: &sender.email,
            },
            subject: &msg.subject,
            received_at,
            ack_due: due.ack_due,
            review_due: due.review_due,
            answer_due: due.answer_due,
            thread: (!msg.synthetic_id).then_some(ThreadOf {
                message_id: &msg.message_id,
                references: &msg.references,
            }),
        };
        compose::ack(&self.templates, &input, now)
    }

    /// The parse every ingest starts with; a backlog runs it ahead, on another thread,
    /// while the chunk before is being stored.
    pub fn parse(&self, raw: &[u8]) -> InboundMessage {
        parse(raw, self.config.limits.max_parse_bytes)
    }

    pub fn ingest(
        &self,
        store: &mut Store,
        arrival: &Arrival<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let msg = self.parse(arrival.raw);
        let mut outcomes = self.ingest_together(store, &[(arrival.clone(), &msg)], now)?;
        Ok(outcomes.remove(0))
    }

    /// Several arrivals, in mailbox order and parsed ([`Pipeline::parse`]), in ONE
    /// transaction: each is stored exactly as [`Pipeline::ingest`] would, and the cursor
    /// ends past the last. A backlog goes through here a fetched chunk at a time: a
    /// transaction per message rewrote the pages every message touches (the last leaves
    /// of tables and indexes, the cursor, the ticket counter) at each commit, ~19 pages of
    /// 4 KB a message, nearly doubling what a backlog wrote (docs/PERFORMANCE.md). If any
    /// arrival fails, none is stored (see [`Pipeline::ingest_in_order`]).
    pub fn ingest_together(
        &self,
        store: &mut Store,
        arrivals: &[(Arrival<'_>, &InboundMessage)],
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>> {
        let tx = store.transaction()?;
        let outcomes = arrivals
            .iter()
            .map(|(arrival, msg)| self.ingest_in(&tx, arrival, msg, now))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(outcomes)
    }

    /// [`Pipeline::ingest_together`], and if that fails (nothing stored), one
    /// transaction per arrival, in order, so those before the failing one are kept. The
    /// error says which arrival failed (its index); none after it was stored.
    pub fn ingest_in_order(
        &self,
        store: &mut Store,
        arrivals: &[(Arrival<'_>, &InboundMessage)],
        now: DateTime<Utc>,
    ) -> std::result::Result<Vec<Outcome>, (usize, anyhow::Error)> {
        let together = match self.ingest_together(store, arrivals, now) {
            Ok(outcomes) => return Ok(outcomes),
            Err(e) if arrivals.len() == 1 => return Err((0, e)),
            Err(e) => e,
        };
        tracing::warn!(
            messages = arrivals.len(),
            "storing messages together failed, storing them one by one: {together:#}"
        );
        let mut outcomes = Vec::with_capacity(arrivals.len());
        for (i, one) in arrivals.chunks(1).enumerate() {
            outcomes.extend(self.ingest_together(store, one, now).map_err(|e| (i, e))?);
        }
        Ok(outcomes)
    }

    fn ingest_in(
        &self,
        tx: &Tx<'_>,
        arrival: &Arrival<'_>,
        msg: &InboundMessage,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let outcome = match tx.seen(&msg.message_id, arrival.raw, &arrival.position)? {
            Seen::Duplicate => Outcome::Duplicate,
            Seen::New => self.store_new(tx, msg, arrival, None, now)?,
            Seen::SameIdOtherBytes { complaint_id } => {
                // Kept and flagged, never dropped (invariant 3): with the first message's
                // complaint when it has one, else on its own way like any new mail.
                let mut msg = msg.clone();
                msg.problems.push(SAME_ID_OTHER_BYTES.to_string());
                tracing::warn!(message_id = %msg.message_id, "a stored message has this Message-ID with other bytes: stored as another message and flagged");
                self.store_new(tx, &msg, arrival, complaint_id, now)?
            }
        };
        if let (Some(mailbox), Some(validity), Some(uid)) = (
            &arrival.position.mailbox,
            arrival.position.uidvalidity,
            arrival.position.uid,
        ) {
            tx.advance_cursor(mailbox, validity, uid, now)?;
        }
        Ok(outcome)
    }

    /// Stores a message not seen before and carries out its route. `same_id_complaint`:
    /// the complaint of an earlier message with the same Message-ID and other bytes,
    /// which this one joins as a reply would.
    fn store_new(
        &self,
        tx: &Tx<'_>,
        msg: &InboundMessage,
        arrival: &Arrival<'_>,
        same_id_complaint: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let hints = thread_hints(msg);
        let (referenced, tickets) = tx.thread_facts(&hints.tickets, &hints.referenced_ids)?;
        let mut thread = pick_thread(
            &ThreadFacts {
                referenced,
                tickets,
            },
            msg,
        );
        if let Some(cid) = same_id_complaint {
            thread.complaint_id = Some(cid);
        }
        let route = route(
            msg,
            &self.config.puskesmas.email,
            thread.complaint_id,
            &self.config.intake,
        );
        let attachments = serde_json::to_string(&msg.attachments)?;
        let sender = msg.reply_address();
        let base = NewMessage {
            message_id: &msg.message_id,
            position: &arrival.position,
            received_at: arrival.received_at,
            date_header: msg.date,
            from_email: msg.from.as_ref().map(|s| s.email.as_str()),
            from_name: msg.from.as_ref().and_then(|s| s.name.as_deref()),
            subject: &msg.subject,
            // Each route below sets its own class.
            class: MessageClass::Complaint,
            reason: None,
            problems: &msg.problems,
            complaint_id: None,
            body_text: &msg.text,
            attachments_json: &attachments,
            raw: arrival.raw,
        };

        match route {
            Route::Machine { reason } => {
                tx.insert_message(
                    &NewMessage {
                        class: MessageClass::Machine,
                        reason: Some(&reason),
                        complaint_id: thread.complaint_id,
                        ..base
                    },
                    now,
                )?;
                if let Some(cid) = thread.complaint_id {
                    tx.add_event(
                        Some(cid),
                        now,
                        "sistem",
                        "machine_mail",
                        &format!("surel otomatis diterima ({reason}); tidak dibalas"),
                    )?;
                }
                tracing::info!(message_id = %msg.message_id, %reason, "machine mail stored, no reply");
                Ok(Outcome::Machine { reason })
            }
            Route::Suspect { reason } => {
                tx.insert_message(
                    &NewMessage {
                        class: MessageClass::Curiga,
                        reason: Some(&reason),
                        ..base
                    },
                    now,
                )?;
                tracing::warn!(message_id = %msg.message_id, %reason, "suspect mail stored for a person, not registered, not answered");
                Ok(Outcome::Suspect { reason })
            }
            Route::Unreadable { reason } => {
                tx.insert_message(
                    &NewMessage {
                        class: MessageClass::Unreadable,
                        reason: Some(&reason),
                        ..base
                    },
                    now,
                )?;
                tracing::warn!(message_id = %msg.message_id, %reason, "message needs a person: stored raw and flagged");
                Ok(Outcome::Unreadable { reason })
            }
            Route::Reply { complaint_id } => {
                tx.insert_message(
                    &NewMessage {
                        class: MessageClass::Reply,
                        complaint_id: Some(complaint_id),
                        ..base
                    },
                    now,
                )?;
                let from = sender.map(|s| s.email.to_string()).unwrap_or_default();
                tx.add_event(
                    Some(complaint_id),
                    now,
                    &from,
                    "reply_received",
                    &format!("balasan diterima: {}", msg.subject),
                )?;
                self.on_reply(tx, complaint_id, msg, now)?;
                tracing::info!(message_id = %msg.message_id, complaint_id, "reply attached to complaint");
                Ok(Outcome::Reply { complaint_id })
            }
            Route::New => {
                let contact = contact(msg, &self.config.intake);
                let record = NewMessage {
                    class: MessageClass::Complaint,
                    reason: contact.flag.as_deref(),
                    ..base
                };
                let mail = MailArrival {
                    msg,
                    received_at: arrival.received_at,
                    historical: arrival.historical,
                    contact: &contact,
                    foreign_tickets: &thread.foreign,
                };
                let (ticket, ack_queued) =
                    self.register_mail(tx, &mail, Stored::New(&record), SYSTEM, now)?;
                Ok(Outcome::New { ticket, ack_queued })
            }
        }
    }
}
