//! The command line: what each command takes. What they do lives in `commands`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pengaduan",
    version,
    about = "Layanan pengaduan Puskesmas lewat surel: mencatat, membalas, dan memantau setiap pengaduan."
)]
pub struct Cli {
    /// Path of the configuration file.
    #[arg(
        long,
        global = true,
        env = "PENGADUAN_CONFIG",
        default_value = "config/pengaduan.toml"
    )]
    pub config: PathBuf,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: watch the mailbox, register, acknowledge (stops on SIGTERM/SIGINT).
    Run {
        /// Also register mail already in the mailbox since this date (YYYY-MM-DD); only mail
        /// younger than 24 hours is acknowledged.
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        backfill_since: Option<NaiveDate>,
    },
    /// Check the configuration, templates, holiday lists, IMAP login and SMTP handshake.
    Check,
    /// Register .eml files or mbox files (e.g. a Gmail Takeout export) through the same pipeline.
    Ingest {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The complaint register.
    Complaints {
        #[command(subcommand)]
        command: Box<ComplaintsCommand>,
    },
    /// Messages that need a person: suspect mail (curiga), unreadable mail, mail with parse
    /// problems, complaints from web forms or without a sender.
    Flagged {
        #[arg(long)]
        json: bool,
        /// Machine mail instead (auto-replies, bounces, bulk), newest first; one may be
        /// accepted as a complaint the same way.
        #[arg(long)]
        machine: bool,
        #[command(subcommand)]
        command: Option<FlaggedCommand>,
    },
    /// Demo without credentials: bundled sample mail in, acknowledgements to a directory,
    /// the register printed.
    Demo {
        /// Folder for the demo database and outbox: a new or empty folder, or one an
        /// earlier demo made (only the demo's own files are removed there).
        #[arg(long, default_value = "data/demo")]
        dir: PathBuf,
        /// Then serve the staff dashboard over that register, with a demo account whose
        /// name and password are printed (Ctrl-C stops it).
        #[arg(long)]
        web: bool,
        /// Where `--web` listens.
        #[arg(
            long,
            value_name = "ADDR",
            default_value = "127.0.0.1:8080",
            requires = "web"
        )]
        listen: std::net::SocketAddr,
    },
    /// The staff daily digest: --dry-run prints today's digest, --send queues it for the
    /// team (recipients.tim_pengaduan); exactly one of the two.
    Digest {
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        send: bool,
    },
    /// Write a consistent copy of the database to FILE while the daemon keeps running.
    Backup {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Replace the database with a backup (stop the daemon first).
    Restore {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Retention: delete the raw mail of complaints closed more than
    /// `storage.retention_years` ago (the register row and history stay). --dry-run lists
    /// it; --yes deletes it; exactly one of the two.
    Purge {
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        yes: bool,
        /// Staff member deleting (for the audit log); needed with --yes.
        #[arg(long, required_if_eq("yes", "true"))]
        by: Option<String>,
    },
    /// The complaint register (buku register) of a month or of a span of days, every
    /// channel, as an .xlsx workbook or CSV: --month 2026-11, or --from and --to.
    Register {
        /// The month (WIB), e.g. 2026-11.
        #[arg(long, value_name = "YYYY-MM", required_unless_present = "from", conflicts_with_all = ["from", "to"])]
        month: Option<String>,
        /// First day (WIB), e.g. 2026-11-01; needs --to.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "to")]
        from: Option<NaiveDate>,
        /// Last day, included.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, requires = "from")]
        to: Option<NaiveDate>,
        /// xlsx or csv.
        #[arg(long, default_value = "xlsx")]
        format: crate::reports::sheet::SheetFormat,
        /// Where to write it; default register-PERIOD.xlsx in the current folder.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The monthly report on complaint handling as a printable HTML page (A4).
    Report {
        /// The month (WIB), e.g. 2026-11.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Where to write it; default laporan-YYYY-MM.html in the current folder.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Staff accounts of the web dashboard.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The outbox: mail that failed or waits long, and sending a failed mail again.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// The holiday calendar: `calendar [YEAR]` lists the year's days off (this year when
    /// left out) to hold against the official list; `calendar recompute` moves the answer
    /// deadlines of open complaints to today's calendar (the daemon does it at start).
    #[command(args_conflicts_with_subcommands = true)]
    Calendar {
        /// The year, e.g. 2027.
        #[arg(value_name = "YEAR")]
        year: Option<i32>,
        #[command(subcommand)]
        command: Option<CalendarCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Recompute the answer deadline of every complaint still waiting for its answer:
    /// --dry-run lists what would change; --yes applies it; exactly one of the two.
    Recompute {
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        yes: bool,
        /// Staff member applying it (for the audit log); needed with --yes.
        #[arg(long, required_if_eq("yes", "true"))]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Mail that failed (newest first) and mail waiting over an hour (oldest first).
    List,
    /// Send a failed mail again (the same mail, same Message-ID); the daemon sends it
    /// within seconds.
    Retry {
        /// The mail's number, as `outbox list` and the web page Kondisi sistem show it.
        id: i64,
        /// Staff member retrying (for the audit log).
        #[arg(long)]
        by: String,
    },
}

/// Passwords are never arguments (they would show in `ps` and the shell history): they are
/// asked for on a terminal, or read as one line from standard input.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add an account; asks for its password.
    Add {
        /// Login name: lower-case letters, digits, '.', '_' or '-', e.g. siti.aminah.
        name: String,
        /// petugas, kepala, mutu or admin.
        #[arg(long)]
        role: crate::domain::Role,
    },
    /// List the accounts.
    List,
    /// Disable an account (it can no longer log in; its sessions end).
    Disable { name: String },
    /// Set a new password for an account; asks for it.
    Passwd { name: String },
}

#[derive(Debug, Subcommand)]
pub enum FlaggedCommand {
    /// Register a suspect (or unreadable) message as a complaint and acknowledge it as
    /// usual: a person has checked that it is genuine.
    Accept {
        /// The Message-ID shown by `pengaduan flagged`.
        message_id: String,
        /// Staff member taking the decision.
        #[arg(long)]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComplaintsCommand {
    /// List the register: by default the open complaints and those received in the last
    /// 30 days; --all for every complaint, --since for another start date.
    List {
        /// Every complaint ever registered.
        #[arg(long, conflicts_with = "since")]
        all: bool,
        /// Open complaints and those received on or after this date (WIB), e.g. 2026-01-01.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Only the newest N of those.
        #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Show one complaint with its messages and history.
    Show {
        /// Ticket number, e.g. ADU-2026-0007.
        ticket: String,
        #[arg(long)]
        json: bool,
    },
    /// Set the unit concerned and/or correct the kind.
    Assign {
        ticket: String,
        #[arg(long)]
        unit: Option<String>,
        /// pengaduan, saran, apresiasi or permintaan_informasi.
        #[arg(long)]
        kind: Option<String>,
        /// Staff member taking the action.
        #[arg(long)]
        by: String,
    },
    /// Record the review (telaah) and its follow-up plan.
    Review {
        ticket: String,
        #[arg(long)]
        plan: String,
        #[arg(long)]
        by: String,
    },
    /// Send the answer (from a text file) to the complainant, asking PUAS or TIDAK PUAS.
    Answer {
        ticket: String,
        #[arg(long, value_name = "FILE")]
        message_file: PathBuf,
        #[arg(long)]
        by: String,
    },
    /// Refer the case to the Dinas Kesehatan with its whole file.
    Refer {
        ticket: String,
        #[arg(long, default_value = "dirujuk oleh petugas")]
        reason: String,
        #[arg(long)]
        by: String,
    },
    /// Close the case. An answered one needs what the complainant said to the answer:
    /// --outcome puas or tidak-puas (which refers it to the Dinas Kesehatan) with --via
    /// telepon or langsung (how staff heard it), or --outcome tanpa-tanggapan (no reply).
    /// Praise, suggestions and questions not answered close without --outcome
    /// ("selesai tanpa jawaban").
    Close {
        ticket: String,
        /// puas, tidak-puas or tanpa-tanggapan.
        #[arg(long, value_name = "TANGGAPAN")]
        outcome: Option<String>,
        /// How the complainant's answer was heard: telepon or langsung.
        #[arg(long, value_name = "CARA")]
        via: Option<String>,
        #[arg(long)]
        by: String,
    },
    /// Publish a closed case on the public announcement board (papan pengumuman): the month,
    /// the unit, a summary and the follow-up, written by staff, never personal data.
    /// --preview prints the entry exactly as the board will show it and publishes nothing.
    Publish {
        ticket: String,
        /// The issue in one or two sentences (20–300 characters).
        #[arg(long, value_name = "FILE")]
        summary_file: PathBuf,
        /// The follow-up taken (20–400 characters).
        #[arg(long, value_name = "FILE")]
        followup_file: PathBuf,
        #[arg(long)]
        preview: bool,
        #[arg(long)]
        by: String,
    },
    /// Take a case off the announcement board.
    Unpublish {
        ticket: String,
        #[arg(long)]
        by: String,
    },
    /// Register a complaint that came by telephone, WhatsApp, suggestion box, letter, in
    /// person, SMS or SP4N-LAPOR!.
    Record {
        /// telepon, whatsapp, kotak_saran, surat, langsung, sms or lapor (SP4N-LAPOR!).
        #[arg(long)]
        channel: String,
        /// The SP4N-LAPOR! report number (its tracking ID), e.g. 1916449 or #1916449;
        /// required with --channel lapor, refused with any other channel.
        #[arg(long, value_name = "N")]
        lapor_number: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        subject: Option<String>,
        #[arg(long)]
        text: String,
        #[arg(long)]
        kind: Option<String>,
        /// When it was received (YYYY-MM-DD HH:MM, WIB); default now.
        #[arg(long, value_name = "WHEN")]
        received: Option<String>,
        #[arg(long)]
        by: String,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01"))
}
