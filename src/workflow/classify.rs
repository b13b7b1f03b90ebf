//! PURE: what an inbound message is — machine mail, a reply in a known complaint's thread,
//! a new message from a person, or something a person must look at.

use super::phrases::{normalise, Haystack};
use super::suspect::suspect_reasons;
use crate::config::{Intake, Keywords};
use crate::domain::{extract_phones, ticket, EmailAddress, Kind, PhoneNumber, Ticket};
use crate::mail::parse::{InboundMessage, Sender};

/// Local parts that never belong to a person (RFC 3834 section 2, RFC 2142 role accounts).
const ROBOT_LOCAL_PARTS: &[&str] = &[
    "mailer-daemon",
    "postmaster",
    "no-reply",
    "noreply",
    "do-not-reply",
    "donotreply",
    "no_reply",
    "bounce",
    "bounces",
    "mail-daemon",
];

/// Why a message is machine mail; stored with the message so staff can see the reason.
pub fn machine_reason(msg: &InboundMessage, own: &EmailAddress) -> Option<String> {
    automatic_headers(msg)
        .or_else(|| own_address(msg, own))
        .or_else(|| robot_sender(msg))
}

/// What the headers say about automatic mail (RFC 3834, RFC 2919, RFC 3464).
fn automatic_headers(msg: &InboundMessage) -> Option<String> {
    // RFC 3834 section 5: any Auto-Submitted value other than "no" marks automatic mail.
    if let Some(v) = &msg.auto_submitted {
        let keyword = v.split(';').next().unwrap_or("").trim();
        if !keyword.is_empty() && keyword != "no" {
            return Some(format!("Auto-Submitted: {keyword}"));
        }
    }
    if let Some(p) = &msg.precedence {
        if matches!(p.as_str(), "bulk" | "junk" | "list" | "auto_reply") {
            return Some(format!("Precedence: {p}"));
        }
    }
    if msg.has_list_id {
        return Some("List-Id (mailing list)".into());
    }
    if msg.has_x_autoreply {
        return Some("X-Autoreply".into());
    }
    if msg.has_x_auto_response_suppress {
        return Some("X-Auto-Response-Suppress".into());
    }
    // RFC 3464 delivery status notifications and RFC 8098 read receipts.
    if msg.content_type == "multipart/report" {
        return Some("delivery or read report (multipart/report)".into());
    }
    if msg.return_path.as_deref() == Some("") {
        return Some("empty Return-Path (<>)".into());
    }
    None
}

fn senders(msg: &InboundMessage) -> impl Iterator<Item = &Sender> {
    [msg.from.as_ref(), msg.reply_to.as_ref()]
        .into_iter()
        .flatten()
}

fn own_address(msg: &InboundMessage, own: &EmailAddress) -> Option<String> {
    senders(msg)
        .any(|s| &s.email == own)
        .then(|| "sent from our own address".into())
}

fn is_robot(email: &EmailAddress) -> bool {
    let local = email.local_part();
    ROBOT_LOCAL_PARTS.contains(&local)
        || local.starts_with("noreply")
        || local.starts_with("no-reply")
}

fn robot_sender(msg: &InboundMessage) -> Option<String> {
    senders(msg)
        .find(|s| is_robot(&s.email))
        .map(|s| format!("robot sender {}", s.email))
}

/// Where the message belongs, given the complaint its thread points at (if any), which
/// [`pick_thread`] chose from what the store found for [`thread_hints`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Stored and visible; no complaint, no reply.
    Machine { reason: String },
    /// A forged sender or phishing (`workflow::suspect`): stored as `curiga`, listed for a
    /// person, never answered, never threaded.
    Suspect { reason: String },
    /// From a person, in the thread of an existing complaint: attached, no new ticket.
    Reply { complaint_id: i64 },
    /// From a person, new: registered with a ticket; [`contact`] says who it is from and
    /// whether it may be answered automatically.
    New,
    /// Cannot be handled automatically (no sender, nothing to read): stored raw, flagged.
    Unreadable { reason: String },
}

