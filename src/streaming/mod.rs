//! Decoding while the key is held. Audio arrives in blocks; the VAD runs as it comes, and at
//! each pause the pending speech is decoded in the background (primed with the text before
//! it). Engines whose cost follows the audio's length (Moonshine) also refresh the pending
//! speech while it goes on, so the indicator shows the words as they are said and the
//! release finds only the last moment undecoded. On release only the tail is left — often
//! nothing, when the user paused before letting go. A decode still running at the release is
//! given up when finishing it would not help (refreshes; any decode of an engine whose every
//! decode is expensive, such as Whisper), and what it covered is decoded with the tail, so
//! the wait is never longer than decoding the whole recording. The same VAD frames, speech
//! ranges and piece planning as the batch path are used, so the text matches transcribing the
//! whole recording at once.
//!
//! Engines that stream by themselves (Nemotron) are fed every block instead: their text grows
//! while the user speaks and only the last chunk is left at release.

mod early;
mod release;
mod tracker;

pub use early::{ListeningDecodes, ResumeWatch};
pub use tracker::{PauseTracker, StreamAction, StreamParams};

use std::time::Instant;

use crate::transcriber::{Decoded, TranscribeError, TranscribeOptions, Transcriber, join_text};
use crate::vad::{FRAME_SAMPLES, speech_from_probabilities};

/// A decode of pending audio that may still be final if no speech follows.
struct Speculative {
    start: usize,
    end: usize,
    decoded: Decoded,
    /// An early decode of a pause (not a refresh while speech went on, nor a pause's own).
    early: bool,
}

/// Why pending audio is decoded, which decides what the decoder hears around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecodeKind {
    /// At a pause (or early in one). Primed with the committed text, for continuity; the rest
    /// of the pause is still arriving, and its closing mark is read by the hands-free rule as
    /// measured on real pauses, so nothing is added after it.
    Pause,
    /// While speech goes on: primed, and heard as if the speaker stopped here, which is what
    /// it stands for when it is reused at the release.
    Refresh,
    /// After the release: the recording has ended, so the padding it did not reach is heard
    /// as silence. Unprimed: a prompt of earlier text costs Whisper more than the words it
    /// saves (measured: 5 s dictations slower than decoding them whole).
    Release,
}

/// What a stream has decoded so far, for the indicator and the hands-free listener.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Partial {
    /// Final up to the last commit, then the latest guess.
    pub text: String,
    /// How many samples of the recording the text covers.
    pub through: usize,
    /// How sure the recogniser was of the mark closing the text (see
    /// [`crate::stt::SttOutput`]).
    pub closing_confidence: Option<f32>,
}

/// Work done while recording and after the release.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StreamStats {
    pub decodes: usize,
    pub committed_segments: usize,
    pub stt_ms_while_recording: f64,
    pub vad_ms_after_release: f64,
    pub stt_ms_after_release: f64,
    /// The release found the text already decoded.
    pub reused_decode: bool,
    /// Refreshes while speech went on.
    pub refreshes: usize,
    /// Decodes given up (or not started) because the key came up first.
    pub decodes_stopped: usize,
    /// Early decodes of a pause (hands-free); of those, given up (or not begun) because the
    /// speaker went on, and taken as the pause's decode (the silence lasted: nothing decoded
    /// twice).
    pub early_decodes: usize,
    pub early_stopped: usize,
    pub early_used: usize,
}

pub struct StreamingTranscription {
    options: TranscribeOptions,
    params: StreamParams,
    tracker: PauseTracker,
    /// The recording from sample `dropped` on: what a decode to come may need. Audio decoded
    /// for good is let go, so a long dictation is not held twice (the recording has it all).
    samples: Vec<f32>,
    dropped: usize,
    probs: Vec<f32>,
    committed: Decoded,
    speculative: Option<Speculative>,
    vad_ms: f64,
    stats: StreamStats,
    /// A failure while streaming: the release falls back to transcribing everything at once.
    failed: Option<TranscribeError>,
    /// The engine recognises the recording itself (no pause-triggered decodes).
    live: bool,
    live_text: String,
    /// Set when the key comes up: a decode in progress that is not worth finishing gives up
    /// (refreshes; with engines whose every decode is expensive, any decode).
    released: Option<crate::stt::StopFlag>,
    /// Re-decoding is cheap for this engine (its pause decodes are left to finish).
    cheap: bool,
    /// Start of a committed stretch whose decode was given up at the release.
    undecoded_from: Option<usize>,
    /// Stops an early decode when the speaker goes on (hands-free).
    resume: Option<ResumeWatch>,
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

impl StreamingTranscription {
    /// Start a stream. The transcriber's VAD is reset and must not be used by anything else
    /// until [`finish`](Self::finish).
    pub fn new(transcriber: &mut Transcriber, options: TranscribeOptions) -> Self {
        Self::with_release_flag(transcriber, options, None)
    }

