//! PURE: what an inbound message is — machine mail, a reply in a known complaint's thread,
//! a new message from a person, or something a person must look at.

use super::phrases::{normalise, Haystack};
use super::suspect::{aligned, suspect_reasons};
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

/// The users a web server, a CMS or a script runs as: a mail from them carries what a
/// visitor typed into a page (a relay) or what the software itself has to say, never a
/// person's own letter. `wordpress@` is WordPress's default sender (`wp_mail`), `www-data`,
/// `apache`, `nginx`, `httpd`, `nobody` what PHP's `mail()` gets from the system,
/// `root@localhost` PHPMailer's default From.
const WEB_PROCESS_LOCAL_PARTS: &[&str] = &[
    "wordpress",
    "www-data",
    "www",
    "apache",
    "apache2",
    "nginx",
    "httpd",
    "nobody",
    "root",
];

/// RFC 2142 role mailboxes (and the help desks beside them): a Reply-To there is an
/// organisation's desk, not the visitor of a form.
const ROLE_LOCAL_PARTS: &[&str] = &[
    "info",
    "marketing",
    "sales",
    "support",
    "abuse",
    "noc",
    "security",
    "hostmaster",
    "webmaster",
    "helpdesk",
    "billing",
    "newsletter",
];

/// Why a message is machine mail; stored with the message so staff can see the reason.
pub fn machine_reason(msg: &InboundMessage, own: &EmailAddress) -> Option<String> {
    automatic_headers(msg)
        .or_else(|| own_address(msg, own))
        .or_else(|| robot_sender(msg))
}

/// What the headers say about automatic mail (RFC 3834, RFC 2919, RFC 3464). The reason
/// is what staff read (`pengaduan flagged`, *Surel ditandai*): Bahasa Indonesia, with the
/// header that decided it in parentheses.
fn automatic_headers(msg: &InboundMessage) -> Option<String> {
    // RFC 3464 delivery status notifications and RFC 8098 read receipts (first: a bounce
    // carries Auto-Submitted too, and "laporan pengiriman" tells staff more).
    if msg.content_type == "multipart/report" {
        return Some("laporan pengiriman atau tanda dibaca (multipart/report)".into());
    }
    // RFC 3834 section 5: any Auto-Submitted value other than "no" marks automatic mail.
    if let Some(v) = &msg.auto_submitted {
        let keyword = v.split(';').next().unwrap_or("").trim();
        if !keyword.is_empty() && keyword != "no" {
            return Some(match keyword {
                "auto-replied" => format!("balasan otomatis (Auto-Submitted: {keyword})"),
                _ => format!("surel yang dibuat mesin (Auto-Submitted: {keyword})"),
            });
        }
    }
    if let Some(p) = &msg.precedence {
        if matches!(p.as_str(), "bulk" | "junk" | "list" | "auto_reply") {
            return Some(match p.as_str() {
                "auto_reply" => format!("balasan otomatis (Precedence: {p})"),
                "list" => format!("kiriman milis (Precedence: {p})"),
                _ => format!("surel massal (Precedence: {p})"),
            });
        }
    }
    if msg.has_list_id {
        return Some("kiriman milis atau buletin (List-Id)".into());
    }
    if msg.has_x_autoreply {
        return Some("balasan otomatis (X-Autoreply)".into());
    }
    if msg.has_x_auto_response_suppress {
        return Some("surel yang dibuat mesin (X-Auto-Response-Suppress)".into());
    }
    if msg.return_path.as_deref() == Some("") {
        return Some(
            "alamat pengembalian kosong (Return-Path: <>), ciri surel pantulan atau balasan otomatis"
                .into(),
        );
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
        .then(|| "dikirim dari alamat puskesmas sendiri".into())
}

fn is_robot(email: &EmailAddress) -> bool {
    let local = email.local_part();
    ROBOT_LOCAL_PARTS.contains(&local)
        || WEB_PROCESS_LOCAL_PARTS.contains(&local)
        // `noreply-notif@`, `forms-receipts-noreply@`, `notifikasi.noreply@`
        || ["noreply", "no-reply", "no_reply", "donotreply", "do-not-reply"]
            .iter()
            .any(|r| local.contains(r))
}

fn robot_sender(msg: &InboundMessage) -> Option<String> {
    senders(msg)
        .find(|s| is_robot(&s.email))
        .map(|s| format!("pengirim {} adalah alamat mesin, bukan orang", s.email))
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
    if let Some(reason) = automatic_headers(msg) {
        return Route::Machine { reason };
    }
    // A website form relays a person's message: a complaint, never threaded (anybody can
    // type into a form), acknowledged only through a trusted relay. A form add-on may send
    // from our own account (Google Forms notifications), for a visitor in Reply-To.
    let relay = form_relay(msg, intake).is_some();
    let own_reply_to = msg.reply_to.as_ref().is_some_and(|r| &r.email == own);
    if !relay || own_reply_to {
        if let Some(reason) = own_address(msg, own) {
            return Route::Machine { reason };
        }
    }
    let suspect = suspect_reasons(msg, &intake.trusted_authserv_id);
    if !suspect.is_empty() {
        return Route::Suspect {
            reason: suspect.join("; "),
        };
    }
    if relay {
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
                    .unwrap_or_else(|| "tanpa alamat pengirim yang dapat dipakai".into()),
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

/// The fields a website contact form repeats in its mail, found whatever their labels
/// ([`read_fields`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormFields {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub message: Option<String>,
}

/// Labels as Indonesian and English form plugins write them, lower case. They only help:
/// a label missing here costs at most the field's value, never the mail (see
/// [`read_fields`] for what is found without them).
const NAME_LABELS: &[&str] = &["nama", "nama lengkap", "name", "your name", "full name"];
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
    "message body",
    "your message",
];

/// A line that only separates: a signature or footer delimiter (`-- `, `---`), or a rule
/// html2text draws between table rows (`───`).
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| matches!(c, '-' | '─' | '━' | '═' | '=' | '_'))
}

