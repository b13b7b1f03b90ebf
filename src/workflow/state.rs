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
    /// Staff close praise, a suggestion or a question that needs no answer. An answered
    /// case closes with what the complainant said instead: `Satisfied`, `Refer` or
    /// `NoReply` (`app::actions::close`).
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransitionError(pub String);

pub fn is_open(status: Status) -> bool {
    !matches!(
        status,
        Status::ClosedSatisfied
            | Status::Referred
            | Status::ClosedWithoutReply
            | Status::ClosedWithoutAnswer
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
        // Praise, suggestions and questions need no review meeting to be closed; closed
        // so, nobody said they were satisfied.
        (A::Close, S::Received | S::Acknowledged | S::Reviewed) if kind != Kind::Pengaduan => {
            S::ClosedWithoutAnswer
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
        (Action::Close, Status::Answered) => {
            "pengaduan ini sudah dijawab: tutup dengan tanggapan pengadu (puas, tidak puas, atau tidak ada tanggapan)".to_string()
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
        Status::ClosedWithoutAnswer => "selesai tanpa jawaban",
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
            // Closing an answered case needs the complainant's outcome (app::actions::close).
            (S::Answered, A::Close, None),
            (S::Answered, A::AckSent, Some(S::Answered)),
        ];
        for (from, action, want) in table {
            let got = next(*from, Kind::Pengaduan, *action).ok();
            assert_eq!(got, *want, "{from:?} + {action:?}");
        }
        for closed in [
            S::ClosedSatisfied,
            S::Referred,
            S::ClosedWithoutReply,
            S::ClosedWithoutAnswer,
        ] {
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

    /// Every (status, action) pair for praise, suggestions and questions: closed without
    /// an answer they are `closed_without_answer`, never satisfied; answered, they close
    /// with an outcome as a complaint does.
    #[test]
    fn transition_table_for_other_kinds() {
        let table: &[(S, A, Option<S>)] = &[
            (S::Received, A::AckSent, Some(S::Acknowledged)),
            (S::Received, A::Review, Some(S::Reviewed)),
            (S::Received, A::Answer, None),
            (S::Received, A::Satisfied, None),
            (S::Received, A::Refer, None),
            (S::Received, A::NoReply, None),
            (S::Received, A::Close, Some(S::ClosedWithoutAnswer)),
            (S::Acknowledged, A::Review, Some(S::Reviewed)),
            (S::Acknowledged, A::Close, Some(S::ClosedWithoutAnswer)),
            (S::Reviewed, A::Answer, Some(S::Answered)),
            (S::Reviewed, A::Close, Some(S::ClosedWithoutAnswer)),
            (S::Answered, A::Satisfied, Some(S::ClosedSatisfied)),
            (S::Answered, A::Refer, Some(S::Referred)),
            (S::Answered, A::NoReply, Some(S::ClosedWithoutReply)),
            (S::Answered, A::Close, None),
        ];
        for kind in [Kind::Saran, Kind::Apresiasi, Kind::PermintaanInformasi] {
            for (from, action, want) in table {
                let got = next(*from, kind, *action).ok();
                assert_eq!(got, *want, "{kind:?}: {from:?} + {action:?}");
            }
            for action in [A::Review, A::Answer, A::Close, A::Satisfied] {
                let e = next(S::ClosedWithoutAnswer, kind, action).unwrap_err();
                assert!(e.0.contains("selesai tanpa jawaban"), "{e}");
            }
        }
        assert_eq!(label(S::ClosedWithoutAnswer), "selesai tanpa jawaban");
        assert!(!is_open(S::ClosedWithoutAnswer));
    }

    #[test]
    fn closing_needs_an_answer_or_an_outcome() {
        let e = next(S::Acknowledged, Kind::Pengaduan, A::Close).unwrap_err();
        assert!(e.0.contains("complaints answer"), "{e}");
        let e = next(S::Answered, Kind::Pengaduan, A::Close).unwrap_err();
        assert!(e.0.contains("tanggapan pengadu"), "{e}");
    }

    #[test]
    fn errors_tell_staff_what_comes_first() {
        let e = next(S::Acknowledged, Kind::Pengaduan, A::Answer).unwrap_err();
        assert!(e.0.contains("complaints review"), "{e}");
    }
}
