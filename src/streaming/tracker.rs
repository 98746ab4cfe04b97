//! When to decode while the key is still held: pure logic over per-frame speech
//! probabilities, unit-tested without models.
//!
//! A pause after speech is the moment to decode what is pending: if the user stops there,
//! the text is already done when the key comes up. A pending stretch with enough speech in
//! it is *committed* at the pause (never decoded again); a short one stays pending and is
//! decoded again with whatever follows, so short phrases keep their context.

use crate::vad::{FRAME_SAMPLES, VadParams};

const FRAME_MS: f32 = FRAME_SAMPLES as f32 * 1000.0 / crate::SAMPLE_RATE as f32;

fn frames_for(ms: u32) -> usize {
    (ms as f32 / FRAME_MS).ceil() as usize
}

/// How the stream is cut. One place for all of it.
#[derive(Debug, Clone)]
pub struct StreamParams {
    pub vad: VadParams,
    /// Silence after speech that triggers a decode of the pending audio.
    pub pause_ms: u32,
    /// A shorter silence after which the pending audio is decoded early, as a guess given up
    /// if the speaker goes on (hands-free: the transcript is ready sooner after the pause).
    pub early_pause_ms: Option<u32>,
    /// Speech needed in the pending audio before a pause commits it.
    pub min_commit_speech_ms: u32,
    /// Pending audio longer than this is cut at its quietest point (below the engine's
    /// longest piece).
    pub max_pending_ms: u32,
    /// While speech goes on, decode the pending audio again after this much new audio
    /// (engines whose cost follows the audio's length); `None`: only at pauses.
    pub refresh_ms: Option<u32>,
}

impl StreamParams {
    /// The cuts that suit an engine: pieces below its longest, refreshes when they are cheap.
    pub fn for_engine(stt: &dyn crate::stt::SpeechToText, vad: VadParams) -> Self {
        let piece_ms = (stt.max_piece_seconds() * 1000.0) as u32;
        let default = Self::default();
        Self {
            vad,
            max_pending_ms: default.max_pending_ms.min(piece_ms * 6 / 7),
            refresh_ms: stt.cheap_redecode().then_some(REFRESH_MS),
            ..default
        }
    }
}

/// How much new speech makes a refresh worth it: the text in the indicator follows the voice
/// within about a second, and at release at most this much audio is new to the decoder.
const REFRESH_MS: u32 = 800;

impl Default for StreamParams {
    fn default() -> Self {
        Self {
            vad: VadParams::default(),
            pause_ms: 320,
            early_pause_ms: None,
            min_commit_speech_ms: 2000,
            max_pending_ms: 24_000,
            refresh_ms: None,
        }
    }
}

/// What to do after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamAction {
    Wait,
    /// Decode frames `start..end`; with `commit`, that text is final and `end` starts the
    /// next pending stretch.
    Decode {
        start: usize,
        end: usize,
        commit: bool,
    },
    /// Speech goes on: decode frames `start..end` again for a fresher guess (never final;
    /// may be given up when the key comes up).
    Refresh {
        start: usize,
        end: usize,
    },
    /// A short pause: decode frames `start..end` early (never final); the pause's own
    /// [`Decode`](Self::Decode) follows if the silence lasts.
    Early {
        start: usize,
        end: usize,
    },
}

#[derive(Debug, Clone)]
pub struct PauseTracker {
    pause_frames: usize,
    /// Below `pause_frames` when early decodes are wanted.
    early_frames: Option<usize>,
    min_speech_frames: usize,
    min_commit_frames: usize,
    max_pending_frames: usize,
    refresh_frames: Option<usize>,
    threshold: f32,
    neg_threshold: f32,
    /// Probabilities of the pending frames (from `pending_start`).
    pending: Vec<f32>,
    pending_start: usize,
    voiced_run: usize,
    silence_run: usize,
    /// Confirmed speech since the last decode.
    fresh_speech: bool,
    /// Frames and speech frames since the last decode of any kind.
    since_decode: usize,
    speech_since_decode: usize,
}

