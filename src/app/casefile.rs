//! The complaint page's case file: every mail in and out with its text and attachments,
//! the complainant's other complaints, which staff actions the procedure allows now (and
//! the reply waiting for a person's decision), and one attachment's bytes for download.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::app::ActionError;
use crate::domain::{Direction, Kind, MessageClass, Status, Ticket};
use crate::store::attachments::{RelatedComplaint, ThreadMail};
use crate::store::Store;
use crate::workflow::state::{self, Action};

/// One attachment of an inbound mail, as listed when it arrived.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentLine {
    /// Its position in the mail (the download's address: `/lampiran/{message}/{index}`).
    pub index: usize,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// The size for people: "840 B", "12 KB", "1,4 MB".
    pub size_shown: String,
}

/// One mail of the case, in or out.
#[derive(Debug, Clone, Serialize)]
pub struct CaseMail {
    /// The row id of the stored message (inbound) or outgoing mail.
    pub id: i64,
    pub direction: Direction,
    #[serde(serialize_with = "crate::clock::serialize_wib")]
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: Vec<String>,
    pub subject: String,
    /// Inbound: complaint, reply, machine…; outbound: ack, answer, referral…
    pub class: String,
    /// Outbound: pending, sent or failed.
    pub delivery: Option<String>,
    /// The text as a person reads it (HTML mail reduced to text when it arrived).
    pub text: String,
    pub attachments: Vec<AttachmentLine>,
    /// The raw mail, its text and attachments were deleted (`pengaduan purge`).
    pub purged: bool,
}

/// The complainant's reply to the answer that waits for a person: PUAS or TIDAK PUAS?
#[derive(Debug, Clone, Serialize)]
pub struct WaitingReply {
    #[serde(serialize_with = "crate::clock::serialize_wib")]
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub text: String,
}

/// Which forms the procedure allows now (`workflow::state`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Allowed {
    /// Unit and kind, while the case is open.
    pub assign: bool,
    /// Refer to the Dinas Kesehatan (only after the answer, PROSEDUR.md step 7b).
    pub refer: bool,
    /// Decide an unclear satisfaction reply.
    pub decide_reply: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseFile {
    pub mails: Vec<CaseMail>,
    pub related: Vec<RelatedComplaint>,
    /// The related list was cut at `store::attachments::RELATED_LIMIT`.
    pub related_cut: bool,
    pub allowed: Allowed,
    pub waiting_reply: Option<WaitingReply>,
    /// Units of `[units]` and the kinds, for the assign form's selects.
    pub units: Vec<String>,
    pub kinds: Vec<&'static str>,
    /// When the raw mail was deleted, if it was.
    #[serde(serialize_with = "crate::clock::serialize_wib_opt")]
    pub purged_at: Option<DateTime<Utc>>,
}

/// The attachment list as ingest stores it (`mail::parse::Attachment` as JSON).
#[derive(Deserialize)]
struct Listed {
    #[serde(default)]
    name: String,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    size: u64,
}

fn listed(json: &str) -> Vec<Listed> {
    serde_json::from_str(json).unwrap_or_default()
}

/// PURE: a size as people read it, with the Indonesian decimal comma.
pub fn size_shown(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", (b / KB).max(1.0))
    } else {
        format!("{:.1} MB", b / KB / KB).replace('.', ",")
    }
}

/// PURE: the reply waiting for a person's decision — the complaint is still `answered`
/// (a clear PUAS or TIDAK PUAS would have moved it on) and the complainant wrote after the
/// answer went out: the newest such reply.
pub fn waiting_reply(
    status: Status,
    answered_at: Option<DateTime<Utc>>,
    mails: &[CaseMail],
) -> Option<WaitingReply> {
    if status != Status::Answered {
        return None;
    }
    let answered = answered_at?;
    mails
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::In && m.class == MessageClass::Reply.as_str())
        .find(|m| m.at >= answered)
        .map(|m| WaitingReply {
            at: m.at,
            from: m.from.clone(),
            text: m.text.clone(),
        })
}

fn mail(m: ThreadMail, max_parse_bytes: usize) -> CaseMail {
    let (text, to) = if m.inbound {
        (m.text, Vec::new())
    } else {
        let text = if m.raw_out.is_empty() {
            String::new()
        } else {
            crate::mail::parse::parse(&m.raw_out, max_parse_bytes).text
        };
        let to =
            m.to.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        (text, to)
    };
    let attachments = listed(&m.attachments_json)
        .into_iter()
        .enumerate()
        .map(|(index, a)| AttachmentLine {
            index,
            name: a.name,
            content_type: a.content_type,
            size_shown: size_shown(a.size),
            size: a.size,
        })
        .collect();
    CaseMail {
        id: m.id,
        direction: if m.inbound {
            Direction::In
        } else {
            Direction::Out
        },
        at: m.at,
        from: m.from,
        to,
        subject: m.subject,
        class: m.class,
        delivery: m.delivery,
        text,
        attachments,
        purged: m.purged,
    }
}

