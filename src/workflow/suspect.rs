//! PURE: is an inbound message suspect — a forged sender or phishing — so that it must be
//! shown to a person instead of registered and answered?
//!
//! An acknowledgement to a forged sender is backscatter: it lands with a stranger whose
//! address was abused, and Gmail counts such mail against the centre's account (reputation
//! and sending quota). So suspect mail is stored as its own class (`curiga`), never
//! answered and never threaded; `pengaduan flagged accept` turns it into a complaint when a
//! person decides it is genuine.

use crate::mail::parse::{Attachment, InboundMessage, Link};

/// The results one `Authentication-Results` header (RFC 8601) reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthResults {
    /// `dmarc=` result, lower case.
    pub dmarc: Option<String>,
    /// `spf=` result, lower case.
    pub spf: Option<String>,
    /// Every `dkim=` result with the signing domain (`header.d`, or the domain of
    /// `header.i`).
    pub dkim: Vec<(String, Option<String>)>,
}

/// Splits one header value into its authserv-id and results (RFC 8601 section 2.2):
/// `authserv-id [version] *( ";" method=result *(ptype.property=value) )`. Comments in
/// parentheses are dropped (they may hold `;` and `=`). `None` when there is no id.
pub fn parse_authentication_results(value: &str) -> Option<(String, AuthResults)> {
    let plain = without_comments(value);
    let mut parts = plain.split(';');
    let id = parts
        .next()?
        .split_whitespace()
        .next()?
        .to_ascii_lowercase();
    let mut results = AuthResults::default();
    for resinfo in parts {
        let mut tokens = resinfo.split_whitespace();
        let Some((method, result)) = tokens.next().and_then(|t| t.split_once('=')) else {
            continue;
        };
        // A method may carry a version: `dkim/1=pass`.
        let method = method.split('/').next().unwrap_or("").to_ascii_lowercase();
        let result = unquote(result).to_ascii_lowercase();
        let props: Vec<(String, &str)> = tokens
            .filter_map(|t| t.split_once('='))
            .map(|(k, v)| (k.to_ascii_lowercase(), unquote(v)))
            .collect();
        let prop = |name: &str| props.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        match method.as_str() {
            "dmarc" if results.dmarc.is_none() => results.dmarc = Some(result),
            "spf" if results.spf.is_none() => results.spf = Some(result),
            "dkim" => {
                let domain = prop("header.d")
                    .or_else(|| prop("header.i").map(|i| i.rsplit('@').next().unwrap_or(i)))
                    .map(|d| d.trim_matches('.').to_ascii_lowercase())
                    .filter(|d| !d.is_empty());
                results.dkim.push((result, domain));
            }
            _ => {}
        }
    }
    Some((id, results))
}

/// The results of the receiving server only: the TOPMOST `Authentication-Results` whose
/// authserv-id is `trusted_id` (`headers` in message order, top first).
///
/// Why only that one: each server prepends its header, so the receiving server's own
/// stands above everything the message brought with it. Any header further down, or with
/// another id, was written before our server saw the message — by whoever sent it, who
/// can write `dkim=pass` as easily as anything else (RFC 8601, "Removing Existing Header
/// Fields" and "Forged Header Fields"). A header with our server's id further down is a
/// forgery too; the topmost wins.
pub fn trusted_results(headers: &[String], trusted_id: &str) -> Option<AuthResults> {
    headers
        .iter()
        .filter_map(|h| parse_authentication_results(h))
        .find(|(id, _)| id.eq_ignore_ascii_case(trusted_id))
        .map(|(_, r)| r)
}

