//! What each command does. Output meant for staff is rendered from `templates/cli/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{watch, Notify};

use crate::app::{load_pipeline, views, ActionError};
use crate::calendar::{self, Calendar, WIB};
use crate::cli::{Cli, Command, ComplaintsCommand, FlaggedCommand};
use crate::clock::{to_wib_rfc3339, Clock, SystemClock};
use crate::config::Config;
use crate::domain::{CloseOutcome, Heard, MessageClass, Status, Ticket};
use crate::health::{self, Problem, Severity};
use crate::ingest::{Arrival, Outcome};
use crate::mail::imap::{self, Watcher};
use crate::mail::mbox;
use crate::mail::smtp::Transport;
use crate::outbox;
use crate::store::{ListFilter, MailboxPosition, SharedStore, Store};
use crate::templates::{self, Templates};

pub async fn execute(cli: Cli) -> Result<ExitCode> {
    // The one clock of every command, as in the daemon (DESIGN invariant 6).
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Run { backfill_since } => {
            run(&Config::load(&cli.config)?, backfill_since, clock).await
        }
        Command::Check => check(&cli.config, clock.now()).await,
        Command::Ingest { files } => ingest_files(&Config::load(&cli.config)?, &files, &*clock),
        Command::Complaints { command }
            if matches!(
                *command,
                ComplaintsCommand::Publish { .. } | ComplaintsCommand::Unpublish { .. }
            ) =>
        {
            crate::cli_board::complaints(&Config::load(&cli.config)?, *command)
        }
        Command::Complaints { command } => {
            complaints(&Config::load(&cli.config)?, *command, clock.now())
        }
        Command::Flagged {
            json,
            machine,
            command,
        } => flagged(
            &Config::load(&cli.config)?,
            json,
            machine,
            command,
            clock.now(),
        ),
        Command::Demo { dir, web, listen } => demo(&dir, web.then_some(listen), clock).await,
        Command::Digest { dry_run, send } => {
            digest(&Config::load(&cli.config)?, dry_run, send, clock.now())
        }
        Command::Purge { dry_run, yes, by } => {
            crate::cli_board::purge(&Config::load(&cli.config)?, dry_run, yes, by.as_deref())
        }
        Command::Backup { file } => {
            let config = Config::load(&cli.config)?;
            Store::open(&config.storage.database)?.backup_to(&file)?;
            crate::outln!("Cadangan basis data tersimpan di {}.", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Register {
            month,
            from,
            to,
            format,
            out,
        } => crate::cli_reports::register(
            &Config::load(&cli.config)?,
            month.as_deref(),
            from.zip(to),
            format,
            out,
        ),
        Command::Report { month, out } => {
            crate::cli_reports::report(&Config::load(&cli.config)?, &month, out)
        }
        Command::Users { command } => {
            crate::users::execute(&Config::load(&cli.config)?, command).await
        }
        Command::Outbox { command } => {
            crate::cli_outbox::execute(&Config::load(&cli.config)?, command, clock.now())
        }
        Command::Calendar { year, command } => {
            crate::cli_calendar::execute(&Config::load(&cli.config)?, year, command, clock.now())
        }
        Command::Restore { file } => {
            let config = Config::load(&cli.config)?;
            crate::store::restore(&file, &config.storage.database)?;
            crate::outln!("Basis data {} dipulihkan dari {}; berkas lama disimpan dengan akhiran .before-restore.", config.storage.database.display(), file.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run(
    config: &Config,
    backfill_since: Option<chrono::NaiveDate>,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    let imap_cfg = config.imap.clone().context("the [imap] section is missing: `run` needs a mailbox to watch (see config/pengaduan.example.toml)")?;
    let smtp_cfg = config
        .smtp
        .as_ref()
        .context("the [smtp] section is missing: `run` needs a way to send acknowledgements")?;
    // The one command that logs in for hours: a missing password fails now, not at the
    // first reconnect.
    config.require_secrets()?;
    let pipeline = Arc::new(load_pipeline(config)?);
    warn_missing_lists(&pipeline.calendar, clock.now());
    let transport = Transport::from_config(smtp_cfg)?;
    let db = &config.storage.database;
    let (stop, stopped) = watch::channel(false);
    let open = || -> Result<SharedStore> {
        let store = Store::open(db)?;
        store.defer_checkpoints()?;
        Ok(SharedStore::new(store))
    };
    let (ingest_store, outbox_store, jobs_store) = (open()?, open()?, open()?);
    ingest_store.run(|s| s.cache_whole_chunks()).await?;
    // Deadlines follow the calendar (invariant 11): a list added or edited since the last
    // start moves the stored deadlines before any reminder is decided on them.
    let recomputed = {
        let pipeline = pipeline.clone();
        let now = clock.now();
        ingest_store
            .run(move |s| pipeline.recompute_deadlines(s, crate::procedure::SYSTEM, true, now))
            .await
            .context("cannot recompute the answer deadlines against the holiday calendar")?
    };
    if !recomputed.changes.is_empty() {
        tracing::info!(complaints = recomputed.changes.len(), reason = %recomputed.reason, "answer deadlines recomputed against the holiday calendar");
    }
    let checkpointing = tokio::spawn(crate::store::checkpointer(
        open()?,
        ingest_store.clone(),
        stopped.clone(),
    ));
    let wake = Arc::new(Notify::new());
    // Before the mailbox work starts, so a taken port or an unreadable token stops `run`
    // at once with the fix.
    let serving = match &config.web {
        Some(settings) => {
            let listener = crate::web::bind(settings).await?;
            let app = crate::web::WebApp::new(config, settings.clone(), open()?, clock.clone())?;
            Some(tokio::spawn(crate::web::serve(
                listener,
                Arc::new(app),
                stopped.clone(),
            )))
        }
        None => None,
    };

    tracing::info!(mailbox = %imap_cfg.mailbox, host = %imap_cfg.host, database = %db.display(), "pengaduan started");
    let mut scheduler = crate::jobs::start(crate::jobs::JobContext {
        pipeline: pipeline.clone(),
        store: jobs_store,
        clock: clock.clone(),
        outbox_wake: wake.clone(),
    })
    .await?;
    let watcher = Watcher {
        config: imap_cfg,
        pipeline: pipeline.clone(),
        store: ingest_store,
        clock: clock.clone(),
        outbox_wake: wake.clone(),
        backfill_since,
    };
    let watching = tokio::spawn(watcher.run(stopped.clone()));
    let sending = tokio::spawn(outbox::run(
        outbox_store,
        transport,
        pipeline,
        clock,
        wake,
        stopped,
    ));

    wait_for_signal().await?;
    tracing::info!("stopping: finishing the current transaction");
    let _ = stop.send(true);
    let finished = tokio::time::timeout(Duration::from_secs(9), async {
        let _ = watching.await;
        let _ = sending.await;
        if let Some(serving) = serving {
            let _ = serving.await;
        }
        let _ = checkpointing.await;
        let _ = scheduler.shutdown().await;
    })
    .await;
    if finished.is_err() {
        tracing::warn!("tasks did not stop within 9 s; exiting anyway (committed work is safe)");
    }
    tracing::info!("pengaduan stopped");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r.context("cannot listen for SIGINT")?,
    }
    Ok(())
}

fn warn_missing_lists(calendar: &Calendar, now: DateTime<Utc>) -> Vec<i32> {
    let missing = calendar::missing_lists(now, calendar);
    for y in &missing {
        tracing::warn!(year = y, "no holiday list for {y}: deadlines in {y} skip only weekends and the fixed-date national holidays; add libur-nasional-{y}.toml to calendar.holidays");
    }
    missing
}

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
async fn check(path: &Path, now: DateTime<Utc>) -> Result<ExitCode> {
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
            let missing = warn_missing_lists(&p.calendar, now);
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
            let empty_digest = crate::digest::build(now, None, &[], &p.calendar);
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
            let free = health::free_bytes(health::database_dir(&config.storage.database));
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
                            crate::health::limit_meaning(&crate::health::LimitView::cause_of(
                                &limit
                            ))
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

fn ingest_files(config: &Config, files: &[PathBuf], clock: &dyn Clock) -> Result<ExitCode> {
    let pipeline = load_pipeline(config)?;
    let mut store = Store::open(&config.storage.database)?;
    let mut tally = Tally::default();
    for file in files {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let messages = if mbox::is_mbox(&bytes) {
            mbox::split(&bytes)
        } else {
            vec![bytes]
        };
        for raw in messages {
            let now = clock.now();
            let arrival = Arrival {
                raw: &raw,
                position: MailboxPosition::default(),
                received_at: date_of(&raw).unwrap_or(now),
                historical: true,
            };
            tally.add(&pipeline.ingest(&mut store, &arrival, now)?);
        }
    }
    crate::out!("{}", pipeline.templates.render("cli/ingest.txt", &tally)?);
    Ok(ExitCode::SUCCESS)
}

/// For files there is no INTERNALDATE; the Date header is the best witness of arrival.
fn date_of(raw: &[u8]) -> Option<DateTime<Utc>> {
    let m = mail_parser::MessageParser::new().parse_headers(raw)?;
    DateTime::from_timestamp(m.date()?.to_timestamp(), 0)
}

#[derive(Default, Serialize)]
struct Tally {
    new: usize,
    acks: usize,
    replies: usize,
    machine: usize,
    unreadable: usize,
    duplicates: usize,
    tickets: Vec<String>,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::New { ticket, ack_queued } => {
                self.new += 1;
                self.acks += usize::from(*ack_queued);
                self.tickets.push(ticket.to_string());
            }
            Outcome::Reply { .. } => self.replies += 1,
            Outcome::Machine { .. } => self.machine += 1,
            // Suspect mail waits for a person too (`pengaduan flagged`).
            Outcome::Unreadable { .. } | Outcome::Suspect { .. } => self.unreadable += 1,
            Outcome::Duplicate => self.duplicates += 1,
        }
    }
}

fn parse_ticket(s: &str) -> Result<Ticket> {
    s.trim().parse().map_err(|e| anyhow::anyhow!("{e}"))
}

fn parse_word<T: std::str::FromStr>(s: Option<&str>) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| s.parse::<T>().map_err(|e| anyhow::anyhow!("{e}")))
        .transpose()
}

/// `complaints close --outcome … --via …` read with the command line's own words in its
/// errors; whether the case needs an outcome at all is the app's to say, but the usual
/// mistake (an answered case closed without one) is named with its flags.
fn close_args(
    store: &Store,
    ticket: &Ticket,
    outcome: Option<&str>,
    via: Option<&str>,
) -> Result<(Option<CloseOutcome>, Option<Heard>)> {
    const OUTCOMES: &str = "--outcome puas, --outcome tidak-puas atau --outcome tanpa-tanggapan";
    let outcome = outcome
        .map(|o| {
            o.parse::<CloseOutcome>()
                .map_err(|_| anyhow::anyhow!("--outcome {o:?} tidak dikenal; tulis {OUTCOMES}"))
        })
        .transpose()?;
    let via = via
        .map(|v| {
            v.parse::<Heard>()
                .ok()
                .filter(|h| Heard::BY_STAFF.contains(h))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--via {v:?} tidak dikenal; tulis --via telepon atau --via langsung \
                         (bagaimana petugas mendengar tanggapan pengadu)"
                    )
                })
        })
        .transpose()?;
    match (outcome, via) {
        (None, _) => {
            let answered = store
                .complaint(ticket)?
                .is_some_and(|c| c.status == Status::Answered);
            anyhow::ensure!(
                !answered,
                "{ticket} sudah dijawab: sebutkan tanggapan pengadu atas jawaban dengan \
                 {OUTCOMES} (puas dan tidak-puas juga dengan --via telepon atau --via langsung)"
            );
            anyhow::ensure!(
                via.is_none(),
                "--via hanya dipakai bersama --outcome puas atau --outcome tidak-puas"
            );
        }
        (Some(CloseOutcome::Puas | CloseOutcome::TidakPuas), None) => anyhow::bail!(
            "sebutkan bagaimana tanggapan pengadu didengar: --via telepon atau --via langsung"
        ),
        (Some(CloseOutcome::TanpaTanggapan), Some(_)) => {
            anyhow::bail!("--outcome tanpa-tanggapan tidak memakai --via: pengadu tidak menanggapi")
        }
        _ => {}
    }
    Ok((outcome, via))
}