    /// Like [`new`](Self::new); `released` is set (by another thread) when the key comes up,
    /// so that a decode not worth finishing is given up instead of delaying the text.
    pub fn with_release_flag(
        transcriber: &mut Transcriber,
        options: TranscribeOptions,
        released: Option<crate::stt::StopFlag>,
    ) -> Self {
        transcriber.vad_mut().reset();
        let live = transcriber.stt_mut().live_start().unwrap_or_else(|e| {
            tracing::warn!("live recognition did not start ({e}); decoding at pauses instead");
            false
        });
        let params = StreamParams::for_engine(transcriber.stt(), transcriber.vad_params.clone());
        Self {
            options,
            tracker: PauseTracker::new(&params),
            params,
            samples: Vec::new(),
            dropped: 0,
            probs: Vec::new(),
            committed: Decoded::default(),
            speculative: None,
            vad_ms: 0.0,
            stats: StreamStats::default(),
            failed: None,
            live,
            live_text: String::new(),
            released,
            cheap: transcriber.stt().cheap_redecode(),
            undecoded_from: None,
            resume: None,
        }
    }

    /// Decode at pauses of `ms` instead of the engine's default. Hands-free uses the pause at
    /// which the end-of-turn model is asked, so the transcript it also needs comes early.
    pub fn decoding_at_pauses_of(mut self, ms: u32) -> Self {
        self.params.pause_ms = ms;
        self.tracker = PauseTracker::new(&self.params);
        self
    }

    fn is_released(&self) -> bool {
        self.released
            .as_ref()
            .is_some_and(|r| r.load(std::sync::atomic::Ordering::Relaxed))
    }

    pub fn samples_seen(&self) -> usize {
        self.dropped + self.samples.len()
    }

    /// How many of the recording's samples the stream still holds.
    pub fn samples_held(&self) -> usize {
        self.samples.len()
    }

    /// Samples `from..to` of the recording (both at or after what was let go).
    fn audio(&self, from: usize, to: usize) -> &[f32] {
        &self.samples[from - self.dropped..to - self.dropped]
    }

    /// Let go of the audio no decode will need again: everything before the pending speech
    /// (or a committed stretch still to be decoded at the release); all of it when the
    /// engine hears the recording itself, or when the release decodes the whole recording.
    fn forget_decoded(&mut self) {
        let needed_from = if self.live || self.failed.is_some() {
            self.samples_seen()
        } else {
            let pending = self.tracker.pending_start();
            self.frame_sample(self.undecoded_from.map_or(pending, |f| f.min(pending)))
        };
        let done = needed_from - self.dropped;
        // Only when what stays is no longer than what goes: each sample moves about once.
        if done > 0 && done >= self.samples.len() / 2 {
            self.samples.drain(..done);
            self.dropped += done;
        }
    }

    /// Text decoded so far (final up to the last commit, then the latest guess).
    fn partial_text(&self) -> String {
        if self.live {
            return self.live_text.clone();
        }
        match &self.speculative {
            Some(s) => join_text(&self.committed.text, &s.decoded.text),
            None => self.committed.text.clone(),
        }
    }

    /// The work done so far.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// The text decoded so far, what it covers and how sure its closing mark is.
    pub fn partial(&self) -> Partial {
        Partial {
            text: self.partial_text(),
            through: self.partial_through(),
            closing_confidence: self.partial_closing_confidence(),
        }
    }

    /// How sure the recogniser was of the mark closing [`partial_text`](Self::partial_text)
    /// (None without one, or when the engine does not say).
    fn partial_closing_confidence(&self) -> Option<f32> {
        if self.live {
            return None;
        }
        match &self.speculative {
            Some(s) if !s.decoded.text.trim().is_empty() => s.decoded.closing_confidence,
            _ => self.committed.closing_confidence,
        }
    }

    /// How many samples of the recording [`partial_text`](Self::partial_text) covers: up to
    /// the end of the latest decode.
    fn partial_through(&self) -> usize {
        if self.live {
            return self.samples_seen();
        }
        match &self.speculative {
            Some(s) => self.frame_sample(s.end),
            None => self.frame_sample(self.tracker.pending_start()),
        }
    }

    /// Add captured audio; decodes at pauses (this blocks for the decode).
    pub fn push(&mut self, transcriber: &mut Transcriber, block: &[f32]) {
        self.samples.extend_from_slice(block);
        self.decode_what_is_due(transcriber, block);
        self.forget_decoded();
    }