fn not_found(ticket: &Ticket) -> ActionError {
    ActionError::NotFound(format!("Tiket {ticket} tidak ditemukan."))
}

/// The case file of `ticket` for the complaint page.
pub fn case_file(
    store: &Store,
    ticket: &Ticket,
    units: &[String],
    max_parse_bytes: usize,
) -> Result<CaseFile, ActionError> {
    let facts = store
        .case_facts(&ticket.to_string())?
        .ok_or_else(|| not_found(ticket))?;
    let (status, kind) = (facts.status, facts.kind);
    let mails: Vec<CaseMail> = store
        .thread_mails(facts.id)?
        .into_iter()
        .map(|m| mail(m, max_parse_bytes))
        .collect();
    let mut related =
        store.related_complaints(facts.id, facts.complainant_email.as_deref(), &facts.phones)?;
    let related_cut = related.len() > crate::store::attachments::RELATED_LIMIT;
    related.truncate(crate::store::attachments::RELATED_LIMIT);
    let waiting = waiting_reply(status, facts.answered_at, &mails);
    let mut units = units.to_vec();
    if let Some(u) = facts.unit.filter(|u| !units.contains(u)) {
        // A unit since removed from the config stays selectable as it is.
        units.insert(0, u);
    }
    Ok(CaseFile {
        allowed: Allowed {
            assign: state::is_open(status),
            refer: state::next(status, kind, Action::Refer).is_ok(),
            decide_reply: waiting.is_some(),
        },
        waiting_reply: waiting,
        mails,
        related,
        related_cut,
        units,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        purged_at: facts.purged_at,
    })
}

/// An attachment to download: its name as listed, and its bytes.
pub struct Download {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Attachment `index` of stored message `message` (row id), read from the raw mail.
/// Only mail of a complaint is offered (a suspect message's attachments are not).
pub fn attachment(
    store: &Store,
    message: i64,
    index: usize,
    max_parse_bytes: usize,
) -> Result<Download, ActionError> {
    let missing = || ActionError::NotFound("Lampiran ini tidak ditemukan.".into());
    let m = store.message_bytes(message)?.ok_or_else(missing)?;
    if m.complaint_id.is_none() {
        return Err(missing());
    }
    if m.raw.is_empty() {
        return Err(ActionError::NotFound(
            "Surel ini dan lampirannya sudah dihapus karena masa simpannya lewat (pengaduan purge)."
                .into(),
        ));
    }
    let name = listed(&m.attachments_json)
        .into_iter()
        .nth(index)
        .ok_or_else(missing)?
        .name;
    let bytes = crate::mail::parse::attachment_contents(&m.raw, max_parse_bytes, index).ok_or_else(
        || {
            ActionError::NotFound(
                "Lampiran ini tidak dapat dibaca dari surel aslinya; surel mentahnya tetap tersimpan."
                    .into(),
            )
        },
    )?;
    Ok(Download { name, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_shown(0), "0 B");
        assert_eq!(size_shown(840), "840 B");
        assert_eq!(size_shown(1024), "1 KB");
        assert_eq!(size_shown(13_000), "13 KB");
        assert_eq!(size_shown(1_468_006), "1,4 MB");
    }

    fn reply(at: &str, class: &str) -> CaseMail {
        CaseMail {
            id: 1,
            direction: Direction::In,
            at: DateTime::parse_from_rfc3339(at).unwrap().to_utc(),
            from: None,
            to: Vec::new(),
            subject: String::new(),
            class: class.into(),
            delivery: None,
            text: at.into(),
            attachments: Vec::new(),
            purged: false,
        }
    }

    #[test]
    fn a_reply_waits_only_after_the_answer_while_answered() {
        use chrono::TimeZone;
        let answered = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        let mails = [
            reply("2026-03-12T09:00:00+07:00", "reply"),
            reply("2026-03-12T11:00:00+07:00", "reply"),
            reply("2026-03-12T12:00:00+07:00", "machine"),
        ];
        let w = waiting_reply(Status::Answered, Some(answered), &mails).unwrap();
        assert_eq!(
            w.text, "2026-03-12T11:00:00+07:00",
            "the newest reply after"
        );
        assert!(waiting_reply(Status::Answered, Some(answered), &mails[..1]).is_none());
        assert!(waiting_reply(Status::Reviewed, Some(answered), &mails).is_none());
        assert!(waiting_reply(Status::Referred, Some(answered), &mails).is_none());
    }
}
