//! `pengaduan calendar [YEAR]` and `pengaduan calendar recompute`: the command-line face
//! of the holiday calendar (`calendar::Calendar::year_days_off`) and of
//! `app::calendar` (deadlines that follow it). Output for staff is rendered from
//! `templates/cli/calendar.txt`.

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::app::load_pipeline;
use crate::calendar::{local_date, DayOff};
use crate::cli::CalendarCommand;
use crate::clock::to_wib_rfc3339;
use crate::config::Config;
use crate::store::Store;

#[derive(Serialize)]
struct Change {
    ticket: String,
    from: String,
    to: String,
}

pub fn execute(
    config: &Config,
    year: Option<i32>,
    command: Option<CalendarCommand>,
    now: DateTime<Utc>,
) -> Result<ExitCode> {
    let pipeline = load_pipeline(config)?;
    let ctx = match command {
        None => {
            let year = year.unwrap_or_else(|| local_date(now).year());
            let days: Vec<DayOff> = pipeline.calendar.year_days_off(year);
            serde_json::json!({
                "list": true,
                "year": year,
                "days": days,
                "covered": pipeline.calendar.covers_year(year),
            })
        }
        Some(CalendarCommand::Recompute { dry_run, yes, by }) => {
            if dry_run == yes {
                eprintln!(
                    "Pilih salah satu: --dry-run (hanya melihat) atau --yes --by NAMA (mengubah)."
                );
                return Ok(ExitCode::from(2));
            }
            let by = by.unwrap_or_default();
            if yes && by.trim().is_empty() {
                eprintln!("--by kosong: tulis nama petugas yang mengubah, mis. --by \"Rina\"");
                return Ok(ExitCode::from(2));
            }
            let mut store = Store::open(&config.storage.database)?;
            let found = pipeline.recompute_deadlines(&mut store, &by, yes, now)?;
            let changes: Vec<Change> = found
                .changes
                .iter()
                .map(|c| Change {
                    ticket: c.ticket.to_string(),
                    from: to_wib_rfc3339(c.from),
                    to: to_wib_rfc3339(c.to.answer_due),
                })
                .collect();
            serde_json::json!({
                "list": false,
                "applied": yes,
                "reason": found.reason,
                "changes": changes,
            })
        }
    };
    crate::out!("{}", pipeline.templates.render("cli/calendar.txt", &ctx)?);
    Ok(ExitCode::SUCCESS)
}
