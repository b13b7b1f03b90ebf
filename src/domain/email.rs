//! A checked, normalised email address (the bare `local@domain` form).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{shown, DomainError};

/// A lower-cased `local@domain` address.
///
/// The check is deliberately practical rather than full RFC 5322: it keeps
/// out what would break a header or a database key (display names, lists,
/// quoting, whitespace), not every exotic but legal address. Lower-casing
/// the local part is technically lossy, but no real mailbox provider
/// distinguishes case, and it makes one complainant one address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

/// RFC 5321 limit for a forward path, in bytes (octets) as RFC 5321 counts.
pub const MAX_LEN: usize = 254;
/// RFC 5321 limit for the local part.
pub const MAX_LOCAL_LEN: usize = 64;
/// RFC 1035 limit for one domain label.
const MAX_LABEL_LEN: usize = 63;

impl EmailAddress {
    /// Trims and lower-cases `input`, then checks it.
    pub fn parse(input: &str) -> Result<EmailAddress, DomainError> {
        let err = |reason| DomainError::InvalidEmail {
            input: shown(input),
            reason,
        };
        let address = input.trim().to_lowercase();
        if address.is_empty() {
            return Err(err("empty"));
        }
        if address.len() > MAX_LEN {
            return Err(err("longer than 254 bytes"));
        }
        if let Some(c) = address.chars().find(|c| is_forbidden(*c)) {
            return Err(err(if c.is_whitespace() {
                "contains whitespace"
            } else if c.is_control() {
                "contains a control character"
            } else {
                "contains one of ( ) < > [ ] , ; : \\ \" (write only the bare address)"
            }));
        }
        let mut parts = address.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(if address.contains('@') {
                "more than one @"
            } else {
                "no @"
            }));
        };
        check_local(local).map_err(err)?;
        check_domain(domain).map_err(err)?;
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map_or("", |(_, domain)| domain)
    }
}

/// RFC 5322 "specials" that only appear quoted or in a full mailbox
/// (`Name <a@b>`), plus whitespace and control characters.
fn is_forbidden(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '(' | ')' | '<' | '>' | '[' | ']' | ',' | ';' | ':' | '\\' | '"'
        )
}

fn check_local(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("nothing before the @");
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err("the part before the @ is longer than 64 bytes");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("misplaced dot before the @");
    }
    Ok(())
}

