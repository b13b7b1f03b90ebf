//! `pengaduan check`: every check runs even when an earlier one fails, so one run shows
//! everything to fix.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::load_pipeline;
use crate::calendar::{self};
use crate::clock::to_wib_rfc3339;
use crate::config::Config;
use crate::mail::imap::{self};
use crate::mail::smtp::Transport;
use crate::store::Store;
use crate::templates::{self, Templates};
use crate::workflow::health::{self, Problem, Severity};

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Level {
    Ok,
    /// Works, but a person should act soon (e.g. next year's holiday list is missing).
    Warn,
    Fail,
}

fn pass(ok: bool) -> Level {
    if ok {
        Level::Ok
    } else {
        Level::Fail
    }
}

#[derive(Serialize)]
struct CheckLine {
    level: Level,
    what: String,
    detail: String,
}

/// Every check runs even when an earlier one fails, so one run shows everything to fix.
pub(crate) async fn check(path: &Path, now: DateTime<Utc>) -> Result<ExitCode> {
    let mut lines = Vec::new();
    let mut push = |level: Level, what: &str, detail: String| {
        lines.push(CheckLine {
            level,
            what: what.into(),
            detail,
        })
    };
    let config = match Config::load(path) {
        Ok(c) => {
            push(
                Level::Ok,
                "konfigurasi",
                format!("{} terbaca", path.display()),
            );
            c
        }
        Err(e) => {
            // No templates without a config: plain text is the only way to say it.
            eprintln!("GAGAL konfigurasi: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    for key in config.unspaced_app_passwords() {
        let said = "ditulis berspasi seperti tampilan Google; spasinya dibuang sebelum login";
        push(Level::Ok, "sandi aplikasi", format!("{key} {said}"));
    }
    let mut pipeline = None;
    match load_pipeline(&config) {
        Ok(p) => {
            let missing = crate::daemon::warn_missing_lists(&p.calendar, now);
            if missing.is_empty() {
                push(
                    Level::Ok,
                    "kalender",
                    format!(
                        "daftar hari libur tersedia untuk tahun {}",
                        p.calendar
                            .covered_years()
                            .iter()
                            .map(i32::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            let ctx = crate::mail::compose::AckContext {
                puskesmas: (&config.puskesmas).into(),
                ticket: "ADU-2026-0001".into(),
                kind: "pengaduan".into(),
                complainant_name: None,
                subject: "Uji".into(),
                received_at: to_wib_rfc3339(now),
                ack_due: to_wib_rfc3339(now),
                review_due: to_wib_rfc3339(now),
                answer_due: to_wib_rfc3339(now),
            };
            let mut broken = p.templates.compile_all();
            broken.extend(templates::ACK.iter().filter_map(|name| {
                p.templates
                    .render(name, &ctx)
                    .err()
                    .map(|e| format!("{e:#}"))
            }));
            let empty_digest = crate::reports::digest::build(now, None, &[], &p.calendar);
            if let Err(e) = p.render_digest(&empty_digest) {
                broken.push(format!("{e:#}"));
            }
            if broken.is_empty() {
                let overridden = p.templates.overridden();
                push(
                    Level::Ok,
                    "templat",
                    format!(
                        "{} templat surel terbaca ({}); tanda terima dan ringkasan harian dapat dirender",
                        templates::MAIL.len() * 3,
                        match p.templates.dir() {
                            Some(dir) if !overridden.is_empty() => format!(
                                "bawaan program, {} diganti dari {}",
                                overridden.len(),
                                dir.display()
                            ),
                            _ => "bawaan program".to_string(),
                        }
                    ),
                );
            } else {
                push(Level::Fail, "templat", broken.join("; "));
            }
            pipeline = Some(p);
        }
        Err(e) => push(Level::Fail, "kalender/templat", format!("{e:#}")),
    }
    let mut imap_limit = None;
    match Store::open(&config.storage.database) {
        Ok(store) => {
            let integrity = store.integrity_check().unwrap_or_else(|e| format!("{e:#}"));
            push(
                pass(integrity == "ok"),
                "basis data",
                format!(
                    "{} (integrity_check: {integrity})",
                    config.storage.database.display()
                ),
            );
            let calendar = pipeline
                .as_ref()
                .map(|p: &crate::app::Pipeline| &p.calendar);
            let condition = crate::app::system::read_health(&store, &config, calendar, now)
                .and_then(|reading| {
                    let page =
                        crate::app::system::page_of(&reading, &store, &config, calendar, now)?;
                    Ok((condition_lines(&reading, &page, &config)?, reading))
                });
            match condition {
                Ok((condition, reading)) => {
                    for (level, what, detail) in condition {
                        push(level, &what, detail);
                    }
                    imap_limit = reading.state.imap_limit;
                }
                Err(e) => push(Level::Fail, "kondisi sistem", format!("{e:#}")),
            }
        }
        Err(e) => {
            push(Level::Fail, "basis data", format!("{e:#}"));
            // Judged without the database too: a full disk may be the cause.
            let state = crate::store::health::SystemState::default();
            let free = crate::app::health::free_bytes(crate::app::health::database_dir(
                &config.storage.database,
            ));
            let missing = pipeline
                .as_ref()
                .map_or_else(Vec::new, |p| calendar::missing_lists(now, &p.calendar));
            let facts = health::Facts {
                free_disk: free,
                missing_lists: &missing,
                ..health::Facts::of(&state)
            };
            let mut disk_said = false;
            for p in health::judge(&facts, &health::Thresholds::of(&config), now) {
                match &p {
                    Problem::DiskLow { free } => {
                        disk_said = true;
                        push(level_of(&p), "ruang disk", disk_detail(*free, &config));
                    }
                    Problem::HolidayListMissing { years } => push(
                        level_of(&p),
                        "kalender",
                        calendar::missing_lists_warning(years).unwrap_or_default(),
                    ),
                    _ => {}
                }
            }
            if let (Some(free), false) = (free, disk_said) {
                push(Level::Ok, "ruang disk", disk_detail(free, &config));
            }
        }
    }
    match &config.imap {
        None => push(Level::Fail, "IMAP", "bagian [imap] belum diisi".into()),
        Some(c) => match imap::connect(c).await {
            Ok(mut session) => {
                let selected = session.select(&c.mailbox).await;
                let _ = session.logout().await;
                match selected {
                    Ok(m) => push(
                        Level::Ok,
                        "IMAP",
                        format!(
                            "login ke {}:{} berhasil; {} berisi {} surel",
                            c.host, c.port, c.mailbox, m.exists
                        ),
                    ),
                    Err(e) => push(
                        Level::Fail,
                        "IMAP",
                        format!(
                            "login berhasil, tetapi kotak {} tidak dapat dibuka: {e}",
                            c.mailbox
                        ),
                    ),
                }
            }
            Err(e) => {
                let msg = format!("{e:#}");
                // Gmail's limits are not a wrong password, whatever the reply looks like.
                match imap::classify_failure(&msg, imap_limit.as_ref(), now) {
                    Some(limit) => push(
                        Level::Warn,
                        "IMAP",
                        format!(
                            "{}: {msg}",
                            crate::workflow::health::limit_meaning(
                                &crate::workflow::health::LimitView::cause_of(&limit)
                            )
                        ),
                    ),
                    None => push(Level::Fail, "IMAP", msg),
                }
            }
        },
    }
    match &config.smtp {
        None => push(Level::Fail, "SMTP", "bagian [smtp] belum diisi".into()),
        Some(c) => match Transport::from_config(c) {
            Ok(t) => match t.check().await {
                Ok(_) => push(
                    Level::Ok,
                    "SMTP",
                    format!("koneksi, TLS, dan login ke {}:{} berhasil", c.host, c.port),
                ),
                Err(e) => push(Level::Fail, "SMTP", format!("{e:#}")),
            },
            Err(e) => push(Level::Fail, "SMTP", format!("{e:#}")),
        },
    }
    let all_ok = lines.iter().all(|l| l.level != Level::Fail);
    match pipeline {
        Some(p) => crate::out!(
            "{}",
            p.templates.render(
                "cli/check.txt",
                &serde_json::json!({ "lines": lines, "all_ok": all_ok })
            )?
        ),
        None => {
            for l in &lines {
                let word = match l.level {
                    Level::Ok => "OK   ",
                    Level::Warn => "AWAS ",
                    Level::Fail => "GAGAL",
                };
                crate::outln!("{word} {}: {}", l.what, l.detail);
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn level_of(p: &Problem) -> Level {
    match p.severity() {
        Severity::Warn => Level::Warn,
        Severity::Fail => Level::Fail,
    }
}

/// `check`'s lines about the daemon's own condition, worded by `templates/cli/check_kondisi.txt`
/// from the same read model as the *Kondisi sistem* page: each line is `level TAB what TAB
/// detail`, so the levels still decide `check`'s verdict.
fn condition_lines(
    reading: &crate::app::system::Reading,
    page: &crate::app::system::SystemPage,
    config: &Config,
) -> Result<Vec<(Level, String, String)>> {
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    let mut ctx = serde_json::to_value(page)?;
    ctx["silent_minutes"] = config.alerts.mailbox_silent_minutes.into();
    ctx["calendar_warning"] = calendar::missing_lists_warning(&reading.missing_lists).into();
    let text = templates.render("cli/check_kondisi.txt", &ctx)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cells = l.splitn(3, '\t');
            let level = match cells.next() {
                Some("ok") => Level::Ok,
                Some("warn") => Level::Warn,
                Some("fail") => Level::Fail,
                other => anyhow::bail!("cli/check_kondisi.txt: {other:?} is not ok, warn or fail"),
            };
            let what = cells.next().unwrap_or_default().to_string();
            Ok((level, what, cells.next().unwrap_or_default().to_string()))
        })
        .collect()
}

fn disk_detail(free: u64, config: &Config) -> String {
    format!(
        "{} MB bebas di {}",
        free / (1024 * 1024),
        crate::app::health::database_dir(&config.storage.database).display()
    )
}
