//! Indonesian phone numbers, normalised to E.164 (`+6281234567890`).
//!
//! Complaints are free text full of other numbers: dates (12-03-2026),
//! times (08.30), 16-digit NIK, 13-digit BPJS card numbers, ticket numbers
//! (ADU-2026-0007), money (Rp 150.000), room numbers. The rules below are
//! tuned to miss an odd-looking phone number rather than to register a NIK
//! or a date as one: staff can always add a number by hand.
//!
//! What counts as a number:
//! - mobile: `08` + 8–11 digits, or `+62`/`62` + `8` + 8–11 digits;
//! - landline: `0` + area code (2–3 digits, not starting with 0, 1 or 8) +
//!   5–8 digits, only when the area code is in parentheses or set off by a
//!   space or dash (`(0332) 424212`, `0332-424212`), or after `+62`;
//! - digit groups may be separated by one space, dash or dot (or a dash
//!   with spaces around it); a group after a space needs 3+ digits, after a
//!   dash or dot 2+, so a trailing "2 orang" or "15 Maret" is not swallowed;
//!   in free text a run is only cut back at a space;
//! - the number must not be glued to letters or digits on either side (a
//!   dash or dot directly after a digit counts as glue, which keeps the
//!   `0007` of `ADU-2026-0007` out).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{shown, DomainError};

/// An Indonesian number in E.164 form: `+62` followed by the national
/// significant number (without the trunk `0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a string that holds exactly one number (surrounding
    /// whitespace allowed), e.g. `0812-3456-7890`, `+62 812-3456-7890`,
    /// `6281234567890`, `(0332) 424212`, `+62 (332) 424212`.
    ///
    /// Slightly more lenient than [`extract_phones`]: a landline written
    /// without any separator (`0332424212`) is accepted here, because a
    /// field that is known to hold a phone number cannot be a date or an ID.
    pub fn parse(input: &str) -> Option<PhoneNumber> {
        let text = input.trim();
        let (phone, end) = match_at(text, 0, Mode::Whole)?;
        (end == text.len()).then_some(phone)
    }

    /// E.164, e.g. `+6281234567890`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domestic form with the trunk `0`, e.g. `081234567890`, as staff
    /// dial it.
    pub fn national(&self) -> String {
        format!("0{}", self.0.get(3..).unwrap_or(""))
    }

    /// Whether this is a mobile number (Indonesian mobile numbers start
    /// with 8 after the country code), i.e. one that can get SMS/WhatsApp.
    pub fn is_mobile(&self) -> bool {
        self.0.as_bytes().get(3) == Some(&b'8')
    }
}

/// All phone numbers in a complaint text, deduplicated, in order of first
/// appearance.
pub fn extract_phones(text: &str) -> Vec<PhoneNumber> {
    let mut found: Vec<PhoneNumber> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let Some(c) = text[pos..].chars().next() else {
            break;
        };
        if is_start(c) && start_allowed(text, pos) && !after_money_sign(text, pos) {
            if let Some((phone, end)) = match_at(text, pos, Mode::Extract) {
                if !found.contains(&phone) {
                    found.push(phone);
                }
                pos = end;
                continue;
            }
        }
        pos += c.len_utf8();
    }
    found
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The whole input is one number.
    Whole,
    /// Searching free text.
    Extract,
}

/// What stood before a digit group.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sep {
    /// First group, or a group glued to a parenthesis.
    None,
    Space,
    /// A dash or a dot.
    Tight(char),
}

#[derive(Clone, Debug)]
struct Group {
    digits: String,
    paren: bool,
    sep: Sep,
    /// Byte offset just after the group (after its `)` if any).
    end: usize,
}

/// Longest stretch of text looked at for one number; real numbers with
/// separators stay well below it.
const MAX_RUN_BYTES: usize = 40;

fn is_start(c: char) -> bool {
    c == '+' || c == '(' || c.is_ascii_digit()
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\u{a0}'
}

fn is_tight(c: char) -> bool {
    c == '-' || c == '.'
}

/// A number may not continue something before it: not a letter or digit,
/// not the `+` of its own country code, and not a dash/dot/colon directly
/// after a digit (dates, times, ticket numbers, IDs).
fn start_allowed(text: &str, pos: usize) -> bool {
    let mut before = text[..pos].chars().rev();
    let Some(prev) = before.next() else {
        return true;
    };
    if prev.is_alphanumeric() || prev == '+' {
        return false;
    }
    // A slash or comma is a list separator ("0812…/0813…"), so it is not
    // glue; in a date after a slash only 2- or 4-digit parts follow.
    if matches!(prev, '-' | '.' | ':') {
        return !before.next().is_some_and(|c| c.is_ascii_digit());
    }
    true
}