/// Where the form ends and the plugin's footer begins: `-- ` (CF7, signatures), `---`
/// (Elementor), a line of dashes.
fn is_footer_delimiter(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 2 && t.chars().all(|c| c == '-')
}

/// A line as a person reads it: no html2text bold marks, no trailing padding.
fn clean_line(line: &str) -> &str {
    let t = line.trim();
    ["**", "---"]
        .iter()
        .find_map(|m| t.strip_prefix(m).and_then(|t| t.strip_suffix(m)))
        .unwrap_or(t)
        .trim()
}

/// `Label: value` on one line, when the part before the colon reads as a label: one to six
/// words, no address, and a value that is no URL's rest. Returns the lower-case label and
/// the value.
fn labelled(line: &str) -> Option<(String, &str)> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let plausible = (1..=6).contains(&label.split_whitespace().count())
        && label.chars().count() <= 40
        && !label.contains(['@', '<', '>'].as_slice())
        && !value.starts_with("//");
    plausible.then(|| (label.to_lowercase(), value.trim()))
}

/// A label alone on its line, its value on the next (WPForms, Google Forms): ends in `:` or
/// `?`, or is short and was bold in the HTML (`**Nama**`) or framed as WPForms's plain text
/// frames it (`--- Nama ---`).
fn label_only(raw: &str) -> bool {
    let t = raw.trim();
    let c = clean_line(raw);
    let framed = c != t;
    (1..=8).contains(&c.split_whitespace().count())
        && (c.ends_with(':') || c.ends_with('?') || framed)
}

/// Lower-case alphabetic runs of at least three letters: the words a name and an address's
/// local part share (`rahmat.hidayat1990` -> rahmat, hidayat).
fn name_tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// The words that name a sender: its display name and its address's local part.
fn person_tokens(s: &Sender) -> Vec<String> {
    let mut t = name_tokens(s.name.as_deref().unwrap_or(""));
    t.extend(name_tokens(s.email.local_part()));
    t
}

/// A value that reads as a person's name, with any `<address>` or `(address)` after it
/// removed: one to five words of letters (and `.`, `'`, `-`).
fn name_like(value: &str) -> Option<String> {
    let v = value
        .split(['<', '('])
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .trim();
    let words: Vec<&str> = v.split_whitespace().collect();
    let ok = (1..=5).contains(&words.len())
        && v.chars().count() <= 60
        && words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '-' | ','))
        });
    ok.then(|| v.chars().take(100).collect())
}

