//! When a hands-free dictation ends, decided frame by frame from the VAD: at each pause after
//! speech the end-of-turn model is asked whether the speaker has finished; a long silence or
//! the length limit ends it anyway. Pure logic with time counted in VAD frames, so it is
//! tested without a microphone or a model.

use serde::{Deserialize, Serialize};

use crate::vad::{Endpoint, EndpointDetector, FRAME_SAMPLES, VadParams};

/// What ended a dictation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndedBy {
    /// The end-of-turn model heard the speaker finish.
    Turn,
    /// A pause as long as the silence limit.
    Silence,
    /// The length limit.
    Max,
    /// The user (a tap, the key, Ctrl-C).
    Interrupt,
    /// Nothing was said before the wait ran out.
    NoSpeech,
}

/// How to decide; defaults from `utter bench --handsfree` (see the README).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndParams {
    /// Ask the end-of-turn model at pauses (false: only the silence limit ends it).
    pub semantic: bool,
    /// A pause this long after speech asks the end-of-turn model.
    pub pause_ms: u32,
    /// The model's P(finished) above which the turn has ended.
    pub finished_above: f32,
    /// A pause this long ends the dictation whatever the model says (without a model: the
    /// only rule).
    pub end_silence_ms: u32,
    /// A pause the model thought likely finished (P above this, though not sure enough to
    /// end at once or not confirmed by the transcript)...
    pub likely_finished_above: f32,
    /// ...ends after this long (at most `end_silence_ms`).
    pub likely_end_silence_ms: u32,
    /// The dictation ends after this long in any case.
    pub max_ms: u32,
    /// Without any speech for this long, give up.
    pub wait_for_speech_ms: u32,
    /// When the model says finished, also wait for the transcript of the speech so far (decoded
    /// while listening) and end only if it reads finished too (see [`reads_finished`]).
    ///
    /// [`reads_finished`]: super::reads_finished
    pub read_transcript: bool,
    /// ...and the recogniser must have given the mark closing it ("." "!" "?") a probability
    /// above this (where the engine tells; 0 takes the mark as written).
    pub full_stop_above: f32,
    /// After a dictation ends by itself, speech within this long continues it in a follow-on
    /// dictation typed right after it (0: the microphone closes at the end).
    pub follow_on_ms: u32,
    /// While listening, decode the speech so far after a pause this long, before the model is
    /// asked (at `pause_ms`), so the transcript it waits for comes sooner; the decode is given
    /// up if the speaker goes on (0 or not below `pause_ms`: decode at `pause_ms`).
    pub early_decode_ms: u32,
}

impl EndParams {
    /// Pipecat's pause and silence limit (Smart Turn asks after a 200 ms VAD pause, 3 s of
    /// silence ends the turn), 5 minutes at most, 10 s to start speaking. The threshold is
    /// from `utter bench --handsfree` (README): above 0.8 cuts a third fewer sentences at a
    /// mid-sentence pause than Pipecat's 0.5 (10 of 26 instead of 15) at the same median wait;
    /// above 0.95 cuts 6 but leaves 13 of 32 finished dictations waiting for the 3 s limit.
    /// A full stop above 0.7: with Moonshine base, 6 cuts instead of 9 for the mark as written
    /// (0.6: 7, 0.8: 4 but most finished dictations then wait for the limit), the median text
    /// as soon. A pause Smart Turn thought likely finished (P > 0.5, Pipecat's threshold) ends
    /// after 2 s: 25 of 32 finished dictations ended by the model instead of 18, no more cuts
    /// (after 1.5 s: two more, at long pauses of hesitant speech). Follow-ons for 1.5 s: every
    /// early end the default rule makes where the speech went on resumed within 1.1 s (the
    /// 0.5 s timeout's within 1.2 s, but for a change of speaker and a run of "uh um").
    /// Decoding each pause early, after 128 ms (Moonshine base, `--early-decode-ms`): text
    /// 441 ms after the speech instead of 489 (p50), and none of the 26 paused sentences
    /// ended at the inserted pause instead of 1; after 96 ms 421 ms but 2 ended there (its
    /// transcripts with less silence after the words read finished more often), after 160 ms
    /// no sooner than without.
    pub const DEFAULT: EndParams = EndParams {
        semantic: true,
        pause_ms: 200,
        finished_above: 0.8,
        end_silence_ms: 3000,
        likely_finished_above: 0.5,
        likely_end_silence_ms: 2000,
        max_ms: 300_000,
        wait_for_speech_ms: 10_000,
        read_transcript: true,
        full_stop_above: 0.7,
        follow_on_ms: 1500,
        early_decode_ms: 128,
    };

