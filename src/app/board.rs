//! The announcement board (papan pengumuman, PROSEDUR.md step 7a): publishing a closed
//! case's outcome, unpublishing it, and reading the board. The ONE place with the rules,
//! called by the CLI (`complaints publish/unpublish`) and the web (`/papan/kelola`):
//!
//! - only a closed case can be published. Those closed as satisfied (7a) are offered
//!   first; a referred case or one closed without reply may be published too, because
//!   its follow-up inside the puskesmas is just as real — staff decide;
//! - staff write the text: a summary of the issue (20–300 characters, one or two
//!   sentences) and the follow-up taken (20–400), whitespace collapsed;
//! - the texts may hold nothing that identifies the complainant ([`personal_data`]): no
//!   name, email, phone number (in any written form), address, ticket number, and no
//!   sentence copied from what the complainant wrote; a refusal says which;
//! - the entry copies the month of receipt and the unit; the board shows only entries.
//!
//! Each change is one transaction with its audit event (`board_published`,
//! `board_unpublished`, the actor named).

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::app::actions::ActionError;
use crate::calendar::WIB;
use crate::domain::{ticket, Status, Ticket};
use crate::reports::board::{self as view, Published};
use crate::store::board::{BoardCase, BoardRow, ClosedCase};
use crate::store::Store;
use crate::workflow::state;

/// What staff typed for the board.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub summary: String,
    pub followup: String,
}

pub const SUMMARY_CHARS: std::ops::RangeInclusive<usize> = 20..=300;
pub const FOLLOWUP_CHARS: std::ops::RangeInclusive<usize> = 20..=400;
/// A run of this many words found in the complainant's own text is a quotation.
const QUOTE_WORDS: usize = 6;
/// A whole sentence of the complainant's of at least this many words is one too.
const QUOTE_SENTENCE_WORDS: usize = 4;
/// Forms of address that are part of a written name but identify no one.
const HONORIFICS: &[&str] = &[
    "bapak", "ibu", "bpk", "sdr", "sdri", "saudara", "saudari", "nyonya", "tuan", "mbak", "mas",
    "pak", "bu", "adik", "kakak", "warga", "pasien", "keluarga",
];

/// Something in a board text that identifies the complainant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leak {
    Name(String),
    Email(String),
    Phone(String),
    Address(String),
    Ticket(String),
    Quote(String),
}

impl Leak {
    fn describe(&self) -> String {
        match self {
            Leak::Name(s) => format!("nama pengadu (\u{201c}{s}\u{201d})"),
            Leak::Email(s) => format!("alamat surel pengadu ({s})"),
            Leak::Phone(s) => format!("nomor telepon pengadu ({s})"),
            Leak::Address(s) => format!("alamat pengadu (\u{201c}{s}\u{201d})"),
            Leak::Ticket(s) => format!("nomor tiket ({s})"),
            Leak::Quote(s) => {
                format!("kalimat yang disalin dari tulisan pengadu (\u{201c}{s}\u{201d})")
            }
        }
    }
}

