//! PURE: which reminders and escalations are due for an open case now. Each notice has a
//! key (complaint, kind, threshold); the outbox's unique idempotency key makes each go out
//! exactly once, however often the sweep runs and however long the daemon was down.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::calendar::Calendar;
use crate::domain::Status;

/// What the rule looks at.
#[derive(Debug, Clone)]
pub struct OpenCase {
    pub ticket: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub review_due: DateTime<Utc>,
    pub answer_due: DateTime<Utc>,
    pub ack_sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// recipients.tim_pengaduan
    Team,
    /// recipients.kepala_puskesmas and recipients.tim_mutu
    Escalation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// `remind:ADU-2026-0007:answer:H-1` — unique per complaint, kind and threshold.
    pub key: String,
    pub audience: Audience,
    /// reminder_review, reminder_answer, overdue_review, overdue_answer, ack_undelivered
    pub kind: &'static str,
    /// Working days left (reminders) or overdue (escalations), for the text.
    pub days: i64,
}

pub fn due_notices(c: &OpenCase, now: DateTime<Utc>, calendar: &Calendar) -> Vec<Notice> {
    let mut out = Vec::new();
    let t = &c.ticket;
    let not_reviewed = matches!(c.status, Status::Received | Status::Acknowledged);
    let not_answered = not_reviewed || c.status == Status::Reviewed;

    if not_reviewed {
        if now >= c.review_due {
            out.push(Notice {
                key: format!("escalate:{t}:review"),
                audience: Audience::Escalation,
                kind: "overdue_review",
                days: 0,
            });
        } else if now >= c.review_due - Duration::hours(24) {
            out.push(Notice {
                key: format!("remind:{t}:review:H-24h"),
                audience: Audience::Team,
                kind: "reminder_review",
                days: 0,
            });
        }
    }
    if not_answered {
        let left = calendar.working_days_left(now, c.answer_due);
        if now > c.answer_due {
            // Once a working day while it stays overdue: the day count is the key.
            let n = (-left).max(1);
            out.push(Notice {
                key: format!("escalate:{t}:answer:{n}"),
                audience: Audience::Escalation,
                kind: "overdue_answer",
                days: n,
            });
        } else if left <= 1 {
            out.push(Notice {
                key: format!("remind:{t}:answer:H-1"),
                audience: Audience::Team,
                kind: "reminder_answer",
                days: left,
            });
        } else if left <= 3 {
            // Only the most urgent threshold: after downtime, H-1 does not bring H-3 along.
            out.push(Notice {
                key: format!("remind:{t}:answer:H-3"),
                audience: Audience::Team,
                kind: "reminder_answer",
                days: left,
            });
        }
    }
    if c.ack_sent_at.is_none() && now >= c.received_at + Duration::hours(24) {
        out.push(Notice {
            key: format!("escalate:{t}:ack"),
            audience: Audience::Escalation,
            kind: "ack_undelivered",
            days: 0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::PathBuf;

    fn calendar() -> Calendar {
        let file = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/libur-nasional-2026.toml"
        ));
        Calendar::load(
            &[
                chrono::Weekday::Mon,
                chrono::Weekday::Tue,
                chrono::Weekday::Wed,
                chrono::Weekday::Thu,
                chrono::Weekday::Fri,
            ],
            &[file],
        )
        .unwrap()
    }

    /// Received Thursday 12 March 2026 10:00 WIB: review due Sunday 15 March 10:00, answer
    /// due Thursday 9 April (18–24 March and 3 April are holidays).
    fn case(status: Status, acked: bool) -> OpenCase {
        let received = Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap();
        OpenCase {
            ticket: "ADU-2026-0007".into(),
            status,
            received_at: received,
            review_due: received + Duration::hours(72),
            answer_due: Utc.with_ymd_and_hms(2026, 4, 9, 16, 59, 59).unwrap(),
            ack_sent_at: acked.then_some(received),
        }
    }

    fn keys(c: &OpenCase, y: i32, m: u32, d: u32, h_wib: u32) -> Vec<String> {
        let now = Utc.with_ymd_and_hms(y, m, d, h_wib, 0, 0).unwrap() - Duration::hours(7);
        due_notices(c, now, &calendar())
            .into_iter()
            .map(|n| n.key)
            .collect()
    }

    #[test]
    fn notices_over_the_life_of_a_complaint() {
        let fresh = case(Status::Acknowledged, true);
        assert!(keys(&fresh, 2026, 3, 13, 9).is_empty());
        assert_eq!(
            keys(&fresh, 2026, 3, 14, 11),
            vec!["remind:ADU-2026-0007:review:H-24h"]
        );
        assert_eq!(
            keys(&fresh, 2026, 3, 15, 11),
            vec!["escalate:ADU-2026-0007:review"]
        );

        let reviewed = case(Status::Reviewed, true);
        // Thursday 2 April: 2, 6, 7, 8 April are left (3 April is Good Friday): 4, no reminder.
        assert!(keys(&reviewed, 2026, 4, 2, 9).is_empty());
        assert_eq!(
            keys(&reviewed, 2026, 4, 6, 9),
            vec!["remind:ADU-2026-0007:answer:H-3"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 8, 9),
            vec!["remind:ADU-2026-0007:answer:H-1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 9, 9),
            vec!["remind:ADU-2026-0007:answer:H-1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 10, 9),
            vec!["escalate:ADU-2026-0007:answer:1"]
        );
        // The weekend adds no day; Monday 13 April is day 2, Tuesday day 3.
        assert_eq!(
            keys(&reviewed, 2026, 4, 11, 9),
            vec!["escalate:ADU-2026-0007:answer:1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 12, 9),
            vec!["escalate:ADU-2026-0007:answer:1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 13, 9),
            vec!["escalate:ADU-2026-0007:answer:2"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 14, 9),
            vec!["escalate:ADU-2026-0007:answer:3"]
        );

        assert!(
            keys(&case(Status::Answered, true), 2026, 4, 20, 9).is_empty(),
            "answered: nothing due"
        );
        assert_eq!(
            keys(&case(Status::Received, false), 2026, 3, 13, 11),
            vec!["escalate:ADU-2026-0007:ack"]
        );
    }
}
