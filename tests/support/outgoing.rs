//! What hostile input must never change in a mail we send: one header block of CRLF
//! lines, every line a known field or a folded continuation, one From, To, Subject,
//! Message-ID and Date, no Cc or Bcc. Plain byte checks with no dependencies, so the
//! fuzz target (`fuzz/fuzz_targets/inbound.rs`) includes this file too.

/// Every header field our composer writes (lettre plus `compose.rs`).
pub const ALLOWED_FIELDS: &[&str] = &[
    "from",
    "to",
    "subject",
    "message-id",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "auto-submitted",
    "x-auto-response-suppress",
    "in-reply-to",
    "references",
];

/// Fields that appear exactly once in every mail we send.
const ONCE: &[&str] = &["from", "to", "subject", "message-id", "date"];

/// The unfolded header fields of `raw` (lower-case name, value), or what is wrong.
pub fn check_headers(raw: &[u8]) -> Result<Vec<(String, String)>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no blank line after the header block")?;
    let block = &raw[..end + 2];
    let text = std::str::from_utf8(block).map_err(|e| format!("header block not UTF-8: {e}"))?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let nl = rest
            .find("\r\n")
            .ok_or_else(|| format!("header line without CRLF: {rest:?}"))?;
        let line = &rest[..nl];
        rest = &rest[nl + 2..];
        if let Some(bad) = line.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(format!("control character {bad:?} in header line {line:?}"));
        }
        if line.starts_with([' ', '\t']) {
            let last = fields
                .last_mut()
                .ok_or_else(|| format!("continuation before any field: {line:?}"))?;
            last.1.push_str(line);
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line is not a field: {line:?}"))?;
        let name = name.to_ascii_lowercase();
        if !ALLOWED_FIELDS.contains(&name.as_str()) {
            return Err(format!("unexpected header field {name:?} in {line:?}"));
        }
        fields.push((name, value.trim().to_string()));
    }
    for once in ONCE {
        let n = fields.iter().filter(|(n, _)| n == once).count();
        if n != 1 {
            return Err(format!("{n} {once} fields, expected exactly one"));
        }
    }
    Ok(fields)
}

/// The value of the (single) field `name` in `fields`.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The bare addresses in a To value such as `"Budi" <budi@x.test>, a@y.test`:
/// whatever stands in angle brackets, or the whole item when there are none.
/// Quoted display names may hold commas, so quotes are skipped.
pub fn addresses(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut item = String::new();
    for c in value.chars().chain(std::iter::once(',')) {
        match c {
            '"' => {
                quoted = !quoted;
                item.push(c);
            }
            ',' if !quoted => {
                let t = item.trim();
                if !t.is_empty() {
                    let bare = match (t.rfind('<'), t.rfind('>')) {
                        (Some(a), Some(b)) if a < b => &t[a + 1..b],
                        _ => t,
                    };
                    out.push(bare.to_ascii_lowercase());
                }
                item.clear();
            }
            _ => item.push(c),
        }
    }
    out
}
