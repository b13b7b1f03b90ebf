//! PURE: what an inbound message is — machine mail, a reply in a known complaint's thread,
//! a new message from a person, or something a person must look at.

use super::phrases::{normalise, Haystack};
use crate::config::Keywords;
use crate::domain::{EmailAddress, Kind, Ticket};
use crate::mail::parse::InboundMessage;

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
    for sender in [msg.from.as_ref(), msg.reply_to.as_ref()]
        .into_iter()
        .flatten()
    {
        if &sender.email == own {
            return Some("sent from our own address".into());
        }
        let local = sender.email.local_part();
        if ROBOT_LOCAL_PARTS.contains(&local)
            || local.starts_with("noreply")
            || local.starts_with("no-reply")
        {
            return Some(format!("robot sender {}", sender.email));
        }
    }
    None
}

/// Where the message belongs, given the complaint its thread points at (if any), which the
/// store resolved from [`thread_hints`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Stored and visible; no complaint, no reply.
    Machine { reason: String },
    /// From a person, in the thread of an existing complaint: attached, no new ticket.
    Reply { complaint_id: i64 },
    /// From a person, new: registered with a ticket.
    New,
    /// Cannot be handled automatically (no usable sender): stored raw, flagged.
    Unreadable { reason: String },
}

/// What the store must look up to find an existing thread: the ticket in the subject and
/// the ids in In-Reply-To/References (which may be our own outgoing Message-IDs).
pub struct ThreadHints<'a> {
    pub ticket: Option<Ticket>,
    pub referenced_ids: Vec<&'a str>,
}

pub fn thread_hints(msg: &InboundMessage) -> ThreadHints<'_> {
    ThreadHints {
        ticket: Ticket::find_in_subject(&msg.subject),
        referenced_ids: msg
            .in_reply_to
            .iter()
            .chain(msg.references.iter().rev())
            .map(String::as_str)
            .collect(),
    }
}

pub fn route(msg: &InboundMessage, own: &EmailAddress, thread: Option<i64>) -> Route {
    if let Some(reason) = machine_reason(msg, own) {
        return Route::Machine { reason };
    }
    if msg.reply_address().is_none() {
        return Route::Unreadable {
            reason: msg
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| "no usable sender address".into()),
        };
    }
    match thread {
        Some(complaint_id) => Route::Reply { complaint_id },
        None => Route::New,
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

    #[test]
    fn routes() {
        let person = msg("From: budi@example.test");
        assert_eq!(route(&person, &own(), None), Route::New);
        assert_eq!(
            route(&person, &own(), Some(7)),
            Route::Reply { complaint_id: 7 }
        );
        let robot = msg("From: noreply@example.test");
        assert!(matches!(
            route(&robot, &own(), Some(7)),
            Route::Machine { .. }
        ));
        let nobody = msg("X-Nothing: 1");
        assert!(matches!(
            route(&nobody, &own(), None),
            Route::Unreadable { .. }
        ));
    }

    #[test]
    fn thread_hints_find_ticket_and_references() {
        let raw = "From: budi@example.test\r\nSubject: Re: Antrean [ADU-2026-0007]\r\nIn-Reply-To: <a@x>\r\nReferences: <r1@x> <a@x>\r\n\r\nok\r\n";
        let m = parse(raw.as_bytes(), 1 << 20);
        let h = thread_hints(&m);
        assert_eq!(h.ticket.unwrap().to_string(), "ADU-2026-0007");
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
