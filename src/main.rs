//! Boot script: parse the command line, start logging, run the command.
//! Everything else lives in the library (src/lib.rs lists the modules).

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Before the runtime's threads exist: the allocator's arenas follow these settings.
    pengaduan::memory::configure();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("galat: tidak dapat memulai runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    let cli = pengaduan::cli::Cli::parse();
    // Logs go to stderr (journald picks them up under systemd); RUST_LOG overrides.
    // The demo's output is the register itself; its log lines would only hide it.
    let default = match cli.command {
        pengaduan::cli::Command::Demo { .. } => "warn",
        _ => "info,async_imap=warn,rustls=warn,lettre=warn,tokio_cron_scheduler=warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only on a terminal: journald and log files get plain text.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();

    match pengaduan::cli::execute(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("galat: {e:#}");
            ExitCode::FAILURE
        }
    }
}