/// What the store must look up to find an existing thread: ticket numbers written in the
/// subject or the first lines of the body, and the ids in In-Reply-To/References (which
/// may be our own outgoing Message-IDs).
pub struct ThreadHints<'a> {
    pub tickets: Vec<Ticket>,
    pub referenced_ids: Vec<&'a str>,
}

/// Lines of the body searched for a ticket number: a follow-up says it at the top.
pub const TICKET_LINES: usize = 10;

pub fn thread_hints(msg: &InboundMessage) -> ThreadHints<'_> {
    let top: String = msg
        .text
        .lines()
        .take(TICKET_LINES)
        .collect::<Vec<_>>()
        .join("\n");
    let mut tickets = ticket::mentions(&msg.subject);
    for t in ticket::mentions(&top) {
        if !tickets.contains(&t) {
            tickets.push(t);
        }
    }
    ThreadHints {
        tickets,
        referenced_ids: msg
            .in_reply_to
            .iter()
            .chain(msg.references.iter().rev())
            .map(String::as_str)
            .collect(),
    }
}

/// What the store found for a message's [`ThreadHints`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadFacts {
    /// The complaint an In-Reply-To/References id belongs to (ours or a stored message).
    pub referenced: Option<i64>,
    /// Each mentioned ticket that exists: its complaint and the complainant's address.
    pub tickets: Vec<(Ticket, i64, Option<String>)>,
}

/// Which complaint a message threads onto, and which mentioned tickets belong to someone
/// else (noted on the new complaint, never attached to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadPick {
    pub complaint_id: Option<i64>,
    pub foreign: Vec<Ticket>,
}

/// A reply to one of our mails (or to a stored message of a complaint) belongs to that
/// complaint whoever sends it: the mail program put the id there. A ticket NUMBER is
/// anybody's to type, so it threads only when the sender (From or Reply-To) is that
/// complaint's complainant; another person's ticket opens a new complaint and the mention
/// is noted.
pub fn pick_thread(facts: &ThreadFacts, msg: &InboundMessage) -> ThreadPick {
    if let Some(id) = facts.referenced {
        return ThreadPick {
            complaint_id: Some(id),
            foreign: Vec::new(),
        };
    }
    let own = |email: &Option<String>| {
        email
            .as_deref()
            .is_some_and(|e| senders(msg).any(|s| s.email.as_str().eq_ignore_ascii_case(e)))
    };
    let mut pick = ThreadPick::default();
    for (ticket, id, email) in &facts.tickets {
        if own(email) {
            if pick.complaint_id.is_none() {
                pick.complaint_id = Some(*id);
            }
        } else {
            pick.foreign.push(*ticket);
        }
    }
    if pick.complaint_id.is_some() {
        pick.foreign.clear();
    }
    pick
}

pub fn route(
    msg: &InboundMessage,
    own: &EmailAddress,
    thread: Option<i64>,
    intake: &Intake,
) -> Route {
    if let Some(reason) = automatic_headers(msg).or_else(|| own_address(msg, own)) {
        return Route::Machine { reason };
    }
    let suspect = suspect_reasons(msg, &intake.trusted_authserv_id);
    if !suspect.is_empty() {
        return Route::Suspect {
            reason: suspect.join("; "),
        };
    }
    // A website form relays a person's message from a robot address: a complaint, never
    // threaded (anybody can type into a form), acknowledged only through a trusted relay.
    if form_relay(msg, intake).is_some() {
        return Route::New;
    }
    if let Some(reason) = robot_sender(msg) {
        return Route::Machine { reason };
    }
    if msg.from.is_none() {
        // A kiosk script that writes no From: still a person's complaint when there is a
        // text to register (`contact` takes the phone number from it). Nothing to read —
        // garbage, headers only, a body over the parse limit — goes to a person as it is.
        return if msg.text.trim().is_empty() {
            Route::Unreadable {
                reason: msg
                    .problems
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no usable sender address".into()),
            }
        } else {
            Route::New
        };
    }
    match thread {
        Some(complaint_id) => Route::Reply { complaint_id },
        None => Route::New,
    }
}

/// The fields a website contact form repeats in its mail (`Nama: …`, `Email: …`,
/// `Telepon: …`, `Pesan: …`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormFields {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub message: Option<String>,
}

