//! The guard: accept an LLM's output only when it is a clean-up of what was said.
//!
//! A clean-up removes fillers, applies spoken corrections, turns spoken punctuation and numbers
//! into symbols, and fixes case and punctuation. It does not add sentences, answer questions,
//! carry out dictated instructions, summarize, translate or decorate. Each check below looks for
//! one of those failure shapes; the limits were set from the table in `tests/cleanup_guard.rs`
//! (real clean-ups and real bad replies) and live in [`GuardLimits::DEFAULT`].

use std::collections::HashSet;

use super::provenance::untraceable;
use super::words::{
    CORRECTION_CUES, FILLERS, SPOKEN_PUNCTUATION, contraction_base, expansions, is_number_word,
    is_numeric, spoken_forms, stem, tokenize,
};

/// Every threshold the guard uses, in one place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardLimits {
    /// Share of the output's words that may be absent from the input.
    pub max_new_word_share: f64,
    /// New words always tolerated, however short the text (recognition fixes, an added "the").
    pub new_word_allowance: usize,
    /// A sentence of the output counts as added when this share of its words is new...
    pub added_sentence_share: f64,
    /// ...and it has at least this many new words (or consists of new words only).
    pub added_sentence_min_new: usize,
    /// Output words may be at most this multiple of the input's content words, plus the slack.
    pub max_length_ratio: f64,
    /// Output words must be at least this multiple of the input's content words, minus the slack.
    pub min_length_ratio: f64,
    pub length_slack_words: usize,
    /// Share of the input's content words that must survive.
    pub min_kept_share: f64,
    /// How alike (0–1, edit distance) a reply's word must be to a word it replaces to count as
    /// a fix of what was misheard ("cost" → "coast" is 0.8).
    pub sound_alike_similarity: f64,
}

impl GuardLimits {
    pub const DEFAULT: GuardLimits = GuardLimits {
        max_new_word_share: 0.25,
        new_word_allowance: 2,
        added_sentence_share: 0.6,
        added_sentence_min_new: 3,
        max_length_ratio: 1.35,
        min_length_ratio: 0.5,
        length_slack_words: 3,
        min_kept_share: 0.6,
        sound_alike_similarity: 0.6,
    };
}

impl Default for GuardLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why an output was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejection {
    #[error("the reply was empty")]
    Empty,
    #[error("the reply starts with a preamble ({0:?})")]
    Preamble(String),
    #[error("the reply is wrapped in quotes or formatted as markdown")]
    Formatting,
    #[error("a dictated question was answered instead of cleaned")]
    AnsweredQuestion,
    #[error("the reply has words that were never said: {}", .0.join(", "))]
    UnsaidWords(Vec<String>),
    #[error("the reply adds content that was not said ({new} of {total} words are new)")]
    AddedWords { new: usize, total: usize },
    #[error("the reply adds a sentence that was not said: {0:?}")]
    AddedSentence(String),
    #[error("the reply is far longer than what was said ({output} words for {input})")]
    TooLong { output: usize, input: usize },
    #[error("the reply is far shorter than what was said ({output} words for {input})")]
    TooShort { output: usize, input: usize },
    #[error("the reply drops much of what was said ({kept:.0}% of the words kept)")]
    LostWords { kept: f64 },
}

impl Rejection {
    /// A stable machine-readable name (history, JSON).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty_reply",
            Rejection::Preamble(_) => "guard_preamble",
            Rejection::Formatting => "guard_formatting",
            Rejection::AnsweredQuestion => "guard_answered_question",
            Rejection::UnsaidWords(_) => "guard_unsaid_words",
            Rejection::AddedWords { .. } => "guard_added_words",
            Rejection::AddedSentence(_) => "guard_added_sentence",
            Rejection::TooLong { .. } => "guard_too_long",
            Rejection::TooShort { .. } => "guard_too_short",
            Rejection::LostWords { .. } => "guard_lost_words",
        }
    }
}

/// Openers of assistant chatter. Rejected unless the speaker said them too.
const PREAMBLES: &[&str] = &[
    "sure",
    "certainly",
    "of course",
    "absolutely",
    "here is",
    "here's",
    "here are",
    "okay here",
    "ok here",
    "the cleaned",
    "cleaned text",
    "cleaned transcript",
    "cleaned up",
    "corrected text",
    "corrected version",
    "the corrected",
    "transcript",
    "as an ai",
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i cannot",
    "i can't",
    "note",
];

const INTERROGATIVES: &[&str] = &[
    "what", "who", "whom", "whose", "where", "when", "why", "how", "which",
];
const QUESTION_FOLLOWERS: &[&str] = &[
    "is", "are", "was", "were", "do", "does", "did", "can", "could", "would", "will", "should",
    "shall", "may", "might", "has", "have", "had", "am", "many", "much", "long", "often", "far",
    "old", "about", "if", "time", "kind", "day",
];
const AUXILIARIES: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "can",
    "could",
    "would",
    "will",
    "should",
    "shall",
    "may",
    "might",
    "has",
    "have",
    "had",
    "am",
    "isn't",
    "aren't",
    "don't",
    "doesn't",
    "didn't",
    "can't",
    "won't",
    "wouldn't",
    "couldn't",
    "shouldn't",
];
const SUBJECTS: &[&str] = &[
    "i", "you", "we", "he", "she", "it", "they", "there", "this", "that",
];

