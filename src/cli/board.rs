//! The command-line face of `app::board` (`complaints publish/unpublish`) and
//! `app::retention` (`purge`). Output for staff is rendered from `templates/cli/`.
//!
//! `publish` asks nothing: `--preview` prints the entry exactly as the board will show it
//! and writes nothing; without it the same checks run and the entry is published (and
//! printed). A prompt would hang or be answered blindly when the command runs from a script
//! or without a terminal; a separate flag keeps "look first" explicit and repeatable.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::app::actions::ActionError;
use crate::app::board::{self, Draft};
use crate::app::retention;
use crate::cli::ComplaintsCommand;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::domain::Ticket;
use crate::store::retention::RawHolding;
use crate::store::Store;
use crate::templates::Templates;

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("berkas {what} {} tidak dapat dibaca", path.display()))
}

/// `complaints publish` and `complaints unpublish`.
pub fn complaints(config: &Config, command: ComplaintsCommand) -> Result<ExitCode> {
    let mut store = Store::open(&config.storage.database)?;
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    let now = SystemClock.now();
    let parse =
        |t: &str| -> Result<Ticket> { t.trim().parse().map_err(|e| anyhow::anyhow!("{e}")) };
    let done = match command {
        ComplaintsCommand::Publish {
            ticket,
            summary_file,
            followup_file,
            preview,
            by,
        } => {
            let ticket = parse(&ticket)?;
            let draft = Draft {
                summary: read(&summary_file, "ringkasan")?,
                followup: read(&followup_file, "tindak lanjut")?,
            };
            let entry = if preview {
                board::preview(&mut store, &ticket, &draft)
            } else {
                board::publish(&mut store, &ticket, &draft, &by, now)
            };
            entry.map(|entry| {
                let ctx = serde_json::json!({
                    "ticket": ticket.to_string(), "entry": entry, "preview": preview,
                });
                templates.render("cli/papan.txt", &ctx)
            })
        }
        ComplaintsCommand::Unpublish { ticket, by } => {
            let ticket = parse(&ticket)?;
            board::unpublish(&mut store, &ticket, &by, now)
                .map(|()| Ok(format!("{ticket}: dicabut dari papan pengumuman.\n")))
        }
        other => anyhow::bail!("{other:?} is not a board command"),
    };
    match done {
        Ok(text) => {
            crate::out!("{}", text?);
            Ok(ExitCode::SUCCESS)
        }
        Err(ActionError::Store(e)) => Err(e),
        Err(e) => {
            eprintln!("Gagal: {e}.");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[derive(Serialize)]
struct Holding<'a> {
    #[serde(flatten)]
    holding: &'a RawHolding,
    bytes: i64,
}

/// `purge --dry-run` lists, `purge --yes --by NAME` deletes; anything else is refused.
pub fn purge(config: &Config, dry_run: bool, yes: bool, by: Option<&str>) -> Result<ExitCode> {
    if dry_run == yes {
        anyhow::bail!(
            "pilih tepat satu: `purge --dry-run` (tampilkan yang akan dihapus) atau \
             `purge --yes --by NAMA` (hapus sekarang) / choose exactly one of --dry-run or --yes"
        );
    }
    let years = config.storage.retention_years;
    let mut store = Store::open(&config.storage.database)?;
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    let now = SystemClock.now();
    let cases = if yes {
        retention::purge(&mut store, now, years, by.unwrap_or(""))?
    } else {
        retention::due_for_purge(&store, now, years)?
    };
    let view: Vec<Holding> = cases
        .iter()
        .map(|h| Holding {
            holding: h,
            bytes: h.bytes(),
        })
        .collect();
    crate::out!(
        "{}",
        templates.render(
            "cli/purge.txt",
            &serde_json::json!({ "cases": view, "years": years, "done": yes }),
        )?
    );
    Ok(ExitCode::SUCCESS)
}
