//! Word-level views of a text for the guard: tokens, contractions, stems, and the classes of
//! words a clean-up is allowed to drop or turn into symbols.

use std::collections::HashSet;

/// Lowercase word tokens. Apostrophes inside words are kept ("don't"); everything else that
/// is not a letter or digit separates words ("jon@example.com" → jon, example, com).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        let c = if c == '’' { '\'' } else { c };
        if c.is_alphanumeric() || (c == '\'' && !current.is_empty()) {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            push_token(&mut tokens, &mut current);
        }
    }
    if !current.is_empty() {
        push_token(&mut tokens, &mut current);
    }
    tokens
}

fn push_token(tokens: &mut Vec<String>, current: &mut String) {
    let word = current.trim_matches('\'');
    if !word.is_empty() {
        tokens.push(word.to_string());
    }
    current.clear();
}

/// The words a contraction stands for: "won't" → will, not; "it's" → it, is, has.
/// A word without an apostrophe expands to nothing.
pub fn expansions(token: &str) -> Vec<&str> {
    if !token.contains('\'') {
        return Vec::new();
    }
    if let Some(stem) = token.strip_suffix("n't") {
        let verb = match stem {
            "wo" => "will",
            "ca" => "can",
            "sha" => "shall",
            "ai" => "is",
            other => other,
        };
        return vec![verb, "not"];
    }
    match token.rsplit_once('\'').map(|(_, s)| s) {
        Some("re") => vec!["are"],
        Some("ll") => vec!["will"],
        Some("ve") => vec!["have"],
        Some("m") => vec!["am"],
        Some("d") => vec!["would", "had"],
        Some("s") => vec!["is", "has"],
        _ => Vec::new(),
    }
}

/// What a spoken short form stands for: "gonna" → going, to. Other words: nothing.
pub fn spoken_forms(token: &str) -> &'static [&'static str] {
    match token {
        "gonna" => &["going", "to"],
        "wanna" => &["want", "to"],
        "gotta" => &["got", "to"],
        "kinda" => &["kind", "of"],
        "sorta" => &["sort", "of"],
        "lemme" => &["let", "me"],
        "gimme" => &["give", "me"],
        "dunno" => &["do", "not", "know"],
        "cause" | "cuz" | "coz" => &["because"],
        "yeah" | "yep" | "yup" => &["yes"],
        "nope" => &["no"],
        "ok" => &["okay"],
        "okay" => &["ok"],
        _ => &[],
    }
}

/// The part before an apostrophe: "it's" → "it", "john's" → "john".
pub fn contraction_base(token: &str) -> &str {
    token.split_once('\'').map(|(b, _)| b).unwrap_or(token)
}

/// A crude stem so that recognition fixes of inflection ("meeting" → "meetings") are not new words.
pub fn stem(token: &str) -> &str {
    let long_enough = |w: &str| w.chars().count() >= 3;
    let mut word = contraction_base(token);
    if let Some(w) = word
        .strip_suffix('s')
        .filter(|w| !w.ends_with('s') && long_enough(w))
    {
        word = w;
    }
    for suffix in ["ing", "ed"] {
        if let Some(w) = word.strip_suffix(suffix).filter(|w| long_enough(w)) {
            word = w;
            break;
        }
    }
    word.strip_suffix('e')
        .filter(|w| long_enough(w))
        .unwrap_or(word)
}

pub fn is_numeric(token: &str) -> bool {
    token.chars().any(|c| c.is_ascii_digit())
}

/// Hesitations and discourse fillers a clean-up removes (a few languages).
pub const FILLERS: &[&str] = &[
    "um",
    "umm",
    "uh",
    "uhh",
    "uhm",
    "er",
    "erm",
    "ah",
    "eh",
    "hmm",
    "hm",
    "mm",
    "mhm",
    "like",
    "basically",
    "actually",
    "literally",
    "so",
    "well",
    "okay",
    "ok",
    "right",
    "you",
    "know",
    "mean",
    "just",
    "really",
    "yeah",
    "ähm",
    "äh",
    "öhm",
    "ehm",
    "euh",
    "ben",
    "bah",
    "pues",
    "este",
    "eee",
    "also",
    "halt",
    "quoi",
];

/// Words that signal a spoken correction ("at 3, no, 4"), dropped together with what they fix.
pub const CORRECTION_CUES: &[&str] = &[
    "no", "sorry", "scratch", "that", "wait", "i", "mean", "rather", "instead", "oops",
];

/// Spoken punctuation and layout commands a clean-up turns into symbols.
pub const SPOKEN_PUNCTUATION: &[&str] = &[
    "comma",
    "period",
    "full",
    "stop",
    "dot",
    "question",
    "exclamation",
    "mark",
    "point",
    "new",
    "line",
    "paragraph",
    "colon",
    "semicolon",
    "dash",
    "hyphen",
    "quote",
    "unquote",
    "open",
    "close",
    "parenthesis",
    "paren",
    "bracket",
    "ellipsis",
    "slash",
    "at",
    "sign",
    "underscore",
    "bullet",
    "hashtag",
    "hash",
    "percent",
    "ampersand",
];

/// Ordinals, fractions and units a clean-up may turn into digits and symbols (the cardinal
/// number words come from [`crate::eval`]).
pub const NUMBER_WORDS: &[&str] = &[
    "oh",
    "hundred",
    "thousand",
    "million",
    "billion",
    "trillion",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fifteenth",
    "twentieth",
    "thirtieth",
    "half",
    "quarter",
    "dozen",
    "point",
    "a",
    "and",
    "dollar",
    "dollars",
    "cent",
    "cents",
    "euro",
    "euros",
    "pound",
    "pounds",
    "percent",
    "am",
    "pm",
    "o'clock",
    "th",
    "st",
    "nd",
    "rd",
    "p",
    "m",
];

pub fn is_number_word(token: &str) -> bool {
    NUMBER_WORDS.contains(&token)
        || crate::eval::ONES.contains(&token)
        || crate::eval::TENS.contains(&token) && !token.is_empty()
}

pub fn set_of(words: &[&str]) -> HashSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_inner_apostrophes_and_split_symbols() {
        assert_eq!(
            tokenize("Don’t e-mail jon@example.com, 'please'!"),
            ["don't", "e", "mail", "jon", "example", "com", "please"]
        );
        assert_eq!(tokenize("Café — naïve 3:30"), ["café", "naïve", "3", "30"]);
    }

    #[test]
    fn contractions_expand() {
        assert_eq!(expansions("won't"), ["will", "not"]);
        assert_eq!(expansions("it's"), ["is", "has"]);
        assert_eq!(expansions("we're"), ["are"]);
        assert!(expansions("word").is_empty());
    }

    #[test]
    fn stems_ignore_inflection() {
        assert_eq!(stem("meetings"), stem("meeting"));
        assert_eq!(stem("parsed"), stem("parse"));
        assert_eq!(stem("parsing"), stem("parses"));
        assert_eq!(expansions("don't"), ["do", "not"]);
        assert_eq!(stem("is"), "is");
    }
}
