//! User-facing text is data (DESIGN invariant 9): every mail is rendered from templates
//! with minijinja. `.html` templates are auto-escaped, `.txt` are not. Undefined variables
//! are errors, so a typo in a template fails loudly at `check`.
//!
//! The repository's `templates/` is built into the binary ([`BUILT_IN`], embedded by
//! `build.rs`), so the daemon needs no files beside its config. A templates folder
//! (`templates.dir`) overrides them one by one: a file there wins over the built-in
//! template of the same name, and is read afresh at each render.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Datelike, Timelike};
use minijinja::{Environment, UndefinedBehavior};

use crate::calendar::WIB;

pub struct Templates {
    env: Environment<'static>,
    /// The folder whose files override the built-in templates, if any.
    dir: Option<PathBuf>,
}

/// Every file of the repository's `templates/` at build time, as (name, text).
pub static BUILT_IN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/built_in_templates.rs"));

fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
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
    "mail/report",
];

impl Templates {
    /// The templates in `dir`, falling back to the built-in one for every name `dir` does
    /// not hold. `dir` must exist: it was configured (`templates.dir`) or found.
    pub fn load(dir: &Path) -> Result<Templates> {
        if !dir.is_dir() {
            anyhow::bail!(
                "the templates directory {} (templates.dir) does not exist; fix templates.dir \
                 (a relative path starts at the config file's folder) or remove the key to use \
                 the texts built into the program",
                dir.display()
            );
        }
        Ok(Templates::with(Some(dir.to_path_buf())))
    }

    /// Only the built-in templates.
    pub fn built_in() -> Templates {
        Templates::with(None)
    }

    /// `config.templates_dir`: its files over the built-in ones, or the built-in ones alone.
    pub fn from_config(dir: Option<&Path>) -> Result<Templates> {
        dir.map_or_else(|| Ok(Templates::built_in()), Templates::load)
    }

    fn with(dir: Option<PathBuf>) -> Templates {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let root = dir.clone();
        env.set_loader(move |name| {
            // Names come from our code, never from mail; still refuse to leave the folder.
            if name.split('/').any(|part| part == ".." || part.is_empty()) {
                return Ok(None);
            }
            if let Some(root) = &root {
                match std::fs::read_to_string(root.join(name)) {
                    Ok(text) => return Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read template {name}"),
                        )
                        .with_source(e))
                    }
                }
            }
            Ok(built_in(name).map(str::to_string))
        });
        env.add_filter("tanggal", |s: String| format_date(&s, false));
        env.add_filter("tanggal_jam", |s: String| format_date(&s, true));
        // What a limit Gmail set means for staff (`health::limit_meaning`), by its cause.
        env.add_filter("batas_gmail", |s: String| {
            crate::workflow::health::limit_meaning(&s).to_string()
        });
        Templates { env, dir }
    }

    /// The built-in templates the folder overrides, by name (for `check`).
    pub fn overridden(&self) -> Vec<&'static str> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        BUILT_IN
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| dir.join(name).is_file())
            .collect()
    }

    /// The folder whose files override the built-in templates, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Where the templates come from, for messages.
    pub fn origin(&self) -> String {
        match &self.dir {
            Some(dir) => format!("{} (else built in)", dir.display()),
            None => "built in".to_string(),
        }
    }

    pub fn render(&self, name: &str, ctx: &impl serde::Serialize) -> Result<String> {
        let tmpl = self
            .env
            .get_template(name)
            .with_context(|| format!("cannot load template {name} from {}", self.origin()))?;
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
use crate::calendar::MONTHS;

/// "Kamis, 9 April 2026" or "Kamis, 12 Maret 2026 pukul 10.00 WIB" from an RFC 3339 string.
/// An unreadable value is shown as it is rather than failing the whole mail.
pub fn format_date(s: &str, with_time: bool) -> String {
    let Ok(t) = DateTime::parse_from_rfc3339(s) else {
        // A plain date (`2027-01-05`, e.g. a holiday) has no time to show.
        return chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(
            |_| s.to_string(),
            |d| {
                let day = DAYS[d.weekday().num_days_from_monday() as usize];
                format!(
                    "{day}, {} {} {}",
                    d.day(),
                    MONTHS[d.month0() as usize],
                    d.year()
                )
            },
        );
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
        assert_eq!(format_date("2027-01-05", false), "Selasa, 5 Januari 2027");
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
    fn built_in_templates_hold_every_file_of_templates_dir() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for (name, text) in BUILT_IN {
            assert_eq!(
                std::fs::read_to_string(shipped.join(name)).unwrap(),
                *text,
                "{name}"
            );
        }
        assert!(BUILT_IN.len() > MAIL.len() * 3, "{}", BUILT_IN.len());
        let t = Templates::built_in();
        assert_eq!(t.compile_all(), Vec::<String>::new());
        let ctx = crate::mail::compose::sample_ack_context();
        assert!(t
            .render("mail/ack.txt", &ctx)
            .unwrap()
            .contains("ADU-2026-0007"));
        assert!(t.overridden().is_empty());
        assert_eq!(Templates::from_config(None).unwrap().origin(), "built in");
    }

    #[test]
    fn a_file_in_the_folder_overrides_the_built_in_template_of_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("mail")).unwrap();
        std::fs::write(
            dir.path().join("mail/ack.subject.txt"),
            "Diterima: {{ ticket }}",
        )
        .unwrap();
        let t = Templates::from_config(Some(dir.path())).unwrap();
        let ctx = crate::mail::compose::sample_ack_context();
        assert_eq!(
            t.render("mail/ack.subject.txt", &ctx).unwrap(),
            "Diterima: ADU-2026-0007"
        );
        // The others still come from the program.
        assert!(t
            .render("mail/ack.txt", &ctx)
            .unwrap()
            .contains("ADU-2026-0007"));
        assert_eq!(t.overridden(), vec!["mail/ack.subject.txt"]);
        let missing = dir.path().join("tidak-ada");
        let e = Templates::from_config(Some(&missing))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("templates.dir") && e.contains("tidak-ada"),
            "{e}"
        );
    }

    #[test]
    fn a_broken_mail_template_is_named_and_a_missing_one_is_built_in() {
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
        // A file missing from the folder is taken from the program; a broken one is named.
        std::fs::remove_file(dir.path().join("mail/health.html")).unwrap();
        std::fs::write(dir.path().join("mail/notice.txt"), "{% if %}").unwrap();
        let broken = Templates::load(dir.path()).unwrap().compile_all();
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(broken[0].starts_with("mail/notice.txt"), "{broken:?}");
    }
}