    /// How a stream decodes while this rule listens.
    pub fn listening_decodes(&self) -> crate::streaming::ListeningDecodes {
        crate::streaming::ListeningDecodes {
            pause_ms: self.pause_ms,
            early_pause_ms: (self.early_decode_ms > 0).then_some(self.early_decode_ms),
        }
    }
}

/// The tracker's next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Listen,
    /// A pause after speech: ask the model about the audio so far, then call
    /// [`TurnTracker::judged`].
    Judge,
    End(EndedBy),
}

#[derive(Debug, Clone)]
pub struct TurnTracker {
    params: EndParams,
    vad: VadParams,
    /// Whether an end-of-turn model answers [`Step::Judge`]; without one, silence decides.
    judging: bool,
    frames: usize,
    /// When speech has started, as everywhere else (clicks do not count); its own silence
    /// limit is not used: pauses are measured here from the last speech frame.
    onset: EndpointDetector,
    /// Speech lasting long enough to count has been heard.
    heard_speech: bool,
    /// The frame after the last speech frame.
    speech_end: usize,
    /// The model was already asked about the current pause.
    asked_this_pause: bool,
    /// The model said finished; the transcript up to this frame must read finished too.
    /// Only speech long enough to count (not a breath or a click) calls that off.
    awaiting_transcript: Option<usize>,
    /// The frame at which the model said so (the transcript's wait counts from there).
    finished_at: usize,
    /// Speech frames in a row.
    voiced_run: usize,
    /// The latest transcript: the sample it covers up to, and whether it reads finished.
    transcript: Option<(usize, bool)>,
    /// The model's answer about the current pause was above `likely_finished_above`.
    likely_finished: bool,
}

/// Voice this long after a finished-sounding pause means the speaker went on (shorter: a
/// breath or a click). Measured: the noise after "… for your country" in the JFK clip is two
/// VAD frames (64 ms) of "voice"; a resumed word is voiced for far longer than 100 ms.
const RESUMED_SPEECH_MS: u32 = 100;

/// How long the transcript may take after the model heard a finished turn. Measured: with
/// Whisper base the decode of the last words arrives a median 350 ms after the model's answer
/// (end wait 608 ms, `utter bench --handsfree`); well above that, a late transcript only
/// means a busy or slow machine.
const TRANSCRIPT_WAIT_MS: u32 = 1500;

const FRAME_MS: f64 = FRAME_SAMPLES as f64 * 1000.0 / crate::SAMPLE_RATE as f64;

use crate::vad::frames_for as frames;

impl TurnTracker {
    pub fn new(params: EndParams, vad: VadParams, judging: bool) -> TurnTracker {
        TurnTracker {
            params,
            onset: EndpointDetector::new(vad.clone(), u32::MAX),
            vad,
            judging,
            frames: 0,
            heard_speech: false,
            speech_end: 0,
            asked_this_pause: false,
            awaiting_transcript: None,
            finished_at: 0,
            voiced_run: 0,
            transcript: None,
            likely_finished: false,
        }
    }

    /// One VAD frame's speech probability.
    pub fn push(&mut self, p: f32) -> Step {
        self.frames += 1;
        self.heard_speech = self.onset.push(p) != Endpoint::Waiting;
        if self.heard_speech && p >= self.vad.threshold {
            self.speech_end = self.frames;
            self.asked_this_pause = false;
            self.voiced_run += 1;
            if self.voiced_run >= frames(RESUMED_SPEECH_MS) {
                self.awaiting_transcript = None;
                self.likely_finished = false;
            }
        } else {
            self.voiced_run = 0;
        }
        self.step()
    }

