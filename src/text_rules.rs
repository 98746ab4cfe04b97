//! Deterministic rewrites after recognition: the user's replacements, applied to whole words.

use crate::settings::Replacement;

/// Apply each replacement to whole-word, case-insensitive matches of its `from` phrase.
pub fn apply_replacements(text: &str, replacements: &[Replacement]) -> String {
    let mut out = text.to_string();
    for r in replacements {
        let from = r.from.trim();
        if from.is_empty() {
            continue;
        }
        out = replace_words(&out, from, &r.to);
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

fn replace_words(text: &str, from: &str, to: &str) -> String {
    let lower = text.to_lowercase();
    let needle = from.to_lowercase();
    // Lowercasing can change byte lengths (rare); then fall back to leaving the text alone.
    if lower.len() != text.len() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(found) = lower[pos..].find(&needle) {
        let start = pos + found;
        let end = start + needle.len();
        let before_ok = !text[..start].chars().next_back().is_some_and(is_word_char);
        let after_ok = !text[end..].chars().next().is_some_and(is_word_char);
        if before_ok && after_ok {
            out.push_str(&text[pos..start]);
            out.push_str(to);
        } else {
            out.push_str(&text[pos..end]);
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: &str, to: &str) -> Replacement {
        Replacement {
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn whole_words_only_case_insensitive() {
        let rules = [rule("utter", "Utter"), rule("cuber netties", "Kubernetes")];
        assert_eq!(
            apply_replacements("I use utter and Cuber Netties, not butter.", &rules),
            "I use Utter and Kubernetes, not butter."
        );
        assert_eq!(apply_replacements("utterly", &rules), "utterly");
        assert_eq!(apply_replacements("x", &[rule("  ", "y")]), "x");
    }
}
