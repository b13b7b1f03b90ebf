//! Queries for reminders and escalations.

use anyhow::Result;

use super::{case_record, CaseRecord, Tx, CASE_SELECT};

impl Tx<'_> {
    /// Cases not yet answered (the only ones reminders concern). Closed and answered
    /// cases are never scanned (the status index serves this).
    pub fn unanswered_cases(&self) -> Result<Vec<CaseRecord>> {
        let mut stmt = self.tx.prepare(&format!(
            "{CASE_SELECT} WHERE status IN ('received', 'acknowledged', 'reviewed') ORDER BY id"
        ))?;
        let cases = stmt
            .query_map([], case_record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(cases)
    }
}
