//! PURE: phrase matching on free text, shared by the kind/unit guess and the satisfaction
//! reading. Text is compared as lower-case words; a matched phrase is consumed, so a longer
//! phrase matched first ("tidak puas") hides the shorter one inside it ("puas").

/// Lower case, letters and digits only, single spaces: "Terima-kasih!!" -> "terima kasih".
pub fn normalise(s: &str) -> String {
    let mapped: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    mapped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalised text whose matched phrases are blanked out as they are taken.
pub struct Haystack(String);

impl Haystack {
    pub fn new(text: &str) -> Self {
        Haystack(format!(" {} ", normalise(text)))
    }

    /// Counts and consumes whole-word occurrences of `phrase` (normalised here).
    pub fn take(&mut self, phrase: &str) -> u32 {
        let phrase = normalise(phrase);
        if phrase.is_empty() {
            return 0;
        }
        let needle = format!(" {phrase} ");
        // Blank the phrase but keep its trailing space, so a neighbouring word still
        // matches. Each search resumes where the last hit ended: restarting from the start
        // is quadratic (a 1 MB body of one keyword held the daemon for minutes), and
        // blanking cannot create a hit before the resume point.
        let blank = needle.len() - 1;
        let (mut hits, mut from) = (0, 0);
        while let Some(offset) = self.0[from..].find(&needle) {
            let pos = from + offset;
            self.0.replace_range(pos..pos + blank, &" ".repeat(blank));
            from = pos + blank;
            hits += 1;
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_phrase_hides_the_shorter() {
        let mut h = Haystack::new("Petugas TIDAK ramah; bidan ramah, tidak-ramah!");
        assert_eq!(h.take("tidak ramah"), 2);
        assert_eq!(h.take("ramah"), 1);
        assert_eq!(h.take("ramah"), 0);
        assert_eq!(normalise("Terima-kasih!!"), "terima kasih");
        assert_eq!(Haystack::new("puasa").take("puas"), 0, "whole words only");
    }

    #[test]
    fn overlapping_and_adjacent_phrases_count_once_each() {
        assert_eq!(Haystack::new("obat obat obat").take("obat"), 3);
        assert_eq!(Haystack::new("obat obat obat").take("obat obat"), 1);
        assert_eq!(Haystack::new("obatobat obat.obat").take("obat"), 2);
    }

    #[test]
    fn a_flood_of_one_phrase_is_linear() {
        // 2 MB of one word: quadratic blanking took minutes; this must stay instant
        // (no timing assertion: a hang shows as a test that never ends).
        let text = "puas ".repeat(400_000);
        assert_eq!(Haystack::new(&text).take("puas"), 400_000);
    }
}
