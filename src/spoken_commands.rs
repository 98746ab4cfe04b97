//! Spoken commands, applied to the transcript before (or without) the LLM: deterministic and
//! offline. "new line", "new paragraph", punctuation said as words ("comma", "question mark"),
//! "press enter" / "send" at the end, and "scratch that" alone. English; the tables grow.
//!
//! A word like "period" is also just a word ("the trial period ended"), so a punctuation or
//! line command counts only where the recogniser set it apart: with punctuation of its own
//! on either side, at the end of the dictation, or before a capitalised word.

/// Phrases and what they put in the text.
const MARKS: [(&str, &str); 12] = [
    ("new paragraph", "\n\n"),
    ("new line", "\n"),
    ("question mark", "?"),
    ("exclamation mark", "!"),
    ("exclamation point", "!"),
    ("full stop", "."),
    ("period", "."),
    ("comma", ","),
    ("semicolon", ";"),
    ("colon", ":"),
    ("open parenthesis", "("),
    ("close parenthesis", ")"),
];

/// Said at the very end: press Enter after the text ("send" only as a sentence of its own).
const ENTER: [&str; 2] = ["press enter", "send"];
const SCRATCH: &str = "scratch that";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spoken {
    pub text: String,
    /// "press enter" / "send" ended the dictation.
    pub press_enter: bool,
    /// The whole dictation was "scratch that": remove the previous one.
    pub scratch: bool,
    /// The commands applied, in order (for the history and the log).
    pub applied: Vec<&'static str>,
}

/// One word of the transcript with the punctuation the recogniser put around it.
#[derive(Debug, Clone)]
struct Token {
    before: String,
    word: String,
    after: String,
}

fn tokens(text: &str) -> Vec<Token> {
    text.split_whitespace()
        .map(|raw| {
            let start = raw.find(|c: char| c.is_alphanumeric()).unwrap_or(raw.len());
            let end = raw.rfind(|c: char| c.is_alphanumeric()).map_or(start, |i| {
                i + raw[i..].chars().next().map_or(1, char::len_utf8)
            });
            Token {
                before: raw[..start].to_string(),
                word: raw[start..end.max(start)].to_string(),
                after: raw[end.max(start)..].to_string(),
            }
        })
        .collect()
}

fn is_phrase(tokens: &[Token], at: usize, phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    at + words.len() <= tokens.len()
        && words
            .iter()
            .enumerate()
            .all(|(i, w)| tokens[at + i].word.eq_ignore_ascii_case(w))
}

fn set_apart(tokens: &[Token], at: usize, len: usize) -> bool {
    let last = at + len - 1;
    let punct = |s: &str| s.chars().any(|c| ",.;:!?".contains(c));
    let before = at == 0 || punct(&tokens[at - 1].after) || punct(&tokens[at].before);
    let after = last + 1 == tokens.len()
        || punct(&tokens[last].after)
        || tokens[last + 1]
            .word
            .chars()
            .next()
            .is_some_and(char::is_uppercase);
    // Inside a sentence both sides must show it; at its edges one is enough.
    before && after || last + 1 == tokens.len() || (at == 0 && after)
}

fn sentence_end(text: &str) -> bool {
    let t = text.trim_end_matches(' ');
    t.is_empty() || t.ends_with(['.', '?', '!', '\n'])
}

