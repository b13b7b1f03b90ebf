//! Domain newtypes, parsed once at the boundary (mail headers, bodies,
//! configuration, the database) so the rest of the daemon never handles
//! unchecked strings.

pub mod email;
#[macro_use]
pub mod kind;
pub mod account;
pub mod lapor;
pub mod phone;
pub mod ticket;

pub use account::{AccountName, Role};
pub use email::EmailAddress;
pub use kind::{Channel, CloseOutcome, Delivery, Direction, Heard, Kind, MessageClass, Status};
pub use lapor::{LaporNumber, LaporNumberError};
pub use phone::{extract_phones, PhoneNumber};
pub use ticket::Ticket;

/// Why a value could not be turned into a domain type. The offending input
/// is kept (shortened) so a log line shows what arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid email address {input:?}: {reason}")]
    InvalidEmail { input: String, reason: &'static str },
    #[error(
        "invalid phone number {input:?}: expected an Indonesian number such as \
         0812-3456-7890, +62 812-3456-7890 or (0332) 424212"
    )]
    InvalidPhone { input: String },
    #[error("invalid ticket number {input:?}: {reason}; expected the form ADU-2026-0007")]
    InvalidTicket { input: String, reason: &'static str },
}

/// Longest input quoted in a [`DomainError`]; a whole mail body pasted into
/// a field must not end up in the log.
const SHOWN_MAX_CHARS: usize = 80;

pub(crate) fn shown(input: &str) -> String {
    let mut out: String = input.chars().take(SHOWN_MAX_CHARS).collect();
    if input.chars().nth(SHOWN_MAX_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_truncates_long_input() {
        assert_eq!(shown("abc"), "abc");
        let long = "é".repeat(200);
        let s = shown(&long);
        assert_eq!(s.chars().count(), SHOWN_MAX_CHARS + 1);
        assert!(s.ends_with('…'));
        assert_eq!(
            shown(&"x".repeat(SHOWN_MAX_CHARS)),
            "x".repeat(SHOWN_MAX_CHARS)
        );
    }

    #[test]
    fn errors_read_well() {
        let e = DomainError::InvalidTicket {
            input: "ADU-1".into(),
            reason: "too short",
        };
        assert_eq!(
            e.to_string(),
            "invalid ticket number \"ADU-1\": too short; expected the form ADU-2026-0007"
        );
    }
}
