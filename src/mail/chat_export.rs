//! Boundary: the `.txt` of a WhatsApp chat export -> [`ChatExport`].
//!
//! Pure: bytes and a file name in, a plain value out. No I/O, no clock, no panic on any
//! input (a `.txt` is hostile input too: fuzz target `fuzz/fuzz_targets/chat_export.rs`).
//! Nothing is dropped silently: a line that cannot be read is counted in
//! [`ChatExport::unreadable_lines`] and, once a message has started, kept in its text.
//!
//! The shapes WhatsApp writes (Bahasa Indonesia and English, Android and iOS):
//! ```text
//! 20/08/24 14.30 - +62 812-3456-7890: Halo              Android, Indonesian
//! 12/03/2024, 09:14 - Budi Santoso: Selamat pagi        Android, English 24-hour
//! 3/14/24, 2:30 PM - Budi Santoso: Hi                   Android, English 12-hour (U+202F before PM)
//! [20/08/24, 14.30.15] Kurir: Paket sudah sampai        iOS (U+200E before the bracket and
//! [3/14/24, 2:30:15 PM] Budi: <attached: 00000012-…>    before attachments and system text)
//! ```
//! A line without a timestamp continues the message before it. Dates may be day/month or
//! month/day; the file does not say which, so the whole file decides ([`DateOrder`]).
//! Timestamps are the phone's local time as written; converting them to WIB is the
//! caller's business.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;

use crate::domain::PhoneNumber;

/// A parsed chat export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatExport {
    /// The other party as the file name gives it (`Chat WhatsApp dengan NAMA.txt`):
    /// a display name or a phone number as written. `None` when the name has no such
    /// pattern (e.g. `_chat.txt` inside an iOS zip: pass the zip's name instead).
    pub party: Option<String>,
    /// In file order.
    pub messages: Vec<ChatMessage>,
    /// How the dates of this file were read.
    pub date_order: DateOrder,
    /// The file could not tell day/month from month/day (or contradicted itself), so
    /// [`DateOrder::DayMonth`] was assumed: a person must check the dates.
    pub date_order_ambiguous: bool,
    /// Non-empty lines that could not be read: lines before the first message, and
    /// lines shaped like a message start whose date or time is impossible (those are
    /// kept in the text of the message before them).
    pub unreadable_lines: usize,
}

/// The order of the first two date fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `20/08/24`: Indonesian and most locales; the default.
    DayMonth,
    /// `8/20/24`: US English.
    MonthDay,
}

/// One message (or system line) of the chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// 1-based line of the file where the message starts.
    pub line: usize,
    /// Local date and time as written on the phone (seconds only from iOS).
    pub at: NaiveDateTime,
    /// The author as written: a display name or a phone number (`+62 812-3456-7890`).
    /// `None` for Android system lines, which have no author. iOS writes the chat's
    /// name as the author of its system lines; it is kept, and `kind` says `System`.
    pub author: Option<String>,
    /// What the author wrote, continuation lines joined with `\n`, trailing blank lines
    /// removed. For an attachment: its caption (often empty). For a deleted message or
    /// omitted media: empty. For a system line: the line.
    pub text: String,
    pub kind: MessageKind,
    /// The attachment's file name as the export names it (to match a file in the zip).
    pub attachment: Option<String>,
    /// WhatsApp marked the message as edited (`<Pesan ini telah diedit>`, removed from
    /// the text).
    pub edited: bool,
}

/// What a line is, as far as the export tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Text a person wrote.
    Text,
    /// A line WhatsApp wrote (a number changed, a contact blocked, …).
    System,
    /// `Pesan dan panggilan terenkripsi secara end-to-end…` at the top of a chat.
    EncryptionBanner,
    /// `<Media tidak disertakan>`, `<Media omitted>`, iOS `gambar tidak disertakan`,
    /// `image omitted`: exported without media.
    MediaOmitted,
    /// A file that came with the export; its name is in `attachment`.
    Attachment,
    /// `Pesan ini telah dihapus` / `This message was deleted`.
    Deleted,
}

impl MessageKind {
    /// Written by WhatsApp, not by a person.
    pub fn is_system(self) -> bool {
        matches!(self, MessageKind::System | MessageKind::EncryptionBanner)
    }

    /// Stands for something that is not text (media, an attachment, a deleted message).
    pub fn is_placeholder(self) -> bool {
        matches!(
            self,
            MessageKind::MediaOmitted | MessageKind::Attachment | MessageKind::Deleted
        )
    }
}

/// Who complained, as far as the export tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Complainant {
    /// The author as written in the lines, or the file name's party when only the centre
    /// wrote.
    pub author: String,
    /// The author's number in E.164 when the author is written as an Indonesian number
    /// (a contact not saved on the centre's phone).
    pub phone: Option<PhoneNumber>,
}

/// Longest author name read before `": "`; WhatsApp names are far shorter, so a system
/// line with a colon further in is not split into an author.
const MAX_AUTHOR_CHARS: usize = 100;

/// Parses a chat export. `file_name` is the attachment's name (`Chat WhatsApp dengan
/// Budi.txt`, or the zip's name); pass `""` when unknown. Never fails: input that is no
/// chat at all gives no messages and counts its lines as unreadable.
pub fn parse(bytes: &[u8], file_name: &str) -> ChatExport {
    let decoded = String::from_utf8_lossy(bytes);
    let lines: Vec<Line> = decoded
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .map(Line::clean)
        .collect();
    let mut heads: Vec<Option<Head>> = lines.iter().map(|l| head(&l.text)).collect();
    // One export writes every timestamp alike. A line starting with a date in another
    // shape is text a person typed (a chronology in a complaint), not a new message.
    let main = dominant_shape(heads.iter().flatten().map(|h| h.shape));
    for h in &mut heads {
        if h.as_ref().is_some_and(|h| Some(h.shape) != main) {
            *h = None;
        }
    }
    let (date_order, date_order_ambiguous) = decide_order(heads.iter().flatten());

    let mut messages = Vec::new();
    let mut unreadable_lines = 0;
    let mut draft: Option<Draft> = None;
    for (index, (line, head)) in lines.iter().zip(&heads).enumerate() {
        let at = head.as_ref().and_then(|h| h.at(date_order));
        match (head, at) {
            (Some(h), Some(at)) => {
                if let Some(done) = draft.take() {
                    messages.push(done.finish());
                }
                draft = Some(Draft::start(index + 1, at, h, line));
            }
            _ => {
                if head.is_some() {
                    unreadable_lines += 1;
                }
                match draft.as_mut() {
                    Some(d) => {
                        d.text.push('\n');
                        d.text.push_str(&line.text);
                    }
                    None if head.is_none() && !line.text.trim().is_empty() => {
                        unreadable_lines += 1;
                    }
                    None => {}
                }
            }
        }
    }
    if let Some(done) = draft {
        messages.push(done.finish());
    }
    ChatExport {
        party: party_from_file_name(file_name),
        messages,
        date_order,
        date_order_ambiguous,
        unreadable_lines,
    }
}

/// The other party from an export's file name: `Chat WhatsApp dengan NAMA.txt`,
/// `WhatsApp Chat with NAME.txt`, and the iOS zips `WhatsApp Chat - NAME.zip` /
/// `Chat WhatsApp - NAMA.zip`. A directory part and a download counter (` (1)`) are
/// ignored; case does not matter.
pub fn party_from_file_name(file_name: &str) -> Option<String> {
    let base = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim();
    let stem = [".txt", ".zip"]
        .iter()
        .find_map(|ext| strip_suffix_ignore_case(base, ext))
        .unwrap_or(base)
        .trim_end();
    let stem = strip_counter(stem);
    let rest = ["whatsapp chat", "chat whatsapp"]
        .iter()
        .find_map(|p| strip_prefix_ignore_case(stem, p))?;
    let party = [" dengan ", " with ", " - "]
        .iter()
        .find_map(|p| strip_prefix_ignore_case(rest, p))?;
    let party: String = party.chars().filter(|c| !is_mark(*c)).collect();
    let party = party.trim();
    (!party.is_empty()).then(|| party.to_owned())
}

