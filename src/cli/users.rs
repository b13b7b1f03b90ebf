//! The `users` commands: the command-line face of `app::accounts`, for the operator on
//! the server. Passwords come from a prompt without echo on a terminal, or as one line
//! from standard input (scripts, tests) — never from an argument.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::app::accounts::{self, AccountError, Password};
use crate::cli::UsersCommand;
use crate::clock::{to_wib_rfc3339, SystemClock};
use crate::config::Config;
use crate::domain::AccountName;
use crate::store::{SharedStore, Store};
use crate::templates::format_date;

pub async fn execute(config: &Config, command: UsersCommand) -> Result<ExitCode> {
    let store = SharedStore::new(Store::open(&config.storage.database)?);
    match change(&store, command).await {
        Ok(message) => {
            crate::outln!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(AccountError::Store(e)) => Err(e),
        Err(e) => {
            eprintln!("Gagal: {e}.");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Carries out the command; the text to print on success.
async fn change(store: &SharedStore, command: UsersCommand) -> Result<String, AccountError> {
    let clock = &SystemClock;
    Ok(match command {
        UsersCommand::Add { name, role } => {
            let name = AccountName::parse(&name)?;
            accounts::add(store, clock, &actor(), name.clone(), role, new_password()?).await?;
            format!("Akun {name} ({role}) ditambahkan.")
        }
        UsersCommand::List => {
            let list = accounts::list(store).await?;
            if list.is_empty() {
                return Ok(
                    "Belum ada akun. Tambahkan dengan: pengaduan users add NAMA --role admin"
                        .into(),
                );
            }
            let lines: Vec<String> = list
                .iter()
                .map(|a| {
                    let state = match a.disabled_at {
                        Some(t) => {
                            format!("nonaktif sejak {}", format_date(&to_wib_rfc3339(t), false))
                        }
                        None => "aktif".into(),
                    };
                    format!("{:<32} {:<8} {state}", a.name, a.role)
                })
                .collect();
            lines.join("\n")
        }
        UsersCommand::Disable { name } => {
            let name = AccountName::parse(&name)?;
            accounts::disable(store, clock, &actor(), name.clone()).await?;
            format!("Akun {name} dinonaktifkan; sesinya berakhir.")
        }
        UsersCommand::Passwd { name } => {
            let name = AccountName::parse(&name)?;
            accounts::set_password(store, clock, &actor(), name.clone(), new_password()?).await?;
            format!("Kata sandi akun {name} diganti; sesinya yang terbuka berakhir.")
        }
    })
}

/// The audit log's actor for a change made on the command line: `cli:` and the OS user.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_default();
    let user: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .take(32)
        .collect();
    if user.is_empty() {
        "cli".into()
    } else {
        format!("cli:{user}")
    }
}

/// A new password: typed twice on a terminal, or one line of standard input.
fn new_password() -> Result<Password, AccountError> {
    let stdin = std::io::stdin();
    let typed = if stdin.is_terminal() {
        let first = prompt_hidden("Kata sandi baru: ")?;
        if prompt_hidden("Ulangi kata sandi: ")? != first {
            return Err(anyhow::anyhow!("kedua kata sandi tidak sama; ulangi perintahnya").into());
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    Password::new(&typed)
}

/// Reads a line from the terminal with echo off (termios), restoring it afterwards.
/// Ctrl-C while it waits leaves echo off until `reset` or `stty echo`.
fn prompt_hidden(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed termios we own; the result is checked.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            anyhow::bail!("cannot read the terminal's settings");
        }
        let saved = t;
        t.c_lflag &= !libc::ECHO;
        t.c_lflag |= libc::ECHONL;
        libc::tcsetattr(0, libc::TCSANOW, &t);
        saved
    };
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    // SAFETY: as above; puts back the settings read before.
    unsafe {
        libc::tcsetattr(0, libc::TCSANOW, &saved);
    }
    read.context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
