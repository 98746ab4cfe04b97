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

/// Abbreviations written before names, which keep their capital.
const TITLES: [&str; 8] = ["Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Prof.", "Jr.", "Sr."];

/// A follow-on's text, which continues `before` (already delivered). Where `before` did not end
/// a sentence, the follow-on's first word is not a sentence start, so the capital a recogniser
/// gives every first word goes: "of the" + "Middle classes" → "middle classes". The pronoun I,
/// words in capitals ("NASA") and abbreviations ("Mr.") keep theirs; a name that begins a
/// follow-on loses its capital, the price of the common case. Where `before` ended with a full
/// stop, ? or !, the follow-on starts a sentence and gets a capital if it was decoded without
/// one (a fragment decoded alone, or its words heard in context, mid-sentence) — not after
/// "…" or "...", which trail off.
pub fn continue_sentence(before: &str, text: &str) -> String {
    let closed = before
        .trim_end()
        .trim_end_matches(['"', '\'', ')', '”', '’']);
    let ended = closed.ends_with(['.', '?', '!', '…', ':', ';']);
    let lead = text.len() - text.trim_start().len();
    let starts_sentence = closed.ends_with(['.', '?', '!']) && !closed.ends_with("..");
    if starts_sentence {
        let mut rest = text[lead..].chars();
        return match rest.next() {
            Some(first) if first.is_lowercase() => {
                format!("{}{}{}", &text[..lead], first.to_uppercase(), rest.as_str())
            }
            _ => text.to_string(),
        };
    }
    let word_end = text[lead..]
        .find(|c: char| c.is_whitespace())
        .map_or(text.len(), |i| lead + i);
    let word = &text[lead..word_end];
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return text.to_string();
    };
    let rest = chars.as_str();
    let letters_after: String = rest.chars().filter(|c| c.is_alphabetic()).collect();
    let is_pronoun_i = word == "I" || word.starts_with("I'") || word.starts_with("I’");
    let keeps_capital = before.trim().is_empty()
        || ended
        || !first.is_uppercase()
        || is_pronoun_i
        || letters_after.is_empty()
        || letters_after.chars().any(char::is_uppercase)
        || TITLES.contains(&word);
    if keeps_capital {
        return text.to_string();
    }
    format!(
        "{}{}{}",
        &text[..lead],
        first.to_lowercase(),
        &text[lead + first.len_utf8()..]
    )
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
    fn a_follow_on_after_an_unfinished_sentence_does_not_start_a_new_one() {
        let go_on = |before, text| continue_sentence(before, text);
        assert_eq!(
            go_on(
                "Mr. Quilter is the apostle of the",
                "Middle classes and we are glad."
            ),
            "middle classes and we are glad."
        );
        assert_eq!(go_on("I was thinking", " About that."), " about that.");
        // A finished sentence before it: a new one starts.
        for before in ["It was late.", "Really?", "He said \"stop.\"", "Wait…"] {
            assert_eq!(go_on(before, "About that."), "About that.", "{before}");
        }
        // ...with a capital where the follow-on was decoded without one; not after a trail.
        for before in ["It was late.", "Really?", "Stop!"] {
            assert_eq!(go_on(before, "from the pad."), "From the pad.", "{before}");
        }
        for before in ["Then she...", "Then she…", "as follows:"] {
            assert_eq!(go_on(before, "from the pad."), "from the pad.", "{before}");
        }
        // Words that keep their capital wherever they are.
        assert_eq!(go_on("and then", "I left."), "I left.");
        assert_eq!(go_on("and then", "I'm done."), "I'm done.");
        assert_eq!(go_on("we asked", "NASA about it."), "NASA about it.");
        assert_eq!(go_on("we asked", "Mr. Smith."), "Mr. Smith.");
        assert_eq!(go_on("we asked", "McDonald's."), "McDonald's.");
        assert_eq!(go_on("and then", "Yes."), "yes.");
        assert_eq!(go_on("one", "É-mail."), "é-mail.");
        assert_eq!(go_on("nothing before", ""), "");
        assert_eq!(go_on("", "Hello."), "Hello.");
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
