//! Boundary: raw RFC 5322 bytes -> [`InboundMessage`], with mail-parser.
//!
//! Never fails: whatever cannot be read becomes a `problem` on the message, which is then
//! stored raw and flagged for a person (DESIGN invariants 1 and 7).

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use serde::Serialize;

use crate::domain::EmailAddress;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sender {
    /// Display name with control characters removed (a CR/LF in a name would otherwise
    /// reach our outgoing headers; lettre even panics on it).
    pub name: Option<String>,
    pub email: EmailAddress,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// File name as a person should see it: path parts, control and bidi characters removed.
    pub name: String,
    pub content_type: String,
    pub size: usize,
    /// What a markup or script attachment holds (only those are read; see
    /// `workflow::suspect::active_attachment`).
    #[serde(skip)]
    pub markup: Option<MarkupSigns>,
}

/// Signs of a login page inside an HTML/SVG/script attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkupSigns {
    pub form: bool,
    pub script: bool,
    pub password: bool,
}

/// A link of the HTML body: its visible text and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub text: String,
    pub href: String,
}

#[derive(Debug, Clone, Default)]
pub struct InboundMessage {
    /// Without angle brackets. Synthetic (from a hash of the bytes) when the mail has none.
    pub message_id: String,
    pub synthetic_id: bool,
    pub from: Option<Sender>,
    pub reply_to: Option<Sender>,
    /// `Some("")` for a null return path `<>` (bounces, RFC 3834 section 2).
    pub return_path: Option<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub has_list_id: bool,
    pub has_x_autoreply: bool,
    pub has_x_auto_response_suppress: bool,
    /// e.g. `multipart/report` for delivery status notifications (RFC 3464).
    pub content_type: String,
    /// Every `Authentication-Results` header value, in message order (topmost first).
    pub auth_results: Vec<String>,
    /// Links of the HTML body (at most [`MAX_LINKS`]).
    pub links: Vec<Link>,
    /// Anything a person should look at: unparseable headers, size limit, no sender.
    pub problems: Vec<String>,
}

impl InboundMessage {
    /// Where the message asks replies to go (RFC 5322 section 3.6.2): Reply-To when
    /// present, else From. Automatic mail does not follow it blindly: see
    /// `workflow::classify::contact`.
    pub fn reply_address(&self) -> Option<&Sender> {
        self.reply_to.as_ref().or(self.from.as_ref())
    }
}

