//! What a message from a person is (kind), where its complaint stands (status), and how it
//! reached the puskesmas (channel). Stored as the lower-case words below.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A word that is not one of an enum's words; says which words are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownWord(pub(crate) String);

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        /// Serialized as its stored word (JSON, templates), whatever the variant's name.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord(format!(
                        concat!("{:?} is not a ", stringify!($name), "; expected one of: {}"),
                        s,
                        [$($word),+].join(", ")
                    ))),
                }
            }
        }
    };
}

word_enum!(
    /// The kind of feedback: the procedure registers all of them, not only complaints.
    Kind {
        Pengaduan => "pengaduan",
        Saran => "saran",
        Apresiasi => "apresiasi",
        PermintaanInformasi => "permintaan_informasi",
    }
);

word_enum!(
    /// Where a complaint stands in the procedure (PROSEDUR.md steps 1–7).
    Status {
        Received => "received",
        Acknowledged => "acknowledged",
        Reviewed => "reviewed",
        Answered => "answered",
        ClosedSatisfied => "closed_satisfied",
        Referred => "referred",
        ClosedWithoutReply => "closed_without_reply",
        // Praise, a suggestion or a question closed by staff without an answer.
        ClosedWithoutAnswer => "closed_without_answer",
    }
);

word_enum!(
    /// How the complainant's satisfaction (or dissatisfaction) with the answer was heard
    /// (`complaints.satisfaction_heard`): said by the complainant in a mail, or recorded
    /// by staff who heard it by telephone or in person. `Staff` is recorded by staff, how
    /// unknown: only rows closed before the outcome was asked for carry it.
    Heard {
        Mail => "surel",
        Telepon => "telepon",
        Langsung => "langsung",
        Staff => "petugas",
    }
);

impl Heard {
    /// How staff may say they heard it when they close a case by hand (a mail reply is
    /// read by the daemon, or decided as an unclear reply).
    pub const BY_STAFF: &'static [Heard] = &[Heard::Telepon, Heard::Langsung];

    /// Said by the complainant in a mail, not recorded by staff.
    pub fn by_complainant(self) -> bool {
        self == Heard::Mail
    }
}

word_enum!(
    /// What the complainant said to the answer, as staff record it when they close an
    /// answered case (`complaints close --outcome`).
    CloseOutcome {
        Puas => "puas",
        TidakPuas => "tidak-puas",
        TanpaTanggapan => "tanpa-tanggapan",
    }
);

word_enum!(
    /// How the complaint reached the puskesmas; the register holds every channel.
    Channel {
        Email => "email",
        Telepon => "telepon",
        Whatsapp => "whatsapp",
        KotakSaran => "kotak_saran",
        Surat => "surat",
        Langsung => "langsung",
        Sms => "sms",
        // SP4N-LAPOR! (lapor.go.id), entered by staff with its report number.
        Lapor => "lapor",
    }
);

word_enum!(
    /// What the daemon made of a stored inbound message (`messages.class`).
    MessageClass {
        Complaint => "complaint",
        Reply => "reply",
        Machine => "machine",
        Curiga => "curiga",
        Unreadable => "unreadable",
    }
);

word_enum!(
    /// Which way a message of a case went: received from a person, or sent by us.
    Direction {
        In => "in",
        Out => "out",
    }
);

word_enum!(
    /// Where a mail of the outbox stands (`outbox.status`).
    Delivery {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), *k);
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), *s);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        for h in Heard::ALL {
            assert_eq!(h.as_str().parse::<Heard>().unwrap(), *h);
            assert_eq!(serde_json::to_string(h).unwrap(), format!("\"{h}\""));
        }
        for k in Kind::ALL {
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{k}\""));
        }
        for o in CloseOutcome::ALL {
            assert_eq!(o.as_str().parse::<CloseOutcome>().unwrap(), *o);
        }
        assert_eq!(
            "closed_without_answer".parse::<Status>().unwrap(),
            Status::ClosedWithoutAnswer
        );
        assert!(Heard::BY_STAFF.iter().all(|h| !h.by_complainant()));
        assert_eq!("LAPOR".parse::<Channel>().unwrap(), Channel::Lapor);
        for c in MessageClass::ALL {
            assert_eq!(c.as_str().parse::<MessageClass>().unwrap(), *c);
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{c}\""));
        }
        for d in Delivery::ALL {
            assert_eq!(serde_json::to_string(d).unwrap(), format!("\"{d}\""));
        }
        assert_eq!(serde_json::to_string(&Direction::In).unwrap(), "\"in\"");
        assert_eq!(" Saran ".parse::<Kind>().unwrap(), Kind::Saran);
        let e = "keluhan".parse::<Kind>().unwrap_err().to_string();
        assert!(e.contains("pengaduan, saran"), "{e}");
    }
}
