//! Online backup and restore of the register (one SQLite file).

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::Store;

impl Store {
    /// A consistent copy of the database while the daemon keeps running: `VACUUM INTO`
    /// reads inside one transaction, so the copy is a snapshot, compacted, and WAL-free.
    pub fn backup_to(&self, target: &Path) -> Result<()> {
        if target.exists() {
            bail!(
                "{} already exists; choose a new file name (backups are never overwritten)",
                target.display()
            );
        }
        let target_str = target
            .to_str()
            .context("the backup path must be valid UTF-8")?;
        self.conn
            .execute("VACUUM INTO ?1", [target_str])
            .with_context(|| format!("cannot write the backup {}", target.display()))?;
        super::set_mode(target, 0o600);
        Ok(())
    }
}

/// Replaces the database at `database` with the backup `from`, after checking the backup
/// opens and passes `PRAGMA integrity_check`. The daemon must be stopped: a running daemon
/// would keep writing to the old file. The replaced file is kept beside it as `.before-restore`.
pub fn restore(from: &Path, database: &Path) -> Result<()> {
    // Read-only: checking a backup must not change it.
    let check =
        rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open the backup {}", from.display()))?;
    let verdict: String = check
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .with_context(|| format!("{} is not a SQLite database", from.display()))?;
    if verdict != "ok" {
        bail!(
            "{} is damaged (integrity_check: {verdict}); choose another backup",
            from.display()
        );
    }
    let has_register: bool = check.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'complaints')",
        [],
        |r| r.get(0),
    )?;
    if !has_register {
        bail!(
            "{} is not a pengaduan database (no complaints table)",
            from.display()
        );
    }
    drop(check);
    if database.exists() {
        let keep = database.with_extension("db.before-restore");
        std::fs::rename(database, &keep)
            .with_context(|| format!("cannot move {} aside", database.display()))?;
        for ext in ["db-wal", "db-shm"] {
            let side = database.with_extension(ext);
            if side.exists() {
                std::fs::remove_file(&side)
                    .with_context(|| format!("cannot remove {}", side.display()))?;
            }
        }
    }
    if let Some(dir) = database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, database)
        .with_context(|| format!("cannot copy {} to {}", from.display(), database.display()))?;
    super::set_mode(database, 0o600);
    Ok(())
}