/// Parses `raw`. Messages larger than `max_parse_bytes` get their headers parsed only.
pub fn parse(raw: &[u8], max_parse_bytes: usize) -> InboundMessage {
    let mut too_large = raw.len() > max_parse_bytes;
    let mut msg = InboundMessage::default();
    if too_large {
        msg.problems.push(format!(
            "surel {} bait, di atas batas baca {} bait (parse limit): disimpan utuh, isinya tidak dibaca",
            raw.len(),
            max_parse_bytes
        ));
    }
    let mut parsed = if too_large {
        guarded(|| MessageParser::default().parse_headers(raw))
    } else {
        guarded(|| MessageParser::default().parse(raw))
    };
    if let Err(why) = &parsed {
        msg.problems.push(format!(
            "pembaca surel gagal pada pesan ini (mail parser failed: {why}): hanya kepala surel yang dibaca, disimpan utuh"
        ));
        if !too_large {
            too_large = true;
            parsed = guarded(|| MessageParser::default().parse_headers(raw));
        }
    }
    let parsed = parsed.ok().flatten();
    let Some(m) = parsed else {
        msg.problems
            .push("tidak ada kepala surel (header): disimpan utuh untuk dibaca petugas".into());
        msg.message_id = synthetic_message_id(raw);
        msg.synthetic_id = true;
        return msg;
    };

    match m.message_id().map(clean_id).filter(|id| !id.is_empty()) {
        Some(id) => msg.message_id = id,
        None => {
            msg.message_id = synthetic_message_id(raw);
            msg.synthetic_id = true;
        }
    }
    msg.from = first_sender(m.from(), "From", &mut msg.problems);
    msg.reply_to = first_sender(m.reply_to(), "Reply-To", &mut msg.problems);
    if msg.from.is_none() && !msg.problems.iter().any(|p| p.starts_with("alamat From")) {
        msg.problems.push("tanpa alamat pengirim (From)".into());
    }
    msg.return_path = m
        .header_raw("Return-Path")
        .map(|v| clean_id(v.trim()).trim().to_string());
    msg.subject = m.subject().map(strip_controls).unwrap_or_default();
    msg.date = m
        .date()
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    msg.in_reply_to = id_list(m.in_reply_to());
    msg.references = id_list(m.references());
    msg.auto_submitted = m
        .header_raw("Auto-Submitted")
        .map(|v| v.trim().to_ascii_lowercase());
    msg.precedence = m
        .header_raw("Precedence")
        .map(|v| v.trim().to_ascii_lowercase());
    msg.has_list_id = m.header_raw("List-Id").is_some();
    msg.has_x_autoreply =
        m.header_raw("X-Autoreply").is_some() || m.header_raw("X-Autorespond").is_some();
    msg.has_x_auto_response_suppress = m.header_raw("X-Auto-Response-Suppress").is_some();
    msg.auth_results = m
        .headers_raw()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
        .take(MAX_AUTH_RESULTS)
        .map(|(_, v)| strip_controls(v).trim().to_string())
        .collect();
    msg.content_type = m
        .root_part()
        .content_type()
        .map(|ct| match &ct.c_subtype {
            Some(sub) => format!("{}/{}", ct.c_type, sub).to_ascii_lowercase(),
            None => ct.c_type.to_ascii_lowercase(),
        })
        .unwrap_or_else(|| "text/plain".into());

    if !too_large {
        let parts = m.parts.len();
        if parts > MAX_PARTS {
            msg.problems.push(format!(
                "surel terdiri atas {parts} bagian (MIME parts), lebih dari {MAX_PARTS}: disimpan utuh untuk diperiksa petugas"
            ));
        }
        let mut problems = Vec::new();
        let body = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (body_text(&m, &mut problems), attachments(&m), links(&m))
        }));
        msg.problems.append(&mut problems);
        match body {
            Ok((text, (listed, total), links)) => {
                msg.text = text;
                msg.attachments = listed;
                msg.links = links;
                if total > MAX_LISTED_ATTACHMENTS {
                    msg.problems.push(format!(
                        "{total} lampiran: hanya {MAX_LISTED_ATTACHMENTS} yang pertama didaftar; disimpan utuh"
                    ));
                }
            }
            Err(_) => msg
                .problems
                .push("isi surel tidak dapat dibaca (mail parser failed): disimpan utuh".into()),
        }
    }
    msg
}

/// The first [`MAX_LISTED_ATTACHMENTS`] attachments, and how many there are.
fn attachments(m: &mail_parser::Message<'_>) -> (Vec<Attachment>, usize) {
    let listed = m
        .attachments()
        .take(MAX_LISTED_ATTACHMENTS)
        .map(|a| Attachment {
            name: safe_file_name(a.attachment_name().unwrap_or("lampiran")),
            content_type: a
                .content_type()
                .map(|ct| match &ct.c_subtype {
                    Some(sub) => format!("{}/{}", ct.c_type, sub).to_ascii_lowercase(),
                    None => ct.c_type.to_ascii_lowercase(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            size: a.contents().len(),
            markup: None,
        })
        .zip(m.attachments())
        .map(|(mut listed, a)| {
            listed.markup = markup_signs(&listed, a.contents());
            listed
        })
        .collect();
    (listed, m.attachments().count())
}

/// The bytes of attachment `index` as [`parse`] lists them ([`InboundMessage::attachments`],
/// in the same order), for staff to download. `None`: no such attachment, or the message
/// is above the parse limit (its attachments were never listed) or cannot be parsed.
pub fn attachment_contents(raw: &[u8], max_parse_bytes: usize, index: usize) -> Option<Vec<u8>> {
    if raw.len() > max_parse_bytes || index >= MAX_LISTED_ATTACHMENTS {
        return None;
    }
    let m = guarded(|| MessageParser::default().parse(raw))
        .ok()
        .flatten()?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.attachments().nth(index).map(|a| a.contents().to_vec())
    }))
    .ok()
    .flatten()
}

