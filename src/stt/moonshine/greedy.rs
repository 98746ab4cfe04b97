//! Greedy decoding with the KV cache: start token 1, end token 2, a token limit that follows
//! the audio's length and a stop on repetition loops. A hint (the tokens of an earlier decode
//! of the same speech) is checked in one teacher-forced pass: the longest prefix the model
//! still agrees with is kept as is, and only the rest is generated step by step. Greedy
//! decoding is deterministic, so the result is the same as without the hint.

use super::network::{Encoded, Networks};
use crate::stt::runaway::loop_start;

pub const START: u32 = 1;
pub const END: u32 = 2;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    pub tokens: Vec<u32>,
    /// The probability the model gave each of `tokens`.
    pub probabilities: Vec<f32>,
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
    out.probabilities
        .extend(best[..agreed].iter().map(|b| b.probability));
    out.reused = agreed;
    cache.truncate(agreed + 1)?;
    let mut chosen = choose(best[agreed], out.tokens.len(), min_tokens);
    if let Some(keep) = loop_start(&out.tokens) {
        out.truncate(keep);
        out.looped = true;
        return Ok(out);
    }
    loop {
        if stopped() {
            return Err(DecodeError::Stopped);
        }
        let (next, probability) = chosen;
        if next == END {
            return Ok(out);
        }
        if out.tokens.len() >= limit {
            out.truncated = true;
            return Ok(out);
        }
        out.tokens.push(next);
        out.probabilities.push(probability);
        if let Some(keep) = loop_start(&out.tokens) {
            out.truncate(keep);
            out.looped = true;
            return Ok(out);
        }
        let (best, extended) = nets.decode(encoded, &[next], Some(cache))?;
        out.steps += 1;
        cache = extended;
        chosen = choose(best[0], out.tokens.len(), min_tokens);
    }
}

/// The next token and its probability; an end before `min_tokens` is not taken (the audio is
/// known to be speech, and Moonshine sometimes ends at once on a piece that starts with a
/// hesitation).
fn choose(best: super::network::Best, have: usize, min_tokens: usize) -> (u32, f32) {
    if best.token == END && have < min_tokens {
        (best.other_than_end, best.other_probability)
    } else {
        (best.token, best.probability)
    }
}

impl Decoded {
    fn truncate(&mut self, keep: usize) {
        self.tokens.truncate(keep);
        self.probabilities.truncate(keep);
    }
}

/// Fewest tokens for audio of this length that the VAD found to be speech.
pub fn min_tokens(samples: usize) -> usize {
    let seconds = samples as f64 / f64::from(crate::SAMPLE_RATE);
    (seconds * MIN_TOKENS_PER_SECOND) as usize
}

const MIN_TOKENS_PER_SECOND: f64 = 0.5;
