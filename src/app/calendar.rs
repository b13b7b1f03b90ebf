//! Deadlines follow the calendar (issue 17, invariant 11): when a holiday list is added or
//! edited, a local holiday file changes or `cuti_bersama_is_working_day` flips, the stored
//! answer deadline of every complaint still waiting for its answer is recomputed from its
//! received time, in one transaction, each with an audit event saying from which date to
//! which and why. Run by the daemon at start and by `pengaduan calendar recompute`.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::app::procedure::note_calendar_warning;
use crate::app::Pipeline;
use crate::calendar::{describe_change, Calendar};
use crate::clock::to_db;
use crate::store::{Store, Tx};
use crate::templates::format_date;
use crate::workflow::intake::{recompute, DeadlineChange};

/// What a recomputation found (and, unless it was a dry run, applied).
#[derive(Debug, Clone)]
pub struct Recomputed {
    /// Why, for people: what changed in the calendar since it was last stored ("daftar
    /// libur 2027 ditambahkan"), or, when none was stored or nothing that counts changed,
    /// which lists the deadlines are counted with now.
    pub reason: String,
    pub changes: Vec<DeadlineChange>,
}

impl Pipeline {
    /// Recomputes the answer deadlines against today's calendar. With `apply`, writes
    /// the new deadlines, their audit events and calendar warnings, and remembers the
    /// calendar, in one transaction; without, changes nothing (`--dry-run`).
    pub fn recompute_deadlines(
        &self,
        store: &mut Store,
        by: &str,
        apply: bool,
        now: DateTime<Utc>,
    ) -> Result<Recomputed> {
        let tx = store.transaction()?;
        let found = find_changes(&tx, &self.calendar)?;
        if apply {
            for change in &found.changes {
                tx.set_answer_due(change.complaint_id, change.to.answer_due)?;
                tx.add_event(
                    Some(change.complaint_id),
                    now,
                    by,
                    "deadline_recomputed",
                    &format!(
                        "tenggat jawaban diubah dari {} menjadi {}: {}",
                        format_date(&to_db(change.from), false),
                        format_date(&to_db(change.to.answer_due), false),
                        found.reason
                    ),
                )?;
                note_calendar_warning(&tx, change.complaint_id, &change.ticket, &change.to, now)?;
            }
            tx.set_calendar_snapshot(&self.calendar.snapshot(), now)?;
            tx.commit()?;
        }
        Ok(found)
    }
}

/// How many complaints waiting for their answer carry a deadline `calendar` puts
/// elsewhere (for `check`, `/sistem` and the digest); nothing is written.
pub fn stale_deadlines(store: &Store, calendar: &Calendar) -> Result<usize> {
    Ok(recompute(&store.answer_deadlines()?, calendar).len())
}

fn find_changes(tx: &Tx<'_>, calendar: &Calendar) -> Result<Recomputed> {
    let changes = recompute(&tx.answer_deadlines()?, calendar);
    let now_snapshot = calendar.snapshot();
    let reason = match tx.calendar_snapshot()? {
        Some(old) => describe_change(&old, &now_snapshot).join("; "),
        None => String::new(),
    };
    let reason = if !reason.is_empty() {
        reason
    } else {
        // The first run of a version that remembers the calendar, or a deadline written by
        // an older version: say which lists the new deadline is counted with.
        let years: Vec<String> = now_snapshot
            .covered_years
            .iter()
            .map(i32::to_string)
            .collect();
        format!(
            "dihitung ulang dengan kalender yang berlaku sekarang (daftar libur {})",
            years.join(", ")
        )
    };
    Ok(Recomputed { reason, changes })
}
