//! Turning per-frame speech probabilities into speech segments (offline) and an
//! end-of-speech decision (live). Pure logic, no model: unit-tested on synthetic sequences.

use std::ops::Range;

use super::FRAME_SAMPLES;

const FRAME_MS: f32 = FRAME_SAMPLES as f32 * 1000.0 / crate::SAMPLE_RATE as f32;

/// Thresholds and durations for speech detection. One place for all of them; `[vad]` in the
/// settings (for `utter eval` to compare them, say).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct VadParams {
    /// A frame at or above this probability is speech (onset).
    pub threshold: f32,
    /// Speech continues until the probability drops below this (hysteresis).
    pub neg_threshold: f32,
    /// Shorter bursts (clicks, knocks, coughs) are not speech.
    pub min_speech_ms: u32,
    /// A pause this long ends a segment (hangover).
    pub min_silence_ms: u32,
    /// Audio kept on both sides of a segment so word edges are not clipped.
    pub speech_pad_ms: u32,
}

impl Default for VadParams {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            neg_threshold: 0.35,
            min_speech_ms: 250,
            min_silence_ms: 400,
            speech_pad_ms: 200,
        }
    }
}

pub(crate) fn frames_for(ms: u32) -> usize {
    (ms as f32 / FRAME_MS).ceil() as usize
}

/// Where the speech of a recording is, as the recogniser should hear it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Speech {
    /// Padded ranges of samples, clipped to the recording, overlaps merged.
    pub ranges: Vec<Range<usize>>,
    /// Samples of the last range's padding past the recording's end: it stopped right at the
    /// last word (a key let go as the speaker finishes). The recogniser hears them as silence —
    /// cut off at the last word, Moonshine says the last sentence twice.
    pub unheard_pad: usize,
}

/// Speech ranges in samples from per-frame probabilities (frame `i` covers samples
/// `i*512..(i+1)*512`). Padded, clipped to `total_samples`, overlaps merged.
pub fn segments_from_probabilities(
    probs: &[f32],
    params: &VadParams,
    total_samples: usize,
) -> Vec<Range<usize>> {
    speech_from_probabilities(probs, params, total_samples).ranges
}

/// [`segments_from_probabilities`] and how much of the last range's padding the recording
/// did not reach.
pub fn speech_from_probabilities(
    probs: &[f32],
    params: &VadParams,
    total_samples: usize,
) -> Speech {
    let min_speech = frames_for(params.min_speech_ms);
    let min_silence = frames_for(params.min_silence_ms);
    let mut frames: Vec<Range<usize>> = Vec::new();
    let mut start: Option<usize> = None;
    let mut silence_from: Option<usize> = None;
    let mut voiced = 0usize;

    let close = |start: usize, end: usize, voiced: usize, frames: &mut Vec<Range<usize>>| {
        if voiced >= min_speech && end > start {
            frames.push(start..end);
        }
    };
    for (i, &p) in probs.iter().enumerate() {
        if p >= params.threshold {
            silence_from = None;
            if start.is_none() {
                start = Some(i);
                voiced = 0;
            }
            voiced += 1;
        } else if let Some(s) = start {
            if p < params.neg_threshold {
                let from = *silence_from.get_or_insert(i);
                if i + 1 - from >= min_silence {
                    close(s, from, voiced, &mut frames);
                    start = None;
                    silence_from = None;
                }
            } else {
                voiced += 1;
            }
        }
    }
    if let Some(s) = start {
        close(s, silence_from.unwrap_or(probs.len()), voiced, &mut frames);
    }

    let pad = (params.speech_pad_ms as usize) * crate::SAMPLE_RATE as usize / 1000;
    let unheard_pad = frames.last().map_or(0, |f| {
        (f.end * FRAME_SAMPLES + pad)
            .saturating_sub(total_samples)
            .min(pad)
    });
    let mut merged: Vec<Range<usize>> = Vec::new();
    for f in frames {
        let start = (f.start * FRAME_SAMPLES).saturating_sub(pad);
        let end = (f.end * FRAME_SAMPLES + pad).min(total_samples);
        match merged.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => merged.push(start..end),
        }
    }
    Speech {
        ranges: merged,
        unheard_pad,
    }
}

/// Where a live recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// No speech yet.
    Waiting,
    /// Speech heard, still going (or pausing briefly).
    Speaking,
    /// Speech heard and followed by a long enough silence.
    Ended,
}

/// Live end-of-speech detection, fed one frame probability at a time.
#[derive(Debug, Clone)]
pub struct EndpointDetector {
    params: VadParams,
    end_silence_frames: usize,
    voiced_run: usize,
    confirmed: bool,
    silence_run: usize,
}

impl EndpointDetector {
    /// `end_silence_ms`: how long a pause after speech ends the utterance.
    pub fn new(params: VadParams, end_silence_ms: u32) -> Self {
        Self {
            params,
            end_silence_frames: frames_for(end_silence_ms).max(1),
            voiced_run: 0,
            confirmed: false,
            silence_run: 0,
        }
    }

    pub fn push(&mut self, p: f32) -> Endpoint {
        if p >= self.params.threshold {
            self.voiced_run += 1;
            self.silence_run = 0;
            if self.voiced_run >= frames_for(self.params.min_speech_ms) {
                self.confirmed = true;
            }
        } else if p < self.params.neg_threshold {
            self.silence_run += 1;
            // A burst too short to be speech does not count towards the next one.
            if !self.confirmed && self.silence_run >= frames_for(self.params.min_silence_ms) {
                self.voiced_run = 0;
            }
        }
        self.state()
    }