/// Apply the spoken commands to `transcript`.
pub fn apply(transcript: &str) -> Spoken {
    let mut spoken = Spoken::default();
    let mut all = tokens(transcript);
    let only = |phrase: &str| {
        let words: Vec<String> = all.iter().map(|t| t.word.to_lowercase()).collect();
        words.join(" ") == phrase
    };
    if only(SCRATCH) {
        spoken.scratch = true;
        spoken.applied.push(SCRATCH);
        return spoken;
    }
    // "… press enter." / "… Send." at the end.
    for phrase in ENTER {
        let len = phrase.split(' ').count();
        if all.len() > len || (all.len() == len && phrase != "send") {
            let at = all.len() - len;
            let apart = phrase != "send" || at == 0 || {
                let prev = &all[at - 1].after;
                prev.contains(['.', ',', '!', '?', ';'])
            };
            if is_phrase(&all, at, phrase) && apart {
                all.truncate(at);
                spoken.press_enter = true;
                spoken.applied.push(if phrase == "send" {
                    "send"
                } else {
                    "press enter"
                });
                if let Some(last) = all.last_mut() {
                    last.after = last.after.trim_end_matches(',').to_string();
                }
                break;
            }
        }
    }
    let mut out = String::new();
    // After a mark that ends a sentence, the next word starts with a capital.
    let mut capitalize = false;
    let mut i = 0;
    while i < all.len() {
        // Brackets are never ordinary words; the rest must be set apart to count.
        let command = MARKS.iter().find(|(phrase, mark)| {
            let len = phrase.split(' ').count();
            let bracket = *mark == "(" || *mark == ")";
            is_phrase(&all, i, phrase) && (bracket || set_apart(&all, i, len))
        });
        if let Some((phrase, mark)) = command {
            let len = phrase.split(' ').count();
            // A punctuation mark replaces the punctuation the recogniser put around the
            // phrase; a line break or a bracket keeps what came before it.
            let punctuation = !mark.starts_with('\n') && *mark != "(" && *mark != ")";
            let kept = if punctuation {
                out.trim_end_matches([' ', ',', '.', ';', ':']).len()
            } else {
                out.trim_end_matches(' ').len()
            };
            out.truncate(kept);
            if *mark == "(" && !out.is_empty() && !out.ends_with('\n') {
                out.push(' ');
            }
            out.push_str(mark);
            if *mark == ")" {
                out.push_str(&all[i + len - 1].after);
            }
            spoken.applied.push(phrase);
            capitalize = sentence_end(&out);
            i += len;
            continue;
        }
        let t = &all[i];
        let after_line = out.ends_with('\n') || out.ends_with('(');
        if !out.is_empty() && !after_line {
            out.push(' ');
        }
        let mut word = t.word.clone();
        if std::mem::take(&mut capitalize) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                word = first.to_uppercase().chain(chars).collect();
            }
        }
        out.push_str(&t.before);
        out.push_str(&word);
        out.push_str(&t.after);
        i += 1;
    }
    spoken.text = out;
    spoken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_as_a_table_of_transcripts() {
        let cases: [(&str, &str, bool); 15] = [
            (
                "Dear Tim, new line. Thanks for the notes.",
                "Dear Tim,\nThanks for the notes.",
                false,
            ),
            (
                "First point. New paragraph. Second point.",
                "First point.\n\nSecond point.",
                false,
            ),
            (
                "Send the file comma then call me period",
                "Send the file comma then call me.",
                false,
            ),
            (
                "Send the file, comma, then call me. Period.",
                "Send the file, then call me.",
                false,
            ),
            ("Is it ready question mark", "Is it ready?", false),
            ("Wow, exclamation point.", "Wow!", false),
            (
                "The trial period ended early.",
                "The trial period ended early.",
                false,
            ),
            (
                "We need a new line of products.",
                "We need a new line of products.",
                false,
            ),
            (
                "Put a comma here and there.",
                "Put a comma here and there.",
                false,
            ),
            ("ls minus la, press enter.", "ls minus la", true),
            ("See you at five. Send.", "See you at five.", true),
            ("I will send", "I will send", false),
            ("Note colon buy milk", "Note colon buy milk", false),
            ("Note, colon, buy milk.", "Note: buy milk.", false),
            (
                "Call me open parenthesis maybe close parenthesis.",
                "Call me (maybe).",
                false,
            ),
        ];
        for (heard, typed, enter) in cases {
            let s = apply(heard);
            assert_eq!(s.text, typed, "{heard:?} ({:?})", s.applied);
            assert_eq!(s.press_enter, enter, "{heard:?}");
            assert!(!s.scratch);
        }
    }

    #[test]
    fn scratch_that_is_a_command_only_on_its_own() {
        for heard in ["Scratch that.", "scratch that", "Scratch that!"] {
            let s = apply(heard);
            assert!(s.scratch && s.text.is_empty(), "{heard:?}");
        }
        let s = apply("Please scratch that idea.");
        assert!(!s.scratch);
        assert_eq!(s.text, "Please scratch that idea.");
    }
}
