//! PURE: phrase matching on free text, shared by the kind/unit guess and the satisfaction
//! reading. Text is compared as lower-case words; a matched phrase is consumed, so a longer
//! phrase matched first ("tidak puas") hides the shorter one inside it ("puas").

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Lower case, letters and digits only, single spaces: "Terima-kasih!!" -> "terima kasih".
pub fn normalise(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    normalise_into(s, &mut out);
    // Only whole characters are written, so this never fails.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the normalised words of `s` to `out` (empty on entry), in one pass: a word is a
/// run of alphanumeric characters, each replaced by the first character of its lower case;
/// words are joined by single spaces. Runs of ASCII letters and digits are copied and
/// lower-cased as slices.
fn normalise_into(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // For ASCII, char::is_alphanumeric is exactly [A-Za-z0-9].
        if b.is_ascii_alphanumeric() {
            let run = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric())
                .unwrap_or(bytes.len() - i);
            if !in_word {
                if !out.is_empty() {
                    out.push(b' ');
                }
                in_word = true;
            }
            let at = out.len();
            out.extend_from_slice(&bytes[i..i + run]);
            out[at..].make_ascii_lowercase();
            i += run;
        } else if b.is_ascii() {
            in_word = false;
            i += 1;
        } else {
            // `i` is always on a character boundary here.
            let c = s[i..].chars().next().unwrap_or(' ');
            i += c.len_utf8();
            if c.is_alphanumeric() {
                if !in_word {
                    if !out.is_empty() {
                        out.push(b' ');
                    }
                    in_word = true;
                }
                let lower = c.to_lowercase().next().unwrap_or(c);
                out.extend_from_slice(lower.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                in_word = false;
            }
        }
    }
}

/// No further word (end of a chain); never a word index, as offsets stay below it.
const NONE: u32 = u32::MAX;

/// Normalised text whose matched phrases are blanked out as they are taken.
///
/// The text is normalised once and its words indexed: every word is linked to the next
/// word with the same hash, and `heads` holds the first of each chain. [`Haystack::take`]
/// walks the chain of the phrase's first word (left to right) and compares the phrase in
/// place, so a call costs the occurrences of that word, not the length of the text. A taken
/// phrase is overwritten with NUL bytes, which no normalised phrase contains: its words
/// match nothing afterwards, and a phrase can no longer run across it.
#[derive(Clone)]
pub struct Haystack {
    /// Normalised words joined by single spaces; taken phrases are NUL bytes.
    text: Vec<u8>,
    /// For each word: its byte offset in `text`, and the index of the next word with the
    /// same hash (or [`NONE`]).
    words: Vec<(u32, u32)>,
    /// Word hash -> (first, last) word of its chain.
    heads: HashMap<u64, (u32, u32), BuildHasherDefault<WordHasher>>,
    /// Scratch buffer for the normalised phrase.
    needle: Vec<u8>,
}

impl Haystack {
    pub fn new(text: &str) -> Self {
        let mut normalised = Vec::with_capacity(text.len());
        normalise_into(text, &mut normalised);
        let text = normalised;
        let mut words: Vec<(u32, u32)> = Vec::with_capacity(text.len() / 6 + 1);
        let mut heads: HashMap<u64, (u32, u32), BuildHasherDefault<WordHasher>> =
            HashMap::default();
        let mut start = 0usize;
        for word in text.split(|&b| b == b' ') {
            // Offsets are u32 (memory: a text of one-letter words has len/2 of them). A
            // normalised text past 4 GB cannot come from a parsed mail (the parse limit
            // is far below); its tail would simply not be indexed. There are fewer words
            // than bytes, so the index fits when the offset does.
            let Ok(offset) = u32::try_from(start) else {
                break;
            };
            let index = words.len() as u32;
            start += word.len() + 1;
            if word.is_empty() {
                continue; // only for an empty text
            }
            words.push((offset, NONE));
            heads
                .entry(word_hash(word))
                .and_modify(|(_, last)| {
                    words[*last as usize].1 = index;
                    *last = index;
                })
                .or_insert((index, index));
        }
        Haystack {
            text,
            words,
            heads,
            needle: Vec::new(),
        }
    }

