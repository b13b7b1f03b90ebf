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
    /// `remind:ADU-2026-0007:answer:2026-04-09:H-1` — unique per complaint, kind and
    /// threshold, and for the answer per deadline: a deadline the calendar moved gets its
    /// own reminders and escalations, one for the same deadline never goes out twice.
    pub key: String,
    pub audience: Audience,
    /// reminder_review, reminder_answer, overdue_review, overdue_answer, ack_undelivered
    pub kind: &'static str,
    /// Working days left (reminders) or overdue (escalations), for the text.
    pub days: i64,
    /// The threshold in hours (review reminder, undelivered acknowledgement), for the text.
    pub hours: u32,
}

/// When notices fire (`[alerts]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// Remind the team this many hours before the review deadline (3x24 jam); 0: never.
    pub review_reminder_hours: u32,
    /// Remind the team when this many working days or fewer are left before the answer
    /// deadline, once per threshold; largest first, e.g. [3, 1].
    pub answer_reminder_working_days: Vec<u32>,
    /// Escalate an overdue answer again every this many working days; 0: only once.
    pub answer_overdue_repeat_working_days: u32,
    /// Escalate when the acknowledgement is still unsent this many hours after arrival.
    pub ack_undelivered_hours: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            review_reminder_hours: 24,
            answer_reminder_working_days: vec![3, 1],
            answer_overdue_repeat_working_days: 1,
            ack_undelivered_hours: 24,
        }
    }
}

pub fn due_notices(
    c: &OpenCase,
    now: DateTime<Utc>,
    calendar: &Calendar,
    th: &Thresholds,
) -> Vec<Notice> {
    let mut out = Vec::new();
    let t = &c.ticket;
    let not_reviewed = matches!(c.status, Status::Received | Status::Acknowledged);
    let not_answered = not_reviewed || c.status == Status::Reviewed;

    if not_reviewed {
        let hours = th.review_reminder_hours;
        if now >= c.review_due {
            out.push(Notice {
                key: format!("escalate:{t}:review"),
                audience: Audience::Escalation,
                kind: "overdue_review",
                days: 0,
                hours: 0,
            });
        } else if hours > 0 && now >= c.review_due - Duration::hours(hours.into()) {
            out.push(Notice {
                key: format!("remind:{t}:review:H-{hours}h"),
                audience: Audience::Team,
                kind: "reminder_review",
                days: 0,
                hours,
            });
        }
    }
    if not_answered {
        let left = calendar.working_days_left(now, c.answer_due);
        let due = crate::calendar::local_date(c.answer_due);
        if now > c.answer_due {
            // Again every `repeat` working days while it stays overdue: the first day of
            // each period is the key, so day 1 is `:1` whatever the period.
            let n = (-left).max(1);
            let repeat = i64::from(th.answer_overdue_repeat_working_days);
            let period_start = if repeat == 0 {
                1
            } else {
                (n - 1) / repeat * repeat + 1
            };
            out.push(Notice {
                key: format!("escalate:{t}:answer:{due}:{period_start}"),
                audience: Audience::Escalation,
                kind: "overdue_answer",
                days: n,
                hours: 0,
            });
        } else if let Some(h) = th
            .answer_reminder_working_days
            .iter()
            .rev()
            .find(|h| left <= i64::from(**h))
        {
            // Only the most urgent threshold reached: after downtime, H-1 does not bring
            // H-3 along.
            out.push(Notice {
                key: format!("remind:{t}:answer:{due}:H-{h}"),
                audience: Audience::Team,
                kind: "reminder_answer",
                days: left,
                hours: 0,
            });
        }
    }
    if c.ack_sent_at.is_none()
        && now >= c.received_at + Duration::hours(th.ack_undelivered_hours.into())
    {
        out.push(Notice {
            key: format!("escalate:{t}:ack"),
            audience: Audience::Escalation,
            kind: "ack_undelivered",
            days: 0,
            hours: th.ack_undelivered_hours,
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
        due_notices(c, now, &calendar(), &Thresholds::default())
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
            vec!["remind:ADU-2026-0007:answer:2026-04-09:H-3"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 8, 9),
            vec!["remind:ADU-2026-0007:answer:2026-04-09:H-1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 9, 9),
            vec!["remind:ADU-2026-0007:answer:2026-04-09:H-1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 10, 9),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]
        );
        // The weekend adds no day; Monday 13 April is day 2, Tuesday day 3.
        assert_eq!(
            keys(&reviewed, 2026, 4, 11, 9),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 12, 9),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 13, 9),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:2"]
        );
        assert_eq!(
            keys(&reviewed, 2026, 4, 14, 9),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:3"]
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

    #[test]
    fn thresholds_from_the_config_move_the_notices() {
        let th = Thresholds {
            review_reminder_hours: 6,
            answer_reminder_working_days: vec![5, 2],
            answer_overdue_repeat_working_days: 2,
            ack_undelivered_hours: 2,
        };
        let at = |c: &OpenCase, d: u32, h_wib: u32| -> Vec<String> {
            let now = Utc.with_ymd_and_hms(2026, 3, d, h_wib, 0, 0).unwrap() - Duration::hours(7);
            due_notices(c, now, &calendar(), &th)
                .into_iter()
                .map(|n| n.key)
                .collect()
        };
        let at_april = |c: &OpenCase, d: u32| -> Vec<String> {
            let now = Utc.with_ymd_and_hms(2026, 4, d, 2, 0, 0).unwrap();
            due_notices(c, now, &calendar(), &th)
                .into_iter()
                .map(|n| n.key)
                .collect()
        };
        let fresh = case(Status::Acknowledged, true);
        // Review due Sunday 15 March 10:00: nothing at 03:00, the reminder from 04:00.
        assert!(at(&fresh, 15, 3).is_empty());
        assert_eq!(at(&fresh, 15, 4), vec!["remind:ADU-2026-0007:review:H-6h"]);
        assert_eq!(
            at(&case(Status::Received, false), 12, 12),
            vec!["escalate:ADU-2026-0007:ack"]
        );
        let reviewed = case(Status::Reviewed, true);
        // Answer due Thursday 9 April: Tuesday 31 March leaves 6 working days (31 Mar,
        // 1, 2, 6, 7, 8 April), Wednesday 1 April 5, Tuesday 7 April 2.
        assert!(at(&reviewed, 31, 9).is_empty());
        assert_eq!(
            at_april(&reviewed, 1),
            vec!["remind:ADU-2026-0007:answer:2026-04-09:H-5"]
        );
        assert_eq!(
            at_april(&reviewed, 7),
            vec!["remind:ADU-2026-0007:answer:2026-04-09:H-2"]
        );
        // Overdue days 1, 2 share a key, then 3, 4: every second working day.
        assert_eq!(
            at_april(&reviewed, 10),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]
        );
        assert_eq!(
            at_april(&reviewed, 13),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]
        );
        assert_eq!(
            at_april(&reviewed, 14),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:3"]
        );
        assert_eq!(
            at_april(&reviewed, 15),
            vec!["escalate:ADU-2026-0007:answer:2026-04-09:3"]
        );
        let once = Thresholds {
            answer_overdue_repeat_working_days: 0,
            ..th.clone()
        };
        let now = Utc.with_ymd_and_hms(2026, 4, 20, 2, 0, 0).unwrap();
        let keys: Vec<String> = due_notices(&reviewed, now, &calendar(), &once)
            .into_iter()
            .map(|n| n.key)
            .collect();
        assert_eq!(keys, vec!["escalate:ADU-2026-0007:answer:2026-04-09:1"]);
    }
}