/// Whether `author` is the centre itself: one of `own` (the centre's numbers and display
/// names). Numbers compare as digits only, a leading `0` read as `62`
/// (`0823-0246-3093` is `+62 823-0246-3093`); names compare ignoring case and spacing.
pub fn is_own(author: &str, own: &[String]) -> bool {
    own.iter().any(|o| same_party(author, o))
}

/// The complainant of a chat: the one author that is not the centre (see [`is_own`]),
/// or among several such authors the file name's party. When only the centre wrote, the
/// file name's party. `None` when it cannot be told (several authors, none of them the
/// party; or no author and no party): a person must choose.
pub fn complainant(chat: &ChatExport, own: &[String]) -> Option<Complainant> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut others: Vec<&str> = Vec::new();
    for m in &chat.messages {
        if let Some(a) = m.author.as_deref().filter(|_| !m.kind.is_system()) {
            if seen.insert(a) && !is_own(a, own) {
                others.push(a);
            }
        }
    }
    let party = chat.party.as_deref().filter(|p| !is_own(p, own));
    let party_wrote = party.and_then(|p| others.iter().copied().find(|a| same_party(a, p)));
    let author = match (party_wrote, others.as_slice(), party) {
        (Some(a), _, _) => a,
        (None, [one], _) => one,
        (None, [], Some(p)) => p,
        _ => return None,
    };
    Some(Complainant {
        author: author.to_owned(),
        phone: PhoneNumber::parse(author),
    })
}

/// A line with the invisible marks removed, and where they were.
struct Line {
    text: String,
    /// Byte offsets in `text` where marks were removed.
    marks: Vec<usize>,
}

impl Line {
    fn clean(raw: &str) -> Line {
        if !raw.contains(is_mark) {
            return Line {
                text: raw.to_owned(),
                marks: Vec::new(),
            };
        }
        let mut text = String::with_capacity(raw.len());
        let mut marks = Vec::new();
        for c in raw.chars() {
            if is_mark(c) {
                if marks.last() != Some(&text.len()) {
                    marks.push(text.len());
                }
            } else {
                text.push(c);
            }
        }
        Line { text, marks }
    }
}

/// Invisible characters WhatsApp and editors add: the BOM, bidi marks (U+200E before iOS
/// attachments and system text), embeddings around phone numbers (Android writes
/// `U+202A+62 812…U+202C`) and isolates. None is text a person wrote, and a bidi control
/// left in a name could reorder what staff see.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{feff}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// The timestamp part of a line that starts a message, read without deciding the date
/// order yet.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    first: u32,
    second: u32,
    year: i32,
    /// `None` when the time is impossible (`25.30`, `13:00 PM`).
    time: Option<NaiveTime>,
    /// iOS `[…]`.
    bracket: bool,
    shape: Shape,
    /// Byte offset of what follows the timestamp.
    body: usize,
}

/// How a timestamp is written, apart from its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    bracket: bool,
    date_sep: char,
    long_year: bool,
    comma: bool,
    time_sep: char,
    seconds: bool,
    meridiem: bool,
    /// ` - ` after the time (Android), not `]` or `:`.
    dash: bool,
}

/// The most frequent shape (the first of equals).
fn dominant_shape(shapes: impl Iterator<Item = Shape>) -> Option<Shape> {
    let mut counts: Vec<(Shape, usize)> = Vec::new();
    for s in shapes {
        match counts.iter_mut().find(|(k, _)| *k == s) {
            Some((_, n)) => *n += 1,
            None => counts.push((s, 1)),
        }
    }
    let mut best: Option<(Shape, usize)> = None;
    for (s, n) in counts {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((s, n));
        }
    }
    best.map(|(s, _)| s)
}

impl Head {
    fn date(&self, order: DateOrder) -> Option<NaiveDate> {
        let (day, month) = match order {
            DateOrder::DayMonth => (self.first, self.second),
            DateOrder::MonthDay => (self.second, self.first),
        };
        NaiveDate::from_ymd_opt(self.year, month, day)
    }

    fn at(&self, order: DateOrder) -> Option<NaiveDateTime> {
        Some(self.date(order)?.and_time(self.time?))
    }
}

/// Reads the timestamp at the start of a line: `DATE[,] TIME[ AM] - ` (Android, also
/// `DATE TIME: ` of old iOS) or `[DATE, TIME]` (iOS). DATE is `D/M/YY` in either order,
/// with `/`, `.` or `-`, and a 2- or 4-digit year; TIME is `H.MM`, `H:MM`, with seconds
/// or not, 24-hour or 12-hour (`2:30 PM`, `2:30 pm`, `2:30 p.m.`).
fn head(line: &str) -> Option<Head> {
    let mut c = Cursor { s: line, pos: 0 };
    let bracket = c.eat('[');
    let first = c.digits(1, 2)?;
    let sep = c.take(|ch| matches!(ch, '/' | '.' | '-'))?;
    let second = c.digits(1, 2)?;
    c.take(|ch| ch == sep)?;
    let start = c.pos;
    let y = c.digits(2, 4)?;
    let long_year = c.pos - start == 4;
    let year = match c.pos - start {
        2 => 2000 + y as i32,
        4 => y as i32,
        _ => return None,
    };
    let comma = c.eat(',');
    if c.spaces() == 0 {
        return None;
    }
    let hour = c.digits(1, 2)?;
    let tsep = c.take(|ch| matches!(ch, ':' | '.'))?;
    let minute = c.digits(2, 2)?;
    let save = c.pos;
    let seconds = match (c.eat(tsep), c.digits(2, 2)) {
        (true, Some(s)) => Some(s),
        _ => {
            c.pos = save;
            None
        }
    };
    let save = c.pos;
    c.spaces();
    let pm = c.meridiem();
    if pm.is_none() {
        c.pos = save;
    }
    let hour = match pm {
        None => Some(hour),
        Some(pm) if (1..=12).contains(&hour) => Some(hour % 12 + if pm { 12 } else { 0 }),
        Some(_) => None,
    };
    let time = hour.and_then(|h| NaiveTime::from_hms_opt(h, minute, seconds.unwrap_or(0)));
    let mut dash = false;
    if bracket {
        c.take(|ch| ch == ']')?;
        c.spaces();
    } else if c.eat(':') {
        // Old iOS without brackets: `25/12/16 18:58:12: Budi: …`.
        if c.spaces() == 0 {
            return None;
        }
    } else {
        if c.spaces() == 0 {
            return None;
        }
        c.take(|ch| matches!(ch, '-' | '\u{2013}'))?;
        if c.spaces() == 0 && !c.at_end() {
            return None;
        }
        dash = true;
    }
    let shape = Shape {
        bracket,
        date_sep: sep,
        long_year,
        comma,
        time_sep: tsep,
        seconds: seconds.is_some(),
        meridiem: pm.is_some(),
        dash,
    };
    Some(Head {
        first,
        second,
        year,
        time,
        bracket,
        shape,
        body: c.pos,
    })
}