/// Everything the guard knows about the input, computed once.
struct Said {
    words: HashSet<String>,
    stems: HashSet<String>,
    has_numbers: bool,
    /// Words that must survive a clean-up (not fillers, cues, spoken punctuation or numbers).
    content: HashSet<String>,
    /// Word count without fillers and spoken punctuation.
    length: usize,
}

impl Said {
    fn new(raw: &str, vocabulary: &[String]) -> Said {
        let tokens = tokenize(raw);
        let mut words = HashSet::new();
        for t in &tokens {
            words.insert(t.clone());
            words.insert(contraction_base(t).to_string());
            words.extend(expansions(t).into_iter().map(String::from));
            words.extend(spoken_forms(t).iter().map(|w| w.to_string()));
        }
        for v in vocabulary {
            words.extend(tokenize(v));
        }
        let stems = words.iter().map(|w| stem(w).to_string()).collect();
        let has_numbers = tokens.iter().any(|t| is_numeric(t) || is_number_word(t));
        let droppable = |t: &str| FILLERS.contains(&t) || SPOKEN_PUNCTUATION.contains(&t);
        let content = tokens
            .iter()
            .filter(|t| !droppable(t) && !CORRECTION_CUES.contains(&t.as_str()))
            .filter(|t| !is_numeric(t) && !is_number_word(t))
            .cloned()
            .collect();
        let length = tokens.iter().filter(|t| !droppable(t)).count();
        Said {
            words,
            stems,
            has_numbers,
            content,
            length,
        }
    }

    /// Whether an output word can come from what was said.
    fn knows(&self, token: &str) -> bool {
        if self.words.contains(token) || self.stems.contains(stem(token)) {
            return true;
        }
        if (is_numeric(token) || is_number_word(token)) && self.has_numbers {
            return true;
        }
        if !token.contains('\'') {
            return false;
        }
        // "don't" needs "do" and "not"; "it's" and "John's" need only their first part.
        if token.ends_with("n't") {
            let parts = expansions(token);
            return !parts.is_empty() && parts.iter().all(|p| self.words.contains(*p));
        }
        self.words.contains(contraction_base(token))
    }
}

pub struct Guard {
    limits: GuardLimits,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(GuardLimits::DEFAULT)
    }
}

impl Guard {
    pub fn new(limits: GuardLimits) -> Guard {
        Guard { limits }
    }

    /// `Ok` when `cleaned` is a clean-up of `raw`; otherwise the first problem found.
    pub fn check(&self, raw: &str, cleaned: &str, vocabulary: &[String]) -> Result<(), Rejection> {
        let out = tokenize(cleaned);
        if out.is_empty() {
            return Err(Rejection::Empty);
        }
        let said = Said::new(raw, vocabulary);
        let raw_tokens = tokenize(raw);
        check_preamble(&raw_tokens, &out)?;
        check_formatting(raw, cleaned, &raw_tokens)?;
        check_question(raw, cleaned)?;
        let unsaid = untraceable(
            &out,
            &raw_tokens,
            |w| said.knows(w),
            self.limits.sound_alike_similarity,
        );
        if !unsaid.is_empty() {
            return Err(Rejection::UnsaidWords(unsaid));
        }
        self.check_added_sentences(cleaned, &said)?;
        self.check_new_words(&out, &said)?;
        self.check_length(&out, &said)?;
        self.check_kept(&out, &said)
    }

    fn check_added_sentences(&self, cleaned: &str, said: &Said) -> Result<(), Rejection> {
        for sentence in cleaned.split(['.', '!', '?', ':', '\n', ';']) {
            let words = tokenize(sentence);
            if words.is_empty() {
                continue;
            }
            let new = words.iter().filter(|w| !said.knows(w)).count();
            let share = new as f64 / words.len() as f64;
            let enough = new >= self.limits.added_sentence_min_new || new == words.len();
            if share >= self.limits.added_sentence_share && enough {
                return Err(Rejection::AddedSentence(sentence.trim().to_string()));
            }
        }
        Ok(())
    }

    fn check_new_words(&self, out: &[String], said: &Said) -> Result<(), Rejection> {
        let new = out.iter().filter(|w| !said.knows(w)).count();
        let allowed = self.limits.new_word_allowance as f64
            + self.limits.max_new_word_share * out.len() as f64;
        if new > self.limits.new_word_allowance && new as f64 > allowed.max(0.0) {
            return Err(Rejection::AddedWords {
                new,
                total: out.len(),
            });
        }
        // Relative bound on its own too, for long replies that swap many words.
        if new > self.limits.new_word_allowance
            && new as f64 / out.len() as f64 > self.limits.max_new_word_share
        {
            return Err(Rejection::AddedWords {
                new,
                total: out.len(),
            });
        }
        Ok(())
    }

