//! Does the transcript so far read as a finished thought? A second opinion beside Smart Turn:
//! the recognisers punctuate from the words and the intonation together, so a speaker who
//! stopped mid-sentence usually gets no full stop (or a comma, or "..."), and a last word such
//! as "the" or "and" cannot end a sentence whatever the punctuation says.

/// Marks that close a sentence (Latin scripts, and the full-width ones of Chinese/Japanese).
const CLOSING: &[char] = &['.', '!', '?', '。', '！', '？'];

/// Quotes and brackets that may follow the closing mark.
const TRAILING: &[char] = &['"', '\'', ')', ']', '”', '’', '」', '』'];

/// English words a sentence does not end on: articles, conjunctions, prepositions that need
/// an object, possessives, and hesitations (a speaker who says "um" and stops is thinking).
/// Kept to words that are (almost) never last; "on", "in", "so", "that" can be.
const NEVER_LAST: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "because", "although", "of", "with", "from",
    "into", "onto", "than", "to", "my", "your", "our", "their", "whose", "very", "um", "uh", "er",
    "erm", "ah", "hmm", "mm",
];

/// True when `text` ends with a mark that closes a sentence (maybe with a quote or bracket
/// after it), not an ellipsis. Engines ask it of their last token: that token's probability
/// says how sure the recogniser is that the sentence ended.
pub fn ends_with_closing_mark(text: &str) -> bool {
    let text = text.trim_end().trim_end_matches(TRAILING);
    text.chars().last().is_some_and(|c| CLOSING.contains(&c))
        && !text.ends_with("..")
        && !text.ends_with('…')
}

/// True when `text` ends with a closing mark (not an ellipsis) after a word a sentence can
/// end on.
pub fn reads_finished(text: &str) -> bool {
    if !ends_with_closing_mark(text) {
        return false;
    }
    let text = text.trim_end().trim_end_matches(TRAILING);
    let body = text.trim_end_matches(CLOSING);
    let last_word = body
        .rsplit(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ':')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let last_word = last_word
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    !NEVER_LAST.contains(&last_word.as_str())
}

#[cfg(test)]
mod tests {
    use super::{ends_with_closing_mark, reads_finished};

    #[test]
    fn closing_marks_are_told_from_other_tokens() {
        for token in [".", " .", "?", "!", ".\"", "?)", "。", "pad."] {
            assert!(ends_with_closing_mark(token), "{token:?}");
        }
        for token in ["...", "..", "…", ",", " the", "", "\"", "Mr"] {
            assert!(!ends_with_closing_mark(token), "{token:?}");
        }
    }

    #[test]
    fn finished_sentences_read_finished() {
        for text in [
            "The birch canoe slid on the smooth planks.",
            "What time is it?",
            "Stop!",
            "He said \"go home.\"",
            "And so it begins. This is what a crocodile sounds like.",
            "今天天气很好。",
            "I think so.",
        ] {
            assert!(reads_finished(text), "{text:?}");
        }
    }

    #[test]
    fn sentences_stopped_in_the_middle_do_not() {
        // From the recognisers on the eval corpus cut at a mid-sentence pause.
        for text in [
            "the birch canoe slid",
            "Unless a system is established for the frequent formal review,",
            "This is all very...",
            "This is all very…",
            "This is all-",
            "It was not so much the loss of the.",
            "It was my reports from the north, which, and",
            "Montreal forced, ah, um.",
            "",
            "   ",
        ] {
            assert!(!reads_finished(text), "{text:?}");
        }
    }
}
