//! PURE: the procedure's first steps — deadlines of a new complaint and whether it gets an
//! automatic acknowledgement now (PROSEDUR.md steps 1, 2, 5, 6).

use chrono::{DateTime, Duration, Utc};

use crate::calendar::Calendar;

/// Working days the procedure allows for the answer (PROSEDUR.md step 6).
pub const ANSWER_WORKING_DAYS: u32 = 14;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadlines {
    /// 1 x 24 jam: the complainant hears the complaint is being handled.
    pub ack_due: DateTime<Utc>,
    /// 3 x 24 jam: review with kepala puskesmas, tim mutu and the unit; plan recorded.
    pub review_due: DateTime<Utc>,
    /// End of the 14th working day after receipt, Asia/Jakarta.
    pub answer_due: DateTime<Utc>,
    /// Years the answer deadline crossed for which no holiday list is loaded.
    pub uncovered_years: Vec<i32>,
    /// Days off on the way to the answer deadline whose date may still move.
    pub movable: Vec<crate::calendar::Holiday>,
}

/// `received` is when the mail reached the mailbox (IMAP INTERNALDATE), not its Date header.
pub fn deadlines(received: DateTime<Utc>, calendar: &Calendar) -> Deadlines {
    let answer = calendar.add_working_days(received, ANSWER_WORKING_DAYS);
    Deadlines {
        ack_due: received + Duration::hours(24),
        review_due: received + Duration::hours(72),
        answer_due: answer.at,
        uncovered_years: answer.uncovered_years,
        movable: answer.movable,
    }
}

impl Deadlines {
    /// The `calendar_warning` texts this answer deadline calls for: a year without its
    /// list, days off whose date may still move.
    pub fn warnings(&self) -> Vec<String> {
        crate::calendar::deadline_warning(&self.uncovered_years)
            .into_iter()
            .chain(crate::calendar::movable_warning(&self.movable))
            .collect()
    }
}

/// A stored answer deadline that today's calendar puts elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineChange {
    pub complaint_id: i64,
    pub ticket: crate::domain::Ticket,
    pub from: DateTime<Utc>,
    pub to: Deadlines,
}

/// PURE: the answer deadlines that differ from what `calendar` gives for their received
/// time, for `(complaint id, ticket, received, stored answer deadline)` of the complaints
/// still waiting for their answer to go out (invariant 11).
pub fn recompute(
    open: &[(i64, crate::domain::Ticket, DateTime<Utc>, DateTime<Utc>)],
    calendar: &Calendar,
) -> Vec<DeadlineChange> {
    open.iter()
        .filter_map(|(id, ticket, received, stored)| {
            let to = deadlines(*received, calendar);
            (to.answer_due != *stored).then_some(DeadlineChange {
                complaint_id: *id,
                ticket: *ticket,
                from: *stored,
                to,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckDecision {
    Send,
    /// Registered but not acknowledged automatically; the reason goes to the audit log.
    Withhold(String),
}

pub struct AckFacts {
    pub received: DateTime<Utc>,
    /// Registered from history (`--backfill-since`, `ingest` of an export), not live mail.
    pub historical: bool,
    /// Automatic mails already queued to this address in the last hour.
    pub recent_auto_mails: u32,
    pub limit_per_hour: u32,
}

pub fn decide_ack(f: &AckFacts, now: DateTime<Utc>) -> AckDecision {
    if f.historical && now - f.received >= Duration::hours(24) {
        return AckDecision::Withhold(
            "diimpor dari arsip dan sudah lebih dari 24 jam: tidak dibalas otomatis".into(),
        );
    }
    // RFC 3834 section 2: an automatic responder must not be able to loop without bound.
    if f.recent_auto_mails >= f.limit_per_hour {
        return AckDecision::Withhold(format!(
            "batas balasan otomatis tercapai ({} surel per jam ke alamat ini)",
            f.limit_per_hour
        ));
    }
    AckDecision::Send
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 12, 3, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn ack_table() {
        let base = AckFacts {
            received: at(0),
            historical: false,
            recent_auto_mails: 0,
            limit_per_hour: 5,
        };
        assert_eq!(decide_ack(&base, at(0)), AckDecision::Send);
        // Live mail is acknowledged even late (daemon was down): late is better than never.
        assert_eq!(decide_ack(&base, at(48)), AckDecision::Send);
        let hist = AckFacts {
            historical: true,
            ..base
        };
        assert_eq!(decide_ack(&hist, at(23)), AckDecision::Send);
        assert!(matches!(
            decide_ack(&hist, at(24)),
            AckDecision::Withhold(_)
        ));
        let busy = AckFacts {
            historical: false,
            recent_auto_mails: 5,
            ..hist
        };
        assert!(
            matches!(decide_ack(&busy, at(0)), AckDecision::Withhold(r) if r.contains("batas"))
        );
        let under = AckFacts {
            recent_auto_mails: 4,
            ..busy
        };
        assert_eq!(decide_ack(&under, at(0)), AckDecision::Send);
    }
}