    fn check_length(&self, out: &[String], said: &Said) -> Result<(), Rejection> {
        let input = said.length.max(1) as f64;
        let output = out.len() as f64;
        let slack = self.limits.length_slack_words as f64;
        if output > input * self.limits.max_length_ratio + slack {
            return Err(Rejection::TooLong {
                output: out.len(),
                input: said.length,
            });
        }
        if output < input * self.limits.min_length_ratio - slack {
            return Err(Rejection::TooShort {
                output: out.len(),
                input: said.length,
            });
        }
        Ok(())
    }

    fn check_kept(&self, out: &[String], said: &Said) -> Result<(), Rejection> {
        if said.content.is_empty() {
            return Ok(());
        }
        let out_words: HashSet<&str> = out.iter().map(String::as_str).collect();
        let out_stems: HashSet<&str> = out.iter().map(|w| stem(w)).collect();
        let kept = said
            .content
            .iter()
            .filter(|w| out_words.contains(w.as_str()) || out_stems.contains(stem(w)))
            .count();
        let share = kept as f64 / said.content.len() as f64;
        if share < self.limits.min_kept_share {
            return Err(Rejection::LostWords {
                kept: share * 100.0,
            });
        }
        Ok(())
    }
}

fn starts_with_phrase(tokens: &[String], phrase: &[String]) -> bool {
    tokens.len() >= phrase.len() && tokens.iter().zip(phrase).all(|(a, b)| a == b)
}

fn check_preamble(raw: &[String], out: &[String]) -> Result<(), Rejection> {
    let raw_content: Vec<String> = raw
        .iter()
        .filter(|t| !FILLERS.contains(&t.as_str()))
        .cloned()
        .collect();
    for phrase in PREAMBLES {
        let phrase_tokens = tokenize(phrase);
        if starts_with_phrase(out, &phrase_tokens)
            && !starts_with_phrase(raw, &phrase_tokens)
            && !starts_with_phrase(&raw_content, &phrase_tokens)
        {
            return Err(Rejection::Preamble(phrase.to_string()));
        }
    }
    Ok(())
}

fn check_formatting(raw: &str, cleaned: &str, raw_tokens: &[String]) -> Result<(), Rejection> {
    let text = cleaned.trim();
    let quoted = |s: &str| {
        [('"', '"'), ('“', '”'), ('\'', '\''), ('«', '»'), ('`', '`')]
            .iter()
            .any(|&(open, close)| s.starts_with(open) && s.ends_with(close) && s.len() > 1)
    };
    if quoted(text) && !quoted(raw.trim()) {
        return Err(Rejection::Formatting);
    }
    if text.contains("```") || text.contains("**") || text.contains("__") {
        return Err(Rejection::Formatting);
    }
    let spoke_layout = raw_tokens.iter().any(|t| {
        matches!(
            t.as_str(),
            "bullet" | "dash" | "hyphen" | "heading" | "hash"
        )
    });
    let markdown_line = text.lines().any(|line| {
        let l = line.trim_start();
        l.starts_with('#') || l.starts_with("- ") || l.starts_with("* ") || l.starts_with("• ")
    });
    if markdown_line && !spoke_layout {
        return Err(Rejection::Formatting);
    }
    Ok(())
}

/// Words a spoken question may start with before the question proper ("so um what is …").
const LEAD_INS: &[&str] = &["hey", "and", "but", "oh", "alright", "now", "then"];

/// Whether a sentence reads as a question even without a question mark.
fn sounds_like_question(sentence: &str) -> bool {
    let t = tokenize(sentence);
    let lead = t
        .iter()
        .take_while(|w| FILLERS.contains(&w.as_str()) || LEAD_INS.contains(&w.as_str()))
        .count();
    let t = &t[lead..];
    let first = t.first().map(String::as_str).unwrap_or("");
    let second = t.get(1).map(String::as_str).unwrap_or("");
    // "Who" opens a question whatever follows ("who wrote Hamlet").
    (INTERROGATIVES.contains(&first)
        && (QUESTION_FOLLOWERS.contains(&second)
            || expansions(second).contains(&"is")
            || (first == "who" && !second.is_empty())))
        || (AUXILIARIES.contains(&first) && SUBJECTS.contains(&second))
        || (INTERROGATIVES.contains(&contraction_base(first)) && first.contains('\''))
}

fn check_question(raw: &str, cleaned: &str) -> Result<(), Rejection> {
    let raw = raw.trim();
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            sentences.push((&raw[start..i], c == '?'));
            start = i + c.len_utf8();
        }
    }
    if !raw[start..].trim().is_empty() {
        sentences.push((&raw[start..], false));
    }
    let is_question = |(s, marked): &(&str, bool)| *marked || sounds_like_question(s);
    let any_question = sentences.iter().any(is_question);
    let ends_with_question = sentences.last().is_some_and(is_question);
    let out = cleaned.trim_end();
    if any_question && !out.contains('?') {
        return Err(Rejection::AnsweredQuestion);
    }
    if ends_with_question && !out.ends_with('?') {
        return Err(Rejection::AnsweredQuestion);
    }
    Ok(())
}
