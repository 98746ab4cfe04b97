//! Hears a hands-free dictation as it is captured and says when it has ended: the VAD finds
//! the pauses, Smart Turn judges them ([`TurnTracker`] decides). Fed in blocks of any size;
//! the same code runs live in the session, over clips in the tests and in `utter bench`.

use std::time::Instant;

use super::features::WINDOW_SAMPLES;
use super::{EndParams, EndedBy, SmartTurn, Step, TurnTracker};
use crate::streaming::Partial;
use crate::vad::{FRAME_SAMPLES, SileroVad, VadError, VadParams};

/// How a dictation ended, and the wait from the end of the speech to that decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TurnEnd {
    pub ended_by: EndedBy,
    pub end_wait_ms: f64,
    /// How much of the dictation's audio (samples) had been heard when it was decided: where
    /// a follow-on dictation takes over (audio heard after it belongs to the follow-on).
    pub at_sample: usize,
}

pub struct TurnWatcher {
    vad: SileroVad,
    model: Option<SmartTurn>,
    vad_params: VadParams,
    tracker: TurnTracker,
    /// The last 8 s (what the model hears), plus samples not yet a whole VAD frame.
    recent: Vec<f32>,
    pending: usize,
    /// Samples of this dictation through the VAD so far (whole frames).
    heard_samples: usize,
    /// ...and through the latest frame of talking (see [`TurnTracker::talking`]).
    talked_through: usize,
    ended: Option<TurnEnd>,
}

impl TurnWatcher {
    /// Without `model`, only the silence limit ends a dictation.
    pub fn new(
        vad: SileroVad,
        model: Option<SmartTurn>,
        params: EndParams,
        vad_params: VadParams,
    ) -> TurnWatcher {
        let tracker = fresh_tracker(params, &vad_params, model.is_some());
        let mut vad = vad;
        vad.reset();
        TurnWatcher {
            vad,
            model,
            vad_params,
            tracker,
            recent: Vec::new(),
            pending: 0,
            heard_samples: 0,
            talked_through: 0,
            ended: None,
        }
    }

    pub fn judges_turns(&self) -> bool {
        self.model.is_some()
    }

    /// Speech lasting long enough to count has been heard in this dictation.
    pub fn heard_speech(&self) -> bool {
        self.tracker.heard_speech()
    }

    /// How much of this dictation's audio (samples) ends with the latest talking heard: past
    /// a pause, the speaker went on.
    pub fn talked_through(&self) -> usize {
        self.talked_through
    }

    /// Speech detection's thresholds, from the next [`restart`](Self::restart) on.
    pub fn set_vad_params(&mut self, vad_params: VadParams) {
        self.vad_params = vad_params;
    }

    /// A new dictation, with `params`.
    pub fn restart(&mut self, params: EndParams) {
        self.go_on(params);
        self.vad.reset();
        self.recent.clear();
    }

    /// A follow-on of the dictation that just ended, with `params`: it hears the audio from
    /// where that end was decided ([`TurnEnd::at_sample`]) on. The VAD goes on where it was
    /// — a speaker trailing off after a pause is heard as speech in context where a fresh
    /// VAD hears the room — and the model hears the speech before the end too.
    pub fn go_on(&mut self, params: EndParams) {
        self.tracker = fresh_tracker(params, &self.vad_params, self.model.is_some());
        // Samples passed in after the decision come again with the follow-on.
        self.recent.truncate(self.recent.len() - self.pending);
        self.pending = 0;
        self.heard_samples = 0;
        self.talked_through = 0;
        self.ended = None;
    }

    /// More captured audio. Returns the end once it is decided (and again after that).
    pub fn push(&mut self, block: &[f32]) -> Result<Option<TurnEnd>, VadError> {
        if self.ended.is_some() {
            return Ok(self.ended);
        }
        self.recent.extend_from_slice(block);
        self.pending += block.len();
        while self.pending >= FRAME_SAMPLES {
            let start = self.recent.len() - self.pending;
            let p = self
                .vad
                .speech_probability(&self.recent[start..start + FRAME_SAMPLES])?;
            self.pending -= FRAME_SAMPLES;
            self.heard_samples += FRAME_SAMPLES;
            let step = self.tracker.push(p);
            if self.tracker.talking() {
                self.talked_through = self.heard_samples;
            }
            let step = match step {
                Step::Judge => self.judge(start + FRAME_SAMPLES),
                step => (step, 0.0),
            };
            if let Some(end) = self.ended_by(step) {
                return Ok(Some(end));
            }
        }
        let keep = WINDOW_SAMPLES + self.pending;
        if self.recent.len() > 2 * keep {
            self.recent.drain(..self.recent.len() - keep);
        }
        Ok(None)
    }

    /// The transcript of this dictation so far, decoded while listening (see
    /// [`EndParams::read_transcript`]). Returns the end if it decides one.
    pub fn transcript(&mut self, partial: &Partial) -> Option<TurnEnd> {
        if self.ended.is_some() {
            return self.ended;
        }
        let reads_finished = super::reads_finished(&partial.text);
        let step =
            self.tracker
                .transcript(partial.through, reads_finished, partial.closing_confidence);
        self.ended_by((step, 0.0))
    }

    fn ended_by(&mut self, (step, judge_ms): (Step, f64)) -> Option<TurnEnd> {
        let Step::End(ended_by) = step else {
            return None;
        };
        let end = TurnEnd {
            ended_by,
            end_wait_ms: self.tracker.end_wait_ms() + judge_ms,
            at_sample: self.heard_samples,
        };
        self.ended = Some(end);
        Some(end)
    }

    /// Ask the model about the audio up to `upto`; its cost counts towards the wait.
    fn judge(&mut self, upto: usize) -> (Step, f64) {
        let Some(model) = self.model.as_mut() else {
            return (Step::Listen, 0.0);
        };
        let started = Instant::now();
        let p = match model.probability(&self.recent[..upto]) {
            Ok(p) => p,
            Err(e) => {
                // The silence limit still ends the dictation.
                tracing::warn!("end of turn: {e}");
                0.0
            }
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::debug!(p_finished = p, judge_ms = ms, "end of turn asked");
        (self.tracker.judged(p), ms)
    }
}

/// The model is asked only when there is one and the rule wants it.
fn fresh_tracker(params: EndParams, vad: &VadParams, has_model: bool) -> TurnTracker {
    TurnTracker::new(params, vad.clone(), params.semantic && has_model)
}