    /// Counts and consumes whole-word occurrences of `phrase` (normalised here), left to
    /// right and without overlap.
    pub fn take(&mut self, phrase: &str) -> u32 {
        let mut needle = std::mem::take(&mut self.needle);
        needle.clear();
        normalise_into(phrase, &mut needle);
        let hits = self.take_words(&needle);
        self.needle = needle;
        hits
    }

    /// [`Haystack::take`] for a phrase that is already normalised ([`normalise`]).
    pub(crate) fn take_normalised(&mut self, phrase: &str) -> u32 {
        debug_assert_eq!(phrase, normalise(phrase));
        self.take_words(phrase.as_bytes())
    }

    fn take_words(&mut self, needle: &[u8]) -> u32 {
        let first = needle.split(|&b| b == b' ').next().unwrap_or_default();
        if first.is_empty() {
            return 0;
        }
        let Some(&(mut at, _)) = self.heads.get(&word_hash(first)) else {
            return 0;
        };
        let mut hits = 0;
        while at != NONE {
            let (offset, next) = self.words[at as usize];
            let start = offset as usize;
            let end = start + needle.len();
            // `start` begins a word; the phrase matches when the same bytes follow and a
            // word ends there. A taken word (NUL bytes) never compares equal.
            if self.text.get(start..end) == Some(needle)
                && self.text.get(end).is_none_or(|&b| b == b' ')
            {
                self.text[start..end].fill(0);
                hits += 1;
            }
            at = next;
        }
        hits
    }
}

/// Hash of one normalised word, eight bytes at a time. Distinct words may share a hash:
/// their chains merge and the comparison in `take` tells them apart.
fn word_hash(word: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = word.len() as u64;
    let mut chunks = word.chunks_exact(8);
    for chunk in &mut chunks {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(chunk);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// The word hashes are already mixed: the map uses them as they are.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (u64 keys); a plain fold keeps this correct anyway.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
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

    /// The substring implementation this one replaced, kept as the reference.
    struct Reference(String);

    impl Reference {
        fn new(text: &str) -> Self {
            let mapped: String = text
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() {
                        c.to_lowercase().next().unwrap_or(c)
                    } else {
                        ' '
                    }
                })
                .collect();
            let words = mapped.split_whitespace().collect::<Vec<_>>().join(" ");
            Reference(format!(" {words} "))
        }

        fn take(&mut self, phrase: &str) -> u32 {
            let phrase = Reference::new(phrase).0;
            if phrase.trim().is_empty() {
                return 0;
            }
            let blank = phrase.len() - 1;
            let (mut hits, mut from) = (0, 0);
            while let Some(offset) = self.0[from..].find(&phrase) {
                let pos = from + offset;
                self.0.replace_range(pos..pos + blank, &" ".repeat(blank));
                from = pos + blank;
                hits += 1;
            }
            hits
        }
    }

    #[test]
    fn same_results_as_the_substring_reference() {
        let vocabulary = [
            "obat",
            "Obat",
            "tidak",
            "TIDAK",
            "puas",
            "puasa",
            "ramah",
            "terima",
            "kasih",
            "İstanbul",
            "ÉCOLE",
            "école",
            "ẞ",
            "ß",
            "١٢٣",
            "x",
            "",
            "a",
            "b",
        ];
        let separators = [" ", "  ", "-", ", ", "!\n", "\u{00A0}", "\t", "…", "_"];
        let phrases = [
            "obat obat",
            "tidak puas",
            "puas",
            "obat",
            "Tidak Ramah",
            "ramah",
            "terima kasih",
            "terima-kasih obat",
            "a b a",
            "a",
            "b a",
            "istanbul",
            "i̇stanbul",
            "école",
            "ß",
            "١٢٣",
            "",
            "!!",
            "x x x",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..2000 {
            let mut text = String::new();
            for _ in 0..next(40) {
                text.push_str(vocabulary[next(vocabulary.len())]);
                text.push_str(separators[next(separators.len())]);
            }
            assert_eq!(normalise(&text), Reference::new(&text).0.trim(), "{text:?}");
            let (mut new, mut old) = (Haystack::new(&text), Reference::new(&text));
            for _ in 0..12 {
                let phrase = phrases[next(phrases.len())];
                assert_eq!(
                    new.take(phrase),
                    old.take(phrase),
                    "round {round}: {phrase:?} in {text:?}"
                );
            }
        }
    }
}
