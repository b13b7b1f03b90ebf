//! PURE: reads a complainant's reply to the answer. Only a clear statement counts; anything
//! else goes to a person (PROSEDUR.md step 7: satisfied closes, not satisfied refers).

use super::phrases::Haystack;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Satisfied,
    Unsatisfied,
    /// Neither, or both: a person reads it. Never guessed.
    Unclear,
}

/// Phrases of dissatisfaction. Matched first, and their words consumed, so the "puas" in
/// "tidak puas" is not also read as satisfaction.
const UNSATISFIED: &[&str] = &[
    "tidak puas",
    "tdk puas",
    "belum puas",
    "blm puas",
    "kurang puas",
    "gak puas",
    "ga puas",
    "nggak puas",
    "enggak puas",
    "tak puas",
    "kecewa",
    "tidak setuju",
    "belum selesai",
    "belum ada perbaikan",
    "tidak ada perbaikan",
    "masih sama",
];

const SATISFIED: &[&str] = &[
    "puas",
    "terima kasih sudah ditindaklanjuti",
    "terima kasih atas tindak lanjutnya",
    "terima kasih atas tindak lanjut",
    "terimakasih sudah ditindaklanjuti",
    "sudah selesai",
    "sudah beres",
    "masalah selesai",
];

/// Reads only what the complainant wrote now: quoted lines (`>`) and everything after a
/// reply header ("On … wrote:", "Pada … menulis:") or our own signature are ignored,
/// because our answer itself contains the words PUAS and TIDAK PUAS.
pub fn read(text: &str) -> Verdict {
    let fresh = fresh_text(text);
    let mut hay = Haystack::new(&fresh);
    let unsatisfied = consume(&mut hay, UNSATISFIED);
    let satisfied = consume(&mut hay, SATISFIED);
    match (satisfied, unsatisfied) {
        (true, false) => Verdict::Satisfied,
        (false, true) => Verdict::Unsatisfied,
        _ => Verdict::Unclear,
    }
}

fn fresh_text(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let reply_header = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("pada ") && lower.ends_with("menulis:"))
            || lower.starts_with("-----original message")
            || lower.starts_with("-------- pesan asli")
            || t == "--";
        if reply_header {
            break;
        }
        if !t.starts_with('>') {
            out.push(t);
        }
    }
    out.join("\n")
}

fn consume(hay: &mut Haystack, phrases: &[&str]) -> bool {
    phrases.iter().map(|p| hay.take(p)).sum::<u32>() > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_table() {
        let cases = [
            ("PUAS", Verdict::Satisfied),
            ("puas", Verdict::Satisfied),
            ("Saya sudah puas, terima kasih.", Verdict::Satisfied),
            ("Terima kasih sudah ditindaklanjuti", Verdict::Satisfied),
            ("Alhamdulillah sudah beres", Verdict::Satisfied),
            ("TIDAK PUAS", Verdict::Unsatisfied),
            ("tidak puas. Terima kasih", Verdict::Unsatisfied),
            ("Saya belum puas, antrean masih sama", Verdict::Unsatisfied),
            ("kecewa sekali", Verdict::Unsatisfied),
            ("tdk puas", Verdict::Unsatisfied),
            ("Kapan obatnya datang?", Verdict::Unclear),
            ("Terima kasih", Verdict::Unclear),
            (
                "puas dengan dokternya tapi kecewa dengan apoteknya",
                Verdict::Unclear,
            ),
            ("", Verdict::Unclear),
        ];
        for (text, want) in cases {
            assert_eq!(read(text), want, "{text:?}");
        }
    }

    #[test]
    fn quoted_answer_is_ignored() {
        let reply = "PUAS\n\nPada Kamis, 9 Apr 2026 pukul 10.00, Puskesmas menulis:\n> Balas PUAS atau TIDAK PUAS\n";
        assert_eq!(read(reply), Verdict::Satisfied);
        let reply = "tidak puas\n> Balas PUAS atau TIDAK PUAS";
        assert_eq!(read(reply), Verdict::Unsatisfied);
        let only_quote = "\n> Balas PUAS atau TIDAK PUAS\n";
        assert_eq!(read(only_quote), Verdict::Unclear);
    }
}
