//! Step 1 of the procedure, the ONE place a complaint is created, whatever the channel:
//! mail ([`crate::ingest`], the mail-arrival edge), a suspect message a person accepted
//! and manual entry ([`crate::app::actions`]). Step 2 for mail: the acknowledgement where
//! [`decide_ack`] allows it.

use anyhow::Result;
use chrono::{DateTime, Datelike, Duration, Utc};

use crate::app::procedure::SYSTEM;
use crate::app::Pipeline;
use crate::calendar::WIB;
use crate::domain::{Channel, Kind, LaporNumber, Status, Ticket};
use crate::mail::parse::{InboundMessage, Sender};
use crate::store::{NewComplaint, NewMessage, Tx};
use crate::workflow::classify::{guess_kind, guess_unit, Contact, Words};
use crate::workflow::intake::{deadlines, decide_ack, AckDecision, AckFacts, Deadlines};

impl Pipeline {
    /// Step 1 of the procedure for every channel — mail (`ingest`), a suspect message a
    /// person accepted (`flagged accept`) and manual entry (`complaints record`): the
    /// ticket (numbered in the WIB year of receipt), the complaint with its deadlines, and
    /// its `received` event. The ONE place a complaint is created.
    pub fn register_in(
        &self,
        tx: &Tx<'_>,
        r: &Registration<'_>,
        now: DateTime<Utc>,
    ) -> Result<Registered> {
        let due = deadlines(r.received_at, &self.calendar);
        let ticket = tx.next_ticket(r.received_at.with_timezone(&WIB).year())?;
        let complaint_id = tx.insert_complaint(
            &NewComplaint {
                ticket: &ticket,
                status: Status::Received,
                kind: r.kind,
                channel: r.channel,
                lapor_number: r.lapor_number.map(LaporNumber::as_str),
                complainant_email: r.email,
                complainant_name: r.name,
                phones: r.phones,
                subject: r.subject,
                body: r.body,
                received_at: r.received_at,
                ack_due: due.ack_due,
                review_due: due.review_due,
                answer_due: due.answer_due,
            },
            now,
        )?;
        if let Some(address) = r.address {
            tx.set_address(complaint_id, address)?;
        }
        if let Some(unit) = r.unit {
            tx.set_unit(complaint_id, unit)?;
        }
        if let Some(why) = r.attention {
            tx.set_attention(complaint_id, Some(why))?;
        }
        tx.add_event(Some(complaint_id), now, r.by, "received", r.detail)?;
        crate::app::procedure::note_calendar_warning(tx, complaint_id, &ticket, &due, now)?;
        Ok(Registered {
            complaint_id,
            ticket,
            due,
        })
    }