    fn decode_what_is_due(&mut self, transcriber: &mut Transcriber, block: &[f32]) {
        if self.failed.is_some() {
            return;
        }
        if self.live {
            let t = Instant::now();
            let pushed = transcriber.stt_mut().live_push(block);
            self.stats.stt_ms_while_recording += ms_since(t);
            match pushed {
                Ok(()) => self.live_text = transcriber.stt().live_text(),
                Err(e) => {
                    self.live = false;
                    self.fail(e.into());
                }
            }
            return;
        }
        while (self.probs.len() + 1) * FRAME_SAMPLES <= self.samples_seen() {
            let action = match self.vad_frame(transcriber, false) {
                Ok(action) => action,
                Err(e) => return self.fail(e),
            };
            let (start, end, commit, refresh) = match action {
                StreamAction::Wait => continue,
                StreamAction::Early { start, end } => {
                    if let Err(e) = self.decode_early(transcriber, start, end) {
                        return self.fail(e);
                    }
                    continue;
                }
                StreamAction::Decode { start, end, commit } => {
                    if let Some(decoded) = self.take_early(start, end) {
                        self.keep(start, end, decoded, commit);
                        continue;
                    }
                    (start, end, commit, false)
                }
                StreamAction::Refresh { start, end } => (start, end, false, true),
            };
            self.stats.refreshes += usize::from(refresh);
            // Once the key is up, decodes wait for the release's own decode, which covers them.
            let stoppable = refresh || !self.cheap;
            let result = if stoppable && self.is_released() {
                Err(TranscribeError::Stt(crate::stt::SttError::Stopped))
            } else {
                let t = Instant::now();
                let stop = if stoppable {
                    self.released.clone()
                } else {
                    None
                };
                let kind = if refresh {
                    DecodeKind::Refresh
                } else {
                    DecodeKind::Pause
                };
                let result = self.decode(transcriber, start, end, stop.as_ref(), kind);
                self.stats.stt_ms_while_recording += ms_since(t);
                result
            };
            match result {
                Ok(decoded) => self.keep(start, end, decoded, commit),
                Err(TranscribeError::Stt(crate::stt::SttError::Stopped)) => {
                    self.stats.decodes_stopped += 1;
                    if commit {
                        // Not decoded after all: the release decodes it with the tail.
                        self.undecoded_from.get_or_insert(start);
                    }
                }
                Err(e) => return self.fail(e),
            }
        }
    }

    fn fail(&mut self, error: TranscribeError) {
        tracing::warn!(
            "streaming decode failed ({error}); the whole recording is decoded on release"
        );
        self.failed = Some(error);
    }

    /// Run the VAD on the next frame (zero-padded at the very end).
    fn vad_frame(
        &mut self,
        transcriber: &mut Transcriber,
        last: bool,
    ) -> Result<StreamAction, TranscribeError> {
        let from = self.probs.len() * FRAME_SAMPLES;
        let t = Instant::now();
        let p = if last {
            let mut padded = [0.0f32; FRAME_SAMPLES];
            let rest = self.audio(from, self.samples_seen());
            padded[..rest.len()].copy_from_slice(rest);
            transcriber.vad_mut().speech_probability(&padded)?
        } else {
            transcriber
                .vad_mut()
                .speech_probability(self.audio(from, from + FRAME_SAMPLES))?
        };
        self.vad_ms += ms_since(t);
        self.probs.push(p);
        Ok(self.tracker.push(p))
    }

    fn frame_sample(&self, frame: usize) -> usize {
        (frame * FRAME_SAMPLES).min(self.samples_seen())
    }

    /// Decode frames `start..end`; the vocabulary always primes the decoder.
    fn decode(
        &mut self,
        transcriber: &mut Transcriber,
        start: usize,
        end: usize,
        stop: Option<&crate::stt::StopFlag>,
        kind: DecodeKind,
    ) -> Result<Decoded, TranscribeError> {
        let from = self.frame_sample(start) - self.dropped;
        let audio = &self.samples[from..self.frame_sample(end) - self.dropped];
        let mut speech =
            speech_from_probabilities(&self.probs[start..end], &self.params.vad, audio.len());
        if speech.ranges.is_empty() {
            return Ok(Decoded::default());
        }
        if kind == DecodeKind::Pause {
            speech.unheard_pad = 0;
        }
        self.stats.decodes += 1;
        let previous = if kind == DecodeKind::Release {
            ""
        } else {
            self.committed.text.as_str()
        };
        Ok(transcriber.transcribe_speech(audio, &speech, &self.options, previous, stop)?)
    }

    fn keep(&mut self, start: usize, end: usize, decoded: Decoded, commit: bool) {
        if commit {
            self.stats.committed_segments += 1;
            if self.committed.language.is_none() {
                self.committed.language = decoded.language.clone();
            }
            self.committed.text = join_text(&self.committed.text, &decoded.text);
            if !decoded.text.trim().is_empty() {
                self.committed.closing_confidence = decoded.closing_confidence;
            }
            self.speculative = None;
        } else {
            self.speculative = Some(Speculative {
                start,
                end,
                decoded,
                early: false,
            });
        }
    }

    /// Whether any frame from `start` to `end` is voiced. A decode is reused only when not one
    /// is: a last word shorter than the VAD's shortest speech is no segment, but it is a word.
    fn voiced_between(&self, start: usize, end: usize) -> bool {
        let threshold = self.params.vad.threshold;
        self.probs[start.min(end)..end]
            .iter()
            .any(|&p| p >= threshold)
    }
}
