//! Word error rate, for tests and benchmarks that check recognition quality.

pub mod align;
pub mod config;
pub mod corpus;
pub mod golden_set;
pub mod html;
pub mod measure_here;
pub mod replay;
pub mod report;

/// Hesitations that carry no words; dropped on both sides, as Whisper's English normaliser does.
const FILLERS: [&str; 7] = ["uh", "um", "hmm", "mm", "mhm", "mmm", "er"];

/// Spellings of the same spoken words, mapped to one form on both sides.
const SAME_WORDS: [(&str, &str); 6] = [
    ("gonna", "going to"),
    ("wanna", "want to"),
    ("gotta", "got to"),
    ("alright", "all right"),
    ("okay", "ok"),
    ("seatbelts", "seat belts"),
];

/// Lower-case, strip punctuation, split hyphenated words, spell out small numbers, drop
/// hesitations and use one spelling for words written several ways ("gonna"/"going to").
pub fn normalize(text: &str) -> Vec<String> {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .filter(|w| !FILLERS.contains(w))
        .flat_map(|w| match w.parse::<u32>() {
            Ok(n) if n < 1000 => number_words(n),
            _ => match SAME_WORDS.iter().find(|(variant, _)| *variant == w) {
                Some((_, canonical)) => canonical.split(' ').map(str::to_string).collect(),
                None => vec![w.to_string()],
            },
        })
        .collect()
}

/// English number words, shared with the clean-up guard.
pub(crate) const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
pub(crate) const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];

fn number_words(n: u32) -> Vec<String> {
    let mut words = Vec::new();
    let (hundreds, rest) = (n / 100, n % 100);
    if hundreds > 0 {
        words.push(ONES[hundreds as usize].to_string());
        words.push("hundred".to_string());
    }
    if rest >= 20 {
        words.push(TENS[(rest / 10) as usize].to_string());
        if rest % 10 > 0 {
            words.push(ONES[(rest % 10) as usize].to_string());
        }
    } else if rest > 0 || hundreds == 0 {
        words.push(ONES[rest as usize].to_string());
    }
    words
}

/// Word error rate over several (reference, hypothesis) pairs, weighted by reference length:
/// the corpus's errors over its words (a fraction, like [`word_error_rate`]).
pub fn corpus_word_error_rate(pairs: &[(String, String)]) -> f64 {
    let words: usize = pairs.iter().map(|(r, _)| normalize(r).len()).sum();
    let errors: f64 = pairs
        .iter()
        .map(|(r, h)| word_error_rate(r, h) * normalize(r).len() as f64)
        .sum();
    errors / words.max(1) as f64
}

/// Word error rate of `hypothesis` against `reference`: (substitutions + deletions + insertions)
/// / reference words. 0.0 is perfect; can exceed 1.0 for long garbage output.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f64 {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

fn edit_distance(a: &[String], b: &[String]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, wa) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, wb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(wa != wb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_modulo_case_and_punctuation_is_perfect() {
        assert_eq!(
            word_error_rate("Ask not, what your country!", "ask not what your country"),
            0.0
        );
    }

    #[test]
    fn counts_substitutions_insertions_and_deletions() {
        assert!((word_error_rate("a b c d", "a x c d") - 0.25).abs() < 1e-9);
        assert!((word_error_rate("a b c d", "a b c d e") - 0.25).abs() < 1e-9);
        assert!((word_error_rate("a b c d", "a c d") - 0.25).abs() < 1e-9);
        assert!((word_error_rate("a b", "") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn numbers_match_their_spelled_form() {
        assert_eq!(word_error_rate("one two three", "1, 2, 3"), 0.0);
        // "345" reads as "three hundred forty five": one inserted word.
        assert_eq!(word_error_rate("at three forty five", "at 345"), 0.25);
        assert_eq!(normalize("345"), vec!["three", "hundred", "forty", "five"]);
        assert_eq!(normalize("well-known it's"), vec!["well", "known", "it's"]);
    }

    #[test]
    fn hesitations_and_spellings_of_the_same_words_are_not_errors() {
        assert_eq!(
            word_error_rate(
                "uh so we're gonna go alright",
                "So we're going to go. All right."
            ),
            0.0
        );
        assert_eq!(word_error_rate("ok then", "Okay, um, then"), 0.0);
    }

    #[test]
    fn empty_reference() {
        assert_eq!(word_error_rate("", ""), 0.0);
        assert_eq!(word_error_rate("", "thank you"), 1.0);
    }
}
