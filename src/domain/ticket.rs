//! Ticket numbers: `ADU-2026-0007` ("ADU" for aduan, complaint).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{shown, DomainError};

/// A complaint's ticket: the year it was registered and its sequence
/// number within that year.
///
/// The fields are public for convenience; [`Ticket::new`] and parsing are
/// the checked ways in, and enforce `year` in 2000..=2999 and `seq >= 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket {
    pub year: i32,
    pub seq: u32,
}

const PREFIX: &str = "ADU-";
const MIN_YEAR: i32 = 2000;
const MAX_YEAR: i32 = 2999;

impl Ticket {
    pub fn new(year: i32, seq: u32) -> Result<Ticket, DomainError> {
        let ticket = Ticket { year, seq };
        ticket
            .check()
            .map_err(|reason| DomainError::InvalidTicket {
                input: ticket.to_string(),
                reason,
            })?;
        Ok(ticket)
    }

    fn check(self) -> Result<(), &'static str> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&self.year) {
            return Err("the year must be between 2000 and 2999");
        }
        if self.seq == 0 {
            return Err("the number after the year must not be 0");
        }
        Ok(())
    }

    /// Parses exactly `ADU-YYYY-NNNN` (case-insensitive, surrounding
    /// whitespace allowed): a four-digit year and at least four digits of
    /// sequence, zero-padded to four, so that only the form the daemon
    /// writes is recognised (`ADU-2026-7` and `ADU-2026-00007` are not).
    pub fn parse(input: &str) -> Result<Ticket, DomainError> {
        let err = |reason| DomainError::InvalidTicket {
            input: shown(input),
            reason,
        };
        let s = input.trim();
        let prefix_ok = s
            .get(..PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX));
        if !prefix_ok {
            return Err(err("it does not start with ADU-"));
        }
        let rest = &s[PREFIX.len()..];
        let Some((year, seq)) = rest.split_once('-') else {
            return Err(err("no dash between the year and the number"));
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the year must be four digits"));
        }
        if seq.len() < 4 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "the number after the year must be at least four digits",
            ));
        }
        if seq.len() > 4 && seq.starts_with('0') {
            return Err(err("the number after the year has too many leading zeros"));
        }
        let year: i32 = year
            .parse()
            .map_err(|_| err("the year must be four digits"))?;
        let seq: u32 = seq
            .parse()
            .map_err(|_| err("the number after the year is too large"))?;
        let ticket = Ticket { year, seq };
        ticket.check().map_err(err)?;
        Ok(ticket)
    }

    /// Same as the free function [`find_in_subject`].
    pub fn find_in_subject(subject: &str) -> Option<Ticket> {
        find_in_subject(subject)
    }
}

/// The first `[ADU-YYYY-NNNN]` in a mail subject, e.g. in
/// `Re: [ADU-2026-0007] Antrean lama`. Brackets are required, so a ticket
/// number merely mentioned in the text of a subject does not thread the
/// mail; spaces inside the brackets and lower case are tolerated, and
/// bracketed things that are not tickets (`[EXTERNAL]`) are skipped.
pub fn find_in_subject(subject: &str) -> Option<Ticket> {
    let bytes = subject.as_bytes();
    let mut from = 0;
    while let Some(offset) = subject[from..].find('[') {
        let inner_start = from + offset + 1;
        // Only a short bracket can hold a ticket. Looking for the `]` within a window
        // keeps this linear: searching the whole rest of the subject for every `[` made
        // a subject of 200,000 `[` take minutes.
        let window = &bytes[inner_start..subject.len().min(inner_start + MAX_BRACKETED)];
        if let Some(len) = window.iter().position(|b| *b == b']') {
            // Re-scan from the next '[' so "[[ADU-2026-0007]]" and
            // "[Fwd: [ADU-2026-0007]]" still work.
            if let Ok(ticket) = Ticket::parse(&subject[inner_start..inner_start + len]) {
                return Some(ticket);
            }
        }
        from = inner_start;
    }
    None
}

/// Every ticket number written in `text`, in order, each once: bracketed or not, any case,
/// with spaces, dashes or nothing between the parts and the number unpadded
/// (`[ADU-2026-0011]`, `adu 2026 0011`, `ADU2026-11`). A complainant types the number from
/// the acknowledgement however they like; which complaint it may thread onto is decided
/// elsewhere (only the complainant's own, `workflow::classify::pick_thread`).
pub fn mentions(text: &str) -> Vec<Ticket> {
    let mut found = Vec::new();
    for (_, ticket) in mention_spans(text) {
        if !found.contains(&ticket) {
            found.push(ticket);
        }
    }
    found
}