/// Labels as Indonesian and English form plugins write them, lower case.
const NAME_LABELS: &[&str] = &["nama", "nama lengkap", "name", "your name"];
const EMAIL_LABELS: &[&str] = &["email", "e-mail", "surel", "alamat email", "your email"];
const PHONE_LABELS: &[&str] = &[
    "telepon",
    "telp",
    "no. telepon",
    "nomor telepon",
    "no telepon",
    "hp",
    "no. hp",
    "no hp",
    "nomor hp",
    "whatsapp",
    "no. wa",
    "phone",
];
const MESSAGE_LABELS: &[&str] = &[
    "pesan",
    "isi",
    "isi pesan",
    "isi pengaduan",
    "keluhan",
    "message",
    "your message",
];

/// The form's fields, when at least the message and one way to reach the person are there.
pub fn form_fields(text: &str) -> Option<FormFields> {
    let mut f = FormFields::default();
    let mut lines = text.lines().take(200);
    while let Some(line) = lines.next() {
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let label = label.trim().to_lowercase();
        let value = value.trim();
        if NAME_LABELS.contains(&label.as_str()) && f.name.is_none() && !value.is_empty() {
            f.name = Some(value.chars().take(100).collect());
        } else if EMAIL_LABELS.contains(&label.as_str()) && f.email.is_none() {
            f.email = EmailAddress::parse(value).ok();
        } else if PHONE_LABELS.contains(&label.as_str()) && f.phone.is_none() {
            f.phone = PhoneNumber::parse(value);
        } else if MESSAGE_LABELS.contains(&label.as_str()) && f.message.is_none() {
            // The message runs to the end of the form (it is the last field as a rule).
            let rest: Vec<&str> = std::iter::once(value).chain(lines.by_ref()).collect();
            f.message = Some(rest.join("\n").trim().to_string()).filter(|m| !m.is_empty());
        }
    }
    (f.message.is_some() && (f.name.is_some() || f.email.is_some() || f.phone.is_some()))
        .then_some(f)
}

/// A website form relay: From a robot address (or one listed in
/// `[intake] trusted_form_senders`) and a body of form fields. Returns the relay address
/// and the fields.
pub fn form_relay<'a>(
    msg: &'a InboundMessage,
    intake: &Intake,
) -> Option<(&'a EmailAddress, FormFields)> {
    let relay = &msg.from.as_ref()?.email;
    let listed = intake.trusted_form_senders.contains(relay);
    if !listed && !is_robot(relay) {
        return None;
    }
    form_fields(&msg.text).map(|f| (relay, f))
}

/// The number typed into a form's phone field comes first: it is the one the person chose.
fn typed_first(phones: &mut Vec<PhoneNumber>, typed: Option<&PhoneNumber>) {
    if let Some(p) = typed {
        phones.retain(|x| x != p);
        phones.insert(0, p.clone());
    }
}

/// Top-level names that never reach the internet (RFC 6762 `.local`, RFC 8375
/// `home.arpa`, RFC 2606 `.invalid`, and the private names routers and office servers use).
/// A kiosk relaying through the local server gets its envelope sender written as From
/// (Postfix `always_add_missing_headers`), e.g. `kiosk@pendaftaran.pkm-kademangan.lan`:
/// no person reads that mailbox, and an acknowledgement would only bounce.
const LOCAL_TLDS: &[&str] = &[
    "local",
    "lan",
    "localdomain",
    "localhost",
    "internal",
    "intranet",
    "home",
    "corp",
    "invalid",
    "arpa",
];

fn reachable(email: &EmailAddress) -> bool {
    let tld = email.domain().rsplit('.').next().unwrap_or("");
    !LOCAL_TLDS.contains(&tld)
}

/// Who a new complaint is from and whether it may be answered automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phones: Vec<PhoneNumber>,
    /// Where the acknowledgement may go, or why none is sent automatically.
    pub ack_to: Result<Sender, String>,
    /// Why a person must look at the complaint (its attention), if anything.
    pub flag: Option<String>,
    /// How it came, for the `received` event.
    pub came: String,
}

