//! The report number of a complaint that came through SP4N-LAPOR! (lapor.go.id), kept so
//! staff can post the answer back there. LAPOR! shows it as a tracking ID, numeric and
//! commonly written with a hash: `#1916449` (7–10 digits in practice).

use std::fmt;

use serde::Serialize;

/// Fewest and most digits accepted: LAPOR! numbers are commonly 7–10 digits; the bounds
/// leave room for old short numbers and longer future ones without taking a phone number
/// with its separators or a whole sentence.
pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 20;

/// A LAPOR! tracking number: digits only, without the `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LaporNumber(String);

/// Why a typed LAPOR! number was refused. The text is for staff, in Bahasa Indonesia.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaporNumberError {
    #[error("nomor laporan SP4N-LAPOR! kosong; tulis nomor pelacakannya, mis. 1916449")]
    Empty,
    #[error(
        "nomor laporan SP4N-LAPOR! {0:?} tidak dikenali: tulis angkanya saja (boleh diawali #), \
         mis. 1916449 atau #1916449"
    )]
    NotDigits(String),
    #[error(
        "nomor laporan SP4N-LAPOR! {input:?} terdiri dari {digits} angka; nomor LAPOR! \
         terdiri dari {MIN_DIGITS}–{MAX_DIGITS} angka (biasanya 7–10), mis. 1916449"
    )]
    Length { input: String, digits: usize },
}

impl LaporNumber {
    /// Trimmed; one leading `#` and the spaces around it dropped; then 4–20 ASCII digits.
    pub fn parse(input: &str) -> Result<LaporNumber, LaporNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(LaporNumberError::Empty);
        }
        let digits = trimmed.strip_prefix('#').unwrap_or(trimmed).trim_start();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LaporNumberError::NotDigits(super::shown(trimmed)));
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(LaporNumberError::Length {
                input: super::shown(trimmed),
                digits: digits.len(),
            });
        }
        Ok(LaporNumber(digits.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LaporNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for LaporNumber {
    type Err = LaporNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LaporNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_digits_with_or_without_the_hash() {
        for (input, want) in [
            ("1916449", "1916449"),
            ("#1916449", "1916449"),
            ("  # 1916449 ", "1916449"),
            ("\t4623581\n", "4623581"),
            ("1234", "1234"),
            ("0012345678", "0012345678"),
            ("12345678901234567890", "12345678901234567890"),
        ] {
            let n = LaporNumber::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(n.as_str(), want, "{input:?}");
            assert_eq!(n.to_string(), want);
        }
    }

    #[test]
    fn refuses_what_is_not_a_lapor_number() {
        for input in ["", "   ", "#", "# "] {
            let e = LaporNumber::parse(input).unwrap_err();
            assert!(
                matches!(e, LaporNumberError::Empty | LaporNumberError::NotDigits(_)),
                "{input:?}: {e:?}"
            );
        }
        for input in [
            "LAPOR-1916449",
            "ADU-2026-0007",
            "19164 49",
            "1916-449",
            "##1916449",
            "1916449#",
            "１９１６４４９", // full-width digits
            "-1916449",
            "1916449a",
        ] {
            assert!(
                matches!(
                    LaporNumber::parse(input),
                    Err(LaporNumberError::NotDigits(_))
                ),
                "{input:?}"
            );
        }
        for (input, n) in [("123", 3), ("#12", 2), (&*"9".repeat(21), 21)] {
            assert_eq!(
                LaporNumber::parse(input),
                Err(LaporNumberError::Length {
                    input: input.trim().to_string(),
                    digits: n
                }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn errors_tell_staff_what_to_write() {
        let e = LaporNumber::parse("LAPOR-19").unwrap_err().to_string();
        assert_eq!(
            e,
            "nomor laporan SP4N-LAPOR! \"LAPOR-19\" tidak dikenali: tulis angkanya saja \
             (boleh diawali #), mis. 1916449 atau #1916449"
        );
        let e = LaporNumber::parse("#123").unwrap_err().to_string();
        assert!(e.contains("3 angka") && e.contains("4–20 angka"), "{e}");
        let e = LaporNumber::parse(" ").unwrap_err().to_string();
        assert!(e.starts_with("nomor laporan SP4N-LAPOR! kosong"), "{e}");
        // A whole text pasted into the field is not quoted back whole.
        let e = LaporNumber::parse(&"kata ".repeat(100))
            .unwrap_err()
            .to_string();
        assert!(e.chars().count() < 250, "{e}");
    }
}
