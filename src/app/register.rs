//! The register of a period (buku register): read the facts in one place, build the rows
//! purely, write them as a file. Called by `pengaduan register`, the dashboard's download
//! and the monthly mail.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::calendar::Calendar;
use crate::reports::register::{self, Period, RegisterRow};
use crate::reports::sheet::{self, SheetFormat};
use crate::store::Store;

/// The rows of the complaints received in `period`, as of `as_of`.
pub fn rows(
    store: &Store,
    calendar: &Calendar,
    period: &Period,
    as_of: DateTime<Utc>,
) -> Result<Vec<RegisterRow>> {
    let (start, end) = period.bounds();
    let facts = store.register_facts(start, end)?;
    Ok(register::build(&facts, period, calendar, as_of))
}

/// A register file: its name and bytes.
pub struct RegisterFile {
    pub name: String,
    pub format: SheetFormat,
    pub bytes: Vec<u8>,
    pub rows: usize,
}

pub fn file(
    store: &Store,
    calendar: &Calendar,
    period: &Period,
    format: SheetFormat,
    puskesmas: &str,
    as_of: DateTime<Utc>,
) -> Result<RegisterFile> {
    let rows = rows(store, calendar, period, as_of)?;
    Ok(RegisterFile {
        name: sheet::file_name(period, format),
        format,
        bytes: format.write(&rows, period, puskesmas)?,
        rows: rows.len(),
    })
}
