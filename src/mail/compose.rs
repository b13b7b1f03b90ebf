//! Renders outgoing mail into complete RFC 5322 bytes at the moment it is decided, so the
//! outbox row holds exactly what will be sent, with a Message-ID that never changes.

use std::time::SystemTime;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use serde::Serialize;

use crate::clock::to_wib_rfc3339;
use crate::config::Puskesmas;
use crate::domain::{ticket, EmailAddress, Ticket};
use crate::mail::parse::strip_controls;
use crate::templates::Templates;

#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// What this mail is for, e.g. `ack:ADU-2026-0007`; unique in the outbox.
    pub idem_key: String,
    /// With angle brackets, as it stands in the header.
    pub message_id: String,
    pub purpose: String,
    /// Counts toward the per-address limit on automatic mail (RFC 3834).
    pub automatic: bool,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub subject: String,
    pub raw: Vec<u8>,
}

impl<'a> From<&'a OutgoingMail> for crate::store::QueuedMail<'a> {
    fn from(m: &'a OutgoingMail) -> Self {
        crate::store::QueuedMail {
            idem_key: &m.idem_key,
            message_id: &m.message_id,
            purpose: &m.purpose,
            automatic: m.automatic,
            mail_from: &m.mail_from,
            rcpt_to: &m.rcpt_to,
            subject: &m.subject,
            raw: &m.raw,
        }
    }
}

/// What the acknowledgement templates see.
#[derive(Debug, Clone, Serialize)]
pub struct AckContext {
    pub puskesmas: PuskesmasView,
    pub ticket: String,
    pub kind: String,
    pub complainant_name: Option<String>,
    pub subject: String,
    pub received_at: String,
    pub ack_due: String,
    pub review_due: String,
    pub answer_due: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PuskesmasView {
    pub name: String,
    pub email: String,
    pub contact: String,
}

impl From<&Puskesmas> for PuskesmasView {
    fn from(p: &Puskesmas) -> Self {
        PuskesmasView {
            name: p.name.clone(),
            email: p.email.to_string(),
            contact: p.contact.clone(),
        }
    }
}

/// The inbound mail an answer belongs to, for threading (RFC 5322 section 3.6.4).
pub struct ThreadOf<'a> {
    pub message_id: &'a str,
    pub references: &'a [String],
}

pub struct Recipient<'a> {
    pub name: Option<&'a str>,
    pub email: &'a EmailAddress,
}

pub struct AckInput<'a> {
    pub puskesmas: &'a Puskesmas,
    pub ticket: &'a Ticket,
    pub kind: &'a str,
    pub to: Recipient<'a>,
    pub subject: &'a str,
    pub received_at: DateTime<Utc>,
    pub ack_due: DateTime<Utc>,
    pub review_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    pub thread: Option<ThreadOf<'a>>,
}

pub fn ack(
    templates: &Templates,
    input: &AckInput<'_>,
    now: DateTime<Utc>,
) -> Result<OutgoingMail> {
    let ctx = AckContext {
        puskesmas: input.puskesmas.into(),
        ticket: input.ticket.to_string(),
        kind: input.kind.to_string(),
        complainant_name: input.to.name.map(str::to_string),
        // The template adds our ticket; any number the person typed would make two.
        subject: ticket::without_mentions(input.subject),
        received_at: to_wib_rfc3339(input.received_at),
        ack_due: to_wib_rfc3339(input.ack_due),
        review_due: to_wib_rfc3339(input.review_due),
        answer_due: to_wib_rfc3339(input.answer_due),
    };
    render(
        templates,
        &MailSpec {
            template: "mail/ack",
            idem_key: format!("ack:{}", input.ticket),
            purpose: "ack",
            automatic: true,
            from: input.puskesmas,
            to: std::slice::from_ref(&input.to),
            thread: input.thread.as_ref(),
        },
        &ctx,
        now,
    )
}

/// Everything about an outgoing mail except its text.
pub struct MailSpec<'a> {
    /// Base name: `<template>.subject.txt`, `.txt` and `.html` are rendered.
    pub template: &'static str,
    pub idem_key: String,
    pub purpose: &'static str,
    /// Automatic mail (acknowledgements, notices) is marked as such (RFC 3834) and counts
    /// toward the per-address limit; staff-written answers are not.
    pub automatic: bool,
    pub from: &'a Puskesmas,
    pub to: &'a [Recipient<'a>],
    pub thread: Option<&'a ThreadOf<'a>>,
}