/// Extensions and types of attachments read for [`MarkupSigns`]; photos and documents are
/// never scanned.
const MARKUP_FILES: &[&str] = &[
    "html", "htm", "xhtml", "shtml", "svg", "mht", "mhtml", "js", "jse", "hta", "vbs", "vbe",
    "wsf", "wsh", "ps1",
];
const MARKUP_TYPES: &[&str] = &[
    "text/html",
    "image/svg+xml",
    "application/xhtml+xml",
    "application/javascript",
    "text/javascript",
    "application/hta",
];

fn markup_signs(a: &Attachment, contents: &[u8]) -> Option<MarkupSigns> {
    let ext = a
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !MARKUP_FILES.contains(&ext.as_str()) && !MARKUP_TYPES.contains(&a.content_type.as_str()) {
        return None;
    }
    let head = &contents[..contents.len().min(MAX_HTML_BYTES)];
    let lower = head.to_ascii_lowercase();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    Some(MarkupSigns {
        form: has(b"<form"),
        script: has(b"<script") || has(b"javascript:") || has(b"onload="),
        password: has(b"type=\"password\"") || has(b"type=password") || has(b"type='password'"),
    })
}

/// Links of the first HTML part (parse limits as for the text), at most [`MAX_LINKS`].
fn links(m: &mail_parser::Message<'_>) -> Vec<Link> {
    match m.body_html(0) {
        Some(html) if html.len() <= MAX_HTML_BYTES => html_links(&html),
        _ => Vec::new(),
    }
}

/// `<a href="…">text</a>` pairs in one linear pass (no HTML parser: phishing HTML is
/// rarely well formed). Positions come from the ASCII-lowercased copy, whose byte offsets
/// are those of the original, so slicing at ASCII characters stays on char boundaries.
pub fn html_links(html: &str) -> Vec<Link> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while out.len() < MAX_LINKS {
        let Some(open) = lower[at..].find("<a").map(|i| at + i) else {
            break;
        };
        at = open + 2;
        if !lower[at..].starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(tag_end) = lower[at..].find('>').map(|i| at + i) else {
            break;
        };
        let href = attribute(&html[at..tag_end], &lower[at..tag_end], "href");
        // The text ends at `</a`, or at the next `<a` of an anchor left open.
        let text_end = lower[tag_end + 1..]
            .find("<a")
            .or_else(|| lower[tag_end + 1..].find("</a"))
            .map_or(lower.len(), |i| tag_end + 1 + i);
        let text_end = lower[tag_end + 1..text_end]
            .find("</a")
            .map_or(text_end, |i| tag_end + 1 + i);
        at = text_end;
        if let Some(href) = href {
            let text = rough_text(&html[tag_end + 1..text_end]);
            out.push(Link {
                text: text.trim().to_string(),
                href: decode_entities(href.trim()),
            });
        }
    }
    out
}

/// The value of attribute `name` inside a tag (`tag` original, `lower` its lowercased copy).
fn attribute<'a>(tag: &'a str, lower: &str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| from + i) {
        from = i + name.len();
        let before_ok = i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_at = lower.len() - rest.len() + 1;
        let value = tag[value_at..].trim_start();
        let start = tag.len() - value.len();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let inner = &tag[start + 1..];
                &inner[..inner.find(q).unwrap_or(inner.len())]
            }
            _ => {
                &value[..value
                    .find(|c: char| c.is_ascii_whitespace())
                    .unwrap_or(value.len())]
            }
        });
    }
    None
}

/// A mail with more MIME parts than this is flagged (real mail has a handful; 10,000 is
/// an attack or a broken generator).
pub const MAX_PARTS: usize = 1000;
/// At most this many links of the HTML body are kept for the phishing checks.
pub const MAX_LINKS: usize = 200;
/// At most this many `Authentication-Results` headers are kept (the topmost count).
pub const MAX_AUTH_RESULTS: usize = 20;
/// At most this many attachments are listed with the message.
pub const MAX_LISTED_ATTACHMENTS: usize = 100;
/// HTML larger than this is not given to html2text (its parser and layout are slow on
/// huge documents); a rough tag-stripping conversion is used and the mail flagged.
pub const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// HTML whose elements nest deeper than this is converted roughly too: html5ever's tree
/// building is quadratic in the depth (10,000 nested `<div>` took seconds, a few MB of
/// them would take hours).
pub const MAX_HTML_DEPTH: usize = 256;