/// Lower-case words of letters and digits.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Digit runs of `text`, separators inside a number (space, `-`, `.`, `(`, `)`, `/`)
/// dropped, so `0812-3456 7890`, `+62 812.3456.7890` and `(0812) 34567890` read as digits.
fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = vec![String::new()];
    for c in text.chars() {
        if c.is_ascii_digit() {
            runs.last_mut().unwrap().push(c);
        } else if !" -.()/+".contains(c) && !runs.last().unwrap().is_empty() {
            runs.push(String::new());
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

/// PURE: the first thing in `text` that identifies the complainant of `case`, if any.
pub fn personal_data(case: &BoardCase, text: &str) -> Option<Leak> {
    let lower = text.to_lowercase();
    let tokens = words(text);
    if let Some(t) = ticket::mentions(text).first() {
        return Some(Leak::Ticket(t.to_string()));
    }
    let emails = case
        .email
        .iter()
        .chain(case.messages.iter().filter_map(|m| m.from_email.as_ref()));
    for email in emails {
        let email = email.to_lowercase();
        let local = email.split('@').next().unwrap_or("");
        if lower.contains(&email) || (local.len() >= 5 && lower.contains(local)) {
            return Some(Leak::Email(email));
        }
    }
    let runs = digit_runs(text);
    for phone in &case.phones {
        // E.164 `+62…`: the national significant number is in every written form
        // (0812…, 62812…, +62 812…).
        let nsn = phone.trim_start_matches('+');
        let nsn = nsn.strip_prefix("62").unwrap_or(nsn);
        if nsn.len() >= 6 && runs.iter().any(|r| r.contains(nsn)) {
            return Some(Leak::Phone(phone.clone()));
        }
    }
    let names = case
        .name
        .iter()
        .chain(case.messages.iter().filter_map(|m| m.from_name.as_ref()));
    for name in names {
        let parts = words(name);
        if contains_run(&tokens, &parts) {
            return Some(Leak::Name(name.clone()));
        }
        if let Some(part) = parts.iter().find(|p| {
            p.chars().count() >= 3 && !HONORIFICS.contains(&p.as_str()) && tokens.contains(p)
        }) {
            return Some(Leak::Name(part.clone()));
        }
    }
    if let Some(address) = &case.address {
        // The whole address, or three of its words in a row with a number among them
        // (street and house number, RT/RW); a village name alone is shared by thousands,
        // and is often the puskesmas' own.
        let aw = words(address);
        if contains_run(&tokens, &aw) {
            return Some(Leak::Address(address.clone()));
        }
        if let Some(run) = aw.windows(3).find(|w| {
            w.iter().any(|x| x.chars().any(|c| c.is_ascii_digit())) && contains_run(&tokens, w)
        }) {
            return Some(Leak::Address(run.join(" ")));
        }
    }
    let originals = std::iter::once(case.subject.as_str())
        .chain(std::iter::once(case.body.as_str()))
        .chain(
            case.messages
                .iter()
                .flat_map(|m| [m.subject.as_str(), m.body_text.as_str()]),
        );
    let mut runs_of_theirs: HashSet<&[String]> = HashSet::new();
    let original_words: Vec<Vec<String>> = originals.clone().map(words).collect();
    for w in &original_words {
        runs_of_theirs.extend(w.windows(QUOTE_WORDS));
    }
    if let Some(run) = tokens
        .windows(QUOTE_WORDS)
        .find(|w| runs_of_theirs.contains(w))
    {
        return Some(Leak::Quote(run.join(" ")));
    }
    for sentence in originals.flat_map(|t| t.split(['.', '!', '?', '\n'])) {
        let s = words(sentence);
        if s.len() >= QUOTE_SENTENCE_WORDS && contains_run(&tokens, &s) {
            return Some(Leak::Quote(sentence.trim().to_string()));
        }
    }
    None
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn checked(
    what: &str,
    text: &str,
    limit: &std::ops::RangeInclusive<usize>,
) -> Result<String, ActionError> {
    let text = collapse(text);
    let n = text.chars().count();
    if !limit.contains(&n) {
        return Err(ActionError::Invalid(format!(
            "{what} harus {}–{} karakter (sekarang {n})",
            limit.start(),
            limit.end()
        )));
    }
    Ok(text)
}

/// PURE: the board entry `draft` makes of `case`, or why it may not be published.
pub fn decide(case: &BoardCase, draft: &Draft) -> Result<Published, ActionError> {
    if state::is_open(case.status) {
        return Err(ActionError::WrongState(format!(
            "pengaduan {} masih {}: hanya pengaduan yang sudah selesai yang dapat diumumkan",
            case.ticket,
            state::label(case.status)
        )));
    }
    let summary = checked("ringkasan masalah", &draft.summary, &SUMMARY_CHARS)?;
    let followup = checked("tindak lanjut", &draft.followup, &FOLLOWUP_CHARS)?;
    for (what, text) in [
        ("ringkasan masalah", &summary),
        ("tindak lanjut", &followup),
    ] {
        if let Some(leak) = personal_data(case, text) {
            return Err(ActionError::Invalid(format!(
                "{what} memuat {}: papan pengumuman dibaca umum dan tidak boleh memuat data \
                 pribadi pengadu; tulis ulang tanpa itu",
                leak.describe()
            )));
        }
    }
    Ok(Published {
        month: case
            .received_at
            .with_timezone(&WIB)
            .format("%Y-%m")
            .to_string(),
        unit: case.unit.clone(),
        summary,
        followup,
    })
}

fn by_name(by: &str) -> Result<&str, ActionError> {
    let by = by.trim();
    if by.is_empty() {
        return Err(ActionError::Invalid(
            "nama petugas kosong: tulis siapa yang mengumumkan, mis. --by \"Rina\"".into(),
        ));
    }
    Ok(by)
}

fn load(tx: &crate::store::Tx<'_>, ticket: &Ticket) -> Result<BoardCase, ActionError> {
    tx.board_case(ticket)?
        .ok_or_else(|| ActionError::NotFound(format!("tiket {ticket} tidak ditemukan")))
}

/// The entry exactly as the board would show it; nothing is written.
pub fn preview(
    store: &mut Store,
    ticket: &Ticket,
    draft: &Draft,
) -> Result<view::Entry, ActionError> {
    let tx = store.transaction()?;
    let case = load(&tx, ticket)?;
    Ok(view::entry(&decide(&case, draft)?))
}

/// Publishes (or replaces) the case's entry; returns it as the board shows it.
pub fn publish(
    store: &mut Store,
    ticket: &Ticket,
    draft: &Draft,
    by: &str,
    now: DateTime<Utc>,
) -> Result<view::Entry, ActionError> {
    let by = by_name(by)?;
    let tx = store.transaction()?;
    let case = load(&tx, ticket)?;
    let entry = decide(&case, draft)?;
    tx.put_board_entry(
        case.id,
        &BoardRow {
            ticket: None,
            month: entry.month.clone(),
            unit: entry.unit.clone(),
            summary: entry.summary.clone(),
            followup: entry.followup.clone(),
            published_by: by.to_string(),
            published_at: now,
        },
    )?;
    tx.add_event(
        Some(case.id),
        now,
        by,
        "board_published",
        &format!(
            "diumumkan di papan pengumuman. Ringkasan: {} Tindak lanjut: {}",
            entry.summary, entry.followup
        ),
    )?;
    tx.commit()?;
    Ok(view::entry(&entry))
}

/// Takes the case's entry off the board.
pub fn unpublish(
    store: &mut Store,
    ticket: &Ticket,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), ActionError> {
    let by = by_name(by)?;
    let tx = store.transaction()?;
    let case = load(&tx, ticket)?;
    if !tx.delete_board_entry(case.id)? {
        return Err(ActionError::WrongState(format!(
            "pengaduan {ticket} tidak sedang diumumkan di papan pengumuman"
        )));
    }
    tx.add_event(
        Some(case.id),
        now,
        by,
        "board_unpublished",
        "dicabut dari papan pengumuman",
    )?;
    tx.commit()?;
    Ok(())
}

fn published(row: &BoardRow) -> Published {
    Published {
        month: row.month.clone(),
        unit: row.unit.clone(),
        summary: row.summary.clone(),
        followup: row.followup.clone(),
    }
}

/// The public board.
pub fn board(store: &Store) -> anyhow::Result<view::Board> {
    let rows = store
        .board_entries()
        .context("cannot read the board entries")?;
    Ok(view::build(&rows.iter().map(published).collect::<Vec<_>>()))
}

/// How many closed cases the management page offers.
pub const OFFERED: usize = 100;

/// What the management page lists: closed cases (satisfied first) and what is published.
pub struct Management {
    pub cases: Vec<ClosedCase>,
    /// Each with its ticket, so staff can unpublish it.
    pub published: Vec<(String, view::Entry)>,
}

pub fn management(store: &Store) -> anyhow::Result<Management> {
    Ok(Management {
        cases: store.closed_cases(OFFERED)?,
        published: store
            .board_entries_with_tickets()?
            .iter()
            .map(|r| {
                (
                    r.ticket.map(|t| t.to_string()).unwrap_or_default(),
                    view::entry(&published(r)),
                )
            })
            .collect(),
    })
}

/// Whether a closed case is the kind the procedure publishes (7a: satisfied).
pub fn offered_first(status: Status) -> bool {
    status == Status::ClosedSatisfied
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::board::MessageFields;
    use chrono::TimeZone;

    fn case() -> BoardCase {
        BoardCase {
            id: 1,
            ticket: "ADU-2026-0007".parse().unwrap(),
            status: Status::ClosedSatisfied,
            unit: Some("farmasi".into()),
            // 30 Nov 2026 23:30 WIB is still November.
            received_at: Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap(),
            name: Some("Bapak Sugeng Riyadi".into()),
            email: Some("sugeng.riyadi@gmail.com".into()),
            address: Some("Jl. Melati No. 12 RT 03/RW 05, Kademangan".into()),
            phones: vec!["+6281234567890".into()],
            subject: "Obat habis".into(),
            body: "Saya menunggu obat di apotek selama tiga jam tanpa kepastian. Tolong diperbaiki. Antrean sangat panjang sekali."
                .into(),
            messages: vec![MessageFields {
                from_name: Some("Sugeng R.".into()),
                from_email: Some("sugeng.r@yahoo.co.id".into()),
                subject: "Re: Obat habis".into(),
                body_text: "Terima kasih, sekarang sudah lebih cepat pelayanannya.".into(),
            }],
        }
    }

    #[test]
    fn personal_data_in_any_form_is_found() {
        let c = case();
        let table: &[(&str, Option<Leak>)] = &[
            ("Antrean obat di apotek terlalu lama pada jam sibuk.", None),
            (
                "Keluhan pak Sugeng soal antrean",
                Some(Leak::Name("sugeng".into())),
            ),
            ("riyadi mengeluh", Some(Leak::Name("riyadi".into()))),
            ("Pengadu (Bapak) menunggu lama", None),
            (
                "hubungi SUGENG.RIYADI@gmail.com",
                Some(Leak::Email("sugeng.riyadi@gmail.com".into())),
            ),
            (
                "balas ke sugeng.r@yahoo.co.id",
                Some(Leak::Email("sugeng.r@yahoo.co.id".into())),
            ),
            (
                "telepon 0812-3456-7890",
                Some(Leak::Phone("+6281234567890".into())),
            ),
            (
                "telepon +62 812 3456 7890",
                Some(Leak::Phone("+6281234567890".into())),
            ),
            (
                "telepon 6281234567890",
                Some(Leak::Phone("+6281234567890".into())),
            ),
            (
                "telepon (0812) 3456.7890",
                Some(Leak::Phone("+6281234567890".into())),
            ),
            ("di Kademangan", None),
            (
                "rumah di jl melati no 12",
                Some(Leak::Address("melati no 12".into())),
            ),
            ("RT 03 / RW 05", Some(Leak::Address("rt 03 rw".into()))),
            (
                "tiket ADU-2026-0007",
                Some(Leak::Ticket("ADU-2026-0007".into())),
            ),
            (
                "tiket adu 2026 7",
                Some(Leak::Ticket("ADU-2026-0007".into())),
            ),
            (
                "Pengadu: menunggu obat di apotek selama tiga jam.",
                Some(Leak::Quote("menunggu obat di apotek selama tiga".into())),
            ),
            (
                "Kata pengadu: terima kasih sekarang sudah lebih cepat",
                Some(Leak::Quote(
                    "terima kasih sekarang sudah lebih cepat".into(),
                )),
            ),
            (
                "antrean sangat panjang sekali, kata pengadu",
                Some(Leak::Quote("Antrean sangat panjang sekali".into())),
            ),
            ("Obat habis di apotek", None),
        ];
        for (text, want) in table {
            assert_eq!(personal_data(&c, text), *want, "{text:?}");
        }
    }

    #[test]
    fn only_closed_cases_with_clean_texts_of_the_right_length() {
        let good = Draft {
            summary: "Waktu tunggu   obat di apotek\nterlalu lama pada jam sibuk.".into(),
            followup: "Loket apotek kedua dibuka pukul 08.00–11.00.".into(),
        };
        let p = decide(&case(), &good).unwrap();
        assert_eq!(p.month, "2026-11");
        assert_eq!(p.unit.as_deref(), Some("farmasi"));
        assert_eq!(
            p.summary,
            "Waktu tunggu obat di apotek terlalu lama pada jam sibuk."
        );
        for closed in [Status::Referred, Status::ClosedWithoutReply] {
            assert!(decide(
                &BoardCase {
                    status: closed,
                    ..case()
                },
                &good
            )
            .is_ok());
        }
        for open in [Status::Received, Status::Reviewed, Status::Answered] {
            let e = decide(
                &BoardCase {
                    status: open,
                    ..case()
                },
                &good,
            )
            .unwrap_err();
            assert!(matches!(e, ActionError::WrongState(_)), "{open:?}");
            assert!(e.to_string().contains("sudah selesai"), "{e}");
        }
        let short = Draft {
            summary: "Lama.".into(),
            ..good.clone()
        };
        let e = decide(&case(), &short).unwrap_err();
        assert!(matches!(e, ActionError::Invalid(_)));
        assert_eq!(
            e.to_string(),
            "ringkasan masalah harus 20–300 karakter (sekarang 5)"
        );
        let long = Draft {
            followup: "x".repeat(401),
            ..good.clone()
        };
        assert!(decide(&case(), &long)
            .unwrap_err()
            .to_string()
            .contains("tindak lanjut harus"));
        let named = Draft {
            followup: "Petugas menelepon Pak Sugeng dan meminta maaf.".into(),
            ..good
        };
        let e = decide(&case(), &named).unwrap_err();
        assert!(matches!(e, ActionError::Invalid(_)));
        assert_eq!(
            e.to_string(),
            "tindak lanjut memuat nama pengadu (\u{201c}sugeng\u{201d}): papan pengumuman dibaca \
             umum dan tidak boleh memuat data pribadi pengadu; tulis ulang tanpa itu"
        );
    }

    #[test]
    fn digit_runs_join_separators() {
        assert_eq!(digit_runs("a 0812-34 56.78 b 9"), ["0812345678", "9"]);
        assert!(digit_runs("tanpa angka").is_empty());
    }
}