/// Why the receiving server's results make the message suspect, if they do: DMARC `fail`,
/// or SPF `fail`/`softfail` with no DKIM `pass` aligned with the From domain (mail
/// forwarded by a person's own rules fails SPF but keeps its DKIM signature).
pub fn forged_sender(
    auth: &AuthResults,
    from_domain: Option<&str>,
    server: &str,
) -> Option<String> {
    if auth.dmarc.as_deref() == Some("fail") {
        return Some(format!(
            "DMARC gagal menurut {server}: alamat pengirim {} kemungkinan dipalsukan",
            from_domain.unwrap_or("(tanpa From)")
        ));
    }
    let spf = auth.spf.as_deref()?;
    if !matches!(spf, "fail" | "softfail") {
        return None;
    }
    let aligned_dkim = from_domain.is_some_and(|from| {
        auth.dkim
            .iter()
            .any(|(result, d)| result == "pass" && d.as_deref().is_some_and(|d| aligned(d, from)))
    });
    (!aligned_dkim).then(|| {
        format!(
            "SPF {spf} menurut {server} tanpa tanda tangan DKIM yang sah untuk {}: pengirim kemungkinan dipalsukan",
            from_domain.unwrap_or("(tanpa From)")
        )
    })
}

/// Relaxed alignment (RFC 7489 section 3.1.1) without a public-suffix list: equal, or one
/// a subdomain of the other, where the parent has at least two labels (`com` never aligns).
pub fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let under =
        |child: &str, parent: &str| parent.contains('.') && child.ends_with(&format!(".{parent}"));
    a == b || under(&a, &b) || under(&b, &a)
}

/// Attachment types that are scripts by nature: a person never sends these to complain.
const SCRIPT_EXTENSIONS: &[&str] = &["js", "jse", "hta", "vbs", "vbe", "wsf", "wsh", "ps1"];
/// Markup that can hold a form or a script (a "secure document" login page).
const MARKUP_EXTENSIONS: &[&str] = &["html", "htm", "xhtml", "shtml", "svg", "mht", "mhtml"];

/// Why an attachment looks like phishing: a script file, or markup with a form or script.
pub fn active_attachment(a: &Attachment) -> Option<String> {
    let ext = a
        .name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let ct = a.content_type.as_str();
    let script = SCRIPT_EXTENSIONS.contains(&ext.as_str())
        || matches!(
            ct,
            "application/javascript" | "text/javascript" | "application/hta"
        );
    if script {
        return Some(format!("lampiran {} adalah skrip", a.name));
    }
    let markup = MARKUP_EXTENSIONS.contains(&ext.as_str())
        || matches!(ct, "text/html" | "image/svg+xml" | "application/xhtml+xml");
    let signs = a.markup.as_ref()?;
    (markup && (signs.form || signs.script)).then(|| {
        format!(
            "lampiran {} berisi {}",
            a.name,
            match (signs.form, signs.password) {
                (true, true) => "formulir kata sandi",
                (true, false) => "formulir",
                _ => "skrip",
            }
        )
    })
}

/// Why a link deceives: its visible text is an address on another host than the one it
/// goes to (`www.kemkes.go.id` shown, `kemkes-go-id.com` behind it).
pub fn deceptive_link(link: &Link) -> Option<String> {
    let shown = host_of(&link.text, false)?;
    let real = host_of(&link.href, true)?;
    if aligned(&shown, &real) || rewritten(&real, &link.href, &shown) {
        return None;
    }
    Some(format!(
        "tautan bertuliskan {shown} sebenarnya menuju {real}"
    ))
}

/// Link-protection services that rewrite every link of the mail their users receive: when
/// such a user forwards a message, the text keeps the address and the href is the
/// service's, carrying the address in its query.
const LINK_REWRITERS: &[&str] = &[
    "safelinks.protection.outlook.com",
    "urldefense.com",
    "urldefense.proofpoint.com",
];

fn rewritten(real: &str, href: &str, shown: &str) -> bool {
    if !LINK_REWRITERS.iter().any(|r| aligned(real, r)) {
        return false;
    }
    // The target is the `url=` parameter; anything else in the query proves nothing.
    let decoded = href
        .to_ascii_lowercase()
        .replace("%3a", ":")
        .replace("%2f", "/");
    let target = decoded
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("url=").or_else(|| p.strip_prefix("u=")));
    target
        .and_then(|t| host_of(t, true))
        .is_some_and(|host| host == shown)
}

