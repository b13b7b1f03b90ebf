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
        let mut hits = 0;
        while let Some(pos) = self.0.find(&needle) {
            // Keep the surrounding spaces so neighbouring words still match.
            self.0
                .replace_range(pos..pos + needle.len() - 1, &" ".repeat(needle.len() - 1));
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
}
