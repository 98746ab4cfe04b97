//! What a decoder that runs away looks like, for every engine: more tokens than anyone says in
//! that much audio, or a span repeated over and over at the end.

/// Tokens allowed per second of audio (speech runs at ~3–5 tokens a second) plus a few.
const TOKENS_PER_SECOND: f64 = 6.5;
const TOKENS_MIN: usize = 12;

/// Repeats of a span this long in total are a loop, not speech.
const LOOP_MIN_TOKENS: usize = 12;
const LOOP_MIN_REPEATS: usize = 3;
const LOOP_MAX_PERIOD: usize = 64;

/// Most tokens a decoder should produce for `samples` of 16 kHz audio.
pub fn token_limit(samples: usize) -> usize {
    let seconds = samples as f64 / f64::from(crate::SAMPLE_RATE);
    (seconds * TOKENS_PER_SECOND).ceil() as usize + TOKENS_MIN
}

/// If `items` ends in a loop — a span of up to 64 items repeated at least 3 times and 12 items
/// in all — the length to keep (up to and including its first occurrence).
pub fn loop_start<T: PartialEq>(items: &[T]) -> Option<usize> {
    for period in 1..=LOOP_MAX_PERIOD.min(items.len() / LOOP_MIN_REPEATS) {
        let span = &items[items.len() - period..];
        let mut repeats = 1;
        while (repeats + 1) * period <= items.len()
            && &items[items.len() - (repeats + 1) * period..items.len() - repeats * period] == span
        {
            repeats += 1;
        }
        if repeats >= LOOP_MIN_REPEATS && repeats * period >= LOOP_MIN_TOKENS {
            return Some(items.len() - (repeats - 1) * period);
        }
    }
    None
}

/// Whether the text's last `min_words` or more words are said twice in a row at the end (a
/// sentence repeated: how Whisper fails when its window is too short).
pub fn repeats_its_end(text: &str, min_words: usize) -> bool {
    let words: Vec<String> = crate::eval::normalize(text);
    (min_words.max(1)..=words.len() / 2)
        .any(|n| words[words.len() - n..] == words[words.len() - 2 * n..words.len() - n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_cut_to_one_occurrence() {
        let mut t = vec![5, 6, 7];
        for _ in 0..4 {
            t.extend([10, 11, 12, 13]);
        }
        assert_eq!(loop_start(&t), Some(3 + 4));
        let same = vec![9; 12];
        assert_eq!(loop_start(&same), Some(1));
    }

    #[test]
    fn short_repeats_that_people_say_are_kept() {
        // "no, no, no, no" and "very very very"
        assert_eq!(loop_start(&[1, 20, 21, 20, 21, 20, 21, 20, 21]), None);
        assert_eq!(loop_start(&[30, 30, 30]), None);
        assert_eq!(loop_start::<u32>(&[]), None);
    }

    #[test]
    fn the_limit_grows_with_the_audio() {
        assert_eq!(token_limit(0), TOKENS_MIN);
        assert!(token_limit(16_000 * 10) >= 65 + TOKENS_MIN);
    }

    #[test]
    fn a_sentence_said_twice_at_the_end_is_a_repeat() {
        assert!(repeats_its_end(
            "We met at noon. The plan is set. The plan is set.",
            4
        ));
        assert!(!repeats_its_end(
            "here are some more words words words words",
            4
        ));
        assert!(!repeats_its_end("The plan is set.", 4));
    }
}
