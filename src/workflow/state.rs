//! PURE: the procedure as a state machine. `(status, kind, action) -> new status` or a clear
//! error; the caller writes the change and its audit event in one transaction.

use crate::domain::{Kind, Status};

/// Something that moves a complaint along (PROSEDUR.md steps 2, 5, 6, 7a, 7b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The acknowledgement reached the SMTP server (step 2).
    AckSent,
    /// Staff recorded the review and follow-up plan (step 5). May be revised until answered.
    Review,
    /// Staff sent the resolution to the complainant (step 6).
    Answer,
    /// The complainant said they are satisfied (step 7a).
    Satisfied,
    /// The complainant is not satisfied, or staff refer the case (step 7b).
    Refer,
    /// No reply to the answer within the configured working days.
    NoReply,
    /// Staff close the case by hand (satisfaction heard by phone; praise needing no answer).
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransitionError(pub String);

pub fn is_open(status: Status) -> bool {
    !matches!(
        status,
        Status::ClosedSatisfied | Status::Referred | Status::ClosedWithoutReply
    )
}

pub fn next(status: Status, kind: Kind, action: Action) -> Result<Status, TransitionError> {
    use Action as A;
    use Status as S;
    let to = match (action, status) {
        (A::AckSent, S::Received) => S::Acknowledged,
        // A late acknowledgement changes nothing once staff have moved on.
        (A::AckSent, s) if is_open(s) => s,
        (A::Review, S::Received | S::Acknowledged | S::Reviewed) => S::Reviewed,
        (A::Answer, S::Reviewed) => S::Answered,
        (A::Satisfied, S::Answered) => S::ClosedSatisfied,
        (A::Refer, S::Answered) => S::Referred,
        (A::NoReply, S::Answered) => S::ClosedWithoutReply,
        (A::Close, S::Answered) => S::ClosedSatisfied,
        // Praise, suggestions and questions need no review meeting to be closed.
        (A::Close, S::Received | S::Acknowledged | S::Reviewed) if kind != Kind::Pengaduan => {
            S::ClosedSatisfied
        }
        _ => return Err(TransitionError(explain(status, kind, action))),
    };
    Ok(to)
}

/// Says, for staff, why an action is not possible now and what comes first.
fn explain(status: Status, kind: Kind, action: Action) -> String {
    let state = label(status);
    match (action, status) {
        (_, s) if !is_open(s) => format!("pengaduan ini sudah {state}; tidak ada tindakan lagi"),
        (Action::Answer, Status::Received | Status::Acknowledged) => {
            format!("jawaban belum bisa dikirim karena pengaduan masih {state}: catat dulu hasil telaah dan rencana tindak lanjut (complaints review)")
        }
        (Action::Review, Status::Answered) => {
            "pengaduan sudah dijawab; telaah tidak dapat diubah lagi".to_string()
        }
        (Action::Close, _) if kind == Kind::Pengaduan => {
            format!("pengaduan yang masih {state} belum bisa ditutup: kirim dulu jawabannya (complaints answer)")
        }
        (Action::Satisfied | Action::Refer | Action::NoReply | Action::Close, _) => {
            format!("tindakan ini hanya untuk pengaduan yang sudah dijawab; pengaduan ini masih {state}")
        }
        _ => format!("tindakan {action:?} tidak berlaku untuk pengaduan yang {state}"),
    }
}

pub fn label(status: Status) -> &'static str {
    match status {
        Status::Received => "baru diterima",
        Status::Acknowledged => "sudah diberi tanda terima",
        Status::Reviewed => "sudah ditelaah",
        Status::Answered => "sudah dijawab",
        Status::ClosedSatisfied => "selesai (puas)",
        Status::Referred => "dirujuk ke Dinas Kesehatan",
        Status::ClosedWithoutReply => "selesai tanpa tanggapan",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    /// Every (status, action) pair for a complaint, with the expected outcome.
    #[test]
    fn transition_table_for_pengaduan() {
        let table: &[(S, A, Option<S>)] = &[
            (S::Received, A::AckSent, Some(S::Acknowledged)),
            (S::Received, A::Review, Some(S::Reviewed)),
            (S::Received, A::Answer, None),
            (S::Received, A::Satisfied, None),
            (S::Received, A::Refer, None),
            (S::Received, A::NoReply, None),
            (S::Received, A::Close, None),
            (S::Acknowledged, A::AckSent, Some(S::Acknowledged)),
            (S::Acknowledged, A::Review, Some(S::Reviewed)),
            (S::Acknowledged, A::Answer, None),
            (S::Acknowledged, A::Close, None),
            (S::Reviewed, A::AckSent, Some(S::Reviewed)),
            (S::Reviewed, A::Review, Some(S::Reviewed)),
            (S::Reviewed, A::Answer, Some(S::Answered)),
            (S::Reviewed, A::Satisfied, None),
            (S::Reviewed, A::Refer, None),
            (S::Reviewed, A::Close, None),
            (S::Answered, A::Review, None),
            (S::Answered, A::Answer, None),
            (S::Answered, A::Satisfied, Some(S::ClosedSatisfied)),
            (S::Answered, A::Refer, Some(S::Referred)),
            (S::Answered, A::NoReply, Some(S::ClosedWithoutReply)),
            (S::Answered, A::Close, Some(S::ClosedSatisfied)),
        ];
        for (from, action, want) in table {
            let got = next(*from, Kind::Pengaduan, *action).ok();
            assert_eq!(got, *want, "{from:?} + {action:?}");
        }
        for closed in [S::ClosedSatisfied, S::Referred, S::ClosedWithoutReply] {
            for action in [
                A::AckSent,
                A::Review,
                A::Answer,
                A::Satisfied,
                A::Refer,
                A::NoReply,
                A::Close,
            ] {
                let e = next(closed, Kind::Pengaduan, action).unwrap_err();
                assert!(e.0.contains("sudah"), "{closed:?} + {action:?}: {e}");
            }
        }
    }

    #[test]
    fn praise_can_be_closed_without_review() {
        assert_eq!(
            next(S::Acknowledged, Kind::Apresiasi, A::Close),
            Ok(S::ClosedSatisfied)
        );
        assert_eq!(
            next(S::Received, Kind::Saran, A::Close),
            Ok(S::ClosedSatisfied)
        );
        let e = next(S::Acknowledged, Kind::Pengaduan, A::Close).unwrap_err();
        assert!(e.0.contains("complaints answer"), "{e}");
    }

    #[test]
    fn errors_tell_staff_what_comes_first() {
        let e = next(S::Acknowledged, Kind::Pengaduan, A::Answer).unwrap_err();
        assert!(e.0.contains("complaints review"), "{e}");
    }
}
