//! Where each word of a reply comes from. A clean-up only removes, reorders, punctuates and
//! fixes what was misheard; so every content word of the reply must be traceable to the
//! speech: the same word or stem, a number for numbers said, the vocabulary, or a close
//! sound-alike of a word the reply leaves out (a recognition fix: "cost" → "coast"). Grammar
//! words may be added (the share checks bound them); content the speaker never said may not,
//! however much of the rest overlaps — that is how an answer hides inside a question.

use std::collections::HashSet;

use super::words::{FILLERS, contraction_base, stem};

/// Words that carry grammar rather than content (English): articles, pronouns, prepositions,
/// conjunctions, auxiliaries and a few adverbs a clean-up may add or swap.
const GRAMMAR_WORDS: &[&str] = &[
    "a", "an", "the", "this", "that", "these", "those", "i", "me", "my", "mine", "you", "your",
    "yours", "he", "him", "his", "she", "her", "hers", "it", "its", "we", "us", "our", "ours",
    "they", "them", "their", "theirs", "there", "here", "and", "or", "but", "nor", "so", "if",
    "then", "than", "as", "of", "to", "in", "on", "at", "by", "for", "with", "from", "about",
    "into", "onto", "over", "under", "up", "down", "out", "off", "is", "are", "was", "were", "be",
    "been", "being", "am", "do", "does", "did", "have", "has", "had", "will", "would", "can",
    "could", "should", "shall", "may", "might", "must", "not", "also", "too", "very", "what",
    "which", "who", "whom", "whose", "when", "where", "why", "how",
];

fn is_content(word: &str) -> bool {
    let base = contraction_base(word);
    !GRAMMAR_WORDS.contains(&word) && !GRAMMAR_WORDS.contains(&base) && !FILLERS.contains(&word)
}

/// Content words of `reply` that cannot be traced to `said` (`knows` says whether a word was
/// said, as the guard counts it), in order, without repeats.
pub(super) fn untraceable(
    reply: &[String],
    said: &[String],
    knows: impl Fn(&str) -> bool,
    sound_alike: f64,
) -> Vec<String> {
    let in_reply: HashSet<&str> = reply.iter().map(|w| stem(w)).collect();
    // Said words the reply leaves out: the ones a recognition fix may have replaced.
    let replaced: Vec<&str> = said
        .iter()
        .map(String::as_str)
        .filter(|w| is_content(w) && !in_reply.contains(stem(w)))
        .collect();
    let mut found: Vec<String> = Vec::new();
    for word in reply {
        let traced = !is_content(word)
            || knows(word)
            || replaced
                .iter()
                .any(|r| strsim::normalized_damerau_levenshtein(word, r) >= sound_alike);
        if !traced && !found.contains(word) {
            found.push(word.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::words::tokenize;

    fn check(said: &str, reply: &str) -> Vec<String> {
        let said = tokenize(said);
        let words: HashSet<String> = said.iter().cloned().collect();
        untraceable(&tokenize(reply), &said, |w| words.contains(w), 0.6)
    }

    #[test]
    fn an_answer_is_traced_to_nothing_said() {
        assert_eq!(
            check(
                "what is the capital of france i wonder",
                "What is the capital of France? Paris, I wonder."
            ),
            ["paris"]
        );
    }

    #[test]
    fn grammar_and_recognition_fixes_are_traced() {
        assert!(check("their going to the store", "They're going to the store.").is_empty());
        assert!(check("meet me at the cost", "Meet me at the coast.").is_empty());
        // A sound-alike only stands in for a word the reply dropped.
        assert_eq!(
            check("the cost and the", "The cost and the coast."),
            ["coast"]
        );
    }
}