impl PauseTracker {
    pub fn new(params: &StreamParams) -> Self {
        let pause_frames = frames_for(params.pause_ms).max(1);
        Self {
            pause_frames,
            early_frames: params
                .early_pause_ms
                .map(|ms| frames_for(ms).max(1))
                .filter(|&early| early < pause_frames),
            min_speech_frames: frames_for(params.vad.min_speech_ms).max(1),
            min_commit_frames: frames_for(params.min_commit_speech_ms),
            max_pending_frames: frames_for(params.max_pending_ms).max(2),
            refresh_frames: params.refresh_ms.map(|ms| frames_for(ms).max(1)),
            threshold: params.vad.threshold,
            neg_threshold: params.vad.neg_threshold,
            pending: Vec::new(),
            pending_start: 0,
            voiced_run: 0,
            silence_run: 0,
            fresh_speech: false,
            since_decode: 0,
            speech_since_decode: 0,
        }
    }

    /// First frame not yet committed.
    pub fn pending_start(&self) -> usize {
        self.pending_start
    }

    fn frames_seen(&self) -> usize {
        self.pending_start + self.pending.len()
    }

    fn speech_frames_pending(&self) -> usize {
        self.pending
            .iter()
            .filter(|&&p| p >= self.threshold)
            .count()
    }

    pub fn push(&mut self, p: f32) -> StreamAction {
        let action = self.decide(p);
        if action == StreamAction::Wait {
            self.since_decode += 1;
            self.speech_since_decode += usize::from(p >= self.threshold);
        } else {
            self.since_decode = 0;
            self.speech_since_decode = 0;
        }
        action
    }