    /// Steps 1 and 2 for a mail: register it ([`Pipeline::register_in`]), link the
    /// message, note what a person should know, and acknowledge where [`contact`] and
    /// [`decide_ack`] allow. Used by ingest and by `flagged accept`.
    pub fn register_mail(
        &self,
        tx: &Tx<'_>,
        mail: &MailArrival<'_>,
        stored: Stored<'_>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(Ticket, bool)> {
        let (msg, contact) = (mail.msg, mail.contact);
        let words = Words::new(&msg.subject, &msg.text);
        let kind = guess_kind(&words, &self.config.keywords);
        let unit = guess_unit(&words, &self.config.units);
        let phones: Vec<String> = contact.phones.iter().map(|p| p.to_string()).collect();
        let Registered {
            complaint_id,
            ticket,
            ..
        } = self.register_in(
            tx,
            &Registration {
                channel: Channel::Email,
                lapor_number: None,
                kind,
                name: contact.name.as_deref(),
                email: contact.email.as_ref().map(|e| e.as_str()),
                address: None,
                phones: &phones,
                subject: &msg.subject,
                body: &msg.text,
                received_at: mail.received_at,
                unit: unit.as_deref(),
                attention: contact.flag.as_deref(),
                by,
                detail: &format!("{kind} diterima lewat {}", contact.came),
            },
            now,
        )?;
        match stored {
            // Stored already linked: an UPDATE afterwards rewrites the whole row, raw
            // message and photos included (it was a tenth of a backlog's time).
            Stored::New(record) => {
                tx.insert_message(
                    &NewMessage {
                        complaint_id: Some(complaint_id),
                        ..*record
                    },
                    now,
                )?;
            }
            Stored::Existing(id) => tx.link_message(id, complaint_id)?,
        }
        if !msg.problems.is_empty() {
            tx.add_event(
                Some(complaint_id),
                now,
                SYSTEM,
                "flagged",
                &msg.problems.join("; "),
            )?;
        }
        if !mail.foreign_tickets.is_empty() {
            let list = mail
                .foreign_tickets
                .iter()
                .map(Ticket::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            tx.add_event(
                Some(complaint_id),
                now,
                SYSTEM,
                "ticket_mentioned",
                &format!("menyebut tiket {list} milik pengadu lain; dicatat sebagai pengaduan baru, tidak digabungkan"),
            )?;
        }

        let ack_queued = match &contact.ack_to {
            Err(why) => {
                tx.add_event(Some(complaint_id), now, SYSTEM, "ack_withheld", why)?;
                false
            }
            Ok(to) => self.acknowledge(tx, mail, to, complaint_id, &ticket, kind, now)?,
        };
        tracing::info!(%ticket, %kind, came = %contact.came, ack_queued, "complaint registered");
        Ok((ticket, ack_queued))
    }

    /// Step 2: the acknowledgement to `to`, where [`decide_ack`] allows it now.
    #[allow(clippy::too_many_arguments)]
    fn acknowledge(
        &self,
        tx: &Tx<'_>,
        mail: &MailArrival<'_>,
        to: &Sender,
        complaint_id: i64,
        ticket: &Ticket,
        kind: Kind,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let facts = AckFacts {
            received: mail.received_at,
            historical: mail.historical,
            recent_auto_mails: tx.auto_mails_since(to.email.as_str(), now - Duration::hours(1))?,
            limit_per_hour: self.config.limits.auto_replies_per_sender_per_hour,
        };
        Ok(match decide_ack(&facts, now) {
            AckDecision::Withhold(reason) => {
                tx.add_event(Some(complaint_id), now, SYSTEM, "ack_withheld", &reason)?;
                false
            }
            AckDecision::Send => {
                // A broken template must not lose the complaint: register it, say why no
                // acknowledgement went out, and let a person act.
                match self.compose_ack(mail.msg, to, ticket, kind, mail.received_at, now) {
                    Ok(ack) => {
                        tx.enqueue(&ack, Some(complaint_id), now)?;
                        tx.add_event(
                            Some(complaint_id),
                            now,
                            SYSTEM,
                            "ack_queued",
                            &format!("tanda terima dijadwalkan ke {}", to.email),
                        )?;
                        true
                    }
                    Err(e) => {
                        tracing::error!(%ticket, "cannot compose the acknowledgement: {e:#}");
                        tx.add_event(
                            Some(complaint_id),
                            now,
                            SYSTEM,
                            "ack_failed",
                            &format!("tanda terima tidak dapat disusun: {e:#}"),
                        )?;
                        false
                    }
                }
            }
        })
    }
}

/// What [`Pipeline::register_in`] needs, whatever the channel.
pub struct Registration<'a> {
    pub channel: Channel,
    /// The SP4N-LAPOR! report number: present exactly when `channel` is `lapor`
    /// ([`Pipeline::record`] checks it).
    pub lapor_number: Option<&'a LaporNumber>,
    pub kind: Kind,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub phones: &'a [String],
    pub subject: &'a str,
    pub body: &'a str,
    pub received_at: DateTime<Utc>,
    pub unit: Option<&'a str>,
    /// Why a person must look at it (the complaint's attention), if anything.
    pub attention: Option<&'a str>,
    /// Who registers it: a staff member's name, or [`SYSTEM`].
    pub by: &'a str,
    /// The `received` event's text.
    pub detail: &'a str,
}

pub struct Registered {
    pub complaint_id: i64,
    pub ticket: Ticket,
    pub due: Deadlines,
}

/// A mail to register and what is known about it.
pub struct MailArrival<'a> {
    pub msg: &'a InboundMessage,
    pub received_at: DateTime<Utc>,
    pub historical: bool,
    pub contact: &'a Contact,
    /// Ticket numbers it mentions that belong to other complainants (noted, not threaded).
    pub foreign_tickets: &'a [Ticket],
}

/// Where the registering message is: to be inserted (ingest) or stored already (a
/// suspect message a person accepted).
#[derive(Clone, Copy)]
pub enum Stored<'a> {
    New(&'a NewMessage<'a>),
    /// The stored message's row id (a Message-ID may name several, invariant 3).
    Existing(i64),
}