    pub fn state(&self) -> Endpoint {
        match (self.confirmed, self.silence_run >= self.end_silence_frames) {
            (false, _) => Endpoint::Waiting,
            (true, false) => Endpoint::Speaking,
            (true, true) => Endpoint::Ended,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(pattern: &[(f32, usize)]) -> Vec<f32> {
        pattern
            .iter()
            .flat_map(|&(p, n)| std::iter::repeat_n(p, n))
            .collect()
    }

    fn no_pad() -> VadParams {
        VadParams {
            speech_pad_ms: 0,
            ..VadParams::default()
        }
    }

    #[test]
    fn silence_gives_no_segments() {
        let probs = frames(&[(0.01, 200)]);
        assert!(segments_from_probabilities(&probs, &VadParams::default(), 200 * 512).is_empty());
    }

    #[test]
    fn a_short_burst_is_not_speech() {
        // 3 frames ≈ 96 ms: a click or knock.
        let probs = frames(&[(0.0, 50), (0.99, 3), (0.0, 50)]);
        assert!(segments_from_probabilities(&probs, &no_pad(), 103 * 512).is_empty());
    }

    #[test]
    fn speech_segment_found_at_the_right_place() {
        let probs = frames(&[(0.0, 10), (0.9, 40), (0.0, 30)]);
        let segs = segments_from_probabilities(&probs, &no_pad(), 80 * 512);
        assert_eq!(segs, vec![10 * 512..50 * 512]);
    }

    #[test]
    fn short_pauses_stay_inside_one_segment_long_ones_split() {
        let probs = frames(&[
            (0.9, 20),
            (0.1, 5),
            (0.9, 20),
            (0.0, 30),
            (0.9, 20),
            (0.0, 20),
        ]);
        let segs = segments_from_probabilities(&probs, &no_pad(), probs.len() * 512);
        assert_eq!(segs, vec![0..45 * 512, 75 * 512..95 * 512]);
    }

    #[test]
    fn hysteresis_keeps_mid_probabilities_as_speech() {
        let probs = frames(&[(0.9, 10), (0.4, 30), (0.9, 10), (0.0, 20)]);
        let segs = segments_from_probabilities(&probs, &no_pad(), probs.len() * 512);
        assert_eq!(segs, vec![0..50 * 512]);
    }

    #[test]
    fn padding_is_clipped_and_merges_neighbours() {
        let params = VadParams {
            speech_pad_ms: 500,
            ..VadParams::default()
        };
        let probs = frames(&[(0.9, 20), (0.0, 20), (0.9, 20)]);
        let total = probs.len() * 512;
        let segs = segments_from_probabilities(&probs, &params, total);
        assert_eq!(segs, vec![0..total]);
    }

    #[test]
    fn padding_past_the_end_of_the_recording_is_told_apart() {
        let params = VadParams::default();
        let pad = 200 * 16;
        // The recording stops at the last word: all of the padding is missing.
        let probs = frames(&[(0.0, 20), (0.9, 20)]);
        let speech = speech_from_probabilities(&probs, &params, 40 * 512);
        assert_eq!(speech.ranges, vec![20 * 512 - pad..40 * 512]);
        assert_eq!(speech.unheard_pad, pad);
        // 5 silent frames (160 ms) after it: only the rest of the padding is missing.
        let probs = frames(&[(0.0, 20), (0.9, 20), (0.0, 5)]);
        let speech = speech_from_probabilities(&probs, &params, 45 * 512);
        assert_eq!(speech.unheard_pad, pad - 5 * 512);
        // Silence longer than the padding: nothing is missing.
        let probs = frames(&[(0.0, 20), (0.9, 20), (0.0, 30)]);
        let speech = speech_from_probabilities(&probs, &params, 70 * 512);
        assert_eq!(speech.ranges, vec![20 * 512 - pad..40 * 512 + pad]);
        assert_eq!(speech.unheard_pad, 0);
        // No speech, nothing to pad.
        let probs = frames(&[(0.0, 20)]);
        assert_eq!(
            speech_from_probabilities(&probs, &params, 20 * 512),
            Speech::default()
        );
    }

    #[test]
    fn speech_running_to_the_end_is_closed() {
        let probs = frames(&[(0.0, 10), (0.9, 20)]);
        let segs = segments_from_probabilities(&probs, &no_pad(), 30 * 512 - 100);
        assert_eq!(segs, vec![10 * 512..30 * 512 - 100]);
    }

    #[test]
    fn endpoint_waits_for_speech_then_ends_after_silence() {
        let mut det = EndpointDetector::new(VadParams::default(), 500);
        for _ in 0..30 {
            assert_eq!(det.push(0.0), Endpoint::Waiting);
        }
        for _ in 0..20 {
            det.push(0.95);
        }
        assert_eq!(det.state(), Endpoint::Speaking);
        for _ in 0..10 {
            assert_eq!(det.push(0.0), Endpoint::Speaking);
        }
        det.push(0.9); // the speaker goes on
        let mut ended_after = None;
        for i in 1..=40 {
            if det.push(0.0) == Endpoint::Ended {
                ended_after = Some(i);
                break;
            }
        }
        assert_eq!(ended_after, Some(16)); // 500 ms / 32 ms, rounded up
    }

    #[test]
    fn clicks_never_confirm_speech() {
        let mut det = EndpointDetector::new(VadParams::default(), 500);
        for _ in 0..20 {
            det.push(0.99);
            det.push(0.99);
            for _ in 0..20 {
                det.push(0.0);
            }
        }
        assert_eq!(det.state(), Endpoint::Waiting);
    }
}