/// Decides the date order from every timestamp of the file: a first field above 12 is a
/// day (day/month), a second field above 12 is a day (month/day). When no field is above
/// 12, a chat runs forward in time, so an order under which the dates go backwards is
/// ruled out. Returns the order and whether it stays ambiguous (then day/month, the
/// Indonesian order). A file whose dates read the same either way (`05/05/24`) is not
/// ambiguous; one with evidence both ways is.
fn decide_order<'a>(heads: impl Iterator<Item = &'a Head> + Clone) -> (DateOrder, bool) {
    let (mut day_first, mut day_second, mut differs) = (0usize, 0usize, false);
    for h in heads.clone() {
        day_first += usize::from(h.first > 12);
        day_second += usize::from(h.second > 12);
        differs |= h.first != h.second;
    }
    match (day_first > 0, day_second > 0) {
        (true, false) => (DateOrder::DayMonth, false),
        (false, true) => (DateOrder::MonthDay, false),
        (true, true) if day_second > day_first => (DateOrder::MonthDay, true),
        (true, true) => (DateOrder::DayMonth, true),
        (false, false) if !differs => (DateOrder::DayMonth, false),
        (false, false) => {
            let forward = |order| {
                let mut dates = heads.clone().filter_map(|h| h.date(order));
                let mut last = dates.next();
                dates.all(|d| {
                    let ok = last.is_none_or(|l| l <= d);
                    last = Some(d);
                    ok
                })
            };
            match (forward(DateOrder::DayMonth), forward(DateOrder::MonthDay)) {
                (true, false) => (DateOrder::DayMonth, false),
                (false, true) => (DateOrder::MonthDay, false),
                _ => (DateOrder::DayMonth, true),
            }
        }
    }
}

/// A message being read: its first line and the continuation lines after it.
struct Draft {
    line: usize,
    at: NaiveDateTime,
    author: Option<String>,
    text: String,
    /// A mark stood right before the text: iOS writes U+200E before attachments,
    /// placeholders and system text, never before what a person typed.
    marked: bool,
    bracket: bool,
}

impl Draft {
    fn start(line: usize, at: NaiveDateTime, head: &Head, l: &Line) -> Draft {
        let body = l.text.get(head.body..).unwrap_or("");
        let (author, text_start) = match split_author(body) {
            Some((author, text_start)) => (Some(author.to_owned()), text_start),
            None => (None, 0),
        };
        let text_at = head.body + text_start;
        Draft {
            line,
            at,
            author,
            text: body.get(text_start..).unwrap_or("").to_owned(),
            marked: l.marks.contains(&text_at),
            bracket: head.bracket,
        }
    }

    fn finish(self) -> ChatMessage {
        let mut text = self.text.trim_end().to_owned();
        let edited = ["<pesan ini telah diedit>", "<this message was edited>"]
            .iter()
            .find_map(|s| strip_suffix_ignore_case(&text, s))
            .map(|rest| rest.trim_end().len());
        if let Some(len) = edited {
            text.truncate(len);
        }
        let (kind, attachment, text) = classify(&text);
        let kind = match kind {
            MessageKind::Text if self.author.is_none() || (self.bracket && self.marked) => {
                MessageKind::System
            }
            kind => kind,
        };
        ChatMessage {
            line: self.line,
            at: self.at,
            author: self.author,
            text,
            kind,
            attachment,
            edited: edited.is_some(),
        }
    }
}

/// `Budi Santoso: Halo` -> (`Budi Santoso`, offset of `Halo`). The author ends at the
/// first colon followed by a space or the end of the line, within [`MAX_AUTHOR_CHARS`].
fn split_author(body: &str) -> Option<(&str, usize)> {
    let mut chars = body.char_indices().take(MAX_AUTHOR_CHARS + 1).peekable();
    while let Some((i, ch)) = chars.next() {
        if ch != ':' {
            continue;
        }
        let author = &body[..i];
        if author.is_empty() || author.starts_with(char::is_whitespace) {
            return None;
        }
        return match chars.peek() {
            None if i + 1 == body.len() => Some((author, i + 1)),
            Some((j, ' ' | '\u{a0}')) => Some((author, j + 1)),
            _ => continue,
        };
    }
    None
}

const BANNERS: &[&str] = &[
    "pesan dan panggilan terenkripsi secara end-to-end",
    "messages and calls are end-to-end encrypted",
    // Older exports.
    "pesan yang dikirim ke chat ini dan panggilan kini diamankan dengan enkripsi end-to-end",
    "messages to this chat and calls are now secured with end-to-end encryption",
];

const DELETED: &[&str] = &[
    "pesan ini telah dihapus",
    "anda menghapus pesan ini",
    "this message was deleted",
    "you deleted this message",
];

const OMITTED: &[&str] = &[
    "<media tidak disertakan>",
    "<media omitted>",
    // iOS names the kind of media.
    "gambar tidak disertakan",
    "video tidak disertakan",
    "audio tidak disertakan",
    "stiker tidak disertakan",
    "gif tidak disertakan",
    "dokumen tidak disertakan",
    "kartu kontak tidak disertakan",
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "gif omitted",
    "document omitted",
    "contact card omitted",
];

/// Android: `IMG-20241202-WA0001.jpg (file terlampir)`, caption on the next lines.
const ATTACHED_SUFFIXES: &[&str] = &[" (file terlampir)", " (file attached)"];

/// iOS: `<lampiran: 00000012-PHOTO-2024-12-02-10-15-30.jpg>`, anywhere in the first line.
const ATTACHED_TAGS: &[&str] = &["<lampiran:", "<attached:"];

/// Sorts a message's text into a kind, its attachment's name, and the text that remains.
fn classify(text: &str) -> (MessageKind, Option<String>, String) {
    if BANNERS.iter().any(|b| starts_with_ignore_case(text, b)) {
        return (MessageKind::EncryptionBanner, None, text.to_owned());
    }
    let whole = text.trim();
    let bare = whole.strip_suffix('.').unwrap_or(whole);
    if DELETED.iter().any(|d| bare.eq_ignore_ascii_case(d)) {
        return (MessageKind::Deleted, None, String::new());
    }
    if OMITTED.iter().any(|o| whole.eq_ignore_ascii_case(o)) {
        return (MessageKind::MediaOmitted, None, String::new());
    }
    let (first, rest) = match text.split_once('\n') {
        Some((first, rest)) => (first, Some(rest)),
        None => (text, None),
    };
    let first = first.trim();
    let caption = |before: &str, after: &str| {
        let mut caption = format!("{} {}", before.trim(), after.trim());
        caption = caption.trim().to_owned();
        if let Some(rest) = rest {
            if !caption.is_empty() {
                caption.push('\n');
            }
            caption.push_str(rest.trim());
        }
        caption.trim().to_owned()
    };
    for suffix in ATTACHED_SUFFIXES {
        if let Some(name) = strip_suffix_ignore_case(first, suffix).map(str::trim) {
            if !name.is_empty() {
                return (
                    MessageKind::Attachment,
                    Some(name.to_owned()),
                    caption("", ""),
                );
            }
        }
    }
    for tag in ATTACHED_TAGS {
        let Some(open) = find_ignore_case(first, tag) else {
            continue;
        };
        let inside = &first[open + tag.len()..];
        let Some(close) = inside.find('>') else {
            continue;
        };
        let name = inside[..close].trim();
        if !name.is_empty() {
            let text = caption(&first[..open], &inside[close + 1..]);
            return (MessageKind::Attachment, Some(name.to_owned()), text);
        }
    }
    (MessageKind::Text, None, text.to_owned())
}

