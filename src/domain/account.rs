//! Staff accounts of the web dashboard: who may do what (role) and how an account is
//! named. Parsed once at the boundary (CLI argument, login form, database).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::kind::UnknownWord;

word_enum!(
    /// What an account may do. Every role reads the register; `petugas` acts on
    /// complaints; `kepala` and `mutu` also record the review; `admin` manages accounts.
    Role {
        Petugas => "petugas",
        Kepala => "kepala",
        Mutu => "mutu",
        Admin => "admin",
    }
);

/// A login name: 2–32 characters of lower-case letters, digits, `.`, `_` and `-`, starting
/// with a letter. Input is trimmed and lower-cased, so "Siti" and "siti" are one account.
/// The limits keep a name safe in a log line, a cookie-less audit event and a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not an account name: use 2 to 32 lower-case letters, digits, '.', '_' or '-', \
     starting with a letter (e.g. siti.aminah)"
)]
pub struct InvalidAccountName {
    pub input: String,
}

impl AccountName {
    pub const MAX_CHARS: usize = 32;

    pub fn parse(input: &str) -> Result<AccountName, InvalidAccountName> {
        let name = input.trim().to_lowercase();
        let ok = (2..=Self::MAX_CHARS).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok {
            Ok(AccountName(name))
        } else {
            Err(InvalidAccountName {
                input: super::shown(input),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AccountName {
    type Err = InvalidAccountName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
        }
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn account_names() {
        for (input, expected) in [
            ("siti", Some("siti")),
            (" Siti.Aminah ", Some("siti.aminah")),
            ("budi_2", Some("budi_2")),
            ("a", None),
            ("2budi", None),
            ("siti aminah", None),
            ("siti<script>", None),
            ("", None),
            (&"a".repeat(33), None),
            (&"a".repeat(32), Some(&*"a".repeat(32))),
        ] {
            assert_eq!(
                AccountName::parse(input)
                    .ok()
                    .as_ref()
                    .map(AccountName::as_str),
                expected,
                "{input:?}"
            );
        }
    }
}
