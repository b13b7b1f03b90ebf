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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

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