/// The form's fields, whatever its labels. `person` is whom the form relays (its Reply-To).
/// - name: a known name label; else a line or labelled value that reads as a name and
///   shares a word with the person's address or display name (`Dari: Slamet Riyadi` for
///   `slamet.riyadi62@…`, `From: Rudi Hartanto <rudi…>` in Contact Form 7's template);
/// - phone: any labelled value, or a line of its own, that is a whole phone number;
/// - email: a known email label, else any labelled value that is a whole address;
/// - message: a known message label (to the form's footer); else the longest field or
///   paragraph, in words.
///
/// Only lines before the plugin's footer (`-- `, `---`) count.
pub fn read_fields(text: &str, person: Option<&Sender>) -> FormFields {
    let lines: Vec<&str> = text
        .lines()
        .take(200)
        .take_while(|l| !is_footer_delimiter(l))
        .collect();
    let tokens = person.map(person_tokens).unwrap_or_default();
    let shares_a_word = |v: &str| name_tokens(v).iter().any(|w| tokens.contains(w));
    let mut f = FormFields::default();
    let (mut echoed_name, mut any_email, mut line_phone) = (None, None, None);
    // Segments for the message: a labelled value with its continuation lines, or a block.
    let mut segments: Vec<Vec<&str>> = Vec::new();
    let mut open = false;
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let line = clean_line(raw);
        i += 1;
        if line.is_empty() || is_rule(line) {
            open = false;
            continue;
        }
        if let Some((label, value)) = labelled(line) {
            if NAME_LABELS.contains(&label.as_str()) && f.name.is_none() && !value.is_empty() {
                f.name = Some(value.chars().take(100).collect());
            }
            if EMAIL_LABELS.contains(&label.as_str()) && f.email.is_none() {
                f.email = EmailAddress::parse(value).ok();
            }
            if any_email.is_none() {
                any_email = EmailAddress::parse(value).ok();
            }
            if (PHONE_LABELS.contains(&label.as_str()) || f.phone.is_none()) && !value.is_empty() {
                if let Some(p) = PhoneNumber::parse(value) {
                    if f.phone.is_none() || PHONE_LABELS.contains(&label.as_str()) {
                        f.phone.get_or_insert(p);
                    }
                }
            }
            if echoed_name.is_none() && shares_a_word(value) {
                echoed_name = name_like(value);
            }
            if MESSAGE_LABELS.contains(&label.as_str()) && f.message.is_none() {
                // The message runs to the form's footer (it is the last field as a rule).
                let rest: Vec<&str> = std::iter::once(value)
                    .chain(lines[i..].iter().map(|l| clean_line(l)))
                    .collect();
                f.message = Some(rest.join("\n").trim().to_string()).filter(|m| !m.is_empty());
            }
            segments.push(vec![value]);
            open = true;
            continue;
        }
        if label_only(raw) {
            open = false;
            continue;
        }
        if line_phone.is_none() {
            line_phone = PhoneNumber::parse(line);
        }
        if echoed_name.is_none() && shares_a_word(line) {
            echoed_name = name_like(line);
        }
        match segments.last_mut() {
            Some(seg) if open => seg.push(line),
            _ => {
                segments.push(vec![line]);
                open = true;
            }
        }
    }
    f.name = f.name.or(echoed_name);
    f.email = f.email.or(any_email);
    f.phone = f.phone.or(line_phone);
    if f.message.is_none() {
        let words =
            |seg: &Vec<&str>| -> usize { seg.iter().map(|l| l.split_whitespace().count()).sum() };
        f.message = segments
            .iter()
            .filter(|s| words(s) > 0)
            .max_by_key(|s| words(s))
            .map(|s| s.join("\n").trim().to_string());
    }
    f
}

/// The fields of a form whose labels are known (kiosks, the relays of before): `Some`
/// when a message label and at least one way to reach the person are there.
pub fn form_fields(text: &str) -> Option<FormFields> {
    let known_message = text
        .lines()
        .take(200)
        .take_while(|l| !is_footer_delimiter(l))
        .filter_map(|l| labelled(clean_line(l)))
        .any(|(label, _)| MESSAGE_LABELS.contains(&label.as_str()));
    let f = read_fields(text, None);
    (known_message
        && f.message.is_some()
        && (f.name.is_some() || f.email.is_some() || f.phone.is_some()))
    .then_some(f)
}

/// A mail a website form (or a form add-on) relayed for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRelay<'a> {
    /// The address that sent it (From).
    pub relay: &'a EmailAddress,
    /// The person who filled in the form: Reply-To, else an address typed in a field.
    pub person: Option<Sender>,
    /// Whether the person is the mail's Reply-To (the only address a trusted relay's
    /// acknowledgement goes to).
    pub reply_to: bool,
    pub fields: FormFields,
}

/// Whether a Reply-To (or a typed address) can be a visitor of the form: not a robot, not
/// a role desk, not the relay itself.
fn personal(email: &EmailAddress, relay: &EmailAddress) -> bool {
    email != relay && !is_robot(email) && !ROLE_LOCAL_PARTS.contains(&email.local_part())
}