    fn step(&mut self) -> Step {
        if self.frames >= frames(self.params.max_ms) {
            return Step::End(EndedBy::Max);
        }
        if !self.heard_speech {
            return if self.frames >= frames(self.params.wait_for_speech_ms) {
                Step::End(EndedBy::NoSpeech)
            } else {
                Step::Listen
            };
        }
        let paused = self.frames - self.speech_end;
        if paused >= frames(self.params.end_silence_ms) {
            return Step::End(EndedBy::Silence);
        }
        if self.likely_finished && paused >= frames(self.params.likely_end_silence_ms) {
            return Step::End(EndedBy::Turn);
        }
        // A transcript that came during a breath is decided once it is quiet again.
        if self.awaiting_transcript.is_some() && self.voiced_run == 0 {
            let step = self.read();
            if step != Step::Listen {
                return step;
            }
            // A decoder too slow to answer in time (a slow machine, a long stretch to decode)
            // does not hold the end back: the model's word stands.
            if self.frames - self.finished_at >= frames(TRANSCRIPT_WAIT_MS) {
                self.awaiting_transcript = None;
                return Step::End(EndedBy::Turn);
            }
        }
        if self.judging && !self.asked_this_pause && paused >= frames(self.params.pause_ms) {
            self.asked_this_pause = true;
            return Step::Judge;
        }
        Step::Listen
    }

    /// The model's answer to the last [`Step::Judge`].
    pub fn judged(&mut self, p_finished: f32) -> Step {
        self.likely_finished = p_finished > self.params.likely_finished_above;
        if p_finished <= self.params.finished_above {
            return Step::Listen;
        }
        if !self.params.read_transcript {
            return Step::End(EndedBy::Turn);
        }
        // After a breath, the speech the model first judged is still what must read finished.
        if self.awaiting_transcript.is_none() {
            self.awaiting_transcript = Some(self.speech_end);
            self.finished_at = self.frames;
        }
        self.read()
    }

    /// The transcript of the first `through` samples: whether it reads finished, and how sure
    /// the recogniser was of its closing mark.
    pub fn transcript(
        &mut self,
        through: usize,
        reads_finished: bool,
        closing_confidence: Option<f32>,
    ) -> Step {
        let sure = closing_confidence.is_none_or(|p| p > self.params.full_stop_above);
        self.transcript = Some((through, reads_finished && sure));
        self.read()
    }

    /// Decide a finished-sounding pause once the transcript covers its speech — not while a
    /// sound is going on: a breath ends and it is decided, a resumed word calls it off.
    fn read(&mut self) -> Step {
        let (Some(speech_end), Some((through, finished))) =
            (self.awaiting_transcript, self.transcript)
        else {
            return Step::Listen;
        };
        if through < speech_end * FRAME_SAMPLES {
            return Step::Listen;
        }
        if !finished {
            self.awaiting_transcript = None;
            return Step::Listen;
        }
        if self.voiced_run > 0 {
            return Step::Listen;
        }
        self.awaiting_transcript = None;
        Step::End(EndedBy::Turn)
    }

    /// Speech lasting long enough to count has been heard.
    pub fn heard_speech(&self) -> bool {
        self.heard_speech
    }

    /// The speaker is talking (voiced long enough not to be a breath or a click).
    pub fn talking(&self) -> bool {
        self.voiced_run >= frames(RESUMED_SPEECH_MS)
    }

