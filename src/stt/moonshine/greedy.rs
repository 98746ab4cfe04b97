//! Greedy decoding with the KV cache: start token 1, end token 2, a token limit that follows
//! the audio's length and a stop on repetition loops. A hint (the tokens of an earlier decode
//! of the same speech) is checked in one teacher-forced pass: the longest prefix the model
//! still agrees with is kept as is, and only the rest is generated step by step. Greedy
//! decoding is deterministic, so the result is the same as without the hint.

use super::network::{Encoded, Networks};

pub const START: u32 = 1;
pub const END: u32 = 2;

/// Tokens allowed per second of audio (speech runs at ~3–5 tokens a second) plus a few.
const TOKENS_PER_SECOND: f64 = 6.5;
const TOKENS_MIN: usize = 12;

/// Repeats of a short span this long in total are a loop, not speech.
const LOOP_MIN_TOKENS: usize = 12;
const LOOP_MIN_REPEATS: usize = 3;
const LOOP_MAX_PERIOD: usize = 64;

pub fn token_limit(samples: usize) -> usize {
    let seconds = samples as f64 / f64::from(crate::SAMPLE_RATE);
    (seconds * TOKENS_PER_SECOND).ceil() as usize + TOKENS_MIN
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    pub tokens: Vec<u32>,
    /// Tokens of the hint the model agreed with (not generated one by one).
    pub reused: usize,
    /// Decoder runs.
    pub steps: usize,
    /// Stopped at a repetition loop (the repeats are dropped).
    pub looped: bool,
    /// Stopped at the token limit without an end token.
    pub truncated: bool,
}

/// Why decoding ended without a result.
#[derive(Debug)]
pub enum DecodeError {
    Failed(String),
    /// The stop flag was set.
    Stopped,
}

impl From<String> for DecodeError {
    fn from(e: String) -> Self {
        DecodeError::Failed(e)
    }
}

pub fn decode(
    nets: &mut Networks,
    encoded: &Encoded,
    hint: &[u32],
    limit: usize,
    min_tokens: usize,
    stop: Option<&crate::stt::StopFlag>,
) -> Result<Decoded, DecodeError> {
    let stopped = || stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
    let hint = &hint[..hint.len().min(limit)];
    let mut first = Vec::with_capacity(hint.len() + 1);
    first.push(START);
    first.extend_from_slice(hint);
    let (best, mut cache) = nets.decode(encoded, &first, None)?;
    let mut out = Decoded {
        steps: 1,
        ..Decoded::default()
    };
    let agreed = hint
        .iter()
        .zip(&best)
        .take_while(|(h, b)| **h == b.token)
        .count();
    out.tokens.extend_from_slice(&hint[..agreed]);
    out.reused = agreed;
    cache.truncate(agreed + 1)?;
    let mut next = choose(best[agreed], out.tokens.len(), min_tokens);
    if let Some(keep) = loop_start(&out.tokens) {
        out.tokens.truncate(keep);
        out.looped = true;
        return Ok(out);
    }
    loop {
        if stopped() {
            return Err(DecodeError::Stopped);
        }
        if next == END {
            return Ok(out);
        }
        if out.tokens.len() >= limit {
            out.truncated = true;
            return Ok(out);
        }
        out.tokens.push(next);
        if let Some(keep) = loop_start(&out.tokens) {
            out.tokens.truncate(keep);
            out.looped = true;
            return Ok(out);
        }
        let (best, extended) = nets.decode(encoded, &[next], Some(cache))?;
        out.steps += 1;
        cache = extended;
        next = choose(best[0], out.tokens.len(), min_tokens);
    }
}

/// The next token; an end before `min_tokens` is not taken (the audio is known to be speech,
/// and Moonshine sometimes ends at once on a piece that starts with a hesitation).
fn choose(best: super::network::Best, have: usize, min_tokens: usize) -> u32 {
    if best.token == END && have < min_tokens {
        best.other_than_end
    } else {
        best.token
    }
}

/// Fewest tokens for audio of this length that the VAD found to be speech.
pub fn min_tokens(samples: usize) -> usize {
    let seconds = samples as f64 / f64::from(crate::SAMPLE_RATE);
    (seconds * MIN_TOKENS_PER_SECOND) as usize
}

const MIN_TOKENS_PER_SECOND: f64 = 0.5;

/// If `tokens` ends in a loop — a span of up to 64 tokens repeated at least 3 times and 12
/// tokens in all — the length to keep (up to and including its first occurrence).
pub fn loop_start(tokens: &[u32]) -> Option<usize> {
    for period in 1..=LOOP_MAX_PERIOD.min(tokens.len() / LOOP_MIN_REPEATS) {
        let span = &tokens[tokens.len() - period..];
        let mut repeats = 1;
        while (repeats + 1) * period <= tokens.len()
            && &tokens[tokens.len() - (repeats + 1) * period..tokens.len() - repeats * period]
                == span
        {
            repeats += 1;
        }
        if repeats >= LOOP_MIN_REPEATS && repeats * period >= LOOP_MIN_TOKENS {
            return Some(tokens.len() - (repeats - 1) * period);
        }
    }
    None
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
        assert_eq!(loop_start(&[]), None);
    }

    #[test]
    fn the_limit_grows_with_the_audio() {
        assert_eq!(token_limit(0), TOKENS_MIN);
        assert!(token_limit(16_000 * 10) >= 65 + TOKENS_MIN);
    }
}