/// Runs mail-parser, turning a panic inside it into an error. mail-parser 0.11 has
/// `debug_assert!`s that malformed nesting reaches (found by the fuzz target: "Invalid part
/// ID, could not find multipart"); in a debug build they panic. A mail must never take the
/// daemon down (invariant 7), so the message is then read as headers only and flagged.
fn guarded<'x>(
    f: impl FnOnce() -> Option<mail_parser::Message<'x>>,
) -> Result<Option<mail_parser::Message<'x>>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into())
    })
}

/// Plain text parts joined; the HTML part turned into readable text when there is no text part.
fn body_text(m: &mail_parser::Message<'_>, problems: &mut Vec<String>) -> String {
    let texts: Vec<&str> = m
        .text_bodies()
        .filter(|p| !p.is_text_html())
        .filter_map(|p| p.text_contents())
        .collect();
    let text = if !texts.is_empty() {
        texts.join("\n")
    } else if let Some(html) = m.body_html(0) {
        html_text(&html, problems)
    } else {
        String::new()
    };
    // The same as `text.replace("\r\n", "\n").trim().to_string()`, without the copies
    // when there is no CR or nothing to trim.
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    if text.trim().len() == text.len() {
        text
    } else {
        text.trim().to_string()
    }
}

/// Readable text from HTML: html2text when the document is of a sane size and depth,
/// otherwise a rough linear conversion, and a problem for a person.
pub fn html_text(html: &str, problems: &mut Vec<String>) -> String {
    let depth = html_depth(html);
    if html.len() <= MAX_HTML_BYTES && depth <= MAX_HTML_DEPTH {
        return html2text::from_read(html.as_bytes(), 78).unwrap_or_else(|_| rough_text(html));
    }
    problems.push(format!(
        "isi HTML {} bait bersarang {depth} tingkat (batas {MAX_HTML_BYTES} bait, \
         {MAX_HTML_DEPTH} tingkat): teksnya diambil kasar; aslinya disimpan utuh",
        html.len()
    ));
    rough_text(html)
}

/// Elements that never hold others or are closed implicitly by their next sibling; they
/// do not make the open-element stack grow.
const FLAT_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option", "!doctype",
];

/// The deepest nesting of start tags without their end tags, in one linear pass. An
/// estimate (no HTML parser), good enough to keep html2text away from pathological input.
fn html_depth(html: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..close];
        rest = &rest[close..];
        if tag.starts_with('!') && !tag.to_ascii_lowercase().starts_with("!doctype") {
            continue; // comment
        }
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag),
        };
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || FLAT_ELEMENTS.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            deepest = deepest.max(depth);
        }
    }
    deepest
}