/// A file sent with a mail (the monthly report's register workbook).
pub struct Attachment {
    pub filename: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Renders the templates and builds the whole message.
pub fn render(
    templates: &Templates,
    env: &MailSpec<'_>,
    ctx: &impl Serialize,
    now: DateTime<Utc>,
) -> Result<OutgoingMail> {
    render_with(templates, env, ctx, &[], now)
}

/// As [`render`], with files attached: the text and HTML alternatives become the first
/// part of a multipart/mixed body, each file a part after it (RFC 2046 section 5.1.3).
pub fn render_with(
    templates: &Templates,
    env: &MailSpec<'_>,
    ctx: &impl Serialize,
    attachments: &[Attachment],
    now: DateTime<Utc>,
) -> Result<OutgoingMail> {
    let base = env.template;
    anyhow::ensure!(!env.to.is_empty(), "{} has no recipient", env.purpose);
    let subject = one_line(&templates.render(&format!("{base}.subject.txt"), ctx)?);
    let text = templates.render(&format!("{base}.txt"), ctx)?;
    let html = templates.render(&format!("{base}.html"), ctx)?;

    let domain = env.from.email.domain().to_string();
    let message_id = format!(
        "<{}.{}@{}>",
        env.idem_key.replace(':', "."),
        random_token(),
        domain
    );

    let from = Mailbox::new(
        Some(one_line(&env.from.name)),
        parse_address(&env.from.email)?,
    );
    let mut builder = Message::builder().from(from);
    for r in env.to {
        builder = builder.to(Mailbox::new(
            r.name.map(one_line).filter(|n| !n.is_empty()),
            parse_address(r.email)?,
        ));
    }
    let mut builder = builder
        .subject(subject.clone())
        .message_id(Some(message_id.clone()))
        .date(SystemTime::from(now))
        // RFC 3834 section 5: mark the mail as automatic so other responders stay silent.
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            match (env.automatic, env.thread.is_some()) {
                (false, _) => "no",
                (true, true) => "auto-replied",
                (true, false) => "auto-generated",
            }
            .into(),
        ));
    if env.automatic {
        // Asks Exchange/Outlook not to answer us with out-of-office replies.
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"),
            "All".into(),
        ));
    }
    if let Some(thread) = &env.thread {
        let parent = format!("<{}>", thread.message_id);
        let mut refs: Vec<String> = thread.references.iter().map(|r| format!("<{r}>")).collect();
        if !refs.contains(&parent) {
            refs.push(parent.clone());
        }
        // lettre's `.references()` replaces, so pass the whole list at once.
        builder = builder.in_reply_to(parent).references(refs.join(" "));
    }
    let mut body = MultiPart::alternative_plain_html(text, html);
    if !attachments.is_empty() {
        body = MultiPart::mixed().multipart(body);
        for a in attachments {
            let kind = ContentType::parse(a.content_type)
                .with_context(|| format!("bad content type {:?}", a.content_type))?;
            body = body.singlepart(
                lettre::message::Attachment::new(one_line(&a.filename)).body(a.body.clone(), kind),
            );
        }
    }
    let message = builder
        .multipart(body)
        .context("cannot build the outgoing message")?;

    Ok(OutgoingMail {
        idem_key: env.idem_key.clone(),
        message_id,
        purpose: env.purpose.into(),
        automatic: env.automatic,
        mail_from: env.from.email.to_string(),
        rcpt_to: env.to.iter().map(|r| r.email.to_string()).collect(),
        subject,
        raw: message.formatted(),
    })
}

/// Header text must be one line: control characters (CR/LF injection) are removed.
fn one_line(s: &str) -> String {
    strip_controls(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_address(e: &EmailAddress) -> Result<lettre::Address> {
    e.as_str()
        .parse()
        .with_context(|| format!("{e} cannot be used as a mail address"))
}

fn random_token() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    // SystemRandom only fails when the OS has no entropy source; a fixed token is then
    // still unique enough together with the idempotency key.
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub fn sample_ack_context() -> AckContext {
    AckContext {
        puskesmas: PuskesmasView {
            name: "Puskesmas Kademangan".into(),
            email: "kademangan.puskesmas@gmail.com".into(),
            contact: "Telepon (0332) 424212".into(),
        },
        ticket: "ADU-2026-0007".into(),
        kind: "pengaduan".into(),
        complainant_name: Some("Siti <Aminah>".into()),
        subject: "Antrean lama".into(),
        received_at: "2026-03-12T10:00:00+07:00".into(),
        ack_due: "2026-03-13T10:00:00+07:00".into(),
        review_due: "2026-03-15T10:00:00+07:00".into(),
        answer_due: "2026-04-09T23:59:59+07:00".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::Path;

    fn input<'a>(
        p: &'a Puskesmas,
        t: &'a Ticket,
        to: &'a EmailAddress,
        name: Option<&'a str>,
        subject: &'a str,
        refs: &'a [String],
    ) -> AckInput<'a> {
        let at = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        AckInput {
            puskesmas: p,
            ticket: t,
            kind: "pengaduan",
            to: Recipient { name, email: to },
            subject,
            received_at: at,
            ack_due: at,
            review_due: at,
            answer_due: at,
            thread: Some(ThreadOf {
                message_id: "orig@example.test",
                references: refs,
            }),
        }
    }

    #[test]
    fn ack_is_threaded_marked_and_injection_free() {
        let templates =
            Templates::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")).unwrap();
        let p = Puskesmas {
            name: "Puskesmas\r\nBcc: evil@example.test Kademangan".into(),
            email: EmailAddress::parse("kademangan.puskesmas@gmail.com").unwrap(),
            contact: String::new(),
        };
        let t = Ticket { year: 2026, seq: 7 };
        let to = EmailAddress::parse("budi@example.test").unwrap();
        let refs = vec!["r0@example.test".to_string()];
        let mail = ack(
            &templates,
            &input(
                &p,
                &t,
                &to,
                Some("Budi\r\nBcc: evil@example.test"),
                "Obat habis\r\nBcc: evil@example.test",
                &refs,
            ),
            Utc::now(),
        )
        .unwrap();
        let raw = String::from_utf8_lossy(&mail.raw);
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(
            headers.contains("Auto-Submitted: auto-replied"),
            "{headers}"
        );
        assert!(
            headers.contains("In-Reply-To: <orig@example.test>"),
            "{headers}"
        );
        assert!(
            headers.contains("<r0@example.test> <orig@example.test>"),
            "{headers}"
        );
        assert!(mail.subject.contains("[ADU-2026-0007]"), "{}", mail.subject);
        assert!(
            headers.contains(&format!("Message-ID: {}", mail.message_id)),
            "{headers}"
        );
        assert!(mail.message_id.ends_with("@gmail.com>"));
        assert_eq!(mail.rcpt_to, vec!["budi@example.test"]);
        // The parsed-back mail is recognised as automatic by our own classifier.
        let back = crate::mail::parse::parse(&mail.raw, 1 << 20);
        assert!(crate::workflow::classify::machine_reason(&back, &to).is_some());
    }
}