/// Single-label domains (`localhost`, an intranet host) are accepted on
/// purpose: test setups and local relays use them.
fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.is_empty() {
        return Err("nothing after the @");
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("misplaced dot in the domain");
        }
        if label.len() > MAX_LABEL_LEN {
            return Err("a part of the domain is longer than 63 bytes");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part of the domain starts or ends with a dash");
        }
        // Non-ASCII letters stay allowed for internationalised domains.
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("the domain may contain only letters, digits, dots and dashes");
        }
    }
    Ok(())
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for EmailAddress {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

impl TryFrom<&str> for EmailAddress {
    type Error = DomainError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        EmailAddress::parse(s)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&s)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Deserialising checks too, so configuration and stored rows cannot
/// smuggle in an unchecked address.
impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EmailAddress::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        let cases = [
            ("warga@example.test", "warga@example.test"),
            ("  Warga.Satu@Example.TEST \n", "warga.satu@example.test"),
            (
                "kademangan.puskesmas@gmail.com",
                "kademangan.puskesmas@gmail.com",
            ),
            ("a+tag@sub.example.test", "a+tag@sub.example.test"),
            ("o'brien@example.test", "o'brien@example.test"),
            (
                "user_1-x@mail-server.example.test",
                "user_1-x@mail-server.example.test",
            ),
            ("petugas@localhost", "petugas@localhost"),
            ("a@b", "a@b"),
            ("ÄNDERUNG@bücher.example", "änderung@bücher.example"),
        ];
        for (input, expected) in cases {
            let e = EmailAddress::parse(input).unwrap_or_else(|err| panic!("{input:?}: {err}"));
            assert_eq!(e.as_str(), expected);
            assert_eq!(e.to_string(), expected);
        }
    }

    #[test]
    fn rejects_with_reason() {
        let long_local = format!("{}@example.test", "a".repeat(65));
        let long_total = format!("a@{}.test", vec!["b".repeat(60); 5].join("."));
        let long_label = format!("a@{}.test", "b".repeat(64));
        let cases: Vec<(&str, &str)> = vec![
            ("", "empty"),
            ("   ", "empty"),
            ("warga.example.test", "no @"),
            ("a@b@example.test", "more than one @"),
            ("@example.test", "nothing before"),
            ("warga@", "nothing after"),
            ("war ga@example.test", "whitespace"),
            ("warga@exa\tmple.test", "whitespace"),
            ("warga\u{7}@example.test", "control"),
            ("Warga <warga@example.test>", "whitespace"),
            ("<warga@example.test>", "bare address"),
            ("a@example.test,b@example.test", "bare address"),
            ("a@example.test;", "bare address"),
            ("\"a b\"@example.test", "bare address"),
            ("\"ab\"@example.test", "bare address"),
            ("a@[127.0.0.1]", "bare address"),
            (".a@example.test", "dot before"),
            ("a.@example.test", "dot before"),
            ("a..b@example.test", "dot before"),
            ("a@example..test", "dot in the domain"),
            ("a@.example.test", "dot in the domain"),
            ("a@example.test.", "dot in the domain"),
            ("a@-example.test", "dash"),
            ("a@example-.test", "dash"),
            ("a@exa_mple.test", "only letters"),
            ("a@exa!mple.test", "only letters"),
            (&long_local, "64"),
            (&long_total, "254"),
            (&long_label, "63"),
        ];
        for (input, reason) in cases {
            match EmailAddress::parse(input) {
                Ok(e) => panic!("{input:?} accepted as {e}"),
                Err(err) => assert!(err.to_string().contains(reason), "{input:?}: {err}"),
            }
        }
    }

    #[test]
    fn max_length_is_inclusive() {
        // 64 + 1 + 189 = 254 characters.
        let domain = format!(
            "{}.{}.{}.test",
            "b".repeat(60),
            "c".repeat(60),
            "d".repeat(62)
        );
        let addr = format!("{}@{}", "a".repeat(64), domain);
        assert_eq!(addr.len(), 254);
        assert!(EmailAddress::parse(&addr).is_ok());
        let too_long = format!("{}@{}x", "a".repeat(64), domain);
        assert!(EmailAddress::parse(&too_long).is_err());
    }

    #[test]
    fn parts() {
        let e = EmailAddress::parse("Warga.Satu@Example.test").unwrap();
        assert_eq!(e.local_part(), "warga.satu");
        assert_eq!(e.domain(), "example.test");
        assert_eq!(e.as_ref(), "warga.satu@example.test");
        assert_eq!(e.clone().into_string(), "warga.satu@example.test");
    }

    #[test]
    fn conversions_and_serde() {
        let e: EmailAddress = "A@Example.test".parse().unwrap();
        assert_eq!(EmailAddress::try_from("a@example.test").unwrap(), e);
        assert_eq!(
            EmailAddress::try_from(String::from(" a@example.test")).unwrap(),
            e
        );

        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            from: EmailAddress,
        }
        let row = Row { from: e.clone() };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(text.trim(), "from = \"a@example.test\"");
        assert_eq!(toml::from_str::<Row>(&text).unwrap(), row);
        let bad = toml::from_str::<Row>("from = \"bukan alamat\"").unwrap_err();
        assert!(bad.to_string().contains("invalid email address"), "{bad}");
    }

    #[test]
    fn error_keeps_input_short() {
        let input = format!("{} tanpa at", "x".repeat(500));
        let err = EmailAddress::parse(&input).unwrap_err().to_string();
        assert!(err.len() < 200, "{err}");
    }
}
