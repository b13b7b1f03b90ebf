//! The command line: thin over the application layer. `args` is what clap parses; each
//! module carries out one group of commands and renders what staff read from
//! `templates/cli/`; all output goes through `output` (a closed pipe ends quietly).

mod args;
pub mod board;
pub mod calendar;
pub mod check;
pub mod complaints;
pub mod demo;
pub mod ingest;
pub mod outbox;
pub mod output;
pub mod reports;
pub mod users;

pub use args::*;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::store::Store;

pub async fn execute(cli: Cli) -> Result<ExitCode> {
    // The one clock of every command, as in the daemon (DESIGN invariant 6).
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Run { backfill_since } => {
            crate::daemon::run(&Config::load(&cli.config)?, backfill_since, clock).await
        }
        Command::Check => check::check(&cli.config, clock.now()).await,
        Command::Ingest { files } => {
            ingest::ingest_files(&Config::load(&cli.config)?, &files, &*clock)
        }
        Command::Complaints { command }
            if matches!(
                *command,
                ComplaintsCommand::Publish { .. } | ComplaintsCommand::Unpublish { .. }
            ) =>
        {
            board::complaints(&Config::load(&cli.config)?, *command)
        }
        Command::Complaints { command } => {
            complaints::complaints(&Config::load(&cli.config)?, *command, clock.now())
        }
        Command::Flagged {
            json,
            machine,
            command,
        } => complaints::flagged(
            &Config::load(&cli.config)?,
            json,
            machine,
            command,
            clock.now(),
        ),
        Command::Demo { dir, web, listen } => demo::demo(&dir, web.then_some(listen), clock).await,
        Command::Digest { dry_run, send } => {
            complaints::digest(&Config::load(&cli.config)?, dry_run, send, clock.now())
        }
        Command::Purge { dry_run, yes, by } => {
            board::purge(&Config::load(&cli.config)?, dry_run, yes, by.as_deref())
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
        } => reports::register(
            &Config::load(&cli.config)?,
            month.as_deref(),
            from.zip(to),
            format,
            out,
        ),
        Command::Report { month, out } => reports::report(&Config::load(&cli.config)?, &month, out),
        Command::Users { command } => users::execute(&Config::load(&cli.config)?, command).await,
        Command::Outbox { command } => {
            outbox::execute(&Config::load(&cli.config)?, command, clock.now())
        }
        Command::Calendar { year, command } => {
            calendar::execute(&Config::load(&cli.config)?, year, command, clock.now())
        }
        Command::Restore { file } => {
            let config = Config::load(&cli.config)?;
            crate::store::restore(&file, &config.storage.database)?;
            crate::outln!("Basis data {} dipulihkan dari {}; berkas lama disimpan dengan akhiran .before-restore.", config.storage.database.display(), file.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