/// The contact of a message [`route`] sent to `New`. Rules, in order:
/// - a form relay: the person is Reply-To (else the form's Email field), name and phone
///   from the fields; acknowledged to Reply-To only when the relay is listed in
///   `[intake] trusted_form_senders`; flagged either way (the address was typed into a
///   web page, not proved);
/// - no From, or a From on a local network name (a kiosk): the phone number in the text
///   is the contact; never answered (Return-Path is the relaying server, not the
///   person); flagged;
/// - a person's own mail: acknowledged to From, even when Reply-To differs. From is the
///   address the receiving server authenticated (DMARC aligns From, nothing checks
///   Reply-To), so answering Reply-To would let any sender aim our automatic mail at a
///   third party (our subject line quotes theirs: a spammer's free relay); the person
///   still gets it in the mailbox they wrote from. A differing Reply-To is noted in the
///   `received` event for staff, who answer by hand where it matters.
pub fn contact(msg: &InboundMessage, intake: &Intake) -> Contact {
    let mut phones = extract_phones(&format!("{}\n{}", msg.subject, msg.text));
    if let Some((relay, fields)) = form_relay(msg, intake) {
        typed_first(&mut phones, fields.phone.as_ref());
        let person = msg.reply_to.clone().filter(|r| &r.email != relay);
        let email = person
            .as_ref()
            .map(|p| p.email.clone())
            .or(fields.email.clone());
        let trusted = intake.trusted_form_senders.contains(relay);
        let ack_to = match person {
            Some(p) if trusted => Ok(Sender {
                name: fields.name.clone().or(p.name),
                email: p.email,
            }),
            _ if trusted => Err(format!(
                "formulir situs web lewat {relay} tanpa Reply-To: tanda terima tidak dikirim otomatis"
            )),
            _ => Err(format!(
                "formulir situs web lewat {relay}, yang tidak ada di intake.trusted_form_senders: tanda terima tidak dikirim otomatis"
            )),
        };
        return Contact {
            name: fields.name,
            email,
            phones,
            ack_to,
            flag: Some(format!(
                "pengaduan lewat formulir situs web ({relay}); alamat dan nomor diketik di formulir, periksa sebelum menghubungi"
            )),
            came: format!("formulir situs web lewat {relay}"),
        };
    }
    let Some(from) = msg.from.as_ref().filter(|f| reachable(&f.email)) else {
        // A kiosk writes its own fields (`Nama : …`, `No. HP : …`): the typed number first.
        let fields = form_fields(&msg.text).unwrap_or_default();
        typed_first(&mut phones, fields.phone.as_ref());
        // No From, or one a local mail server wrote from the kiosk's envelope sender.
        let sender = match &msg.from {
            Some(f) => format!("pengirim {} (alamat jaringan lokal)", f.email),
            None => "tanpa pengirim (From)".to_string(),
        };
        let flag = match phones.first() {
            Some(p) => format!("surel {sender}; hubungi pelapor lewat telepon {p}"),
            None => format!(
                "surel {sender} dan tanpa nomor telepon; baca isinya untuk menghubungi pelapor"
            ),
        };
        return Contact {
            name: fields.name,
            email: None,
            phones,
            ack_to: Err(format!(
                "surel {sender}: tidak dibalas, juga tidak ke Return-Path"
            )),
            flag: Some(flag),
            came: format!("surel {sender}"),
        };
    };
    let other_reply_to = msg.reply_to.as_ref().filter(|r| r.email != from.email);
    Contact {
        name: from.name.clone(),
        email: Some(from.email.clone()),
        phones,
        ack_to: Ok(from.clone()),
        flag: None,
        came: match other_reply_to {
            Some(r) => format!(
                "surel dari {} (Reply-To {} berbeda; tanda terima ke alamat From)",
                from.email, r.email
            ),
            None => format!("surel dari {}", from.email),
        },
    }
}

/// A message's subject and text, normalised and indexed once for every guess made on
/// it (building the index is most of a guess's cost).
pub struct Words {
    subject: Haystack,
    text: Haystack,
}

impl Words {
    pub fn new(subject: &str, text: &str) -> Words {
        Words {
            subject: Haystack::new(subject),
            text: Haystack::new(text),
        }
    }
}