/// Staff actions: each one transaction through `procedure`, then a one-line confirmation.
fn staff_action(
    config: &Config,
    command: ComplaintsCommand,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
    let pipeline = load_pipeline(config)?;
    let mut store = Store::open(&config.storage.database)?;
    let (ticket, done) = match command {
        ComplaintsCommand::Assign {
            ticket,
            unit,
            kind,
            by,
        } => {
            let t = parse_ticket(&ticket)?;
            anyhow::ensure!(
                unit.is_some() || kind.is_some(),
                "sebutkan --unit dan/atau --kind"
            );
            pipeline.assign(
                &mut store,
                &t,
                unit.as_deref(),
                parse_word(kind.as_deref())?,
                &by,
                now,
            )?;
            (t, "unit/jenis dicatat")
        }
        ComplaintsCommand::Review { ticket, plan, by } => {
            let t = parse_ticket(&ticket)?;
            pipeline.review(&mut store, &t, &plan, &by, now)?;
            (t, "hasil telaah dan rencana tindak lanjut dicatat")
        }
        ComplaintsCommand::Answer {
            ticket,
            message_file,
            by,
        } => {
            let t = parse_ticket(&ticket)?;
            let text = std::fs::read_to_string(&message_file).with_context(|| {
                format!(
                    "berkas jawaban {} tidak dapat dibaca",
                    message_file.display()
                )
            })?;
            let emailed = pipeline.answer(&mut store, &t, &text, &by, now)?;
            (
                t,
                if emailed {
                    "jawaban dijadwalkan untuk dikirim ke pengadu (dikirim oleh `pengaduan run`)"
                } else {
                    "jawaban dicatat; pengadu tidak punya surel, sampaikan lewat telepon/WA/surat"
                },
            )
        }
        ComplaintsCommand::Refer { ticket, reason, by } => {
            let t = parse_ticket(&ticket)?;
            pipeline.refer(&mut store, &t, &reason, &by, now)?;
            (
                t,
                "dirujuk ke Dinas Kesehatan; berkas dijadwalkan untuk dikirim",
            )
        }
        ComplaintsCommand::Close {
            ticket,
            outcome,
            via,
            by,
        } => {
            let t = parse_ticket(&ticket)?;
            let (outcome, via) = close_args(&store, &t, outcome.as_deref(), via.as_deref())?;
            pipeline.close(&mut store, &t, outcome, via, &by, now)?;
            (
                t,
                match outcome {
                    None => "ditutup (selesai tanpa jawaban)",
                    Some(CloseOutcome::Puas) => "ditutup: pengadu puas",
                    Some(CloseOutcome::TidakPuas) => {
                        "pengadu tidak puas: dirujuk ke Dinas Kesehatan; berkas dijadwalkan untuk dikirim"
                    }
                    Some(CloseOutcome::TanpaTanggapan) => "ditutup: tidak ada tanggapan pengadu",
                },
            )
        }
        ComplaintsCommand::Record {
            channel,
            lapor_number,
            name,
            address,
            phone,
            email,
            subject,
            text,
            kind,
            received,
            by,
        } => {
            let channel: crate::domain::Channel =
                parse_word(Some(channel.as_str()))?.context("saluran wajib diisi")?;
            let received_at = match received {
                None => now,
                Some(s) => chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M")
                    .map_err(|_| anyhow::anyhow!("--received {s:?} tidak dikenali; tulis seperti \"2026-11-23 09:30\" (WIB)"))?
                    .and_local_timezone(WIB)
                    .single()
                    .context("waktu tidak valid")?
                    .with_timezone(&Utc),
            };
            let email = email
                .as_deref()
                .map(crate::domain::EmailAddress::parse)
                .transpose()?;
            let manual = crate::app::actions::ManualComplaint {
                channel,
                lapor_number,
                name,
                address,
                phone,
                email,
                subject,
                text,
                kind: parse_word(kind.as_deref())?,
                received_at,
            };
            let t = pipeline.record(&mut store, &manual, &by, now)?;
            (t, "dicatat di buku register")
        }
        ComplaintsCommand::List { .. }
        | ComplaintsCommand::Show { .. }
        | ComplaintsCommand::Publish { .. }
        | ComplaintsCommand::Unpublish { .. } => {
            anyhow::bail!("list, show, publish and unpublish are not staff actions here")
        }
    };
    crate::outln!("{ticket}: {done}.");
    Ok(ExitCode::SUCCESS)
}