/// `Rp 62.812.000` is money, not a number starting with 62.
fn after_money_sign(text: &str, pos: usize) -> bool {
    let before = text[..pos].trim_end_matches(is_space);
    let before = before
        .strip_suffix('.')
        .unwrap_or(before)
        .trim_end_matches(is_space);
    // Only the last few characters matter; never lower-case the whole text.
    let tail: Vec<char> = before
        .chars()
        .rev()
        .take(4)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["rp", "idr"].iter().any(|sign| {
        let n = sign.len();
        tail.len() >= n
            && tail[..n].iter().rev().copied().eq(sign.chars())
            && !tail.get(n).is_some_and(|c| c.is_alphanumeric())
    })
}

/// Reads digit groups with their separators from `pos`. Returns `None`
/// when not even one group can be read.
fn lex(text: &str, pos: usize) -> Option<(bool, Vec<Group>)> {
    let bytes = text.as_bytes();
    let limit = text.len().min(pos + MAX_RUN_BYTES);
    let mut i = pos;
    let plus = bytes.get(i) == Some(&b'+');
    if plus {
        i += 1;
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut sep = Sep::None;
    loop {
        let paren = bytes.get(i) == Some(&b'(');
        let digits_start = if paren { i + 1 } else { i };
        let mut j = digits_start;
        while j < limit && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j == digits_start || (paren && bytes.get(j) != Some(&b')')) {
            // No group here: the number ended before the separator.
            break;
        }
        let digits = text[digits_start..j].to_string();
        let end = if paren { j + 1 } else { j };
        groups.push(Group {
            digits,
            paren,
            sep,
            end,
        });
        i = end;

        // What may follow: one separator then a digit or '(' ; or, glued to
        // a parenthesis, the next group directly ("(0332)424212", "+62(332)").
        let next = text[i..].chars().next();
        match next {
            Some(c) if is_space(c) || is_tight(c) => match read_separator(&text[i..]) {
                Some((kind, len)) => {
                    sep = kind;
                    i += len;
                }
                None => break,
            },
            Some('(') => sep = Sep::None,
            Some(c) if c.is_ascii_digit() && paren => sep = Sep::None,
            _ => break,
        }
        if i >= limit {
            break;
        }
    }
    if groups.is_empty() {
        None
    } else {
        Some((plus, groups))
    }
}

/// The separator at the start of `rest` and its length in bytes, if a
/// digit group (or a parenthesis) follows it: one space, one dash or dot,
/// or a dash with spaces around it ("0812 - 3456 - 7890"), which counts as
/// a space.
fn read_separator(rest: &str) -> Option<(Sep, usize)> {
    let chars: Vec<char> = rest.chars().take(3).collect();
    let space = |i: usize| chars.get(i).is_some_and(|c| is_space(*c));
    let dash = |i: usize| chars.get(i) == Some(&'-');
    let width = |n: usize| chars[..n].iter().map(|c| c.len_utf8()).sum::<usize>();
    let candidates = [
        (space(0) && dash(1) && space(2)).then(|| (Sep::Space, width(3))),
        ((space(0) && dash(1)) || (dash(0) && space(1))).then(|| (Sep::Space, width(2))),
        space(0).then(|| (Sep::Space, width(1))),
        chars
            .first()
            .filter(|c| is_tight(**c))
            .map(|c| (Sep::Tight(*c), 1)),
    ];
    candidates.into_iter().flatten().find(|(_, n)| {
        rest.as_bytes()
            .get(*n)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'(')
    })
}

/// The number starting at `pos`, and the byte offset where it ends.
fn match_at(text: &str, pos: usize, mode: Mode) -> Option<(PhoneNumber, usize)> {
    let (plus, groups) = lex(text, pos)?;
    // Longest reading first; in free text the run may be cut back, but only
    // at a space, so that "0812 3456 7890 2 orang" yields the number while
    // "0812-3456-7890-1234" (glued by dashes) yields nothing.
    for k in (1..=groups.len()).rev() {
        let last = &groups[k - 1];
        if k < groups.len() && (mode == Mode::Whole || groups[k].sep != Sep::Space) {
            continue;
        }
        if k == groups.len()
            && text[last.end..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        if let Some(phone) = interpret(plus, &groups[..k], mode) {
            return Some((phone, last.end));
        }
    }
    None
}

/// How the number was introduced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// `+62`
    Plus,
    /// `62` without a plus: accepted for mobiles only, since a bare 62...
    /// landline is indistinguishable from other numbers.
    Bare,
    /// Domestic, with the trunk `0`.
    Trunk,
}