/// Same author or party: equal digits when both are written as numbers, else equal
/// names ignoring case and spacing.
fn same_party(a: &str, b: &str) -> bool {
    match (number_key(a), number_key(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => name_key(a) == name_key(b) && !name_key(a).is_empty(),
        _ => false,
    }
}

/// The digits of something written as a phone number (digits, `+`, spaces, dashes,
/// dots, parentheses; at least 6 digits), with a trunk `0` read as `62`.
fn number_key(s: &str) -> Option<String> {
    let s = s.trim();
    let shaped = s.chars().all(|c| {
        c.is_ascii_digit()
            || matches!(c, '+' | '-' | '.' | '(' | ')' | ' ' | '\u{a0}')
            || is_mark(c)
    });
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !shaped || digits.len() < 6 {
        return None;
    }
    Some(match digits.strip_prefix('0') {
        Some(national) => format!("62{national}"),
        None => digits,
    })
}

fn name_key(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.chars().filter(|c| !is_mark(*c)).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A byte cursor over one line; every step checks bounds, so no input can panic it.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..)?.chars().next()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn take(&mut self, want: impl Fn(char) -> bool) -> Option<char> {
        let c = self.peek().filter(|c| want(*c))?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, want: char) -> bool {
        self.take(|c| c == want).is_some()
    }

    /// Between `min` and `max` ASCII digits, not followed by another digit.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let rest = self.s.as_bytes().get(self.pos..)?;
        let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if n < min || n > max {
            return None;
        }
        let value = rest[..n]
            .iter()
            .fold(0u32, |v, b| v * 10 + u32::from(b - b'0'));
        self.pos += n;
        Some(value)
    }

    /// Spaces, including the no-break spaces some locales put before AM/PM.
    fn spaces(&mut self) -> usize {
        let mut n = 0;
        while self
            .take(|c| matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .is_some()
        {
            n += 1;
        }
        n
    }

    /// `AM`, `pm`, `a.m.`, `p. m.`: `Some(true)` for PM. Must not run into a word.
    fn meridiem(&mut self) -> Option<bool> {
        let start = self.pos;
        let found = (|| {
            let pm = matches!(
                self.take(|c| matches!(c, 'a' | 'A' | 'p' | 'P'))?,
                'p' | 'P'
            );
            self.eat('.');
            self.spaces();
            self.take(|c| matches!(c, 'm' | 'M'))?;
            self.eat('.');
            self.peek()
                .is_none_or(|c| !c.is_alphanumeric())
                .then_some(pm)
        })();
        if found.is_none() {
            self.pos = start;
        }
        found
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    strip_prefix_ignore_case(s, prefix).is_some()
}

/// ASCII-case-insensitive `strip_prefix` (patterns are ASCII).
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// ASCII-case-insensitive `strip_suffix` (patterns are ASCII).
fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

/// ASCII-case-insensitive `find` (patterns are ASCII).
fn find_ignore_case(s: &str, pattern: &str) -> Option<usize> {
    let (hay, pat) = (s.as_bytes(), pattern.as_bytes());
    if pat.is_empty() || hay.len() < pat.len() {
        return None;
    }
    (0..=hay.len() - pat.len()).find(|&i| hay[i..i + pat.len()].eq_ignore_ascii_case(pat))
}

/// `Budi (1)` -> `Budi`: the counter a browser adds to a second download.
fn strip_counter(s: &str) -> &str {
    let Some(open) = s.strip_suffix(')').and_then(|r| r.rfind(" (")) else {
        return s;
    };
    let inside = &s[open + 2..s.len() - 1];
    if !inside.is_empty() && inside.len() <= 3 && inside.bytes().all(|b| b.is_ascii_digit()) {
        s[..open].trim_end()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageKind::*;

    const ANDROID_ID_24H: &[u8] =
        include_bytes!("../../tests/fixtures/whatsapp/android-id-24h.txt");
    const ANDROID_EN_24H: &[u8] =
        include_bytes!("../../tests/fixtures/whatsapp/android-en-24h.txt");
    const ANDROID_EN_12H: &[u8] =
        include_bytes!("../../tests/fixtures/whatsapp/android-en-12h.txt");
    const IOS_ID: &[u8] = include_bytes!("../../tests/fixtures/whatsapp/ios-id.txt");
    const IOS_EN_12H: &[u8] = include_bytes!("../../tests/fixtures/whatsapp/ios-en-12h.txt");
    const AMBIGUOUS: &[u8] = include_bytes!("../../tests/fixtures/whatsapp/ambiguous.txt");
    const GARBAGE: &[u8] = include_bytes!("../../tests/fixtures/whatsapp/garbage.txt");

    /// One message as a row: time, author, kind, attachment, text, edited.
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        MessageKind,
        Option<&'a str>,
        &'a str,
        bool,
    );

    /// [`Row`] with the time formatted.
    type Got<'a> = (
        String,
        Option<&'a str>,
        MessageKind,
        Option<&'a str>,
        &'a str,
        bool,
    );

    fn rows(chat: &ChatExport) -> Vec<Got<'_>> {
        chat.messages
            .iter()
            .map(|m| {
                (
                    m.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    m.author.as_deref(),
                    m.kind,
                    m.attachment.as_deref(),
                    m.text.as_str(),
                    m.edited,
                )
            })
            .collect()
    }

    fn check(chat: &ChatExport, expected: &[Row]) {
        let got = rows(chat);
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            let (at, author, kind, attachment, text, edited) = *e;
            assert_eq!(
                (g.0.as_str(), g.1, g.2, g.3, g.4, g.5),
                (at, author, kind, attachment, text, edited),
                "message {i}"
            );
        }
        assert_eq!(got.len(), expected.len(), "number of messages");
    }

    fn own() -> Vec<String> {
        ["0823-0246-3093", "Puskesmas Kademangan", "admin puskesmas"]
            .map(String::from)
            .to_vec()
    }

    const SITI: Option<&str> = Some("+62 812-3456-7890");
    const PKM: Option<&str> = Some("Puskesmas Kademangan");

    #[test]
    fn android_indonesian_24_hour() {
        let chat = parse(ANDROID_ID_24H, "Chat WhatsApp dengan +62 812-3456-7890.txt");
        assert_eq!(chat.party.as_deref(), Some("+62 812-3456-7890"));
        assert_eq!(chat.date_order, DateOrder::DayMonth);
        assert!(!chat.date_order_ambiguous);
        assert_eq!(chat.unreadable_lines, 0);
        let banner = "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk WhatsApp, yang dapat membaca atau mendengarkannya. Ketuk untuk mempelajari selengkapnya.";
        check(
            &chat,
            &[
                ("2024-12-02 09:58:00", None, EncryptionBanner, None, banner, false),
                ("2024-12-02 09:58:00", SITI, Text, None, "Selamat pagi, saya mau menyampaikan keluhan.", false),
                (
                    "2024-12-02 10:01:00",
                    SITI,
                    Text,
                    None,
                    "Kemarin saya antre di loket pendaftaran dari jam 07.30\nsampai jam 11.00 belum dipanggil.\n\nPetugasnya juga tidak ramah.",
                    false,
                ),
                (
                    "2024-12-02 10:03:00",
                    PKM,
                    Text,
                    None,
                    "Selamat pagi Bapak/Ibu, terima kasih atas laporannya. Boleh kami tahu nama lengkapnya?",
                    false,
                ),
                ("2024-12-02 10:05:00", SITI, Text, None, "Nama saya Siti Aminah, Desa Kademangan RT 02", false),
                ("2024-12-02 10:06:00", SITI, Attachment, Some("IMG-20241202-WA0001.jpg"), "Ini foto antreannya", false),
                ("2024-12-02 10:06:00", SITI, MediaOmitted, None, "", false),
                ("2024-12-02 10:07:00", SITI, Deleted, None, "", false),
                ("2024-12-02 10:08:00", SITI, Attachment, Some("PTT-20241202-WA0003.opus"), "", false),
                (
                    "2024-12-02 10:10:00",
                    PKM,
                    Text,
                    None,
                    "Baik Bu, keluhan akan kami teruskan ke kepala puskesmas.",
                    true,
                ),
                ("2024-12-13 08:15:00", SITI, Text, None, "Terima kasih, sudah ada perbaikan.", false),
            ],
        );
        assert_eq!(chat.messages[2].line, 3);
        assert_eq!(chat.messages[3].line, 7);
    }

    #[test]
    fn android_english_24_hour() {
        let chat = parse(ANDROID_EN_24H, "WhatsApp Chat with Budi Santoso.txt");
        assert_eq!(chat.party.as_deref(), Some("Budi Santoso"));
        assert_eq!(
            (chat.date_order, chat.date_order_ambiguous),
            (DateOrder::DayMonth, false)
        );
        assert_eq!(chat.unreadable_lines, 0);
        let budi = Some("Budi Santoso");
        check(
            &chat,
            &[
                (
                    "2024-03-12 09:14:00",
                    None,
                    EncryptionBanner,
                    None,
                    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.",
                    false,
                ),
                ("2024-03-12 09:14:00", budi, Text, None, "Good morning, I want to complain about the pharmacy.", false),
                (
                    "2024-03-12 09:15:00",
                    budi,
                    Text,
                    None,
                    "The medicine for my mother was out of stock\nand nobody told us where else to get it.",
                    false,
                ),
                ("2024-03-12 09:20:00", PKM, Text, None, "Thank you, Sir. Which day was it?", false),
                ("2024-03-12 09:21:00", budi, MediaOmitted, None, "", false),
                ("2024-03-12 09:22:00", budi, Attachment, Some("Resep dokter.pdf"), "", false),
                ("2024-03-12 09:23:00", budi, Deleted, None, "", false),
                (
                    "2024-03-12 09:24:00",
                    None,
                    System,
                    None,
                    "Budi Santoso changed their phone number to a new number. Tap to message or add the new number.",
                    false,
                ),
                ("2024-03-15 16:40:00", budi, Text, None, "It was Monday 11/03, around 10:00.", true),
            ],
        );
    }

    #[test]
    fn android_english_12_hour_month_day() {
        let chat = parse(ANDROID_EN_12H, "WhatsApp Chat with Rina Wati.txt");
        assert_eq!(chat.party.as_deref(), Some("Rina Wati"));
        // 12/14/24: a second field above 12.
        assert_eq!(
            (chat.date_order, chat.date_order_ambiguous),
            (DateOrder::MonthDay, false)
        );
        assert_eq!(chat.unreadable_lines, 0);
        let rina = Some("Rina Wati");
        check(
            &chat,
            &[
                (
                    "2024-12-01 08:05:00",
                    None,
                    EncryptionBanner,
                    None,
                    "Messages and calls are end-to-end encrypted. Only people in this chat can read, listen to, or share them. Learn more.",
                    false,
                ),
                (
                    "2024-12-01 08:05:00",
                    rina,
                    Text,
                    None,
                    "Hello, I was charged for a service that should be free with BPJS.",
                    false,
                ),
                ("2024-12-01 08:07:00", rina, Text, None, "The cashier said\n\"no card, no service\"", false),
                (
                    "2024-12-01 12:30:00",
                    PKM,
                    Text,
                    None,
                    "Good afternoon, Ma'am. We will check with the cashier.",
                    false,
                ),
                ("2024-12-14 14:30:00", rina, Text, None, "Any news?", false),
                ("2024-12-14 23:59:00", rina, MediaOmitted, None, "", false),
                ("2025-01-02 00:01:00", rina, Text, None, "Still waiting for an answer.", false),
            ],
        );
    }

    #[test]
    fn ios_indonesian_brackets_seconds_and_marks() {
        let chat = parse(IOS_ID, "Chat WhatsApp - Ibu Rahma.zip");
        assert_eq!(chat.party.as_deref(), Some("Ibu Rahma"));
        assert_eq!(
            (chat.date_order, chat.date_order_ambiguous),
            (DateOrder::DayMonth, false)
        );
        assert_eq!(chat.unreadable_lines, 0);
        let rahma = Some("Ibu Rahma");
        check(
            &chat,
            &[
                (
                    "2024-08-20 14:29:58",
                    rahma,
                    EncryptionBanner,
                    None,
                    "Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk WhatsApp, yang dapat membaca atau mendengarkannya.",
                    false,
                ),
                ("2024-08-20 14:30:15", rahma, Text, None, "Assalamualaikum, saya mau lapor.", false),
                (
                    "2024-08-20 14:30:41",
                    rahma,
                    Text,
                    None,
                    "Anak saya imunisasi di posyandu tanggal 19/08/24\ntapi buku KIA-nya tidak diisi.\nMohon dibantu.",
                    false,
                ),
                (
                    "2024-08-20 14:31:02",
                    rahma,
                    Attachment,
                    Some("00000012-PHOTO-2024-08-20-14-31-02.jpg"),
                    "",
                    false,
                ),
                ("2024-08-20 14:31:40", rahma, MediaOmitted, None, "", false),
                ("2024-08-20 14:32:00", rahma, Deleted, None, "", false),
                (
                    "2024-08-20 14:40:09",
                    PKM,
                    Text,
                    None,
                    "Waalaikumsalam Bu, mohon maaf atas ketidaknyamanannya. Kami cek ke bidan desa.",
                    false,
                ),
                (
                    "2024-08-21 08:00:00",
                    rahma,
                    System,
                    None,
                    "Kode keamanan Anda dengan Ibu Rahma telah berubah. Ketuk untuk info selengkapnya.",
                    false,
                ),
                (
                    "2024-08-21 09:12:44",
                    rahma,
                    Attachment,
                    Some("00000015-Surat rujukan.pdf"),
                    "Surat rujukan.pdf • 2 halaman",
                    false,
                ),
                (
                    "2024-08-21 09:13:05",
                    rahma,
                    Attachment,
                    Some("00000016-AUDIO-2024-08-21-09-13-05.opus"),
                    "",
                    false,
                ),
            ],
        );
        assert!(chat.messages.iter().all(|m| !m.text.contains('\u{200e}')));
    }

    #[test]
    fn ios_english_12_hour_month_day() {
        let chat = parse(IOS_EN_12H, "WhatsApp Chat - +62 813-1111-2222.zip");
        assert_eq!(chat.party.as_deref(), Some("+62 813-1111-2222"));
        assert_eq!(
            (chat.date_order, chat.date_order_ambiguous),
            (DateOrder::MonthDay, false)
        );
        let n = Some("+62 813-1111-2222");
        check(
            &chat,
            &[
                (
                    "2024-03-14 14:29:58",
                    n,
                    EncryptionBanner,
                    None,
                    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.",
                    false,
                ),
                (
                    "2024-03-14 14:30:15",
                    n,
                    Text,
                    None,
                    "Good afternoon. The ambulance did not come when we called last night.",
                    false,
                ),
                (
                    "2024-03-14 14:31:00",
                    n,
                    Attachment,
                    Some("00000003-PHOTO-2024-03-14-14-31-00.jpg"),
                    "",
                    false,
                ),
                ("2024-03-14 14:31:20", n, MediaOmitted, None, "", false),
                ("2024-03-14 14:31:45", n, Deleted, None, "", false),
                (
                    "2024-03-14 15:02:10",
                    Some("Admin Puskesmas"),
                    Text,
                    None,
                    "We are sorry. Which address, please?",
                    false,
                ),
                ("2024-03-15 09:00:00", n, Text, None, "Jl. Mawar 12, Kademangan", false),
            ],
        );
        let who = complainant(&chat, &own()).expect("complainant");
        assert_eq!(who.author, "+62 813-1111-2222");
        assert_eq!(
            who.phone.as_ref().map(PhoneNumber::as_str),
            Some("+6281311112222")
        );
    }

    #[test]
    fn ambiguous_file_is_flagged_day_month() {
        let chat = parse(AMBIGUOUS, "Chat WhatsApp dengan Joko.txt");
        assert_eq!(
            (chat.date_order, chat.date_order_ambiguous),
            (DateOrder::DayMonth, true)
        );
        assert_eq!(chat.messages.len(), 4);
        assert_eq!(chat.messages[3].at.to_string(), "2024-03-07 10:00:00");
        assert_eq!(chat.unreadable_lines, 0);
    }

    #[test]
    fn date_order_decision() {
        // (timestamps of the file, order, ambiguous)
        let cases: &[(&[&str], DateOrder, bool)] = &[
            (&["13/01/24 10.00"], DateOrder::DayMonth, false),
            (&["01/13/24 10.00"], DateOrder::MonthDay, false),
            // Neither field above 12: the Indonesian order, flagged.
            (&["01/02/24 10.00"], DateOrder::DayMonth, true),
            (
                &["05/03/24 10.00", "06/03/24 10.00"],
                DateOrder::DayMonth,
                true,
            ),
            // The same either way: nothing to flag.
            (
                &["05/05/24 10.00", "07/07/24 10.00"],
                DateOrder::DayMonth,
                false,
            ),
            // Only one order runs forward in time: 12 Mar -> 1 Apr, not 3 Dec -> 4 Jan.
            (
                &["12/03/24 10.00", "01/04/24 10.00"],
                DateOrder::DayMonth,
                false,
            ),
            // As day/month 3 Dec -> 4 Jan runs backwards; as month/day 12 Mar -> 1 Apr.
            (
                &["03/12/24 10.00", "04/01/24 10.00"],
                DateOrder::MonthDay,
                false,
            ),
            // Evidence both ways: the larger side wins, flagged.
            (
                &["13/01/24 10.00", "14/01/24 10.00", "01/13/24 10.00"],
                DateOrder::DayMonth,
                true,
            ),
            (
                &["13/01/24 10.00", "01/13/24 10.00", "01/14/24 10.00"],
                DateOrder::MonthDay,
                true,
            ),
            (
                &["13/01/24 10.00", "01/13/24 10.00"],
                DateOrder::DayMonth,
                true,
            ),
            // Four-digit years and other separators count the same way.
            (&["1.20.2024 10:00"], DateOrder::MonthDay, false),
            (&["20-1-2024 10:00"], DateOrder::DayMonth, false),
        ];
        for (stamps, order, ambiguous) in cases {
            let text: String = stamps
                .iter()
                .map(|s| format!("{s} - Joko: halo\n"))
                .collect();
            let chat = parse(text.as_bytes(), "");
            assert_eq!(
                (chat.date_order, chat.date_order_ambiguous),
                (*order, *ambiguous),
                "{stamps:?}"
            );
        }
        // Lines impossible under the chosen order are unreadable and stay in the text
        // before them.
        let chat = parse(
            b"13/01/24 10.00 - Joko: a\n14/01/24 10.00 - Joko: b\n01/13/24 10.00 - Joko: c\n",
            "",
        );
        assert_eq!(chat.unreadable_lines, 1);
        assert_eq!(chat.messages[1].text, "b\n01/13/24 10.00 - Joko: c");
    }

    #[test]
    fn single_lines() {
        // (line, time, author, text, kind)
        let cases: &[(&str, &str, Option<&str>, &str, MessageKind)] = &[
            (
                "20/08/24 14.30 - +62 812-3456-7890: Halo",
                "2024-08-20 14:30:00",
                SITI,
                "Halo",
                Text,
            ),
            (
                "12/03/2024, 09.14 - Budi Santoso: Pagi",
                "2024-03-12 09:14:00",
                Some("Budi Santoso"),
                "Pagi",
                Text,
            ),
            (
                "13/03/2024, 9:05 - Budi: x",
                "2024-03-13 09:05:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "[20/08/24, 14.30.15] Kurir: Paket",
                "2024-08-20 14:30:15",
                Some("Kurir"),
                "Paket",
                Text,
            ),
            (
                "\u{200e}[20/08/24, 14.30.15] Kurir: Paket",
                "2024-08-20 14:30:15",
                Some("Kurir"),
                "Paket",
                Text,
            ),
            (
                "[20/08/24 14:30:15] Kurir: Paket",
                "2024-08-20 14:30:15",
                Some("Kurir"),
                "Paket",
                Text,
            ),
            (
                "20/08/24, 2:30 PM - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20/08/24, 2:30 pm - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20/08/24, 2:30\u{202f}PM - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20/08/24, 2:30 p.m. - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20/08/24, 12:15 AM - Budi: x",
                "2024-08-20 00:15:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20/08/24, 12:15 PM - Budi: x",
                "2024-08-20 12:15:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "[20/08/24, 2:30:15\u{202f}AM] Budi: x",
                "2024-08-20 02:30:15",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20.08.24, 14:30 - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "20-08-2024 14:30 - Budi: x",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "x",
                Text,
            ),
            (
                "25/12/16 18:58:12: Budi: x",
                "2016-12-25 18:58:12",
                Some("Budi"),
                "x",
                Text,
            ),
            // A colon later in the text, a time in the text, an author ending the line.
            (
                "20/08/24 14.30 - Budi: jam: 10:00",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "jam: 10:00",
                Text,
            ),
            (
                "20/08/24 14.30 - Budi:",
                "2024-08-20 14:30:00",
                Some("Budi"),
                "",
                Text,
            ),
            (
                "20/08/24 14.30 - Budi Amir",
                "2024-08-20 14:30:00",
                None,
                "Budi Amir",
                System,
            ),
            // Android wraps unsaved numbers in embedding marks.
            (
                "20/08/24 14.30 - \u{202a}+62 812-3456-7890\u{202c}: Halo",
                "2024-08-20 14:30:00",
                SITI,
                "Halo",
                Text,
            ),
            (
                "20/08/24 14.30 - Anda memblokir kontak ini.",
                "2024-08-20 14:30:00",
                None,
                "Anda memblokir kontak ini.",
                System,
            ),
        ];
        for (line, at, author, text, kind) in cases {
            let chat = parse(line.as_bytes(), "");
            assert_eq!(chat.unreadable_lines, 0, "{line:?}");
            assert_eq!(chat.messages.len(), 1, "{line:?}");
            let m = &chat.messages[0];
            assert_eq!(
                (
                    m.at.to_string().as_str(),
                    m.author.as_deref(),
                    m.text.as_str(),
                    m.kind
                ),
                (*at, *author, *text, *kind),
                "{line:?}"
            );
        }
    }

    #[test]
    fn lines_that_start_no_message() {
        // Each follows a valid first message in the same shape; (line, unreadable).
        let cases: &[(&str, usize)] = &[
            ("20/08/24 25.30 - Budi: jam tidak ada", 1),
            ("20/08/24 14.60 - Budi: x", 1),
            ("20/08/24, 13:30 PM - Budi: x", 1),
            ("20/08/24, 0:30 AM - Budi: x", 1),
            ("[20/08/24, 14.30.61] Budi: x", 1),
            ("31/02/24 10.00 - Budi: tanggal tidak ada", 1),
            ("00/08/24 10.00 - Budi: x", 1),
            // Not shaped like a timestamp: a plain continuation.
            ("20/08/24", 0),
            ("20/08/24 14.30", 0),
            ("20/08/24 14.30 Budi: x", 0),
            ("20/08/2024x 14.30 - Budi: x", 0),
            ("120/08/24 14.30 - Budi: x", 0),
            ("20/08/245 14.30 - Budi: x", 0),
            ("20/08/24 14.3 - Budi: x", 0),
            ("20/08/24 14.30.1 - Budi: x", 0),
            ("[20/08/24, 14.30.15 Budi: x", 0),
            ("20/08-24 14.30 - Budi: x", 0),
            ("tanggal 20/08/24 14.30 - datang", 0),
            // Another shape than the file's (a 4-digit year): text a person typed.
            ("20/08/2024 14.30 - datang ke loket", 0),
        ];
        for (line, unreadable) in cases {
            let first = if line.contains('M') {
                "20/08/24, 1:00 PM - Budi: awal"
            } else if line.starts_with('[') {
                "[20/08/24, 14.00.00] Budi: awal"
            } else {
                "20/08/24 14.00 - Budi: awal"
            };
            let text = format!("{first}\n{line}\n");
            let chat = parse(text.as_bytes(), "");
            assert_eq!(chat.unreadable_lines, *unreadable, "{line:?}");
            assert_eq!(chat.messages.len(), 1, "{line:?}");
            assert_eq!(chat.messages[0].text, format!("awal\n{line}"), "{line:?}");
        }
    }

    #[test]
    fn placeholders() {
        // (text after "Budi: ", kind, attachment, remaining text, edited)
        let cases: &[(&str, MessageKind, Option<&str>, &str, bool)] = &[
            ("<Media tidak disertakan>", MediaOmitted, None, "", false),
            ("<Media omitted>", MediaOmitted, None, "", false),
            ("<media omitted>", MediaOmitted, None, "", false),
            (
                "\u{200e}gambar tidak disertakan",
                MediaOmitted,
                None,
                "",
                false,
            ),
            (
                "\u{200e}stiker tidak disertakan",
                MediaOmitted,
                None,
                "",
                false,
            ),
            ("\u{200e}image omitted", MediaOmitted, None, "", false),
            ("\u{200e}audio omitted", MediaOmitted, None, "", false),
            ("Pesan ini telah dihapus", Deleted, None, "", false),
            ("Anda menghapus pesan ini", Deleted, None, "", false),
            ("This message was deleted", Deleted, None, "", false),
            ("You deleted this message", Deleted, None, "", false),
            (
                "\u{200e}This message was deleted.",
                Deleted,
                None,
                "",
                false,
            ),
            (
                "IMG-20241202-WA0001.jpg (file terlampir)",
                Attachment,
                Some("IMG-20241202-WA0001.jpg"),
                "",
                false,
            ),
            (
                "IMG-20241202-WA0001.jpg (file attached)",
                Attachment,
                Some("IMG-20241202-WA0001.jpg"),
                "",
                false,
            ),
            (
                "VID-20241202-WA0002.mp4 (file terlampir)\nantrean panjang\nsekali",
                Attachment,
                Some("VID-20241202-WA0002.mp4"),
                "antrean panjang\nsekali",
                false,
            ),
            (
                "\u{200e}<lampiran: 00000012-PHOTO-2024-12-02-10-15-30.jpg>",
                Attachment,
                Some("00000012-PHOTO-2024-12-02-10-15-30.jpg"),
                "",
                false,
            ),
            (
                "\u{200e}<attached: 00000012-PHOTO-2024-12-02-10-15-30.jpg>",
                Attachment,
                Some("00000012-PHOTO-2024-12-02-10-15-30.jpg"),
                "",
                false,
            ),
            (
                "Hasil lab.pdf \u{200e}• 1 halaman \u{200e}<lampiran: 00000020-Hasil lab.pdf>",
                Attachment,
                Some("00000020-Hasil lab.pdf"),
                "Hasil lab.pdf • 1 halaman",
                false,
            ),
            ("halo <Pesan ini telah diedit>", Text, None, "halo", true),
            (
                "halo\u{200e}<This message was edited>",
                Text,
                None,
                "halo",
                true,
            ),
            // What a person writes stays text.
            (
                "obatnya tidak disertakan",
                Text,
                None,
                "obatnya tidak disertakan",
                false,
            ),
            (
                "pesan ini telah dihapus oleh petugas",
                Text,
                None,
                "pesan ini telah dihapus oleh petugas",
                false,
            ),
            ("(file terlampir)", Text, None, "(file terlampir)", false),
            ("<lampiran: >", Text, None, "<lampiran: >", false),
            (
                "<attached: foto.jpg",
                Text,
                None,
                "<attached: foto.jpg",
                false,
            ),
        ];
        for (text, kind, attachment, rest, edited) in cases {
            let line = format!("20/08/24 14.30 - Budi: {text}");
            let chat = parse(line.as_bytes(), "");
            assert_eq!(chat.messages.len(), 1, "{text:?}");
            let m = &chat.messages[0];
            assert_eq!(
                (m.kind, m.attachment.as_deref(), m.text.as_str(), m.edited),
                (*kind, *attachment, *rest, *edited),
                "{text:?}"
            );
            assert_eq!(m.author.as_deref(), Some("Budi"));
            assert_eq!(m.kind.is_placeholder(), !matches!(kind, Text), "{text:?}");
        }
    }

    #[test]
    fn encryption_banner_is_a_system_line() {
        for line in [
            "20/08/24 14.30 - Pesan dan panggilan terenkripsi secara end-to-end. Ketuk untuk info.",
            "20/08/24, 14:30 - Messages and calls are end-to-end encrypted. Tap to learn more.",
            "20/08/24 14.30 - Pesan yang dikirim ke chat ini dan panggilan kini diamankan dengan enkripsi end-to-end. Ketuk untuk info.",
            "20/08/24, 14:30 - Messages to this chat and calls are now secured with end-to-end encryption. Tap for more info.",
            "[20/08/24, 14.30.00] Budi: \u{200e}Messages and calls are end-to-end encrypted.",
        ] {
            let chat = parse(line.as_bytes(), "");
            let m = &chat.messages[0];
            assert_eq!(m.kind, EncryptionBanner, "{line:?}");
            assert!(m.kind.is_system() && !m.kind.is_placeholder());
        }
    }

    #[test]
    fn file_name_party() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Chat WhatsApp dengan Budi Santoso.txt",
                Some("Budi Santoso"),
            ),
            ("WhatsApp Chat with Budi Santoso.txt", Some("Budi Santoso")),
            (
                "WhatsApp Chat with +62 812-3456-7890.txt",
                Some("+62 812-3456-7890"),
            ),
            ("WhatsApp Chat - Ibu Rahma.zip", Some("Ibu Rahma")),
            ("Chat WhatsApp - Ibu Rahma.zip", Some("Ibu Rahma")),
            ("chat whatsapp dengan budi.TXT", Some("budi")),
            ("Chat WhatsApp dengan Budi (1).txt", Some("Budi")),
            ("Chat WhatsApp dengan Budi (Kader)", Some("Budi (Kader)")),
            ("/tmp/x/WhatsApp Chat with Budi.txt", Some("Budi")),
            ("C:\\Unduhan\\Chat WhatsApp dengan Budi.txt", Some("Budi")),
            (
                "Chat WhatsApp dengan \u{202a}+62 812-3456-7890\u{202c}.txt",
                Some("+62 812-3456-7890"),
            ),
            ("_chat.txt", None),
            ("Chat WhatsApp dengan .txt", None),
            ("WhatsApp Chat with", None),
            ("laporan.txt", None),
            ("", None),
            ("WhatsApp Chat withBudi.txt", None),
        ];
        for (name, party) in cases {
            assert_eq!(party_from_file_name(name).as_deref(), *party, "{name:?}");
        }
    }

    #[test]
    fn own_numbers_and_names() {
        let own = own();
        for (author, expected) in [
            ("+62 823-0246-3093", true),
            ("\u{202a}+62 823-0246-3093\u{202c}", true),
            ("082302463093", true),
            ("6282302463093", true),
            ("Puskesmas Kademangan", true),
            ("puskesmas  kademangan ", true),
            ("Admin Puskesmas", true),
            ("+62 823-0246-3094", false),
            ("Puskesmas", false),
            ("Budi", false),
            ("", false),
        ] {
            assert_eq!(is_own(author, &own), expected, "{author:?}");
        }
        assert!(!is_own("Budi", &[]));
        assert!(!is_own("", &[String::new()]));
    }

    #[test]
    fn complainant_choice() {
        let line = |author: &str| format!("20/08/24 14.30 - {author}: halo\n");
        // (authors in the lines, file name, expected author, expected phone)
        type Case<'a> = (&'a [&'a str], &'a str, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (
                &["+62 812-3456-7890", "Puskesmas Kademangan"],
                "",
                SITI,
                Some("+6281234567890"),
            ),
            (&["Puskesmas Kademangan", "Budi"], "", Some("Budi"), None),
            (
                &["+62 823-0246-3093", "0813 1111 2222"],
                "",
                Some("0813 1111 2222"),
                Some("+6281311112222"),
            ),
            // A staff phone the config does not know: the file name's party decides.
            (
                &["Budi", "Bidan Desa"],
                "Chat WhatsApp dengan Budi.txt",
                Some("Budi"),
                None,
            ),
            (
                &["budi", "Bidan Desa"],
                "Chat WhatsApp dengan Budi.txt",
                Some("budi"),
                None,
            ),
            (&["Budi", "Bidan Desa"], "", None, None),
            // Only the centre wrote: the party of the file name.
            (
                &["Puskesmas Kademangan"],
                "WhatsApp Chat with +62 812-3456-7890.txt",
                SITI,
                Some("+6281234567890"),
            ),
            (&["Puskesmas Kademangan"], "", None, None),
            (&[], "", None, None),
            // The file name names the centre (exported from a staff phone): ignored.
            (
                &["Budi"],
                "Chat WhatsApp dengan Puskesmas Kademangan.txt",
                Some("Budi"),
                None,
            ),
            // A foreign number: the author, no Indonesian phone.
            (&["+1 555 0100 200"], "", Some("+1 555 0100 200"), None),
        ];
        for (authors, file, author, phone) in cases {
            let text: String = authors.iter().map(|a| line(a)).collect();
            let chat = parse(text.as_bytes(), file);
            let who = complainant(&chat, &own());
            assert_eq!(
                who.as_ref().map(|w| w.author.as_str()),
                *author,
                "{authors:?} {file:?}"
            );
            assert_eq!(
                who.as_ref()
                    .and_then(|w| w.phone.as_ref())
                    .map(PhoneNumber::as_str),
                *phone,
                "{authors:?} {file:?}"
            );
        }
        // System lines do not make an author.
        let chat = parse(IOS_ID, "");
        assert_eq!(
            complainant(&chat, &own()).map(|w| w.author),
            Some("Ibu Rahma".into())
        );
        let chat = parse(ANDROID_ID_24H, "Chat WhatsApp dengan +62 812-3456-7890.txt");
        let who = complainant(&chat, &own()).expect("complainant");
        assert_eq!(
            who.phone.map(|p| p.as_str().to_owned()).as_deref(),
            Some("+6281234567890")
        );
    }

    #[test]
    fn crlf_and_lone_cr_read_like_lf() {
        for fixture in [
            ANDROID_ID_24H,
            ANDROID_EN_24H,
            ANDROID_EN_12H,
            IOS_ID,
            IOS_EN_12H,
            AMBIGUOUS,
        ] {
            let lf = String::from_utf8_lossy(fixture);
            let crlf = lf.replace('\n', "\r\n");
            let cr = lf.replace('\n', "\r");
            assert_eq!(parse(crlf.as_bytes(), "x"), parse(fixture, "x"));
            assert_eq!(parse(cr.as_bytes(), "x"), parse(fixture, "x"));
        }
    }

    #[test]
    fn bom_marks_and_invalid_utf8() {
        let mut bytes = "\u{feff}20/08/24 14.30 - Budi: Halo\u{200f} "
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"\xff\xfe caf\xe9\n");
        let chat = parse(&bytes, "");
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.messages[0].text, "Halo \u{fffd}\u{fffd} caf\u{fffd}");
        assert_eq!(chat.unreadable_lines, 0);
        // Latin-1 export: the timestamps are ASCII and still read.
        let chat = parse(b"20/08/24 14.30 - Jos\xe9: pelayanan \xe0 loket\n", "");
        assert_eq!(chat.messages[0].author.as_deref(), Some("Jos\u{fffd}"));
    }

    #[test]
    fn garbage_and_empty_input() {
        let chat = parse(GARBAGE, "laporan.txt");
        assert!(chat.messages.is_empty());
        assert_eq!(chat.unreadable_lines, 5);
        assert_eq!(chat.party, None);
        for input in [
            &b""[..],
            b"\n\n\r\n",
            b"\xef\xbb\xbf",
            b"\x00\x01\x02",
            b"[",
            b"20/08/24",
        ] {
            let chat = parse(input, "");
            assert!(chat.messages.is_empty(), "{input:?}");
            assert!(!chat.date_order_ambiguous);
            assert_eq!(complainant(&chat, &own()), None);
        }
        assert_eq!(parse(b"\x00\x01\x02", "").unreadable_lines, 1);
        assert_eq!(parse(b"", "").unreadable_lines, 0);
        // Lines before the first message are counted, the rest is read.
        let chat = parse(b"kepada petugas\n\n20/08/24 14.30 - Budi: Halo\n", "");
        assert_eq!((chat.unreadable_lines, chat.messages.len()), (1, 1));
    }

    #[test]
    fn very_long_line() {
        let long = "antre ".repeat(200_000);
        let text = format!("20/08/24 14.30 - Budi: {long}\n{long}:{long}\n");
        let chat = parse(text.as_bytes(), "");
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.messages[0].text.len(), long.len() * 3 + 1);
        let no_author = format!("20/08/24 14.30 - {long}: x");
        let chat = parse(no_author.as_bytes(), "");
        assert_eq!(chat.messages[0].author, None);
        let digits = "1".repeat(100_000);
        let chat = parse(format!("{digits}/{digits}\n[{digits}").as_bytes(), "");
        assert_eq!((chat.messages.len(), chat.unreadable_lines), (0, 2));
    }

    #[test]
    fn serializes_to_plain_json() {
        let chat = parse(
            b"20/08/24 14.30 - Budi: IMG-1.jpg (file terlampir)\n",
            "WhatsApp Chat with Budi.txt",
        );
        let json = serde_json::to_value(&chat).expect("json");
        assert_eq!(json["party"], "Budi");
        assert_eq!(json["date_order"], "day_month");
        assert_eq!(json["messages"][0]["kind"], "attachment");
        assert_eq!(json["messages"][0]["attachment"], "IMG-1.jpg");
        assert_eq!(json["messages"][0]["at"], "2024-08-20T14:30:00");
    }
}