/// Tags removed (block ends become line breaks), `<style>`/`<script>` content dropped, the
/// common entities decoded. Linear in the input.
fn rough_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(1 << 20));
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            if skip_until.is_none() {
                out.push_str(&decode_entities(rest));
            }
            break;
        };
        if skip_until.is_none() {
            out.push_str(&decode_entities(&rest[..open]));
        }
        rest = &rest[open + 1..];
        let close = rest.find('>').map_or(rest.len(), |c| c + 1);
        let tag = rest[..close].trim_end_matches('>').to_ascii_lowercase();
        rest = &rest[close..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        match skip_until {
            Some(end) if tag.starts_with('/') && name == end => skip_until = None,
            Some(_) => {}
            None if !tag.starts_with('/') && (name == "style" || name == "script") => {
                skip_until = Some(if name == "style" { "style" } else { "script" });
            }
            None if matches!(
                name.as_str(),
                "br" | "p" | "div" | "tr" | "li" | "h1" | "h2" | "h3" | "table" | "blockquote"
            ) =>
            {
                out.push('\n');
            }
            None => {}
        }
    }
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn first_sender(
    addr: Option<&Address<'_>>,
    header: &str,
    problems: &mut Vec<String>,
) -> Option<Sender> {
    let a = addr?.first()?;
    let raw = a.address()?;
    match EmailAddress::parse(raw) {
        Ok(email) => Some(Sender {
            name: a
                .name()
                .map(strip_controls)
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
            email,
        }),
        Err(e) => {
            problems.push(format!("alamat {header} {raw:?} tidak dapat dipakai: {e}"));
            None
        }
    }
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

/// Removes control characters (CR, LF, NUL, …) and Unicode bidi overrides, which can make
/// a name or file name display as something else (CVE-2021-42574 style tricks).
pub fn strip_controls(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A file name safe to show and to use as the last part of a path: no directories, no
/// control or bidi characters, not `.`/`..`, bounded length.
pub fn safe_file_name(name: &str) -> String {
    let cleaned = strip_controls(name);
    let last = cleaned
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_start_matches('.')
        .to_string();
    let bounded: String = last.chars().take(120).collect();
    if bounded.is_empty() {
        "lampiran".into()
    } else {
        bounded
    }
}

/// RFC 5322 makes Message-ID optional; invariant 3 needs one, so derive a stable one from
/// the bytes: the same mail seen twice gets the same id.
pub fn synthetic_message_id(raw: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, raw);
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256-{hex}@pengaduan.invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 25 * 1024 * 1024;

    #[test]
    fn reads_sender_subject_text_and_threading() {
        let raw = b"From: \"Siti Aminah\" <Siti.Aminah@Example.test>\r\n\
Reply-To: siti.rumah@example.test\r\n\
To: kademangan.puskesmas@gmail.com\r\n\
Subject: Antrean pendaftaran terlalu lama\r\n\
Message-ID: <abc@example.test>\r\n\
In-Reply-To: <x1@example.test>\r\n\
References: <x0@example.test> <x1@example.test>\r\n\
Date: Thu, 12 Mar 2026 10:00:00 +0700\r\n\
\r\n\
Saya menunggu 3 jam. Hubungi 0812-3456-7890.\r\n";
        let m = parse(raw, LIMIT);
        assert_eq!(m.message_id, "abc@example.test");
        assert!(!m.synthetic_id);
        let from = m.from.as_ref().unwrap();
        assert_eq!(from.email.as_str(), "siti.aminah@example.test");
        assert_eq!(from.name.as_deref(), Some("Siti Aminah"));
        assert_eq!(
            m.reply_address().unwrap().email.as_str(),
            "siti.rumah@example.test"
        );
        assert_eq!(m.subject, "Antrean pendaftaran terlalu lama");
        assert_eq!(m.in_reply_to, vec!["x1@example.test"]);
        assert_eq!(m.references, vec!["x0@example.test", "x1@example.test"]);
        assert!(m.text.contains("3 jam"));
        assert_eq!(m.date.unwrap().to_rfc3339(), "2026-03-12T03:00:00+00:00");
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn html_only_becomes_text() {
        let raw = b"From: a@example.test\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Obat <b>habis</b></p><p>Kedua</p></body></html>\r\n";
        let m = parse(raw, LIMIT);
        assert!(m.text.contains("habis"), "{}", m.text);
        assert!(!m.text.contains("<b>"), "{}", m.text);
    }

    #[test]
    fn missing_message_id_is_synthetic_and_stable() {
        let raw = b"From: a@example.test\r\nSubject: x\r\n\r\nbody\r\n";
        let a = parse(raw, LIMIT);
        let b = parse(raw, LIMIT);
        assert!(a.synthetic_id);
        assert_eq!(a.message_id, b.message_id);
        assert_ne!(
            a.message_id,
            parse(b"From: a@example.test\r\n\r\nother\r\n", LIMIT).message_id
        );
    }

    #[test]
    fn garbage_is_flagged_not_rejected() {
        let m = parse(b"\x00\x01\x02 not a mail", LIMIT);
        assert!(!m.problems.is_empty());
        assert!(m.synthetic_id);
    }

    #[test]
    fn display_name_controls_are_removed() {
        let raw = b"From: =?utf-8?q?Budi=0D=0ABcc:_x@evil.test?= <budi@example.test>\r\nSubject: =?utf-8?q?a=0D=0Ab?=\r\n\r\nhi\r\n";
        let m = parse(raw, LIMIT);
        let name = m.from.unwrap().name.unwrap();
        assert!(!name.contains('\r') && !name.contains('\n'), "{name:?}");
        assert!(!m.subject.contains('\n'), "{:?}", m.subject);
    }

    #[test]
    fn attachment_names_are_made_safe() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("/abs/path/foto.jpg"), "foto.jpg");
        assert_eq!(safe_file_name("C:\\Users\\x\\surat.pdf"), "surat.pdf");
        assert_eq!(safe_file_name("a\0b.txt"), "ab.txt");
        assert_eq!(safe_file_name("invoice\u{202E}gpj.exe"), "invoicegpj.exe");
        assert_eq!(safe_file_name(".."), "lampiran");
        assert_eq!(safe_file_name(""), "lampiran");
    }

    #[test]
    fn oversized_message_keeps_headers_only() {
        let mut raw =
            b"From: a@example.test\r\nSubject: besar\r\nMessage-ID: <big@x>\r\n\r\n".to_vec();
        raw.extend(std::iter::repeat_n(b'x', 2000));
        let m = parse(&raw, 1000);
        assert_eq!(m.subject, "besar");
        assert_eq!(m.message_id, "big@x");
        assert!(m.text.is_empty());
        assert!(m.problems[0].contains("parse limit"));
    }

    #[test]
    fn deep_html_is_converted_roughly_and_flagged() {
        assert_eq!(
            html_depth("<!DOCTYPE html><html><body><p>x<p>y<br><img src=a></body></html>"),
            2
        );
        let mut problems = Vec::new();
        let deep = format!(
            "{}<style>p {{ color: red }}</style>A &amp; B<br>C{}",
            "<div>".repeat(MAX_HTML_DEPTH + 1),
            "</div>".repeat(MAX_HTML_DEPTH + 1)
        );
        assert_eq!(html_text(&deep, &mut problems), "A & B\nC");
        assert_eq!(problems.len(), 1, "{problems:?}");
        let mut none = Vec::new();
        let shallow = "<div><p>Obat <b>habis</b></p></div>";
        assert!(html_text(shallow, &mut none).contains("habis"));
        assert!(none.is_empty());
    }

    #[test]
    fn links_of_html_bodies() {
        let html = r#"<p>Lihat <A HREF="https://kemkes-go-id.com/login">https://www.kemkes.go.id/x</a>,
            <a class=x href=https://lapor.go.id/>lapor &amp; cek</a> <a name="top">atas</a>
            <a href='mailto:a@b.test'>a@b.test</a> <abbr>x</abbr> <a href="unclosed">tanpa akhir"#;
        let links = html_links(html);
        let pairs: Vec<(&str, &str)> = links
            .iter()
            .map(|l| (l.text.as_str(), l.href.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (
                    "https://www.kemkes.go.id/x",
                    "https://kemkes-go-id.com/login"
                ),
                ("lapor & cek", "https://lapor.go.id/"),
                ("a@b.test", "mailto:a@b.test"),
                ("tanpa akhir", "unclosed"),
            ]
        );
        // Hostile HTML: no panic, bounded.
        assert_eq!(html_links(&"<a href=x>".repeat(10_000)).len(), MAX_LINKS);
        assert!(html_links("<a href=\"\u{e9}").len() <= 1);
        assert!(html_links("<a").is_empty());
    }

    #[test]
    fn authentication_results_and_markup_attachments_are_read() {
        let raw = b"Authentication-Results: mx.google.com;\r\n dmarc=fail header.from=gmail.com\r\n\
Authentication-Results: forged.example.test; dmarc=pass\r\n\
From: a@gmail.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nisi\r\n\
--b\r\nContent-Type: text/html; name=Surat.html\r\nContent-Disposition: attachment; filename=Surat.html\r\n\r\n\
<FORM action=x><input type=\"password\"></form>\r\n\
--b\r\nContent-Type: image/jpeg; name=foto.jpg\r\nContent-Disposition: attachment; filename=foto.jpg\r\n\r\n<form>\r\n--b--\r\n";
        let m = parse(raw, LIMIT);
        assert_eq!(m.auth_results.len(), 2);
        assert!(
            m.auth_results[0].starts_with("mx.google.com;"),
            "{:?}",
            m.auth_results
        );
        let html = &m.attachments[0];
        assert_eq!(
            html.markup,
            Some(MarkupSigns {
                form: true,
                script: false,
                password: true
            })
        );
        // Photos are never scanned.
        assert_eq!(m.attachments[1].markup, None);
    }

    #[test]
    fn null_return_path_is_seen() {
        let raw = b"Return-Path: <>\r\nFrom: MAILER-DAEMON@example.test\r\nSubject: Undelivered\r\n\r\nx\r\n";
        assert_eq!(parse(raw, LIMIT).return_path.as_deref(), Some(""));
    }
}