/// Guesses the kind from configured keywords. On a tie, or with no hit, `pengaduan` wins:
/// a complaint mistaken for praise would miss its deadlines, the reverse costs only a
/// correction by staff.
pub fn guess_kind(words: &Words, keywords: &Keywords) -> Kind {
    let scores = keyword_scores(
        words,
        keywords.by_kind.iter().map(|(k, w)| (*k, w.as_slice())),
    );
    let best = scores.iter().map(|(_, s)| *s).max().unwrap_or(0);
    let leaders: Vec<Kind> = scores
        .iter()
        .filter(|(_, s)| *s == best)
        .map(|(k, _)| *k)
        .collect();
    if best == 0 || leaders.len() != 1 || leaders.contains(&Kind::Pengaduan) {
        Kind::Pengaduan
    } else {
        leaders[0]
    }
}

/// Guesses the unit concerned; `None` on no hit or a tie (staff assign it).
pub fn guess_unit(words: &Words, units: &[(String, Vec<String>)]) -> Option<String> {
    let scores = keyword_scores(
        words,
        units
            .iter()
            .enumerate()
            .map(|(i, (_, w))| (i, w.as_slice())),
    );
    let best = scores.iter().map(|(_, s)| *s).max()?;
    let mut leaders = scores.iter().filter(|(_, s)| *s == best);
    match (leaders.next(), leaders.next()) {
        (Some((i, _)), None) => Some(units[*i].0.clone()),
        _ => None,
    }
}