/// Mailbox providers anybody can open an account with: two addresses there share a domain,
/// not an organisation (a village site's `noreply.desa…@gmail.com` relays a visitor's
/// `…@gmail.com`).
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.id",
    "ymail.com",
    "rocketmail.com",
    "outlook.com",
    "outlook.co.id",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "zoho.com",
    "mail.com",
    "gmx.com",
    "yandex.com",
];

/// Whether two addresses belong to one organisation: aligned domains (RFC 7489 relaxed
/// alignment) that are not a public mailbox provider's.
fn same_organisation(a: &EmailAddress, b: &EmailAddress) -> bool {
    aligned(a.domain(), b.domain()) && !PUBLIC_MAIL_DOMAINS.contains(&a.domain())
}

/// Whether the text has words a person wrote: at least three words with letters.
fn written(text: &str) -> bool {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .nth(2)
        .is_some()
}

/// Whether the text repeats the person's address, or their display name (two words or more).
fn echoes(text: &str, person: &Sender) -> bool {
    if text.to_lowercase().contains(person.email.as_str()) {
        return true;
    }
    person.name.as_deref().is_some_and(|name| {
        let name = normalise(name);
        name.split(' ').count() >= 2
            && format!(" {} ", normalise(text)).contains(&format!(" {name} "))
    })
}

