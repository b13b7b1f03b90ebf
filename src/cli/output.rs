//! Staff output on standard output. A reader that went away (`pengaduan digest --dry-run |
//! head -1`) ends the command quietly with status 0, as a Unix filter does, instead of
//! `println!`'s panic. SIGPIPE itself stays ignored (Rust's default): with it at its
//! default, a write to a closed IMAP or SMTP socket would kill `check` by signal.

use std::io::{ErrorKind, Write};

/// Writes `text` to standard output and flushes it. On a closed pipe the process exits
/// with status 0 (nothing more can be read by anyone); another write error is reported on
/// standard error and the process exits with status 1.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("galat: tidak dapat menulis keluaran: {e}");
        std::process::exit(1);
    }
}

/// `print!` through [`emit`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::emit(&format!($($arg)*)) };
}

/// `println!` through [`emit`].
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::output::emit(&format!("{}\n", format_args!($($arg)*))) };
}