/// `complaints list` without --all or --since: open complaints and the last 30 days.
const LIST_DAYS: u64 = 30;

fn complaints(config: &Config, command: ComplaintsCommand, now: DateTime<Utc>) -> Result<ExitCode> {
    if !matches!(
        command,
        ComplaintsCommand::List { .. } | ComplaintsCommand::Show { .. }
    ) {
        return staff_action(config, command, now);
    }
    let store = Store::open(&config.storage.database)?;
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    match command {
        ComplaintsCommand::List {
            all,
            since,
            limit,
            json,
        } => {
            let since = match (all, since) {
                (true, _) => None,
                (false, Some(date)) => Some(date),
                (false, None) => Some(calendar::local_date(now) - chrono::Days::new(LIST_DAYS)),
            };
            let view = views::register_view(
                &store,
                &ListFilter {
                    since: since.and_then(calendar::start_of_day_utc),
                    limit,
                },
            )?;
            if json {
                crate::outln!("{}", serde_json::to_string_pretty(&view.complaints)?);
            } else {
                crate::out!("{}", templates.render("cli/complaints.txt", &view)?);
            }
        }
        ComplaintsCommand::Show { ticket, json } => {
            let ticket = parse_ticket(&ticket)?;
            let detail = match views::complaint_detail(&store, &ticket) {
                Err(ActionError::NotFound(why)) => {
                    eprintln!("{why}");
                    return Ok(ExitCode::FAILURE);
                }
                other => other?,
            };
            if json {
                crate::outln!("{}", serde_json::to_string_pretty(&detail)?);
            } else {
                crate::out!("{}", templates.render("cli/complaint.txt", &detail)?);
            }
        }
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn flagged(
    config: &Config,
    json: bool,
    machine: bool,
    command: Option<FlaggedCommand>,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
    if let Some(FlaggedCommand::Accept { message_id, by }) = command {
        let by = by.trim();
        anyhow::ensure!(
            !by.is_empty(),
            "--by kosong: tulis nama petugas yang memutuskan, mis. --by \"Rina\""
        );
        let pipeline = load_pipeline(config)?;
        let mut store = Store::open(&config.storage.database)?;
        let (ticket, ack) = pipeline.accept_flagged(&mut store, &message_id, by, now)?;
        crate::out!(
            "{}",
            pipeline.templates.render(
                "cli/flagged_accepted.txt",
                &serde_json::json!({ "ticket": ticket.to_string(), "ack_queued": ack, "message_id": message_id }),
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open(&config.storage.database)?;
    let page = match machine {
        true => views::machine_page(&store)?,
        false => {
            // Oldest first on a terminal, as the list has always read.
            let mut page = views::flagged_page(&store)?;
            page.lines.reverse();
            page
        }
    };
    if json {
        let list: Vec<_> = page.lines.iter().map(|l| &l.message).collect();
        crate::outln!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let templates = Templates::from_config(config.templates_dir.as_deref())?;
        crate::out!(
            "{}",
            templates.render(
                "cli/flagged.txt",
                &serde_json::json!({
                    "messages": page.lines,
                    "machine": machine,
                    "waiting": page.waiting,
                    "suspect": page.lines.iter().filter(|l| l.message.class == MessageClass::Curiga).count(),
                })
            )?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The whole pipeline on bundled sample mail, with no account and no network: the samples
/// arrive "now", acknowledgements land as .eml files in DIR/outbox.
async fn demo(
    dir: &Path,
    web: Option<std::net::SocketAddr>,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    if let Err(refusal) = prepare_demo_dir(dir) {
        eprintln!("{refusal}");
        return Ok(ExitCode::from(2));
    }
    let text = format!(
        "[puskesmas]\nname = \"Puskesmas Kademangan\"\nemail = \"kademangan.puskesmas@gmail.com\"\n\
         contact = \"Telepon (0332) 424212 · WA center 0823-0246-3093\"\n[storage]\ndatabase = {:?}\n{}",
        dir.join(DEMO_DATABASE).display().to_string(),
        match web {
            Some(addr) => format!("[web]\nlisten = \"{addr}\"\n"),
            None => String::new(),
        }
    );
    let config = Config::parse(&text, Path::new("(demo)"))?;
    let pipeline = load_pipeline(&config)?;
    // Built into the binary (build.rs), so the demo runs from any folder.
    let samples = SAMPLE_MAIL;
    let mut store = Store::open(&config.storage.database)?;
    let mut tally = Tally::default();
    // Each sample twice: the second pass shows that nothing is registered or answered again.
    for pass in 0..2 {
        for (name, raw) in samples {
            let now = clock.now();
            let outcome = pipeline.ingest(
                &mut store,
                &Arrival {
                    raw,
                    position: MailboxPosition::default(),
                    received_at: now,
                    historical: false,
                },
                now,
            )?;
            if pass == 0 {
                tally.add(&outcome);
            } else {
                anyhow::ensure!(outcome == Outcome::Duplicate, "{name} was registered twice");
                tally.duplicates += 1;
            }
        }
    }
    let outbox_dir = dir.join(DEMO_OUTBOX);
    let shared = SharedStore::new(store);
    let sent = outbox::drain(&shared, &Transport::Directory(outbox_dir.clone()), &*clock).await?;
    let register = shared
        .run(|s| views::register_view(s, &ListFilter::ALL))
        .await?;
    crate::out!(
        "{}",
        pipeline.templates.render(
            "cli/demo.txt",
            &serde_json::json!({ "tally": tally, "sent": sent, "outbox": outbox_dir.display().to_string(), "database": config.storage.database.display().to_string() })
        )?
    );
    crate::out!(
        "{}",
        pipeline.templates.render("cli/complaints.txt", &register)?
    );
    match &config.web {
        Some(settings) => serve_demo(&config, settings, shared, clock).await,
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The sample mail of `samples/inbox/`, built into the binary by build.rs as (file name,
/// bytes), in name order.
static SAMPLE_MAIL: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/built_in_samples.rs"));

/// The file that marks a folder as made by `pengaduan demo`: only such a folder (or an
/// empty one) is used, and only the demo's own files are removed from it.
const DEMO_MARKER: &str = ".pengaduan-demo";
const DEMO_DATABASE: &str = "pengaduan.db";
const DEMO_OUTBOX: &str = "outbox";

/// Makes `dir` ready for a fresh demo without deleting anything the demo did not create:
/// a missing or empty folder is used, a folder with the marker has the demo's database
/// and the outbox's .eml files removed, anything else is refused with what to do.
fn prepare_demo_dir(dir: &Path) -> std::result::Result<(), String> {
    let shown = dir.display();
    let entries: Vec<std::ffi::OsString> = match std::fs::read_dir(dir) {
        Ok(list) => list.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("Folder demo {shown} tidak dapat dibaca: {e}")),
    };
    if !entries.is_empty() && !entries.iter().any(|n| n == DEMO_MARKER) {
        return Err(format!(
            "Folder {shown} sudah berisi berkas lain dan bukan folder demo sebelumnya; demo tidak \
             menghapus apa pun yang tidak dibuatnya. Pilih folder baru atau kosong, misalnya: \
             pengaduan demo --dir data/demo"
        ));
    }
    let remove = |path: &Path| match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{} tidak dapat dihapus: {e}", path.display()))
        }
        _ => Ok(()),
    };
    for suffix in ["", "-wal", "-shm"] {
        remove(&dir.join(format!("{DEMO_DATABASE}{suffix}")))?;
    }
    // The outbox holds the .eml files the demo wrote; anything else there stays.
    if let Ok(list) = std::fs::read_dir(dir.join(DEMO_OUTBOX)) {
        for path in list.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.extension().is_some_and(|x| x == "eml") {
                remove(&path)?;
            }
        }
    }
    std::fs::create_dir_all(dir)
        .and_then(|()| {
            std::fs::write(
                dir.join(DEMO_MARKER),
                "Folder ini dibuat oleh `pengaduan demo`; demo berikutnya hanya menghapus \
                 pengaduan.db dan outbox/*.eml di sini.\n",
            )
        })
        .map_err(|e| format!("Folder demo {shown} tidak dapat dibuat: {e}"))
}

/// `demo --web`: the dashboard over the demo register, with a fresh petugas account.
async fn serve_demo(
    config: &Config,
    settings: &crate::config::Web,
    store: SharedStore,
    clock: Arc<dyn Clock>,
) -> Result<ExitCode> {
    use crate::app::accounts::{self, Password};
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| {
            format!(
                "alamat {} sedang dipakai program lain (atau tidak dapat dipakai); pilih alamat \
                 lain, misalnya: pengaduan demo --web --listen 127.0.0.1:8081",
                settings.listen
            )
        })?;
    let password = accounts::random_token()?[..16].to_string();
    let name = crate::domain::AccountName::parse("demo")?;
    accounts::add(
        &store,
        &*clock,
        "demo",
        name,
        crate::domain::Role::Petugas,
        Password::new(&password)?,
    )
    .await?;
    let app = crate::web::WebApp::new(config, settings.clone(), store, clock)?;
    crate::outln!(
        "\nHalaman petugas: http://{}/ — masuk sebagai \"demo\" dengan kata sandi {password} \
         (Ctrl-C untuk berhenti).",
        settings.listen
    );
    let (stop, stopped) = watch::channel(false);
    let serving = tokio::spawn(crate::web::serve(listener, Arc::new(app), stopped));
    wait_for_signal().await?;
    let _ = stop.send(true);
    serving.await??;
    Ok(ExitCode::SUCCESS)
}

/// `digest --dry-run` prints today's digest (text part); `digest --send` queues it.
fn digest(config: &Config, dry_run: bool, send: bool, now: DateTime<Utc>) -> Result<ExitCode> {
    if dry_run == send {
        anyhow::bail!(
            "pilih tepat satu: `digest --dry-run` (tampilkan ringkasan) atau `digest --send` \
             (kirim sekarang) / choose exactly one of --dry-run or --send"
        );
    }
    let pipeline = load_pipeline(config)?;
    let mut store = Store::open(&config.storage.database)?;
    if dry_run {
        let digest = pipeline.digest(&store, now)?;
        crate::outln!("{}", pipeline.render_digest(&digest)?.text.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    match pipeline.queue_digest(&mut store, now)? {
        Some(key) => crate::outln!(
            "Ringkasan harian ({key}) masuk antrean untuk {}; daemon akan mengirimkannya.",
            config
                .recipients
                .tim_pengaduan
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => {
            crate::outln!(
                "Ringkasan harian hari ini sudah pernah masuk antrean; tidak dikirim lagi."
            )
        }
    }
    Ok(ExitCode::SUCCESS)
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
        health::database_dir(&config.storage.database).display()
    )
}