fn interpret(plus: bool, groups: &[Group], mode: Mode) -> Option<PhoneNumber> {
    let first = groups.first()?;
    let all: String = groups.iter().map(|g| g.digits.as_str()).collect();
    let prefix = if plus {
        Prefix::Plus
    } else if all.starts_with("62") {
        Prefix::Bare
    } else if all.starts_with('0') {
        Prefix::Trunk
    } else {
        return None;
    };

    // The groups of the national significant number: country code and
    // trunk 0 removed, separators and parentheses kept.
    let mut national: Vec<Group> = groups.to_vec();
    match prefix {
        Prefix::Plus | Prefix::Bare => {
            if first.paren || !all.starts_with("62") {
                return None;
            }
            strip_leading(&mut national, 2);
            // "+62 0812…" and "+62 (0) 812…" are common mistakes for +62 812….
            if prefix == Prefix::Plus && national.first().is_some_and(|g| g.digits.starts_with('0'))
            {
                strip_leading(&mut national, 1);
            }
        }
        Prefix::Trunk => strip_leading(&mut national, 1),
    }
    let head = national.first()?;
    let digits: String = national.iter().map(|g| g.digits.as_str()).collect();

    match digits.as_bytes().first()? {
        b'8' => {
            // Mobile. "08" alone as the first group is how times are written
            // (08.30), never how mobiles are.
            let len_ok = (9..=12).contains(&digits.len());
            let shape_ok = head.digits.len() >= 2
                && national.iter().all(|g| !g.paren)
                && groups_long_enough(&national[1..]);
            (len_ok && shape_ok).then(|| PhoneNumber(format!("+62{digits}")))
        }
        b'2'..=b'7' | b'9' if prefix != Prefix::Bare => landline(prefix, &national, &digits, mode),
        _ => None,
    }
}

fn landline(prefix: Prefix, national: &[Group], digits: &str, mode: Mode) -> Option<PhoneNumber> {
    let head = national.first()?;
    let e164 = || PhoneNumber(format!("+62{digits}"));
    if national.len() == 1 {
        // No visible area code: only after +62, or when the whole input is
        // known to be one number.
        let allowed = prefix == Prefix::Plus || mode == Mode::Whole;
        return (allowed && !head.paren && (7..=11).contains(&digits.len())).then(e164);
    }
    let subscriber = &national[1..];
    let area_ok = (2..=3).contains(&head.digits.len())
        && (head.paren || matches!(subscriber[0].sep, Sep::Space | Sep::Tight('-')));
    let subscriber_len: usize = subscriber.iter().map(|g| g.digits.len()).sum();
    let ok = area_ok
        && (5..=8).contains(&subscriber_len)
        && subscriber.iter().all(|g| !g.paren)
        && groups_long_enough(subscriber);
    ok.then(e164)
}

/// A group after a space needs 3+ digits, after a dash or dot 2+.
fn groups_long_enough(groups: &[Group]) -> bool {
    groups.iter().all(|g| match g.sep {
        Sep::Space | Sep::None => g.digits.len() >= 3,
        Sep::Tight(_) => g.digits.len() >= 2,
    })
}

