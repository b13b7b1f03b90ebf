//! `pengaduan outbox list` and `pengaduan outbox retry ID --by NAME`: the command-line twin
//! of the *Kondisi sistem* page's outbox table, thin over `app::system`. Output for staff
//! is rendered from `templates/cli/outbox.txt`.

use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::app::system::{self, MailView};
use crate::app::ActionError;
use crate::cli::OutboxCommand;
use crate::config::Config;
use crate::store::Store;
use crate::templates::Templates;

pub fn execute(config: &Config, command: OutboxCommand, now: DateTime<Utc>) -> Result<ExitCode> {
    let mut store = Store::open(&config.storage.database)?;
    let templates = Templates::from_config(config.templates_dir.as_deref())?;
    match command {
        OutboxCommand::List => {
            let mails: Vec<MailView> = system::attention(&store, now)?
                .iter()
                .map(MailView::from)
                .collect();
            crate::out!(
                "{}",
                templates.render("cli/outbox.txt", &serde_json::json!({ "mails": mails }))?
            );
            Ok(ExitCode::SUCCESS)
        }
        OutboxCommand::Retry { id, by } => match system::retry_outbox(&mut store, id, &by, now) {
            Ok(mail) => {
                crate::outln!(
                    "Surel keluar #{id} ({}) ke {} dijadwalkan dikirim ulang; program yang \
                     berjalan mengirimnya dalam beberapa detik.",
                    mail.purpose,
                    mail.rcpt_to.replace(',', ", ")
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(ActionError::Store(e)) => Err(e),
            Err(e) => {
                eprintln!("{e}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}
