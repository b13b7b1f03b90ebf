//! Counts for `/metrics`: complaints by status and open complaints past a deadline.
//! (Messages by class and the outbox by status are `Store::message_counts`/`outbox_counts`.)

use anyhow::Result;
use chrono::{DateTime, Utc};

use super::Store;
use crate::clock::to_db;
use crate::domain::Status;

/// Open complaints whose deadline has passed without the step being done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Breaches {
    /// Not reviewed yet (received or acknowledged), past `review_due`.
    pub review: i64,
    /// Not answered yet (received, acknowledged or reviewed), past `answer_due`.
    pub answer: i64,
}

fn quoted(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Every status with its count, zero included, in `Status::ALL` order.
    pub fn complaint_counts(&self) -> Result<Vec<(Status, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM complaints WHERE status = ?1")?;
        Status::ALL
            .iter()
            .map(|s| Ok((*s, stmt.query_row([s.as_str()], |r| r.get(0))?)))
            .collect()
    }

    /// Both are index searches of `complaints_status` (status, answer_due) and a filter of
    /// the few open complaints, not a scan of the register.
    pub fn deadline_breaches(&self, now: DateTime<Utc>) -> Result<Breaches> {
        use Status as S;
        let before_review = quoted(&[S::Received, S::Acknowledged]);
        let before_answer = quoted(&[S::Received, S::Acknowledged, S::Reviewed]);
        Ok(self.conn.query_row(
            &format!(
                "SELECT (SELECT count(*) FROM complaints WHERE status IN ({before_review}) AND review_due < ?1),
                        (SELECT count(*) FROM complaints WHERE status IN ({before_answer}) AND answer_due < ?1)"
            ),
            [to_db(now)],
            |r| {
                Ok(Breaches {
                    review: r.get(0)?,
                    answer: r.get(1)?,
                })
            },
        )?)
    }
}