/// Hits per label. Longer keywords are matched first and their text is consumed, so
/// "tidak ramah" (a complaint) does not also count as "ramah" (praise). Subject hits
/// count double.
fn keyword_scores<'a, T: Copy + PartialEq>(
    words: &Words,
    lists: impl Iterator<Item = (T, &'a [String])>,
) -> Vec<(T, u32)> {
    let mut keywords: Vec<(usize, String, T)> = lists
        .flat_map(|(label, list)| {
            list.iter().map(move |w| {
                let w = normalise(w);
                (w.chars().count(), w, label)
            })
        })
        .filter(|(_, w, _)| !w.is_empty())
        .collect();
    // Stable: among keywords of one length, the configured order.
    keywords.sort_by_key(|(chars, _, _)| std::cmp::Reverse(*chars));

    let mut scores: Vec<(T, u32)> = Vec::new();
    for (hay, weight) in [(&words.subject, 2u32), (&words.text, 1u32)] {
        // Each guess consumes phrases in its own copy; the prepared words stay untouched.
        let mut hay = hay.clone();
        for (_, word, label) in &keywords {
            let hits = hay.take_normalised(word);
            if hits > 0 {
                match scores.iter_mut().find(|(l, _)| l == label) {
                    Some((_, s)) => *s += hits * weight,
                    None => scores.push((*label, hits * weight)),
                }
            }
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_keywords;
    use crate::mail::parse::parse;

    fn own() -> EmailAddress {
        EmailAddress::parse("kademangan.puskesmas@gmail.com").unwrap()
    }

    fn msg(headers: &str) -> InboundMessage {
        let raw = format!("{headers}\r\nSubject: x\r\nMessage-ID: <m@x>\r\n\r\nisi\r\n");
        parse(raw.as_bytes(), 1 << 20)
    }

    #[test]
    fn machine_mail_table() {
        let person = "From: Budi <budi@example.test>";
        let cases: &[(&str, bool)] = &[
            (person, false),
            (&format!("{person}\r\nAuto-Submitted: no"), false),
            (&format!("{person}\r\nAuto-Submitted: auto-replied"), true),
            (&format!("{person}\r\nAuto-Submitted: auto-generated; foo=bar"), true),
            (&format!("{person}\r\nPrecedence: bulk"), true),
            (&format!("{person}\r\nPrecedence: junk"), true),
            (&format!("{person}\r\nPrecedence: list"), true),
            (&format!("{person}\r\nPrecedence: auto_reply"), true),
            (&format!("{person}\r\nPrecedence: first-class"), false),
            (&format!("{person}\r\nList-Id: <berita.example.test>"), true),
            (&format!("{person}\r\nX-Autoreply: yes"), true),
            (&format!("{person}\r\nX-Auto-Response-Suppress: All"), true),
            (&format!("{person}\r\nReturn-Path: <>"), true),
            (&format!("{person}\r\nReturn-Path: <budi@example.test>"), false),
            ("From: MAILER-DAEMON@example.test", true),
            ("From: postmaster@example.test", true),
            ("From: no-reply@bank.example.test", true),
            ("From: noreply-notif@example.test", true),
            ("From: Puskesmas <Kademangan.Puskesmas@gmail.com>", true),
            (
                &format!("{person}\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b"),
                true,
            ),
        ];
        for (headers, is_machine) in cases {
            let m = msg(headers);
            assert_eq!(
                machine_reason(&m, &own()).is_some(),
                *is_machine,
                "{headers}"
            );
        }
    }

    fn intake() -> Intake {
        Intake::default()
    }

    #[test]
    fn routes() {
        let i = intake();
        let person = msg("From: budi@example.test");
        assert_eq!(route(&person, &own(), None, &i), Route::New);
        assert_eq!(
            route(&person, &own(), Some(7), &i),
            Route::Reply { complaint_id: 7 }
        );
        let robot = msg("From: noreply@example.test");
        assert!(matches!(
            route(&robot, &own(), Some(7), &i),
            Route::Machine { .. }
        ));
        // No headers that say who wrote it and nothing to read: a person looks.
        let nobody = parse(b"X-Nothing: 1\r\n\r\n", 1 << 20);
        assert!(matches!(
            route(&nobody, &own(), None, &i),
            Route::Unreadable { .. }
        ));
    }

    /// Every route a real-shaped mail can take, with the contact it is registered under
    /// and where its acknowledgement goes (`Err`: none, and why).
    #[test]
    fn route_and_contact_table() {
        let relay = "noreply@puskesmas-kademangan.example.test";
        let trusted = Intake {
            trusted_form_senders: vec![EmailAddress::parse(relay).unwrap()],
            ..intake()
        };
        let form = format!(
            "From: Situs Puskesmas <{relay}>\r\nReply-To: Dewi <dewi.lestari@yahoo.co.id>\r\nSubject: Pesan baru dari formulir kontak\r\n\r\n\
             Nama: Dewi Lestari\r\nEmail: dewi.lestari@yahoo.co.id\r\nTelepon: 0813-3100-2244\r\nPesan: Obat di apotek habis.\r\nSudah dua kali.\r\n"
        );
        let kiosk = "Subject: Pengaduan dari kios\r\nReturn-Path: <kiosk@lobby.local>\r\n\r\nNama: Pak Sutrisno\r\nHP 0852 3344 5566\r\nToilet rusak.\r\n";
        // The same through a local Postfix, which wrote the envelope sender as From.
        let kiosk_from = format!("From: kiosk@pendaftaran.pkm-kademangan.lan\r\n{kiosk}");
        let forged = "Authentication-Results: mx.google.com; spf=softfail smtp.mailfrom=promo@gmail.com; dmarc=fail (p=NONE) header.from=gmail.com\r\nFrom: Promo <promo.slot88@gmail.com>\r\nSubject: Bonus 100%\r\n\r\nDaftar sekarang\r\n";
        let reply_to = "From: Budi <budi@gmail.com>\r\nReply-To: orang.lain@example.test\r\nSubject: Antrean\r\n\r\nLama sekali\r\n";
        let noreply_plain = format!("From: {relay}\r\nSubject: Laporan\r\n\r\nSitus aktif.\r\n");
        type Want = (
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            Result<&'static str, &'static str>,
        );
        let plain = intake();
        let cases: Vec<(&str, &Intake, Want)> = vec![
            // (raw, intake, (route, email, phone, ack to / why not))
            (
                &form,
                &trusted,
                (
                    "new",
                    Some("dewi.lestari@yahoo.co.id"),
                    Some("+6281331002244"),
                    Ok("dewi.lestari@yahoo.co.id"),
                ),
            ),
            (
                &form,
                &plain,
                (
                    "new",
                    Some("dewi.lestari@yahoo.co.id"),
                    Some("+6281331002244"),
                    Err("trusted_form_senders"),
                ),
            ),
            (
                kiosk,
                &plain,
                ("new", None, Some("+6285233445566"), Err("Return-Path")),
            ),
            (
                &kiosk_from,
                &plain,
                ("new", None, Some("+6285233445566"), Err("jaringan lokal")),
            ),
            (forged, &plain, ("suspect", None, None, Err("-"))),
            (
                reply_to,
                &plain,
                ("new", Some("budi@gmail.com"), None, Ok("budi@gmail.com")),
            ),
            (&noreply_plain, &plain, ("machine", None, None, Err("-"))),
        ];
        for (raw, i, (want_route, email, phone, ack)) in cases {
            let m = parse(raw.as_bytes(), 1 << 20);
            let r = route(&m, &own(), None, i);
            let got = match &r {
                Route::New => "new",
                Route::Suspect { .. } => "suspect",
                Route::Machine { .. } => "machine",
                Route::Reply { .. } => "reply",
                Route::Unreadable { .. } => "unreadable",
            };
            assert_eq!(got, want_route, "{raw}: {r:?}");
            if got != "new" {
                continue;
            }
            let c = contact(&m, i);
            assert_eq!(c.email.as_ref().map(|e| e.as_str()), email, "{raw}");
            assert_eq!(
                c.phones.first().map(|p| p.to_string()).as_deref(),
                phone,
                "{raw}"
            );
            match (&c.ack_to, ack) {
                (Ok(to), Ok(want)) => assert_eq!(to.email.as_str(), want, "{raw}"),
                (Err(why), Err(want)) => assert!(why.contains(want), "{raw}: {why}"),
                (got, want) => panic!("{raw}: ack {got:?}, want {want:?}"),
            }
            // A complaint that cannot be acknowledged is flagged for a person.
            assert_eq!(
                c.flag.is_some(),
                c.ack_to.is_err() || raw.contains("formulir"),
                "{raw}"
            );
        }
    }

    #[test]
    fn form_fields_table() {
        let f = form_fields("Nama: Dewi\nEmail: dewi@yahoo.co.id\nNo. HP: 0813 3100 2244\nPesan: Obat habis.\nTolong.").unwrap();
        assert_eq!(f.name.as_deref(), Some("Dewi"));
        assert_eq!(f.email.unwrap().as_str(), "dewi@yahoo.co.id");
        assert_eq!(f.phone.unwrap().to_string(), "+6281331002244");
        assert_eq!(f.message.as_deref(), Some("Obat habis.\nTolong."));
        // A message alone, or contact fields alone, is not a form.
        assert!(form_fields("Pesan: halo").is_none());
        assert!(form_fields("Nama: Dewi\nEmail: dewi@yahoo.co.id").is_none());
        assert!(form_fields("Yth. Bapak,\nSaya ingin bertanya: kapan buka?").is_none());
    }

    #[test]
    fn a_ticket_number_threads_only_onto_the_senders_own_complaint() {
        let m = parse(
            b"From: Siti <siti.aminah87@gmail.com>\r\nSubject: adu 2026 0011 belum ada kabar\r\n\r\nhalo\r\n",
            1 << 20,
        );
        let t = |seq| Ticket::new(2026, seq).unwrap();
        let siti = Some("siti.aminah87@gmail.com".to_string());
        let other = Some("budi@yahoo.com".to_string());
        let cases = [
            (
                ThreadFacts {
                    referenced: None,
                    tickets: vec![(t(11), 5, siti.clone())],
                },
                Some(5),
                vec![],
            ),
            (
                ThreadFacts {
                    referenced: None,
                    tickets: vec![(t(11), 5, other.clone())],
                },
                None,
                vec![t(11)],
            ),
            // Her own ticket wins over another's mentioned with it; nothing is noted then.
            (
                ThreadFacts {
                    referenced: None,
                    tickets: vec![(t(9), 3, other.clone()), (t(11), 5, siti.clone())],
                },
                Some(5),
                vec![],
            ),
            // A reply to our own mail threads whoever sends it.
            (
                ThreadFacts {
                    referenced: Some(8),
                    tickets: vec![(t(11), 5, other.clone())],
                },
                Some(8),
                vec![],
            ),
            // A complaint registered without an address (a kiosk) is nobody's by mail.
            (
                ThreadFacts {
                    referenced: None,
                    tickets: vec![(t(11), 5, None)],
                },
                None,
                vec![t(11)],
            ),
            (ThreadFacts::default(), None, vec![]),
        ];
        for (facts, id, foreign) in cases {
            let pick = pick_thread(&facts, &m);
            assert_eq!(pick.complaint_id, id, "{facts:?}");
            assert_eq!(pick.foreign, foreign, "{facts:?}");
        }
    }

    #[test]
    fn thread_hints_find_ticket_and_references() {
        let raw = "From: budi@example.test\r\nSubject: Re: Antrean [ADU-2026-0007]\r\nIn-Reply-To: <a@x>\r\nReferences: <r1@x> <a@x>\r\n\r\nok, seperti ADU2026-12\r\n";
        let m = parse(raw.as_bytes(), 1 << 20);
        let h = thread_hints(&m);
        let tickets: Vec<String> = h.tickets.iter().map(|t| t.to_string()).collect();
        assert_eq!(tickets, vec!["ADU-2026-0007", "ADU-2026-0012"]);
        assert_eq!(h.referenced_ids, vec!["a@x", "a@x", "r1@x"]);
    }

    #[test]
    fn unit_guess_table() {
        let units = crate::config::default_units();
        let cases = [
            (
                "Antrean pendaftaran",
                "Loket pendaftaran lama.",
                Some("pendaftaran"),
            ),
            ("Obat habis", "Apotek bilang obat kosong.", Some("farmasi")),
            ("", "Toilet kotor dan bau.", Some("kebersihan")),
            ("Halo", "Lorem ipsum", None),
        ];
        for (subject, text, want) in cases {
            assert_eq!(
                guess_unit(&Words::new(subject, text), &units).as_deref(),
                want,
                "{subject} / {text}"
            );
        }
    }

    #[test]
    fn guesses_on_the_same_words_do_not_disturb_each_other() {
        // Each guess consumes phrases in its own copy: the unit guess must still see the
        // "obat" and "pendaftaran" the kind guess's longer phrases did not take, and a
        // repeated guess the same text.
        let kw = Keywords {
            by_kind: default_keywords(),
        };
        let units = crate::config::default_units();
        let words = Words::new(
            "Keluhan obat",
            "Obat habis, petugas tidak ramah. Loket pendaftaran tidak ramah juga.",
        );
        for _ in 0..3 {
            assert_eq!(guess_kind(&words, &kw), Kind::Pengaduan);
            assert_eq!(guess_unit(&words, &units).as_deref(), Some("farmasi"));
        }
        let praise = Words::new("Terima kasih", "Bidan ramah.");
        assert_eq!(guess_kind(&praise, &kw), Kind::Apresiasi);
        assert_eq!(
            guess_unit(&praise, &units).as_deref(),
            Some("kia_imunisasi")
        );
    }

    #[test]
    fn kind_guess_table() {
        let kw = Keywords {
            by_kind: default_keywords(),
        };
        let cases = [
            (
                "Keluhan antrean",
                "Saya menunggu lama sekali di pendaftaran.",
                Kind::Pengaduan,
            ),
            (
                "Saran untuk puskesmas",
                "Sebaiknya ruang tunggu diberi kipas angin.",
                Kind::Saran,
            ),
            (
                "Terima kasih",
                "Pelayanan bidan sangat ramah dan memuaskan.",
                Kind::Apresiasi,
            ),
            (
                "Jadwal imunisasi",
                "Mohon info jadwal imunisasi bulan depan.",
                Kind::PermintaanInformasi,
            ),
            (
                "",
                "Petugas tidak ramah dan kasar. Terima kasih.",
                Kind::Pengaduan,
            ),
            ("Halo", "Lorem ipsum", Kind::Pengaduan),
        ];
        for (subject, text, kind) in cases {
            assert_eq!(
                guess_kind(&Words::new(subject, text), &kw),
                kind,
                "{subject} / {text}"
            );
        }
    }
}