/// A website form relay, decided by who sent it and for whom, never by its labels:
/// - From a sender that is no person (`noreply@`, `wordpress@`, `www-data@`, `apache@`, …)
///   or a relay listed in `[intake] trusted_form_senders`, with text a person wrote, and
///   - a Reply-To of a personal address outside the sender's organisation (a visitor, not
///     the site's own desk: [`same_organisation`]), or
///   - no Reply-To, but a form whose known labels hold a message and a way to reach the
///     person, or whose fields hold a personal address and a phone number;
/// - From any other sender (a site's admin account, Elementor's `email@`, a Google Forms
///   add-on sending from our own account), only on the strong sign: a Reply-To of somebody
///   else (no word of either name or address in common), repeated in the body, in a mail
///   that answers nothing (no In-Reply-To, no References).
///
/// The labels only help find name, phone and message ([`read_fields`]).
pub fn form_relay<'a>(msg: &'a InboundMessage, intake: &Intake) -> Option<FormRelay<'a>> {
    let from = msg.from.as_ref()?;
    let relay = &from.email;
    if !written(&msg.text) {
        return None;
    }
    let machine_sender = is_robot(relay) || intake.trusted_form_senders.contains(relay);
    let reply_to = msg.reply_to.as_ref().filter(|r| personal(&r.email, relay));
    match reply_to {
        Some(person) => {
            let relayed = if machine_sender {
                !same_organisation(&person.email, relay)
            } else {
                let tokens = person_tokens(person);
                let stranger = !person_tokens(from).iter().any(|t| tokens.contains(t));
                stranger
                    && echoes(&msg.text, person)
                    && msg.in_reply_to.is_empty()
                    && msg.references.is_empty()
            };
            relayed.then(|| FormRelay {
                relay,
                person: Some(person.clone()),
                reply_to: true,
                fields: read_fields(&msg.text, Some(person)),
            })
        }
        None if machine_sender => {
            let fields = read_fields(&msg.text, None);
            let typed = fields
                .email
                .clone()
                .filter(|e| personal(e, relay) && !same_organisation(e, relay));
            let form =
                form_fields(&msg.text).is_some() || (typed.is_some() && fields.phone.is_some());
            form.then(|| FormRelay {
                relay,
                person: typed.map(|email| Sender { name: None, email }),
                reply_to: false,
                fields,
            })
        }
        None => None,
    }
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
/// - a form relay ([`form_relay`]): the person is Reply-To (else an address typed in the
///   form), name and phone from the fields whatever their labels ([`read_fields`]), else
///   Reply-To's display name; acknowledged to Reply-To only when the relay is listed in
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
    if let Some(FormRelay {
        relay,
        person,
        reply_to,
        fields,
    }) = form_relay(msg, intake)
    {
        typed_first(&mut phones, fields.phone.as_ref());
        let trusted = intake.trusted_form_senders.contains(relay);
        let name = fields
            .name
            .clone()
            .or(person.as_ref().and_then(|p| p.name.clone()));
        let email = person.as_ref().map(|p| p.email.clone()).or(fields.email);
        let ack_to = match person {
            Some(p) if trusted && reply_to => Ok(Sender {
                name: name.clone(),
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
            name,
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
            // What a web server, a CMS or a script sends as is no person.
            ("From: WordPress <wordpress@desa.example.test>", true),
            ("From: www-data@web1.example.test", true),
            ("From: apache@web1.example.test", true),
            ("From: Root User <root@localhost>", true),
            ("From: Google Forms <forms-receipts-noreply@google.com>", true),
            // A person whose name merely contains such a word is a person.
            ("From: Wordsworth <wordsworth@example.test>", false),
            ("From: Apache Santoso <apache.santoso@gmail.com>", false),
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

    /// Every reason staff read for machine mail is Bahasa Indonesia, naming the header.
    #[test]
    fn machine_reasons_are_indonesian() {
        let person = "From: Budi <budi@example.test>";
        let cases = [
            (
                format!("{person}\r\nAuto-Submitted: auto-replied"),
                "balasan otomatis (Auto-Submitted: auto-replied)",
            ),
            (
                format!("{person}\r\nAuto-Submitted: auto-generated"),
                "surel yang dibuat mesin (Auto-Submitted: auto-generated)",
            ),
            (
                format!("{person}\r\nPrecedence: bulk"),
                "surel massal (Precedence: bulk)",
            ),
            (
                format!("{person}\r\nList-Id: <berita.example.test>"),
                "kiriman milis atau buletin (List-Id)",
            ),
            (
                format!("{person}\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b"),
                "laporan pengiriman atau tanda dibaca (multipart/report)",
            ),
            (
                format!("{person}\r\nReturn-Path: <>"),
                "alamat pengembalian kosong (Return-Path: <>), ciri surel pantulan atau balasan otomatis",
            ),
            (
                "From: kademangan.puskesmas@gmail.com".to_string(),
                "dikirim dari alamat puskesmas sendiri",
            ),
            (
                "From: noreply@bank.example.test".to_string(),
                "pengirim noreply@bank.example.test adalah alamat mesin, bukan orang",
            ),
        ];
        for (headers, want) in cases {
            assert_eq!(
                machine_reason(&msg(&headers), &own()).as_deref(),
                Some(want),
                "{headers}"
            );
        }
        let nobody = parse(b"X-Nothing: 1\r\n\r\n", 1 << 20);
        let Route::Unreadable { reason } = route(&nobody, &own(), None, &intake()) else {
            panic!("unreadable")
        };
        assert_eq!(reason, "tanpa alamat pengirim (From)");
    }

    /// What each form plugin's mail looks like, as it arrives (headers and body as the
    /// plugin writes them), and what it must come to: the route, the contact's name,
    /// address and phone, and where the acknowledgement goes when the relay is trusted
    /// (`Err`: none, and why). Untrusted, none of them is acknowledged.
    #[test]
    fn form_relays_whatever_their_labels() {
        struct Case {
            plugin: &'static str,
            raw: String,
            name: Option<&'static str>,
            email: Option<&'static str>,
            phone: Option<&'static str>,
            trusted_ack: Result<&'static str, &'static str>,
        }
        let mail = |from: &str, reply_to: Option<&str>, subject: &str, body: &str| {
            let reply_to = reply_to
                .map(|r| format!("Reply-To: {r}\r\n"))
                .unwrap_or_default();
            format!(
                "From: {from}\r\n{reply_to}To: kademangan.puskesmas@gmail.com\r\nSubject: {subject}\r\n\
                 Message-ID: <{}@relay.example.test>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=UTF-8\r\n\r\n{}\r\n",
                subject.len(),
                body.replace('\n', "\r\n")
            )
        };
        let cases = [
            Case {
                plugin: "WordPress Contact Form 7, default template",
                raw: mail(
                    "Puskesmas Kademangan <wordpress@pkm.example.test>",
                    Some("rudi.hartanto.bws@gmail.com"),
                    "Puskesmas Kademangan \"Antrean BPJS\"",
                    "From: Rudi Hartanto <rudi.hartanto.bws@gmail.com>\nSubject: Antrean BPJS\n\n\
                     Message Body:\nSaya antre dari jam 7 sampai jam 12. Nomor saya 0857-4412-3390.\n\n\
                     -- \nThis e-mail was sent from a contact form on Puskesmas Kademangan (https://pkm.example.test)",
                ),
                name: Some("Rudi Hartanto"),
                email: Some("rudi.hartanto.bws@gmail.com"),
                phone: Some("+6285744123390"),
                trusted_ack: Ok("rudi.hartanto.bws@gmail.com"),
            },
            Case {
                plugin: "WPForms, plain text, sent as the site's admin account",
                raw: mail(
                    "Website Desa <admin@desa.example.test>",
                    Some("sri.wahyuni.kdm@gmail.com"),
                    "Entri Baru: Formulir Aduan",
                    "--- Nama ---\n\nSri Wahyuni\n\n--- Email ---\n\nsri.wahyuni.kdm@gmail.com\n\n\
                     --- Nomor HP ---\n\n+62 838-5012-7744\n\n--- Keluhan atau Saran ---\n\n\
                     Vaksin campak habis di posyandu dan di puskesmas juga kosong, mohon informasinya.",
                ),
                name: Some("Sri Wahyuni"),
                email: Some("sri.wahyuni.kdm@gmail.com"),
                phone: Some("+6283850127744"),
                trusted_ack: Ok("sri.wahyuni.kdm@gmail.com"),
            },
            Case {
                plugin: "Google Forms notification add-on, from our own account",
                raw: mail(
                    "Formulir Pengaduan <kademangan.puskesmas@gmail.com>",
                    Some("rahmat.hidayat1990@gmail.com"),
                    "Tanggapan baru: Formulir Pengaduan",
                    "Nama lengkap\nRahmat Hidayat\n\nAlamat email\nrahmat.hidayat1990@gmail.com\n\n\
                     Nomor WhatsApp yang bisa dihubungi\n0822 3456 7788\n\n\
                     Apa yang ingin Anda sampaikan?\nHasil laboratorium ayah saya terlambat tiga jam.",
                ),
                name: Some("Rahmat Hidayat"),
                email: Some("rahmat.hidayat1990@gmail.com"),
                phone: Some("+6282234567788"),
                trusted_ack: Ok("rahmat.hidayat1990@gmail.com"),
            },
            Case {
                plugin: "Jotform, English labels",
                raw: mail(
                    "Jotform <noreply@jotform.example.test>",
                    Some("\"Anita K.\" <anita.kusuma@outlook.co.id>"),
                    "Re: Complaint Form",
                    "Full Name: Anita Kusumawardani\nMobile Number: 0813-9021-4455\n\
                     Describe the problem: The dental clinic was locked on Friday morning.",
                ),
                name: Some("Anita Kusumawardani"),
                email: Some("anita.kusuma@outlook.co.id"),
                phone: Some("+6281390214455"),
                trusted_ack: Ok("anita.kusuma@outlook.co.id"),
            },
            Case {
                plugin: "a village site's PHPMailer script, Indonesian labels",
                raw: mail(
                    "Website Desa Kademangan <noreply@kademangan.desa.example.test>",
                    Some("slamet.riyadi62@gmail.com"),
                    "Pesan warga",
                    "Dari: Slamet Riyadi\nNo. HP/WA: 0821-3344-5566\n\
                     Isi pesan: Ambulans desa dipakai untuk hajatan.",
                ),
                name: Some("Slamet Riyadi"),
                email: Some("slamet.riyadi62@gmail.com"),
                phone: Some("+6282133445566"),
                trusted_ack: Ok("slamet.riyadi62@gmail.com"),
            },
            Case {
                plugin: "WP Mail SMTP through a Gmail account, visitor on Gmail too",
                raw: mail(
                    "Website Desa <noreply.desakademangan@gmail.com>",
                    Some("Yanti Rahayu <yanti.rahayu.77@gmail.com>"),
                    "Pesan dari website",
                    "Nama Anda: Yanti Rahayu\nNo WA aktif: 0852-1234-0099\n\
                     Tulis pesan: Air di toilet ruang tunggu mati sejak kemarin.",
                ),
                name: Some("Yanti Rahayu"),
                email: Some("yanti.rahayu.77@gmail.com"),
                phone: Some("+6285212340099"),
                trusted_ack: Ok("yanti.rahayu.77@gmail.com"),
            },
            Case {
                plugin: "PHP mail() as www-data, labels no list has, no Reply-To",
                raw: mail(
                    "www-data <www-data@web1.example.test>",
                    None,
                    "Laporan warga",
                    "Jenengan: Bu Ratna Sari\nAlamat kanggo bales: ratna.sari.77@yahoo.com\n\
                     Nomer sing iso dihubungi: 0813 5577 2468\n\
                     Uneg-uneg: Timbangan bayi di posyandu rusak sejak bulan lalu.",
                ),
                name: None,
                email: Some("ratna.sari.77@yahoo.com"),
                phone: Some("+6281355772468"),
                trusted_ack: Err("tanpa Reply-To"),
            },
        ];
        let plain = intake();
        for c in &cases {
            let m = parse(c.raw.as_bytes(), 1 << 20);
            let relay = m.from.clone().unwrap().email;
            let trusted = Intake {
                trusted_form_senders: vec![relay.clone()],
                ..intake()
            };
            for (i, trusted_relay) in [(&plain, false), (&trusted, true)] {
                let ctx = format!("{} (trusted: {trusted_relay})", c.plugin);
                assert_eq!(route(&m, &own(), None, i), Route::New, "{ctx}");
                // Never threaded: anybody can type a ticket number into a form.
                assert_eq!(route(&m, &own(), Some(7), i), Route::New, "{ctx}");
                let k = contact(&m, i);
                assert_eq!(k.name.as_deref(), c.name, "{ctx}");
                assert_eq!(k.email.as_ref().map(EmailAddress::as_str), c.email, "{ctx}");
                assert_eq!(
                    k.phones.first().map(PhoneNumber::to_string).as_deref(),
                    c.phone,
                    "{ctx}"
                );
                let flag = k.flag.as_deref().unwrap_or_default();
                assert!(flag.contains("formulir situs web"), "{ctx}: {flag}");
                assert!(flag.contains(relay.as_str()), "{ctx}: {flag}");
                match (&k.ack_to, trusted_relay, c.trusted_ack) {
                    (Ok(to), true, Ok(want)) => assert_eq!(to.email.as_str(), want, "{ctx}"),
                    (Err(why), true, Err(want)) => assert!(why.contains(want), "{ctx}: {why}"),
                    (Err(why), false, _) => {
                        assert!(why.contains("trusted_form_senders"), "{ctx}: {why}")
                    }
                    (got, _, want) => panic!("{ctx}: ack {got:?}, want {want:?}"),
                }
            }
        }
    }

    /// What stays what it was: machine mail that carries a Reply-To, a person's own mail
    /// with a Reply-To of their own, a reply in a thread, role desks.
    #[test]
    fn not_form_relays() {
        let i = intake();
        let cases: &[(&str, &str)] = &[
            // A bank's notification with its help desk as Reply-To (same domain, a role).
            (
                "From: noreply@bank.example.test\r\nReply-To: cs@bank.example.test\r\nSubject: Transaksi\r\n\r\n\
                 Transaksi Anda berhasil. Pertanyaan: cs@bank.example.test\r\n",
                "machine",
            ),
            // A shop's notification with a help desk elsewhere as Reply-To.
            (
                "From: no-reply@toko.example.test\r\nReply-To: support@helpdesk.example.test\r\nSubject: Pesanan dikirim\r\n\r\n\
                 Pesanan Anda sudah dikirim hari ini.\r\n",
                "machine",
            ),
            // Google Forms' own notification: no answers in it, nobody to reach.
            (
                "From: Google Forms <forms-receipts-noreply@google.com>\r\nSubject: Formulir Pengaduan: tanggapan baru\r\n\r\n\
                 Formulir Pengaduan has a new response. View response\r\n",
                "machine",
            ),
            // WordPress telling the admin about itself.
            (
                "From: WordPress <wordpress@pkm.example.test>\r\nSubject: [Puskesmas] Situs diperbarui\r\n\r\n\
                 Situs Anda telah diperbarui secara otomatis ke WordPress 6.7.1.\r\n",
                "machine",
            ),
            // A robot with a personal Reply-To but nothing a person wrote.
            (
                "From: noreply@desa.example.test\r\nReply-To: budi@gmail.com\r\nSubject: x\r\n\r\nOK\r\n",
                "machine",
            ),
            // Our own mail, and a mail that asks replies to go to us.
            (
                "From: kademangan.puskesmas@gmail.com\r\nSubject: catatan\r\n\r\nRapat staf hari Senin jam 8.\r\n",
                "machine",
            ),
            (
                "From: Formulir <kademangan.puskesmas@gmail.com>\r\nReply-To: kademangan.puskesmas@gmail.com\r\nSubject: x\r\n\r\n\
                 Nama: Budi\r\nEmail: kademangan.puskesmas@gmail.com\r\nPesan: uji coba formulir\r\n",
                "machine",
            ),
            // A person with a second address of their own, named in the text: theirs.
            (
                "From: Hartono <hartono_bdw@yahoo.co.id>\r\nReply-To: Hartono Kantor <hartono@cv-maju-jaya.example.test>\r\nSubject: Lab\r\n\r\n\
                 Petugas lab tidak ramah. Balas ke hartono@cv-maju-jaya.example.test saja.\r\n",
                "person",
            ),
            // A reply in a thread that quotes the other address: a reply, not a form.
            (
                "From: Budi <budi.santoso@gmail.com>\r\nReply-To: siti.aminah87@gmail.com\r\nIn-Reply-To: <ack-1@pengaduan>\r\nSubject: Re: [ADU-2026-0001]\r\n\r\n\
                 Sudah saya teruskan ke siti.aminah87@gmail.com, terima kasih.\r\n",
                "reply",
            ),
            // A person whose Reply-To is someone else they do not mention: a person's mail.
            (
                "From: Budi <budi.santoso@gmail.com>\r\nReply-To: sekretariat.rt03@gmail.com\r\nSubject: Sampah\r\n\r\n\
                 Sampah di depan puskesmas belum diangkut seminggu.\r\n",
                "person",
            ),
        ];
        for (raw, want) in cases {
            let m = parse(raw.as_bytes(), 1 << 20);
            assert!(form_relay(&m, &i).is_none(), "{raw}");
            let r = route(&m, &own(), Some(3), &i);
            let got = match &r {
                Route::Machine { .. } => "machine",
                Route::Reply { .. } => "reply",
                Route::New | Route::Suspect { .. } | Route::Unreadable { .. } => "person",
            };
            let got = if got == "reply" && !raw.contains("In-Reply-To") {
                "person"
            } else {
                got
            };
            assert_eq!(got, *want, "{raw}: {r:?}");
            if *want == "person" {
                let c = contact(&m, &i);
                assert_eq!(
                    c.ack_to.map(|s| s.email),
                    Ok(m.from.unwrap().email),
                    "{raw}"
                );
            }
        }
    }

    /// The fields found in the shapes plugins write, with labels no list has.
    #[test]
    fn read_fields_table() {
        let ratna = Sender {
            name: None,
            email: EmailAddress::parse("ratna.sari.77@yahoo.com").unwrap(),
        };
        type Want = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: &[(&str, Option<&Sender>, Want)] = &[
            // Elementor's `[all-fields]` with Javanese labels and its footer.
            (
                "Jenengan: Bu Ratna Sari\nNomer sing iso dihubungi: 0813 5577 2468\n\
                 Uneg-uneg: Timbangan bayi rusak,\nmohon diganti sebelum Desember.\n\n---\n\n\
                 Date: November 24, 2026\nUser Agent: Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko)\nPowered by: Elementor",
                Some(&ratna),
                (
                    Some("Bu Ratna Sari"),
                    None,
                    Some("+6281355772468"),
                    Some("Timbangan bayi rusak,\nmohon diganti sebelum Desember."),
                ),
            ),
            // An HTML table as html2text draws it: bold labels, rules between rows.
            (
                "────\n**Nama Pelapor**\n────\nRatna Sari\n────\n**Surel**\n────\nratna.sari.77@yahoo.com\n────\n\
                 **Ceritakan kejadiannya**\n────\nTimbangan bayi di posyandu rusak sejak bulan lalu dan belum diganti.\n────",
                Some(&ratna),
                (
                    Some("Ratna Sari"),
                    None,
                    None,
                    Some("Timbangan bayi di posyandu rusak sejak bulan lalu dan belum diganti."),
                ),
            ),
            // Known labels still give what they gave.
            (
                "Nama: Dewi\nEmail: dewi@yahoo.co.id\nNo. HP: 0813 3100 2244\nPesan: Obat habis.\nTolong.",
                None,
                (
                    Some("Dewi"),
                    Some("dewi@yahoo.co.id"),
                    Some("+6281331002244"),
                    Some("Obat habis.\nTolong."),
                ),
            ),
            // A letter is no form: no fields, its longest paragraph is the message.
            (
                "Yth. Bapak,\n\nSaya ingin bertanya: kapan poli gigi buka hari Sabtu?\n\nSalam, Ratna",
                Some(&ratna),
                (
                    Some("Salam, Ratna"),
                    None,
                    None,
                    Some("kapan poli gigi buka hari Sabtu?"),
                ),
            ),
        ];
        for (text, person, (name, email, phone, message)) in cases {
            let f = read_fields(text, *person);
            assert_eq!(f.name.as_deref(), *name, "{text}");
            assert_eq!(f.email.as_ref().map(EmailAddress::as_str), *email, "{text}");
            assert_eq!(
                f.phone.as_ref().map(PhoneNumber::to_string).as_deref(),
                *phone,
                "{text}"
            );
            assert_eq!(f.message.as_deref(), *message, "{text}");
        }
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