/// Removes `n` leading digits, dropping groups that become empty (their
/// successor then becomes the head and keeps its own separator).
fn strip_leading(groups: &mut Vec<Group>, mut n: usize) {
    while n > 0 && !groups.is_empty() {
        let len = groups[0].digits.len();
        if len <= n {
            groups.remove(0);
            n -= len;
        } else {
            groups[0].digits.drain(..n);
            n = 0;
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for PhoneNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s).ok_or_else(|| DomainError::InvalidPhone { input: shown(s) })
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Accepts every form [`PhoneNumber::parse`] does, including the stored
/// E.164 form.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(list: &[PhoneNumber]) -> Vec<&str> {
        list.iter().map(PhoneNumber::as_str).collect()
    }

    #[test]
    fn parse_single_numbers() {
        let cases = [
            ("0812-3456-7890", "+6281234567890"),
            ("0812 3456 7890", "+6281234567890"),
            ("0812.3456.7890", "+6281234567890"),
            ("081234567890", "+6281234567890"),
            ("  081234567890\n", "+6281234567890"),
            ("+62 812-3456-7890", "+6281234567890"),
            ("+6281234567890", "+6281234567890"),
            ("+62-812-3456-7890", "+6281234567890"),
            ("+62 0812 3456 7890", "+6281234567890"),
            ("+62 (0) 812 3456 7890", "+6281234567890"),
            ("6281234567890", "+6281234567890"),
            ("62 812 3456 7890", "+6281234567890"),
            ("082302463093", "+6282302463093"),
            ("0812345678", "+62812345678"), // 10 digits, shortest
            ("0812345678901", "+62812345678901"), // 13 digits, longest
            ("081 234 567 890", "+6281234567890"),
            ("(0332) 424212", "+62332424212"),
            ("(0332)424212", "+62332424212"),
            ("0332 424212", "+62332424212"),
            ("0332-424212", "+62332424212"),
            ("(021) 555-1234", "+62215551234"),
            ("021 5551 2345", "+622155512345"),
            ("+62 (332) 424212", "+62332424212"),
            ("+62(332)424212", "+62332424212"),
            ("+62 332 424212", "+62332424212"),
            ("+62 21 5551234", "+62215551234"),
            ("+62332424212", "+62332424212"),
            ("0332424212", "+62332424212"), // lenient in parse only
        ];
        for (input, expected) in cases {
            let p = PhoneNumber::parse(input).unwrap_or_else(|| panic!("{input:?} rejected"));
            assert_eq!(p.as_str(), expected, "{input:?}");
        }
    }

    #[test]
    fn parse_rejects() {
        let cases = [
            "",
            "0812",
            "081234567",       // 9 digits: too short
            "08123456789012",  // 14 digits: too long
            "0812-3456-7890x", // glued letter
            "0812-3456-7890 2",
            "nomor 0812-3456-7890",
            "0812-3456-7890 / 0813-1111-2222",
            "12-03-2026",
            "3511012345670001",
            "0001234567890",
            "ADU-2026-0007",
            "62332424212", // bare 62 landline
            "+63 812 3456 7890",
            "+62 1234567",
            "(0812) 3456 7890",
            "0332.424212",      // area code set off by a dot
            "(0332) 4242",      // subscriber too short
            "(0332) 424212345", // subscriber too long
            "(03) 424212",
            "08.30",
            "+",
            "(",
            "+62",
        ];
        for input in cases {
            assert_eq!(PhoneNumber::parse(input), None, "{input:?} accepted");
            assert!(input.parse::<PhoneNumber>().is_err());
        }
    }

    #[test]
    fn extract_from_complaint_text() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Saya bisa dihubungi di 0812-3456-7890 atau WA 0813 1111 2222.",
                &["+6281234567890", "+6281311112222"],
            ),
            ("HP:081234567890, terima kasih", &["+6281234567890"]),
            ("Telp.0812 3456 7890", &["+6281234567890"]),
            ("no hp (0812-3456-7890)", &["+6281234567890"]),
            ("Nomor saya +62 812-3456-7890.", &["+6281234567890"]),
            ("kontak: 6281234567890", &["+6281234567890"]),
            (
                "Sudah telepon ke (0332) 424212 tapi tidak diangkat",
                &["+62332424212"],
            ),
            (
                "rumah 0332-424212 / hp 0812-3456-7890",
                &["+62332424212", "+6281234567890"],
            ),
            ("kantor +62 (332) 424212", &["+62332424212"]),
            // Same number twice in different shapes: once.
            (
                "0812-3456-7890 ... sekali lagi: +6281234567890",
                &["+6281234567890"],
            ),
            // Two numbers separated only by a space.
            (
                "0812-3456-7890 0813-1111-2222",
                &["+6281234567890", "+6281311112222"],
            ),
            (
                "0812-3456-7890/0813-1111-2222",
                &["+6281234567890", "+6281311112222"],
            ),
            (
                "0812-3456-7890,0813-1111-2222",
                &["+6281234567890", "+6281311112222"],
            ),
            // A following short number or date is not swallowed.
            (
                "hubungi 0812 3456 7890 2 kali tidak aktif",
                &["+6281234567890"],
            ),
            ("hubungi 0812 3456 789 15 Maret", &["+628123456789"]),
            ("0812 3456 7890 150 ribu", &["+6281234567890"]),
            ("WA center 082302463093", &["+6282302463093"]),
            ("0812 - 3456 - 7890", &["+6281234567890"]),
            ("0332 - 424212", &["+62332424212"]),
            (
                "0812-3456-7890 - 0813-1111-2222",
                &["+6281234567890", "+6281311112222"],
            ),
            ("https://wa.me/6281234567890?text=halo", &["+6281234567890"]),
            ("tel:+6281234567890", &["+6281234567890"]),
            ("No HP 0856.4321.9876 ya", &["+6285643219876"]),
            ("(0331) 487 564", &["+62331487564"]),
            (
                "ADU-2026-0007 dan 08123456789/081311112222",
                &["+628123456789", "+6281311112222"],
            ),
            ("nomor\u{a0}0812\u{a0}3456\u{a0}7890", &["+6281234567890"]),
            (
                "Ibu Siti (0812-3456-7890), Desa Kademangan",
                &["+6281234567890"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(e164(&extract_phones(text)), *expected, "{text:?}");
        }
    }

    #[test]
    fn extract_ignores_false_positives() {
        let cases = [
            // Dates
            "Saya datang tanggal 12-03-2026 pagi",
            "tanggal 12/03/2026",
            "tanggal 02-03-2026 dan 05/03/2026 dan 05.03.2026",
            "2026-03-12",
            // Times
            "jam 08.30 sampai 10.00 WIB",
            "antre dari 08.00-12.00-15.00",
            "pukul 07:45",
            // IDs
            "NIK 3511012345670001",
            "NIK saya 6271031234560001",
            "No. KK 3511010101010001",
            "kartu BPJS 0001234567890",
            "no BPJS: 0001234567890 sudah aktif",
            "No. rekam medis 00-12-34",
            "no rekening 0123456789",
            // Tickets
            "Re: [ADU-2026-0007] keluhan",
            "ADU-2026-0812",
            // Money
            "bayar Rp 150.000",
            "Rp. 62.812.345.678 (bohong)",
            "Rp 62.500",
            "IDR 081.234.567.890",
            "Rp.0812",
            // Rooms, counts, glued text
            "ruang 021 lantai 2",
            "kamar 0345 678",
            "loket 3, antrean nomor 0021",
            "kode0812345678901",
            "0812345678901abc",
            "x0812-3456-7890",
            // Too long / too short
            "08123456789012345",
            "0812-3456-7890-1234",
            "0812-345",
            "62 332 424212",
            "nomor 0332424212 tanpa pemisah",
            "jam 08.30 - 10.00",
            "NIK: 3511 0123 4567 0001",
            "BPJS 0001 2345 6789 0",
            "Surat no 440/0812/430.10/2026",
            "tgl 1-3-2026 s.d. 5-3-2026",
            "Rp 1.500.000,00",
            "Rp 62 812 3456 7890",
            "Nomor antrean 082 dipanggil",
        ];
        for text in cases {
            assert_eq!(e164(&extract_phones(text)), Vec::<&str>::new(), "{text:?}");
        }
    }

    #[test]
    fn extract_handles_unicode_and_edges() {
        assert!(extract_phones("").is_empty());
        assert!(extract_phones("+").is_empty());
        assert!(extract_phones("(((").is_empty());
        assert!(extract_phones("é—0812").is_empty());
        assert_eq!(
            e164(&extract_phones("Nomor — 0812‑3456‑7890 “0813 1111 2222”")),
            vec!["+6281311112222"] // U+2011 non-breaking hyphens are not separators
        );
        assert_eq!(
            e164(&extract_phones("tel 0812-3456-7890")),
            vec!["+6281234567890"]
        );
        // Long inputs stay linear and quiet.
        let long = "jam 08.30, tanggal 12-03-2026, NIK 3511012345670001. ".repeat(2000);
        assert!(extract_phones(&long).is_empty());
        let many = "0812-3456-7890 ".repeat(2000);
        assert_eq!(e164(&extract_phones(&many)), vec!["+6281234567890"]);
    }

    #[test]
    fn accessors() {
        let mobile = PhoneNumber::parse("0812-3456-7890").unwrap();
        assert_eq!(mobile.national(), "081234567890");
        assert!(mobile.is_mobile());
        assert_eq!(mobile.to_string(), "+6281234567890");
        assert_eq!(mobile.as_ref(), "+6281234567890");
        let landline = PhoneNumber::parse("(0332) 424212").unwrap();
        assert_eq!(landline.national(), "0332424212");
        assert!(!landline.is_mobile());
    }

    #[test]
    fn serde_round_trip() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            phone: PhoneNumber,
        }
        let row = Row {
            phone: PhoneNumber::parse("(0332) 424212").unwrap(),
        };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(text.trim(), "phone = \"+62332424212\"");
        assert_eq!(toml::from_str::<Row>(&text).unwrap(), row);
        let err = toml::from_str::<Row>("phone = \"12-03-2026\"").unwrap_err();
        assert!(err.to_string().contains("invalid phone number"), "{err}");
    }
}
