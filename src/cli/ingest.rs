//! `pengaduan ingest FILE…`: .eml and mbox files (e.g. a Gmail Takeout export) through the
//! same pipeline as the mailbox.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::ingest::{Arrival, Outcome};
use crate::app::load_pipeline;
use crate::clock::Clock;
use crate::config::Config;
use crate::mail::mbox;
use crate::store::{MailboxPosition, Store};

pub(crate) fn ingest_files(
    config: &Config,
    files: &[PathBuf],
    clock: &dyn Clock,
) -> Result<ExitCode> {
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
pub(crate) struct Tally {
    pub(crate) new: usize,
    pub(crate) acks: usize,
    pub(crate) replies: usize,
    pub(crate) machine: usize,
    pub(crate) unreadable: usize,
    pub(crate) duplicates: usize,
    pub(crate) tickets: Vec<String>,
}

impl Tally {
    pub(crate) fn add(&mut self, o: &Outcome) {
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