/// `subject` without any ticket number in it (and the brackets around one), so that a
/// subject we build can carry exactly one: ours.
pub fn without_mentions(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut last = 0;
    for (span, _) in mention_spans(subject) {
        let (mut start, mut end) = (span.start, span.end);
        let before = subject[last..start].trim_end();
        let after = subject[end..].trim_start();
        if before.ends_with('[') && after.starts_with(']') {
            start = last + before.len() - 1;
            end = subject.len() - after.len() + 1;
        }
        out.push_str(&subject[last..start]);
        out.push(' ');
        last = end;
    }
    out.push_str(&subject[last..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte spans of ticket numbers in `text` with the ticket each names. Linear: each `ADU`
/// is looked at once, with a bounded look-ahead.
fn mention_spans(text: &str) -> Vec<(std::ops::Range<usize>, Ticket)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 <= b.len() {
        let starts = b[i..i + 3].eq_ignore_ascii_case(b"ADU")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !starts {
            i += 1;
            continue;
        }
        let separators = |mut j: usize| {
            let start = j;
            while j < b.len() && j - start < 3 && matches!(b[j], b' ' | b'-' | b'_' | b'.') {
                j += 1;
            }
            j
        };
        let digits = |j: usize, max: usize| {
            let n = b[j..]
                .iter()
                .take(max + 1)
                .take_while(|c| c.is_ascii_digit())
                .count();
            (n, j + n)
        };
        let j = separators(i + 3);
        let (year_len, j) = digits(j, 4);
        if year_len < 4 {
            i += 3;
            continue;
        }
        // Four digits of year; the digits right after (with or without a separator) are the
        // number, so `ADU20260011` reads as 2026 / 11.
        let year_end = j - (year_len - 4);
        let k = separators(year_end);
        let (seq_len, end) = digits(k, 10);
        let ends_clean = end == b.len() || !b[end].is_ascii_alphanumeric();
        if (1..=10).contains(&seq_len) && ends_clean {
            let year: i32 = text[year_end - 4..year_end].parse().unwrap_or(0);
            let seq: u32 = text[k..end].parse().unwrap_or(0);
            if let Ok(ticket) = Ticket::new(year, seq) {
                out.push((i..end, ticket));
                i = end;
                continue;
            }
        }
        i += 3;
    }
    out
}

/// Longest bracketed text [`find_in_subject`] looks at, in bytes: a ticket with a
/// ten-digit number and generous spaces around it fits.
const MAX_BRACKETED: usize = 64;

impl fmt::Display for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ADU-{:04}-{:04}", self.year, self.seq)
    }
}

impl FromStr for Ticket {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ticket::parse(s)
    }
}

impl Serialize for Ticket {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ticket {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ticket::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(year: i32, seq: u32) -> Ticket {
        Ticket::new(year, seq).unwrap()
    }

    #[test]
    fn display() {
        let cases = [
            (t(2026, 7), "ADU-2026-0007"),
            (t(2026, 1), "ADU-2026-0001"),
            (t(2026, 9999), "ADU-2026-9999"),
            (t(2026, 10000), "ADU-2026-10000"),
            (t(2999, 123456), "ADU-2999-123456"),
            (t(2026, u32::MAX), "ADU-2026-4294967295"),
        ];
        for (ticket, expected) in cases {
            assert_eq!(ticket.to_string(), expected);
            assert_eq!(Ticket::parse(expected).unwrap(), ticket, "round trip");
        }
    }

    #[test]
    fn new_checks_range() {
        assert!(Ticket::new(2000, 1).is_ok());
        assert!(Ticket::new(2999, 1).is_ok());
        for (year, seq) in [(1999, 1), (3000, 1), (-2026, 1), (2026, 0)] {
            assert!(Ticket::new(year, seq).is_err(), "{year} {seq}");
        }
    }

    #[test]
    fn parse_accepts() {
        let cases = [
            ("ADU-2026-0007", t(2026, 7)),
            ("adu-2026-0007", t(2026, 7)),
            ("Adu-2026-0007", t(2026, 7)),
            ("  ADU-2026-0007\t", t(2026, 7)),
            ("ADU-2026-10000", t(2026, 10000)),
            ("ADU-2000-0001", t(2000, 1)),
        ];
        for (input, expected) in cases {
            assert_eq!(Ticket::parse(input).unwrap(), expected, "{input:?}");
            assert_eq!(input.parse::<Ticket>().unwrap(), expected);
        }
    }

    #[test]
    fn parse_rejects_with_reason() {
        let cases = [
            ("", "start with ADU-"),
            ("ADU", "start with ADU-"),
            ("ABU-2026-0007", "start with ADU-"),
            ("ADU 2026 0007", "start with ADU-"),
            ("ADU-20260007", "no dash"),
            ("ADU-2026-7", "at least four digits"),
            ("ADU-2026-007", "at least four digits"),
            ("ADU-2026-00007", "leading zeros"),
            ("ADU-26-0007", "four digits"),
            ("ADU-02026-0007", "four digits"),
            ("ADU-2026-0007-1", "at least four digits"),
            ("ADU-2026-00a7", "at least four digits"),
            ("ADU-2026-+007", "at least four digits"),
            ("ADU-+026-0007", "four digits"),
            ("ADU-２０２６-0007", "four digits"),
            ("ADU-1999-0007", "between 2000 and 2999"),
            ("ADU-3000-0007", "between 2000 and 2999"),
            ("ADU-2026-0000", "not be 0"),
            ("ADU-2026-99999999999", "too large"),
            ("ADU-2026-0007 x", "at least four digits"),
            ("[ADU-2026-0007]", "start with ADU-"),
            ("ÄDU-2026-0007", "start with ADU-"),
        ];
        for (input, reason) in cases {
            match Ticket::parse(input) {
                Ok(ticket) => panic!("{input:?} accepted as {ticket}"),
                Err(err) => {
                    let text = err.to_string();
                    assert!(text.contains(reason), "{input:?}: {text}");
                    assert!(text.contains("ADU-2026-0007"), "{text}");
                }
            }
        }
    }