    fn decide(&mut self, p: f32) -> StreamAction {
        self.pending.push(p);
        if p >= self.threshold {
            self.voiced_run += 1;
            self.silence_run = 0;
            if self.voiced_run >= self.min_speech_frames {
                self.fresh_speech = true;
            }
        } else if p < self.neg_threshold {
            self.silence_run += 1;
            if self.silence_run >= self.pause_frames {
                // A burst too short to be speech does not carry over the pause.
                self.voiced_run = 0;
            }
        }

        if self.fresh_speech && Some(self.silence_run) == self.early_frames {
            return StreamAction::Early {
                start: self.pending_start,
                end: self.frames_seen(),
            };
        }
        if self.fresh_speech && self.silence_run == self.pause_frames {
            self.fresh_speech = false;
            let (start, end) = (self.pending_start, self.frames_seen());
            let commit = self.speech_frames_pending() >= self.min_commit_frames;
            if commit {
                self.commit_until(end);
            }
            return StreamAction::Decode { start, end, commit };
        }
        if self.pending.len() >= self.max_pending_frames {
            // No pause long enough: cut at the quietest frame of the last third.
            let from = self.pending.len() * 2 / 3;
            let quietest = self.pending[from..]
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| from + i + 1)
                .unwrap_or(self.pending.len());
            let (start, end) = (self.pending_start, self.pending_start + quietest);
            self.commit_until(end);
            self.fresh_speech = self.pending.iter().any(|&p| p >= self.threshold);
            return StreamAction::Decode {
                start,
                end,
                commit: true,
            };
        }
        if let Some(every) = self.refresh_frames
            && self.since_decode + 1 >= every
            && self.speech_since_decode >= self.min_speech_frames
            && self.voiced_run > 0
        {
            return StreamAction::Refresh {
                start: self.pending_start,
                end: self.frames_seen(),
            };
        }
        StreamAction::Wait
    }

    fn commit_until(&mut self, end: usize) {
        self.pending.drain(..end - self.pending_start);
        self.pending_start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(ms: u32) -> usize {
        frames_for(ms)
    }

    /// Feed `(probability, milliseconds)` runs; collect the actions.
    fn feed(tracker: &mut PauseTracker, runs: &[(f32, u32)]) -> Vec<StreamAction> {
        let mut actions = Vec::new();
        for &(p, ms) in runs {
            for _ in 0..frames(ms) {
                match tracker.push(p) {
                    StreamAction::Wait => {}
                    a => actions.push(a),
                }
            }
        }
        actions
    }

    #[test]
    fn a_pause_after_enough_speech_commits_it() {
        let mut t = PauseTracker::new(&StreamParams::default());
        let actions = feed(&mut t, &[(0.0, 500), (0.9, 3000), (0.0, 1000)]);
        assert_eq!(actions.len(), 1, "{actions:?}");
        let StreamAction::Decode { start, end, commit } = actions[0] else {
            unreachable!()
        };
        assert!(commit);
        assert_eq!(start, 0);
        assert_eq!(end, frames(500) + frames(3000) + frames(320));
        assert_eq!(t.pending_start(), end);
    }

    #[test]
    fn a_short_phrase_is_decoded_but_stays_pending() {
        let mut t = PauseTracker::new(&StreamParams::default());
        let actions = feed(&mut t, &[(0.9, 800), (0.0, 400), (0.9, 2000), (0.0, 400)]);
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert!(matches!(
            actions[0],
            StreamAction::Decode {
                start: 0,
                commit: false,
                ..
            }
        ));
        // The second pause decodes both phrases together and commits them.
        assert!(matches!(
            actions[1],
            StreamAction::Decode {
                start: 0,
                commit: true,
                ..
            }
        ));
    }

    #[test]
    fn one_decode_per_pause_and_none_for_silence_or_clicks() {
        let mut t = PauseTracker::new(&StreamParams::default());
        let actions = feed(
            &mut t,
            &[
                (0.0, 2000),
                (0.9, 100),
                (0.0, 2000),
                (0.9, 2500),
                (0.0, 5000),
            ],
        );
        assert_eq!(actions.len(), 1, "{actions:?}");
    }

    #[test]
    fn cheap_engines_refresh_while_speech_goes_on_but_not_in_silence() {
        let params = StreamParams {
            refresh_ms: Some(800),
            ..StreamParams::default()
        };
        let mut t = PauseTracker::new(&params);
        let actions = feed(&mut t, &[(0.0, 1000), (0.9, 3000), (0.0, 3000)]);
        let refreshes: Vec<_> = actions
            .iter()
            .filter(|a| matches!(a, StreamAction::Refresh { .. }))
            .collect();
        // About one per 800 ms of speech, none in the silences around it.
        assert!((3..=4).contains(&refreshes.len()), "{actions:?}");
        for a in &refreshes {
            let StreamAction::Refresh { start, end } = **a else {
                unreachable!()
            };
            assert_eq!(start, 0);
            assert!(end > frames(1000) && end <= frames(4000), "{end}");
        }
        // The pause still decodes and commits the whole stretch.
        assert!(matches!(
            actions.last(),
            Some(StreamAction::Decode { commit: true, .. })
        ));
        // Without refresh_ms nothing changes.
        let mut plain = PauseTracker::new(&StreamParams::default());
        let actions = feed(&mut plain, &[(0.0, 1000), (0.9, 3000), (0.0, 3000)]);
        assert_eq!(actions.len(), 1);
    }

    #[test]
    fn an_early_decode_comes_before_each_pause_decode_and_at_short_pauses_too() {
        let params = StreamParams {
            pause_ms: 200,
            early_pause_ms: Some(96),
            ..StreamParams::default()
        };
        let mut t = PauseTracker::new(&params);
        // A 150 ms gap (early only), then a real pause (early, then the pause's decode).
        let actions = feed(&mut t, &[(0.9, 1000), (0.0, 150), (0.9, 1000), (0.0, 1000)]);
        let early_at = |ms: u32| StreamAction::Early {
            start: 0,
            end: frames(1000) + frames(ms),
        };
        assert_eq!(actions.len(), 3, "{actions:?}");
        assert_eq!(actions[0], early_at(96));
        let later = frames(1000) + frames(150) + frames(1000);
        assert_eq!(
            actions[1],
            StreamAction::Early {
                start: 0,
                end: later + frames(96)
            }
        );
        assert_eq!(
            actions[2],
            StreamAction::Decode {
                start: 0,
                end: later + frames(200),
                commit: true
            }
        );
        // Without early_pause_ms (or with one no shorter than the pause) nothing changes.
        for early_pause_ms in [None, Some(200)] {
            let mut plain = PauseTracker::new(&StreamParams {
                early_pause_ms,
                ..params.clone()
            });
            let actions = feed(
                &mut plain,
                &[(0.9, 1000), (0.0, 150), (0.9, 1000), (0.0, 1000)],
            );
            assert_eq!(actions.len(), 1, "{actions:?}");
        }
    }

    #[test]
    fn a_monologue_without_pauses_is_cut_before_the_window_ends() {
        let params = StreamParams::default();
        let mut t = PauseTracker::new(&params);
        let mut runs = Vec::new();
        for _ in 0..30 {
            runs.push((0.9, 950));
            runs.push((0.4, 64)); // a dip, not a pause
        }
        let actions = feed(&mut t, &runs);
        assert!(!actions.is_empty());
        for a in &actions {
            let StreamAction::Decode { start, end, commit } = *a else {
                panic!("{a:?}")
            };
            assert!(commit);
            assert!(end - start <= frames(params.max_pending_ms));
            assert!(end - start >= frames(params.max_pending_ms) * 2 / 3);
        }
    }
}
