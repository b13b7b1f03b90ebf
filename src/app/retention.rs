//! Retention (`[storage] retention_years`, `pengaduan purge`): the raw mail of a closed
//! complaint is kept for that many years after it closed, then deleted, while the register
//! row, the events and the report figures stay (what exactly goes: `store::retention`).
//! The decision is [`due`], PURE; [`purge`] carries it out in one transaction with one
//! `purged` event per complaint.

use anyhow::Result;
use chrono::{DateTime, Months, Utc};

use crate::domain::Status;
use crate::store::retention::RawHolding;
use crate::store::Store;
use crate::workflow::state;

/// The instant `years` calendar years before `now` (29 February steps back to the 28th).
pub fn cutoff(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// PURE: whether a complaint's raw mail may be deleted now: it is closed (closed as
/// satisfied, closed without reply, or referred — the final states of
/// `workflow::state`), and it closed at least `years` years ago. An open complaint
/// never is, whatever its dates say.
pub fn due(
    status: Status,
    closed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    years: u32,
) -> bool {
    !state::is_open(status) && closed_at.is_some_and(|at| at <= cutoff(now, years))
}

/// The closed complaints whose raw mail is due for deletion, oldest closing first.
pub fn due_for_purge(store: &Store, now: DateTime<Utc>, years: u32) -> Result<Vec<RawHolding>> {
    // `closed_at <= cutoff` is `< cutoff + 1 ms` at the database's millisecond precision.
    let before = cutoff(now, years) + chrono::Duration::milliseconds(1);
    Ok(store
        .raw_holdings(before)?
        .into_iter()
        .filter(|h| due(h.status, h.closed_at, now, years))
        .collect())
}

/// Deletes the raw mail of every complaint [`due_for_purge`] lists, in one transaction,
/// each with a `purged` event by `by`. Returns what was deleted; a second run finds
/// nothing (idempotent).
pub fn purge(
    store: &mut Store,
    now: DateTime<Utc>,
    years: u32,
    by: &str,
) -> Result<Vec<RawHolding>> {
    let by = by.trim();
    anyhow::ensure!(
        !by.is_empty(),
        "--by kosong: tulis nama petugas yang menghapus, mis. --by \"Rina\""
    );
    let due = due_for_purge(store, now, years)?;
    let tx = store.transaction()?;
    for h in &due {
        tx.purge_raw(h.id, now)?;
        let attachments: usize = h.messages.iter().map(|m| m.attachments.len()).sum();
        tx.add_event(
            Some(h.id),
            now,
            by,
            "purged",
            &format!(
                "masa simpan {years} tahun lewat: {} surel masuk mentah ({attachments} lampiran) \
                 dan {} surel keluar dihapus, {} byte; buku register dan riwayat tetap",
                h.messages.len(),
                h.sent_mails,
                h.bytes()
            ),
        )?;
    }
    tx.commit()?;
    Ok(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_closed_complaints_past_their_years() {
        let now = Utc.with_ymd_and_hms(2031, 12, 1, 3, 0, 0).unwrap();
        let five_years_ago = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let second = chrono::Duration::seconds(1);
        use Status as S;
        let table: &[(S, Option<DateTime<Utc>>, u32, bool)] = &[
            (S::ClosedSatisfied, Some(five_years_ago), 5, true),
            (S::ClosedSatisfied, Some(five_years_ago - second), 5, true),
            (S::ClosedSatisfied, Some(five_years_ago + second), 5, false),
            (S::ClosedWithoutReply, Some(five_years_ago), 5, true),
            (S::Referred, Some(five_years_ago), 5, true),
            (S::Referred, Some(five_years_ago), 6, false),
            (S::Referred, Some(five_years_ago + second), 1, true),
            (S::ClosedSatisfied, None, 5, false),
            // Open: never, whatever the dates.
            (S::Received, Some(five_years_ago), 5, false),
            (S::Acknowledged, Some(five_years_ago), 5, false),
            (S::Reviewed, Some(five_years_ago), 5, false),
            (S::Answered, Some(five_years_ago), 5, false),
            (S::Answered, Some(five_years_ago), 0, false),
        ];
        for (status, closed_at, years, want) in table {
            assert_eq!(
                due(*status, *closed_at, now, *years),
                *want,
                "{status:?} closed {closed_at:?}, {years} years"
            );
        }
    }

    #[test]
    fn cutoff_steps_back_calendar_years() {
        let leap = Utc.with_ymd_and_hms(2028, 2, 29, 0, 0, 0).unwrap();
        assert_eq!(
            cutoff(leap, 1),
            Utc.with_ymd_and_hms(2027, 2, 28, 0, 0, 0).unwrap()
        );
        assert_eq!(cutoff(leap, 0), leap);
    }
}