    #[test]
    fn find_in_subject_table() {
        let cases: &[(&str, Option<Ticket>)] = &[
            ("[ADU-2026-0007] Pengaduan diterima", Some(t(2026, 7))),
            ("Re: [ADU-2026-0007] Pengaduan diterima", Some(t(2026, 7))),
            ("RE: Fwd: [adu-2026-0007] antrean", Some(t(2026, 7))),
            ("Re: [ ADU-2026-0007 ] antrean", Some(t(2026, 7))),
            ("Re:[ADU-2026-0012]", Some(t(2026, 12))),
            ("[EXTERNAL] Re: [ADU-2026-0007]", Some(t(2026, 7))),
            ("Re: [ADU-2026-0007] dan [ADU-2026-0008]", Some(t(2026, 7))),
            ("[ADU-2026-0000] lalu [ADU-2026-0003]", Some(t(2026, 3))),
            ("[[ADU-2026-0007]]", Some(t(2026, 7))),
            ("[Fwd: [ADU-2026-0007]]", Some(t(2026, 7))),
            ("Balasan — [ADU-2026-12345] ✓", Some(t(2026, 12345))),
            ("ADU-2026-0007 tanpa kurung", None),
            ("(ADU-2026-0007)", None),
            ("[ADU-2026-7]", None),
            ("[ADU-2026-0007", None),
            ("ADU-2026-0007]", None),
            ("[ADU 2026 0007]", None),
            ("[ADU-2026-0007x]", None),
            ("[]", None),
            ("[", None),
            ("", None),
            ("Keluhan pelayanan loket", None),
        ];
        for (subject, expected) in cases {
            assert_eq!(find_in_subject(subject), *expected, "{subject:?}");
            assert_eq!(Ticket::find_in_subject(subject), *expected);
        }
    }

    #[test]
    fn mentions_table() {
        let cases: &[(&str, &[Ticket])] = &[
            ("Re: [ADU-2026-0011] Antrean", &[t(2026, 11)]),
            ("ADU-2026-0011 belum ada kabar", &[t(2026, 11)]),
            ("tiket adu 2026 0011 bagaimana", &[t(2026, 11)]),
            ("nomor ADU2026-11", &[t(2026, 11)]),
            ("Adu-2026-11.", &[t(2026, 11)]),
            ("ADU20260011", &[t(2026, 11)]),
            ("ADU - 2026 - 0011", &[t(2026, 11)]),
            (
                "ADU-2026-0011 dan adu-2026-0012, lagi ADU-2026-0011",
                &[t(2026, 11), t(2026, 12)],
            ),
            ("KADU-2026-0011", &[]),
            ("ADU-2026-0011x", &[]),
            ("ADU-2026-0000", &[]),
            ("ADU-1999-0011", &[]),
            ("ADU-26-11", &[]),
            ("ADU-2026", &[]),
            ("saya mengadu 2026 kali", &[]),
            ("ADU", &[]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(mentions(text), *want, "{text:?}");
        }
        // Never slow and never out of bounds on hostile input.
        let hostile = "ADU-2026-".repeat(20_000) + "ADU";
        assert!(mentions(&hostile).is_empty());
        assert_eq!(mentions("ADU-2026-\u{e9}1"), vec![]);
    }

    #[test]
    fn without_mentions_leaves_one_place_for_ours() {
        let cases = [
            ("Re: [ADU-2026-0011] Antrean", "Re: Antrean"),
            ("ADU-2026-0011 obat belum ada", "obat belum ada"),
            ("Tanya adu 2026 0011", "Tanya"),
            ("Antrean [ ADU-2026-0011 ]", "Antrean"),
            ("Obat habis", "Obat habis"),
            ("[EXTERNAL] ADU2026-11", "[EXTERNAL]"),
        ];
        for (subject, want) in cases {
            assert_eq!(without_mentions(subject), want, "{subject:?}");
        }
    }

    #[test]
    fn serde_as_string() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            ticket: Ticket,
        }
        let row = Row { ticket: t(2026, 7) };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(text.trim(), "ticket = \"ADU-2026-0007\"");
        assert_eq!(toml::from_str::<Row>(&text).unwrap(), row);
        assert!(toml::from_str::<Row>("ticket = \"ADU-2026-0\"").is_err());
    }
}
