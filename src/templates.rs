//! User-facing text is data (DESIGN invariant 9): every mail is rendered from files in the
//! templates directory with minijinja. `.html` templates are auto-escaped, `.txt` are not.
//! Undefined variables are errors, so a typo in a template fails loudly at `check`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Timelike};
use minijinja::{Environment, UndefinedBehavior};

use crate::calendar::WIB;

pub struct Templates {
    env: Environment<'static>,
    dir: PathBuf,
}

/// The acknowledgement's templates; `check` renders them with a sample complaint.
pub const ACK: &[&str] = &["mail/ack.subject.txt", "mail/ack.txt", "mail/ack.html"];

/// Every mail template the daemon renders (each as `.subject.txt`, `.txt`, `.html`).
pub const MAIL: &[&str] = &[
    "mail/ack",
    "mail/answer",
    "mail/digest",
    "mail/health",
    "mail/notice",
    "mail/referral",
    "mail/referred",
];

impl Templates {
    pub fn load(dir: &Path) -> Result<Templates> {
        if !dir.is_dir() {
            anyhow::bail!(
                "the templates directory {} does not exist; set templates.dir in the config \
                 to the folder that holds mail/ack.txt (the repository's templates/)",
                dir.display()
            );
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let root = dir.to_path_buf();
        env.set_loader(move |name| {
            // Names come from our code, never from mail; still refuse to leave the folder.
            if name.split('/').any(|part| part == ".." || part.is_empty()) {
                return Ok(None);
            }
            match std::fs::read_to_string(root.join(name)) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read template {name}"),
                )
                .with_source(e)),
            }
        });
        env.add_filter("tanggal", |s: String| format_date(&s, false));
        env.add_filter("tanggal_jam", |s: String| format_date(&s, true));
        Ok(Templates {
            env,
            dir: dir.to_path_buf(),
        })
    }

    pub fn render(&self, name: &str, ctx: &impl serde::Serialize) -> Result<String> {
        let tmpl = self.env.get_template(name).with_context(|| {
            format!("cannot load template {} from {}", name, self.dir.display())
        })?;
        tmpl.render(minijinja::value::Serde(ctx))
            .with_context(|| format!("cannot render template {name}"))
    }

    /// Compiles every mail template (syntax only; the variables are checked when one is
    /// rendered). Returns one message per template that is missing or does not compile.
    pub fn compile_all(&self) -> Vec<String> {
        MAIL.iter()
            .flat_map(|base| [".subject.txt", ".txt", ".html"].map(|ext| format!("{base}{ext}")))
            .filter_map(|name| {
                self.env
                    .get_template(&name)
                    .err()
                    .map(|e| format!("{name}: {e:#}"))
            })
            .collect()
    }
}

const DAYS: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// "Kamis, 9 April 2026" or "Kamis, 12 Maret 2026 pukul 10.00 WIB" from an RFC 3339 string.
/// An unreadable value is shown as it is rather than failing the whole mail.
pub fn format_date(s: &str, with_time: bool) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(s) else {
        return s.to_string();
    };
    let t = t.with_timezone(&WIB);
    let day = DAYS[t.weekday().num_days_from_monday() as usize];
    let month = MONTHS[t.month0() as usize];
    let date = format!("{day}, {} {month} {}", t.day(), t.year());
    if with_time {
        format!("{date} pukul {:02}.{:02} WIB", t.hour(), t.minute())
    } else {
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_dates() {
        assert_eq!(
            format_date("2026-04-09T16:59:59Z", false),
            "Kamis, 9 April 2026"
        );
        assert_eq!(
            format_date("2026-03-12T03:00:00Z", true),
            "Kamis, 12 Maret 2026 pukul 10.00 WIB"
        );
        assert_eq!(format_date("bukan tanggal", true), "bukan tanggal");
    }

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mail")).unwrap();
        std::fs::write(dir.path().join("mail/x.html"), "<p>{{ s }}</p>").unwrap();
        std::fs::write(dir.path().join("mail/x.txt"), "{{ s }}").unwrap();
        let t = Templates::load(dir.path()).unwrap();
        let ctx = serde_json::json!({"s": "<script>&"});
        assert_eq!(
            t.render("mail/x.html", &ctx).unwrap(),
            "<p>&lt;script&gt;&amp;</p>"
        );
        assert_eq!(t.render("mail/x.txt", &ctx).unwrap(), "<script>&");
        assert!(
            t.render("mail/x.txt", &serde_json::json!({})).is_err(),
            "undefined must fail"
        );
    }

    #[test]
    fn shipped_templates_render() {
        let t = Templates::load(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .as_path(),
        )
        .unwrap();
        let ctx = crate::mail::compose::sample_ack_context();
        for name in ACK {
            let out = t.render(name, &ctx).unwrap();
            assert!(out.contains("ADU-2026-0007"), "{name}: {out}");
        }
        assert_eq!(t.compile_all(), Vec::<String>::new());
    }

    #[test]
    fn a_missing_or_broken_mail_template_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/mail");
        std::fs::create_dir(dir.path().join("mail")).unwrap();
        for entry in std::fs::read_dir(shipped).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                dir.path().join("mail").join(entry.file_name()),
            )
            .unwrap();
        }
        std::fs::remove_file(dir.path().join("mail/health.html")).unwrap();
        std::fs::write(dir.path().join("mail/notice.txt"), "{% if %}").unwrap();
        let broken = Templates::load(dir.path()).unwrap().compile_all();
        assert_eq!(broken.len(), 2, "{broken:?}");
        assert!(broken[0].starts_with("mail/health.html"), "{broken:?}");
        assert!(broken[1].starts_with("mail/notice.txt"), "{broken:?}");
    }
}
