//! `pengaduan complaints …`, `flagged` and `digest`: the register, the staff actions and
//! the mail that waits for a person, thin over `app`.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::app::{load_pipeline, views, ActionError};
use crate::calendar::{self, WIB};
use crate::cli::{ComplaintsCommand, FlaggedCommand};
use crate::config::Config;
use crate::domain::{CloseOutcome, Heard, MessageClass, Status, Ticket};
use crate::store::{ListFilter, Store};
use crate::templates::Templates;

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
pub(crate) fn staff_action(
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

pub(crate) fn complaints(
    config: &Config,
    command: ComplaintsCommand,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
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

pub(crate) fn flagged(
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

/// `digest --dry-run` prints today's digest (text part); `digest --send` queues it.
pub(crate) fn digest(
    config: &Config,
    dry_run: bool,
    send: bool,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
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
