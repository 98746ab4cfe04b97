//! One recording in, text out: VAD finds the speech, only speech reaches the STT engine.
//!
//! Silence never reaches Whisper (no "Thank you." on an empty recording). Speech is grouped
//! into pieces of at most ~28 s so any length of dictation is transcribed whole; each piece is
//! primed with the custom vocabulary and the text before it.

use std::ops::Range;
use std::time::Instant;

use serde::Serialize;

use crate::SAMPLE_RATE;
use crate::stt::{AudioContext, Language, SpeechToText, SttError, SttRequest};
use crate::vad::{self, SileroVad, Speech, VadError, VadParams};

const SR: usize = SAMPLE_RATE as usize;
/// Longest piece handed to an engine that does not say otherwise (Whisper's window is 30 s).
#[cfg(test)]
const MAX_PIECE: usize = 28 * SR;
/// Pauses shorter than this stay in the audio; longer ones are cut out.
const KEEP_GAP: usize = SR;
/// Characters of earlier text used as the prompt for the next piece.
const PROMPT_CONTEXT_CHARS: usize = 600;

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error(transparent)]
    Vad(#[from] VadError),
    #[error(transparent)]
    Stt(#[from] SttError),
}

#[derive(Debug, Clone, Default)]
pub struct TranscribeOptions {
    pub language: Language,
    pub translate: bool,
    /// Words and names the user dictates often; they prime the recogniser.
    pub vocabulary: Vec<String>,
    pub audio_context: AudioContext,
}

/// Milliseconds spent in each stage.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageTimings {
    pub vad_ms: f64,
    pub stt_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcription {
    pub text: String,
    pub language: Option<String>,
    pub audio_s: f64,
    pub speech_s: f64,
    pub timings: StageTimings,
}

/// A warm VAD + STT pair.
pub struct Transcriber {
    vad: SileroVad,
    stt: Box<dyn SpeechToText>,
    pub vad_params: VadParams,
}

impl Transcriber {
    pub fn new(vad: SileroVad, stt: Box<dyn SpeechToText>) -> Self {
        Self {
            vad,
            stt,
            vad_params: VadParams::default(),
        }
    }

    pub fn stt(&self) -> &dyn SpeechToText {
        self.stt.as_ref()
    }

    pub fn stt_mut(&mut self) -> &mut dyn SpeechToText {
        self.stt.as_mut()
    }

    pub fn vad_mut(&mut self) -> &mut SileroVad {
        &mut self.vad
    }

    /// Transcribe 16 kHz mono audio. No speech → empty text.
    pub fn transcribe(
        &mut self,
        samples: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcription, TranscribeError> {
        self.transcribe_after(&[], samples, options)
    }

    /// Transcribe `samples`, which came right after `before`: the VAD hears them in that
    /// context (quiet speech trailing on after a pause is speech there, not room noise), and
    /// only `samples` are decoded.
    pub fn transcribe_after(
        &mut self,
        before: &[f32],
        samples: &[f32],
        options: &TranscribeOptions,
    ) -> Result<Transcription, TranscribeError> {
        let vad_start = Instant::now();
        let speech = if before.is_empty() {
            vad::detect_speech(&mut self.vad, samples, &self.vad_params)?
        } else {
            let heard = [before, samples].concat();
            let from = before.len();
            let speech = vad::detect_speech(&mut self.vad, &heard, &self.vad_params)?;
            Speech {
                ranges: speech
                    .ranges
                    .into_iter()
                    .filter(|r| r.end > from)
                    .map(|r| r.start.max(from) - from..r.end - from)
                    .collect(),
                ..speech
            }
        };
        let vad_ms = ms_since(vad_start);

        let stt_start = Instant::now();
        let decoded = self.transcribe_speech(samples, &speech, options, "", None)?;
        let (text, language) = (decoded.text, decoded.language);
        Ok(Transcription {
            text,
            language,
            audio_s: crate::audio::seconds(samples.len()),
            speech_s: crate::audio::seconds(speech.ranges.iter().map(|r| r.len()).sum()),
            timings: StageTimings {
                vad_ms,
                stt_ms: if speech.ranges.is_empty() {
                    0.0
                } else {
                    ms_since(stt_start)
                },
            },
        })
    }
}

impl Transcriber {
    /// Transcribe the given speech of `samples` (found by the VAD beforehand; the padding the
    /// recording did not reach is heard as silence), primed with the vocabulary and
    /// `previous`, the text that came before this audio. With `stop`, the decode may be given
    /// up ([`SttError::Stopped`]) when the flag is set.
    pub fn transcribe_speech(
        &mut self,
        samples: &[f32],
        speech: &Speech,
        options: &TranscribeOptions,
        previous: &str,
        stop: Option<&crate::stt::StopFlag>,
    ) -> Result<Decoded, SttError> {
        let vocabulary = options.vocabulary.join(", ");
        let mut text = String::new();
        let mut language = None;
        let mut closing_confidence = None;
        let max_piece = (self.stt.max_piece_seconds() * SR as f32) as usize;
        let pieces = plan_pieces(samples, &speech.ranges, max_piece);
        for (i, piece) in pieces.iter().enumerate() {
            let mut audio = piece_audio(samples, piece);
            if i + 1 == pieces.len() {
                audio.resize(audio.len() + speech.unheard_pad, 0.0);
            }
            let context = join_text(previous, &text);
            let request = SttRequest {
                language: options.language.clone(),
                translate: options.translate,
                prompt: build_prompt(&vocabulary, &context),
                audio_context: options.audio_context,
                stop: stop.cloned(),
            };
            let out = self.stt.transcribe(&audio, &request)?;
            if language.is_none() {
                language = out.language;
            }
            if !out.text.trim().is_empty() {
                closing_confidence = out.closing_confidence;
            }
            append_sentence(&mut text, &out.text);
        }
        Ok(Decoded {
            text,
            language,
            closing_confidence,
        })
    }
}

/// Text and language of some decoded speech.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub language: Option<String>,
    /// How sure the recogniser was of the mark closing the text (see [`SttOutput`]).
    ///
    /// [`SttOutput`]: crate::stt::SttOutput
    pub closing_confidence: Option<f32>,
}

/// `a` then `b`, separated by a space when both have text.
pub fn join_text(a: &str, b: &str) -> String {
    let mut joined = a.trim().to_string();
    append_sentence(&mut joined, b);
    joined
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn build_prompt(vocabulary: &str, previous: &str) -> Option<String> {
    let tail_start = previous
        .char_indices()
        .rev()
        .nth(PROMPT_CONTEXT_CHARS)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let tail = previous[tail_start..].trim();
    let prompt = match (vocabulary.is_empty(), tail.is_empty()) {
        (true, true) => return None,
        (false, true) => vocabulary.to_string(),
        (true, false) => tail.to_string(),
        (false, false) => format!("{vocabulary}. {tail}"),
    };
    Some(prompt)
}

fn append_sentence(text: &mut String, piece: &str) {
    let piece = piece.trim();
    if piece.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push(' ');
    }
    text.push_str(piece);
}

/// A piece for the STT engine: speech ranges that are concatenated.
type Piece = Vec<Range<usize>>;

/// Group speech ranges into pieces of at most `max_piece` samples. Short pauses are kept
/// inside a range; a range longer than a piece is split at its quietest point.
fn plan_pieces(samples: &[f32], speech: &[Range<usize>], max_piece: usize) -> Vec<Piece> {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for r in speech {
        match ranges.last_mut() {
            Some(last) if r.start.saturating_sub(last.end) < KEEP_GAP => last.end = r.end,
            _ => ranges.push(r.clone()),
        }
    }
    let ranges: Vec<Range<usize>> = ranges
        .into_iter()
        .flat_map(|r| split_long(samples, r, max_piece))
        .collect();

    let mut pieces: Vec<Piece> = Vec::new();
    let mut current_len = 0;
    for r in ranges {
        let fits = current_len + r.len() <= max_piece;
        match pieces.last_mut() {
            Some(piece) if fits => {
                current_len += r.len();
                piece.push(r);
            }
            _ => {
                current_len = r.len();
                pieces.push(vec![r]);
            }
        }
    }
    pieces
}

/// Split a range longer than `max_piece` at the quietest 100 ms in the last third of each piece.
fn split_long(samples: &[f32], range: Range<usize>, max_piece: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    let max_piece = max_piece.max(SR);
    while range.end - start > max_piece {
        let search = (start + max_piece - max_piece / 3)..(start + max_piece);
        let cut = quietest_point(samples, search);
        out.push(start..cut);
        start = cut;
    }
    out.push(start..range.end);
    out
}

fn quietest_point(samples: &[f32], search: Range<usize>) -> usize {
    const WINDOW: usize = SR / 10;
    let mut best = (f32::MAX, search.end);
    let mut pos = search.start;
    while pos + WINDOW <= search.end {
        let energy: f32 = samples[pos..pos + WINDOW].iter().map(|s| s * s).sum();
        if energy < best.0 {
            best = (energy, pos + WINDOW / 2);
        }
        pos += WINDOW / 2;
    }
    best.1
}

fn piece_audio(samples: &[f32], piece: &Piece) -> Vec<f32> {
    let mut audio = Vec::with_capacity(piece.iter().map(|r| r.len()).sum());
    for r in piece {
        audio.extend_from_slice(&samples[r.clone()]);
    }
    audio
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_ranges_merge_and_far_ones_stay_apart_within_a_piece() {
        let samples = vec![0.0; 60 * SR];
        let speech = vec![0..2 * SR, 2 * SR + SR / 2..5 * SR, 10 * SR..12 * SR];
        let pieces = plan_pieces(&samples, &speech, MAX_PIECE);
        assert_eq!(pieces, vec![vec![0..5 * SR, 10 * SR..12 * SR]]);
    }

    #[test]
    fn pieces_never_exceed_the_window() {
        let samples = vec![0.0; 120 * SR];
        let speech: Vec<_> = (0..10)
            .map(|i| i * 12 * SR..i * 12 * SR + 10 * SR)
            .collect();
        let pieces = plan_pieces(&samples, &speech, MAX_PIECE);
        assert!(pieces.len() >= 4);
        for p in &pieces {
            assert!(p.iter().map(|r| r.len()).sum::<usize>() <= MAX_PIECE);
        }
        let total: usize = pieces.iter().flatten().map(|r| r.len()).sum();
        assert_eq!(total, 100 * SR, "no speech is dropped");
    }

    #[test]
    fn a_long_monologue_is_split_at_a_quiet_spot() {
        let mut samples = vec![0.5f32; 40 * SR];
        samples[25 * SR..25 * SR + SR / 5].fill(0.0);
        let monologue = std::iter::once(0..40 * SR).collect::<Vec<_>>();
        let pieces = plan_pieces(&samples, &monologue, MAX_PIECE);
        assert_eq!(pieces.len(), 2);
        let cut = pieces[0][0].end;
        assert!((25 * SR..25 * SR + SR / 5).contains(&cut), "cut at {cut}");
        assert_eq!(pieces[1][0], cut..40 * SR);
    }

    #[test]
    fn prompt_combines_vocabulary_and_recent_text() {
        assert_eq!(build_prompt("", ""), None);
        assert_eq!(
            build_prompt("Kubernetes, Utter", "").as_deref(),
            Some("Kubernetes, Utter")
        );
        assert_eq!(
            build_prompt("", "Hello there.").as_deref(),
            Some("Hello there.")
        );
        let long = "word ".repeat(500);
        let prompt = build_prompt("X", &long).unwrap();
        assert!(prompt.starts_with("X. "));
        assert!(prompt.len() <= PROMPT_CONTEXT_CHARS + 10);
    }
}
