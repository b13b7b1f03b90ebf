//! One inbound message, start to end: parse, classify, decide, and write everything the
//! decision implies in ONE transaction — raw message, complaint, audit events, the
//! acknowledgement in the outbox, and the mailbox cursor (DESIGN "The flow").

use anyhow::Result;
use chrono::{DateTime, Datelike, Duration, Utc};

use crate::calendar::{Calendar, WIB};
use crate::config::Config;
use crate::domain::{extract_phones, Channel, Kind, PhoneNumber, Status, Ticket};
use crate::mail::compose::{self, AckInput, OutgoingMail, Recipient, ThreadOf};
use crate::mail::parse::{parse, InboundMessage, Sender};
use crate::store::{MailboxPosition, NewComplaint, NewMessage, Store, Tx};
use crate::templates::Templates;
use crate::workflow::classify::{guess_kind, guess_unit, route, thread_hints, Route, Words};
use crate::workflow::intake::{deadlines, decide_ack, AckDecision, AckFacts};

/// The read-only context every ingest needs, built once at start.
pub struct Pipeline {
    pub config: Config,
    pub calendar: Calendar,
    pub templates: Templates,
}

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
    /// The ticket named in the subject, if any (would thread the mail as a reply).
    pub ticket_in_subject: Option<Ticket>,
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
        let ticket_in_subject = thread_hints(&msg).ticket;
        let route = route(&msg, &self.config.puskesmas.email, None);
        let words = Words::new(&msg.subject, &msg.text);
        let kind = guess_kind(&words, &self.config.keywords);
        let unit = guess_unit(&words, &self.config.units);
        let phones = extract_phones(&format!("{}\n{}", msg.subject, msg.text));
        let ack = match (&route, msg.reply_address()) {
            (Route::New, Some(sender)) => {
                let year = received_at.with_timezone(&WIB).year();
                let ticket = Ticket::new(year, 1).unwrap_or(Ticket { year: 2026, seq: 1 });
                Some(self.compose_ack(&msg, sender, &ticket, kind, received_at, now))
            }
            _ => None,
        };
        Examination {
            message: msg,
            route,
            ticket_in_subject,
            kind,
            unit,
            phones,
            ack,
        }
    }

    /// The acknowledgement of a new complaint, threaded to the complainant's message.
    fn compose_ack(
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
        let outcome = if tx.message_known(&msg.message_id, &arrival.position)? {
            Outcome::Duplicate
        } else {
            self.store_new(tx, msg, arrival, now)?
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

    fn store_new(
        &self,
        tx: &Tx<'_>,
        msg: &InboundMessage,
        arrival: &Arrival<'_>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let hints = thread_hints(msg);
        let thread = tx.find_thread(hints.ticket.as_ref(), &hints.referenced_ids)?;
        let route = route(msg, &self.config.puskesmas.email, thread);
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
            class: "",
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
                        class: "machine",
                        reason: Some(&reason),
                        complaint_id: thread,
                        ..base
                    },
                    now,
                )?;
                if let Some(cid) = thread {
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
            Route::Unreadable { reason } => {
                tx.insert_message(
                    &NewMessage {
                        class: "unreadable",
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
                        class: "reply",
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
            Route::New => self.register(
                tx,
                msg,
                arrival,
                now,
                &NewMessage {
                    class: "complaint",
                    ..base
                },
            ),
        }
    }

    /// Steps 1 and 2 of the procedure: register with a ticket, then acknowledge.
    fn register(
        &self,
        tx: &Tx<'_>,
        msg: &InboundMessage,
        arrival: &Arrival<'_>,
        now: DateTime<Utc>,
        record: &NewMessage<'_>,
    ) -> Result<Outcome> {
        // `route` returns New only when there is a usable reply address.
        let Some(sender) = msg.reply_address() else {
            anyhow::bail!("internal: new complaint without a sender");
        };
        let words = Words::new(&msg.subject, &msg.text);
        let kind = guess_kind(&words, &self.config.keywords);
        let due = deadlines(arrival.received_at, &self.calendar);
        let ticket = tx.next_ticket(arrival.received_at.with_timezone(&WIB).year())?;
        let phones: Vec<String> = extract_phones(&format!("{}\n{}", msg.subject, msg.text))
            .iter()
            .map(|p| p.to_string())
            .collect();
        let complaint_id = tx.insert_complaint(
            &NewComplaint {
                ticket: &ticket,
                status: Status::Received.as_str(),
                kind: kind.as_str(),
                channel: Channel::Email.as_str(),
                complainant_email: Some(sender.email.as_str()),
                complainant_name: sender.name.as_deref(),
                phones: &phones,
                subject: &msg.subject,
                body: &msg.text,
                received_at: arrival.received_at,
                ack_due: due.ack_due,
                review_due: due.review_due,
                answer_due: due.answer_due,
            },
            now,
        )?;
        // Stored already linked: an UPDATE afterwards rewrites the whole row, raw message
        // and photos included (it was a tenth of a backlog's time).
        tx.insert_message(
            &NewMessage {
                complaint_id: Some(complaint_id),
                ..*record
            },
            now,
        )?;
        if let Some(unit) = guess_unit(&words, &self.config.units) {
            tx.set_unit(complaint_id, &unit)?;
        }
        tx.add_event(
            Some(complaint_id),
            now,
            "sistem",
            "received",
            &format!("{kind} diterima lewat surel dari {}", sender.email),
        )?;
        if !msg.problems.is_empty() {
            tx.add_event(
                Some(complaint_id),
                now,
                "sistem",
                "flagged",
                &msg.problems.join("; "),
            )?;
        }
        crate::procedure::note_calendar_warning(tx, complaint_id, &ticket, &due, now)?;

        let facts = AckFacts {
            received: arrival.received_at,
            historical: arrival.historical,
            recent_auto_mails: tx
                .auto_mails_since(sender.email.as_str(), now - Duration::hours(1))?,
            limit_per_hour: self.config.limits.auto_replies_per_sender_per_hour,
        };
        let ack_queued = match decide_ack(&facts, now) {
            AckDecision::Withhold(reason) => {
                tx.add_event(Some(complaint_id), now, "sistem", "ack_withheld", &reason)?;
                false
            }
            AckDecision::Send => {
                // A broken template must not lose the complaint: register it, say why no
                // acknowledgement went out, and let a person act.
                match self.compose_ack(msg, sender, &ticket, kind, arrival.received_at, now) {
                    Ok(mail) => {
                        tx.enqueue(&mail, Some(complaint_id), now)?;
                        tx.add_event(
                            Some(complaint_id),
                            now,
                            "sistem",
                            "ack_queued",
                            &format!("tanda terima dijadwalkan ke {}", sender.email),
                        )?;
                        true
                    }
                    Err(e) => {
                        tracing::error!(%ticket, "cannot compose the acknowledgement: {e:#}");
                        tx.add_event(
                            Some(complaint_id),
                            now,
                            "sistem",
                            "ack_failed",
                            &format!("tanda terima tidak dapat disusun: {e:#}"),
                        )?;
                        false
                    }
                }
            }
        };
        tracing::info!(%ticket, %kind, from = %sender.email, ack_queued, "complaint registered");
        Ok(Outcome::New { ticket, ack_queued })
    }
}