    /// From the end of the last speech to now, in ms (the wait the decision cost).
    pub fn end_wait_ms(&self) -> f64 {
        (self.frames - self.speech_end.min(self.frames)) as f64 * FRAME_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: EndParams = EndParams {
        semantic: true,
        pause_ms: 200,
        finished_above: 0.5,
        end_silence_ms: 3000,
        likely_finished_above: 0.5,
        likely_end_silence_ms: 1500,
        max_ms: 60_000,
        wait_for_speech_ms: 10_000,
        read_transcript: false,
        full_stop_above: 0.7,
        follow_on_ms: 0,
        early_decode_ms: 0,
    };

    fn run(tracker: &mut TurnTracker, p: f32, ms: u32) -> Vec<Step> {
        (0..frames(ms)).map(|_| tracker.push(p)).collect()
    }

    /// A tracker that heard a second of speech and then 300 ms of pause (judged at 200 ms).
    fn paused_after_speech(params: EndParams) -> TurnTracker {
        let mut t = TurnTracker::new(params, VadParams::default(), true);
        run(&mut t, 0.9, 1000);
        run(&mut t, 0.0, 300);
        t
    }

    /// The steps that are not Listen, up to the first End.
    fn interesting(steps: &[Step]) -> Vec<Step> {
        let mut out = Vec::new();
        for step in steps.iter().copied().filter(|s| *s != Step::Listen) {
            out.push(step);
            if matches!(step, Step::End(_)) {
                break;
            }
        }
        out
    }

    #[test]
    fn each_pause_after_speech_is_judged_once_and_a_finished_turn_ends() {
        let mut t = TurnTracker::new(PARAMS, VadParams::default(), true);
        assert!(
            interesting(&run(&mut t, 0.0, 1000)).is_empty(),
            "no speech yet"
        );
        assert!(interesting(&run(&mut t, 0.9, 2000)).is_empty());
        assert_eq!(interesting(&run(&mut t, 0.0, 800)), [Step::Judge]);
        assert_eq!(t.judged(0.1), Step::Listen, "not finished: keep listening");
        assert!(interesting(&run(&mut t, 0.9, 1000)).is_empty());
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        // Asked at the first frame past 200 ms; the wait counts the whole pause pushed (10 frames).
        assert_eq!(t.end_wait_ms(), 320.0);
        assert_eq!(t.judged(0.9), Step::End(EndedBy::Turn));
    }

    #[test]
    fn a_long_silence_ends_it_whatever_the_model_says() {
        let mut t = TurnTracker::new(PARAMS, VadParams::default(), true);
        run(&mut t, 0.9, 1000);
        let steps = run(&mut t, 0.0, 3100);
        assert_eq!(
            interesting(&steps),
            [Step::Judge, Step::End(EndedBy::Silence)]
        );
        // Without a model, the silence is the only rule.
        let mut t = TurnTracker::new(PARAMS, VadParams::default(), false);
        run(&mut t, 0.9, 1000);
        assert_eq!(
            interesting(&run(&mut t, 0.0, 3100)),
            [Step::End(EndedBy::Silence)]
        );
    }

    #[test]
    fn a_pause_the_model_thought_likely_finished_ends_sooner() {
        let params = EndParams {
            finished_above: 0.8,
            ..PARAMS
        };
        // Likely (0.5 < P <= 0.8): ended after 1.5 s of pause, not 3 s.
        let mut t = TurnTracker::new(params, VadParams::default(), true);
        run(&mut t, 0.9, 1000);
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        assert_eq!(t.judged(0.7), Step::Listen);
        assert!(interesting(&run(&mut t, 0.0, 1100)).is_empty());
        let steps = run(&mut t, 0.0, 200);
        assert_eq!(interesting(&steps), [Step::End(EndedBy::Turn)]);
        // Unlikely: the silence limit.
        let mut t = paused_after_speech(params);
        assert_eq!(t.judged(0.4), Step::Listen);
        assert_eq!(
            interesting(&run(&mut t, 0.0, 3000)),
            [Step::End(EndedBy::Silence)]
        );
        // Speech after a likely pause: the next pause is judged afresh.
        let mut t = paused_after_speech(params);
        t.judged(0.7);
        run(&mut t, 0.9, 500);
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        assert_eq!(t.judged(0.2), Step::Listen);
        assert_eq!(
            interesting(&run(&mut t, 0.0, 2000)),
            [],
            "unlikely now: no early end"
        );
    }

    #[test]
    fn limits_end_it_too() {
        let mut t = TurnTracker::new(PARAMS, VadParams::default(), true);
        let steps = run(&mut t, 0.0, 10_100);
        assert_eq!(interesting(&steps)[0], Step::End(EndedBy::NoSpeech));
        // A click is not speech.
        let mut t = TurnTracker::new(PARAMS, VadParams::default(), true);
        run(&mut t, 0.9, 64);
        assert!(interesting(&run(&mut t, 0.0, 3500)).is_empty());
        let params = EndParams {
            max_ms: 5000,
            ..PARAMS
        };
        let mut t = TurnTracker::new(params, VadParams::default(), true);
        let steps = run(&mut t, 0.9, 5100);
        assert_eq!(interesting(&steps)[0], Step::End(EndedBy::Max));
    }

    #[test]
    fn a_full_stop_the_recogniser_was_unsure_of_does_not_read_finished() {
        let params = EndParams {
            read_transcript: true,
            ..PARAMS
        };
        let finished_sounding_pause = || {
            let mut t = paused_after_speech(params);
            assert_eq!(t.judged(0.9), Step::Listen);
            t
        };
        // "The birch canoe slid." with its stop at 0.45, at a pause in mid-sentence.
        let mut t = finished_sounding_pause();
        assert_eq!(t.transcript(17_000, true, Some(0.45)), Step::Listen);
        assert!(interesting(&run(&mut t, 0.0, 1000)).is_empty());
        // The same words with a sure stop, or from an engine that does not say, end it.
        for sure in [Some(0.95), None] {
            let mut t = finished_sounding_pause();
            assert_eq!(t.transcript(17_000, true, sure), Step::End(EndedBy::Turn));
        }
        // A sure stop does not make unfinished words finished.
        let mut t = finished_sounding_pause();
        assert_eq!(t.transcript(17_000, false, Some(0.99)), Step::Listen);
    }

    #[test]
    fn a_finished_sounding_pause_waits_for_the_transcript_to_read_finished() {
        let params = EndParams {
            read_transcript: true,
            ..PARAMS
        };
        let mut t = TurnTracker::new(params, VadParams::default(), true);
        run(&mut t, 0.9, 1000);
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        assert_eq!(t.judged(0.9), Step::Listen, "no transcript yet");
        // A transcript of earlier speech does not decide this pause.
        assert_eq!(t.transcript(8000, true, None), Step::Listen);
        assert_eq!(
            t.transcript(20_000, false, None),
            Step::Listen,
            "reads unfinished"
        );
        // Listening goes on: the next pause is judged again, and a transcript that already
        // covers it decides as soon as the model says finished.
        run(&mut t, 0.9, 500);
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        assert_eq!(
            t.transcript(40_000, true, None),
            Step::Listen,
            "not asked yet"
        );
        assert_eq!(t.judged(0.9), Step::End(EndedBy::Turn));
        // A breath after a finished-sounding pause does not call the wait off; speech does.
        let mut t = paused_after_speech(params);
        assert_eq!(t.judged(0.9), Step::Listen);
        run(&mut t, 0.9, 64);
        assert_eq!(interesting(&run(&mut t, 0.0, 300)), [Step::Judge]);
        assert_eq!(t.judged(0.3), Step::Listen);
        assert_eq!(t.transcript(17_000, true, None), Step::End(EndedBy::Turn));
        // A transcript that arrives during the breath is decided when it is over.
        let mut t = paused_after_speech(params);
        assert_eq!(t.judged(0.9), Step::Listen);
        run(&mut t, 0.9, 32);
        assert_eq!(
            t.transcript(17_000, true, None),
            Step::Listen,
            "a sound is going on"
        );
        assert_eq!(
            interesting(&run(&mut t, 0.0, 32)),
            [Step::End(EndedBy::Turn)]
        );
        let mut t = paused_after_speech(params);
        assert_eq!(t.judged(0.9), Step::Listen);
        run(&mut t, 0.9, 400);
        assert_eq!(
            t.transcript(17_000, true, None),
            Step::Listen,
            "speech went on"
        );
        // A transcript that does not come in time does not hold the end back (even where a
        // likely finished pause would not end it sooner).
        let slow = EndParams {
            likely_end_silence_ms: 3000,
            ..params
        };
        let mut t = paused_after_speech(slow);
        assert_eq!(t.judged(0.9), Step::Listen);
        assert!(interesting(&run(&mut t, 0.0, 1400)).is_empty());
        assert_eq!(
            interesting(&run(&mut t, 0.0, 200)),
            [Step::End(EndedBy::Turn)]
        );
        // A model that hears no end is not overruled by the transcript.
        let mut t = paused_after_speech(params);
        assert_eq!(t.transcript(40_000, true, None), Step::Listen);
        assert_eq!(t.judged(0.1), Step::Listen);
    }
}