/// The host of a URL-looking text: an optional `http(s)://`, then a host name with a dot
/// and an alphabetic top-level label. `require_scheme` for hrefs (a relative link or
/// `mailto:` has no host to compare).
fn host_of(text: &str, require_scheme: bool) -> Option<String> {
    let t = text.trim().trim_end_matches(['.', ',', ')']);
    if t.chars().any(char::is_whitespace) {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let rest = match ["https://", "http://"]
        .iter()
        .find(|s| lower.starts_with(**s))
    {
        Some(scheme) => &lower[scheme.len()..],
        None if require_scheme => return None,
        None => lower.as_str(),
    };
    let host = rest.split(['/', '?', '#']).next()?;
    // user@host in a URL: what matters is after the @ (a classic trick, too).
    let host = host.rsplit('@').next()?;
    let host = host.split(':').next()?.trim_end_matches('.');
    let tld = host.rsplit('.').next()?;
    let valid = host.contains('.')
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid.then(|| host.strip_prefix("www.").unwrap_or(host).to_string())
}

/// Why a sender domain imitates an Indonesian government domain: `go.id` written as
/// `go-id`, `goid`, `gov-id`, or `go.id.` inside another registrable domain
/// (`kemenkes.go.id.info`). A real `*.go.id` domain is not suspect.
pub fn imitates_government(domain: &str) -> Option<String> {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    if d == "go.id" || d.ends_with(".go.id") {
        return None;
    }
    let tokens: Vec<&str> = d.split(['.', '-', '_']).filter(|t| !t.is_empty()).collect();
    let joined = tokens.windows(2).any(|w| matches!(w, ["go" | "gov", "id"]));
    let glued = tokens
        .iter()
        .any(|t| t.ends_with("goid") || t.ends_with("govid"));
    (joined || glued)
        .then(|| format!("domain pengirim {d} meniru domain pemerintah (.go.id) padahal bukan"))
}

/// Every reason the message is suspect, in the order a person should read them; empty
/// when it is not. `trusted_authserv_id` names the receiving server (`[intake]`).
pub fn suspect_reasons(msg: &InboundMessage, trusted_authserv_id: &str) -> Vec<String> {
    let from_domain = msg.from.as_ref().map(|s| s.email.domain());
    let mut reasons = Vec::new();
    if let Some(auth) = trusted_results(&msg.auth_results, trusted_authserv_id) {
        reasons.extend(forged_sender(&auth, from_domain, trusted_authserv_id));
    }
    for sender in [msg.from.as_ref(), msg.reply_to.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Some(why) = imitates_government(sender.email.domain()) {
            if !reasons.contains(&why) {
                reasons.push(why);
            }
        }
    }
    reasons.extend(msg.attachments.iter().filter_map(active_attachment));
    // One deceptive link says enough; a page of them would only repeat it.
    reasons.extend(msg.links.iter().filter_map(deceptive_link).take(3));
    reasons
}

/// `value` with RFC 5322 comments `( … )` removed (nested, with `\` escapes), outside
/// quoted strings.
fn without_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            '\r' | '\n' => out.push(' '),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn unquote(v: &str) -> &str {
    v.trim().trim_matches('"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::MarkupSigns;

    /// As Gmail stamps a genuine message from a Gmail user.
    const GMAIL_PASS: &str = "mx.google.com;\r\n       dkim=pass header.i=@gmail.com header.s=20230601 header.b=Q2x9vL1c;\r\n       spf=pass (google.com: domain of siti.aminah87@gmail.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=siti.aminah87@gmail.com;\r\n       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com";
    /// Gambling spam with a forged gmail.com From, as Gmail stamps it.
    const GMAIL_FORGED: &str = "mx.google.com;\r\n       spf=softfail (google.com: domain of transitioning promo.slot88@gmail.com does not designate 103.147.92.18 as permitted sender) smtp.mailfrom=promo.slot88@gmail.com;\r\n       dmarc=fail (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com";
    /// Mail a person forwards from their office account: SPF fails at Gmail, the
    /// original DKIM signature still holds.
    const FORWARDED: &str = "mx.google.com; dkim=pass header.i=@pemda.example.test header.s=s1; spf=softfail (google.com: domain of budi@pemda.example.test does not designate 10.1.1.1 as permitted sender) smtp.mailfrom=budi@pemda.example.test";

    #[test]
    fn parses_real_header_strings() {
        let (id, r) = parse_authentication_results(GMAIL_PASS).unwrap();
        assert_eq!(id, "mx.google.com");
        assert_eq!(r.dmarc.as_deref(), Some("pass"));
        assert_eq!(r.spf.as_deref(), Some("pass"));
        assert_eq!(r.dkim, vec![("pass".into(), Some("gmail.com".into()))]);
        let (_, r) = parse_authentication_results(GMAIL_FORGED).unwrap();
        assert_eq!(r.dmarc.as_deref(), Some("fail"));
        assert_eq!(r.spf.as_deref(), Some("softfail"));
        let (id, r) = parse_authentication_results(
            "mx.microsoft.com 1; spf=pass (sender IP is 40.107.1.1) smtp.mailfrom=outlook.com; dkim=pass (signature was verified) header.d=outlook.com;dmarc=pass action=none header.from=outlook.com;compauth=pass reason=100",
        )
        .unwrap();
        assert_eq!(id, "mx.microsoft.com");
        assert_eq!(r.dkim, vec![("pass".into(), Some("outlook.com".into()))]);
        assert_eq!(
            parse_authentication_results("mx.google.com; none")
                .unwrap()
                .1,
            AuthResults::default()
        );
        assert!(parse_authentication_results("  ").is_none());
        // A comment holding `;` and `=` does not make results up.
        let (_, r) =
            parse_authentication_results("mx.google.com (x; dmarc=fail) ; spf=pass").unwrap();
        assert_eq!(r.dmarc, None);
        assert_eq!(r.spf.as_deref(), Some("pass"));
    }

    #[test]
    fn only_the_topmost_header_of_the_receiving_server_counts() {
        let forged_pass =
            "mx.google.com; dkim=pass header.d=gmail.com; spf=pass; dmarc=pass".to_string();
        let other = "spam-relay.example.test; dmarc=pass header.from=gmail.com".to_string();
        let cases: &[(&[String], Option<&str>)] = &[
            // Gmail's own verdict on top, the sender's forgery below: the forgery is ignored.
            (&[GMAIL_FORGED.into(), forged_pass.clone()], Some("fail")),
            // Another server's header says nothing about this message.
            (std::slice::from_ref(&other), None),
            (&[other.clone(), GMAIL_PASS.into()], Some("pass")),
            (&[], None),
        ];
        for (headers, dmarc) in cases {
            let r = trusted_results(headers, "mx.google.com");
            assert_eq!(r.and_then(|r| r.dmarc).as_deref(), *dmarc, "{headers:?}");
        }
        assert!(trusted_results(&[GMAIL_PASS.into()], "mx.example.test").is_none());
    }

    #[test]
    fn forged_sender_table() {
        let at = |h: &str| parse_authentication_results(h).unwrap().1;
        let cases: &[(&str, &str, bool)] = &[
            (GMAIL_PASS, "gmail.com", false),
            (GMAIL_FORGED, "gmail.com", true),
            (FORWARDED, "pemda.example.test", false),
            // The DKIM pass is for another domain: no alignment, SPF softfail stands.
            (FORWARDED, "gmail.com", true),
            (
                "mx.google.com; spf=fail smtp.mailfrom=x@yahoo.com",
                "yahoo.com",
                true,
            ),
            (
                "mx.google.com; spf=neutral smtp.mailfrom=x@yahoo.com",
                "yahoo.com",
                false,
            ),
            (
                "mx.google.com; dkim=pass header.d=mail.yahoo.com; spf=softfail",
                "yahoo.com",
                false,
            ),
            (
                "mx.google.com; dkim=fail header.d=yahoo.com; spf=softfail",
                "yahoo.com",
                true,
            ),
            (
                "mx.google.com; dkim=pass header.d=yahoo.com; spf=pass; dmarc=fail",
                "yahoo.com",
                true,
            ),
        ];
        for (header, from, suspect) in cases {
            assert_eq!(
                forged_sender(&at(header), Some(from), "mx.google.com").is_some(),
                *suspect,
                "{header} / {from}"
            );
        }
        assert!(aligned("mail.yahoo.com", "yahoo.com"));
        assert!(!aligned("com", "gmail.com"));
        assert!(!aligned("evilyahoo.com", "yahoo.com"));
    }

    #[test]
    fn government_look_alikes() {
        let cases = [
            ("kemkes-go-id.com", true),
            ("kemenkes.goid.info", true),
            ("kemenkes.go.id.info", true),
            ("pengaduan-kemkesgoid.net", true),
            ("dinkes.gov-id.org", true),
            ("kemkes.go.id", false),
            ("dinkes.bondowosokab.go.id", false),
            ("go.id", false),
            ("gmail.com", false),
            ("mygoidea.com", false),
            ("goodid.example.test", false),
        ];
        for (domain, suspect) in cases {
            assert_eq!(imitates_government(domain).is_some(), suspect, "{domain}");
        }
    }

    #[test]
    fn deceptive_links() {
        let link = |text: &str, href: &str| Link {
            text: text.into(),
            href: href.into(),
        };
        let cases = [
            (
                link(
                    "https://www.kemkes.go.id/pengaduan",
                    "https://kemkes-go-id.com/login.php",
                ),
                true,
            ),
            (
                link("www.kemkes.go.id", "http://103.1.2.3.example.test/x"),
                true,
            ),
            (
                link("lapor.go.id", "https://lapor.go.id.verifikasi-akun.info/"),
                true,
            ),
            (
                link("https://lapor.go.id", "https://x@evil.example.test/"),
                true,
            ),
            (link("www.kemkes.go.id", "https://kemkes.go.id/"), false),
            (
                link("https://kemkes.go.id/a", "https://www.kemkes.go.id/b"),
                false,
            ),
            (link("Klik di sini", "https://evil.example.test/"), false),
            (link("budi@gmail.com", "mailto:budi@gmail.com"), false),
            (link("https://kemkes.go.id", "/relative"), false),
            (link("v2.0", "https://evil.example.test/"), false),
            // Forwarded from Outlook with Safe Links: the rewriter carries the address.
            (link("https://www.kemkes.go.id/a", "https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.kemkes.go.id%2Fa&data=05"), false),
            (link("https://www.kemkes.go.id/a", "https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fkemkes-go-id.com%2Fa"), true),
            (link("https://www.kemkes.go.id/a", "https://apc01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fkemkes-go-id.com%2Fa&x=https://www.kemkes.go.id"), true),
        ];
        for (l, suspect) in cases {
            assert_eq!(deceptive_link(&l).is_some(), suspect, "{l:?}");
        }
    }

    #[test]
    fn active_attachments() {
        let att = |name: &str, ct: &str, form: bool, script: bool| Attachment {
            name: name.into(),
            content_type: ct.into(),
            size: 100,
            markup: Some(MarkupSigns {
                form,
                script,
                password: form,
            }),
        };
        let cases = [
            (att("Surat_Teguran.html", "text/html", true, false), true),
            (
                att("dokumen.htm", "application/octet-stream", false, true),
                true,
            ),
            (att("logo.svg", "image/svg+xml", false, true), true),
            (
                att("invoice.js", "application/octet-stream", false, false),
                true,
            ),
            (att("tagihan.hta", "application/hta", false, false), true),
            (att("brosur.html", "text/html", false, false), false),
            (att("foto.jpg", "image/jpeg", true, true), false),
        ];
        for (a, suspect) in cases {
            assert_eq!(active_attachment(&a).is_some(), suspect, "{a:?}");
        }
        let mut photo = att("foto.jpg", "image/jpeg", false, false);
        photo.markup = None;
        assert!(active_attachment(&photo).is_none());
    }
}
