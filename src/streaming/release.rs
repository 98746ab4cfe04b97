//! The key is up: what is left of the recording is decoded, or a decode made while it was
//! held is taken as it is, and the text of the whole dictation is put together.

use std::time::Instant;

use super::{DecodeKind, StreamStats, StreamingTranscription, ms_since};
use crate::transcriber::{StageTimings, TranscribeError, Transcriber, Transcription, join_text};
use crate::vad::{FRAME_SAMPLES, segments_from_probabilities};

impl StreamingTranscription {
    /// The key is up: `recording` is the whole recording (the stream's blocks are a prefix of
    /// it). Decodes what is left and returns the text of the whole dictation.
    pub fn finish(
        mut self,
        transcriber: &mut Transcriber,
        recording: &[f32],
    ) -> Result<(Transcription, StreamStats), TranscribeError> {
        if recording.len() > self.samples_seen() {
            let missing = recording[self.samples_seen()..].to_vec();
            if self.live {
                // Audio that arrives after the release is part of the wait after it.
                let before = self.stats.stt_ms_while_recording;
                self.push(transcriber, &missing);
                self.stats.stt_ms_after_release += self.stats.stt_ms_while_recording - before;
                self.stats.stt_ms_while_recording = before;
            } else {
                self.samples.extend_from_slice(&missing);
            }
        }
        if let Some(error) = self.failed.take() {
            tracing::debug!("falling back to batch after: {error}");
            let t = transcriber.transcribe(recording, &self.options)?;
            return Ok((t, self.stats));
        }
        if self.live {
            return self.finish_live(transcriber, recording);
        }
        let vad_before = self.vad_ms;
        while self.probs.len() * FRAME_SAMPLES < self.samples_seen() {
            let last = (self.probs.len() + 1) * FRAME_SAMPLES > self.samples_seen();
            // Decisions no longer matter: everything pending is decoded below.
            self.vad_frame(transcriber, last)?;
        }
        self.stats.vad_ms_after_release = self.vad_ms - vad_before;

        let start = self
            .undecoded_from
            .unwrap_or_else(|| self.tracker.pending_start());
        let end = self.probs.len();
        let t = Instant::now();
        let tail = match self.speculative.take() {
            Some(s) if s.start == start && !self.voiced_between(s.end, end) => {
                self.stats.reused_decode = true;
                s.decoded
            }
            _ => self.decode(transcriber, start, end, None, DecodeKind::Release)?,
        };
        self.stats.stt_ms_after_release = ms_since(t);
        let speech =
            segments_from_probabilities(&self.probs, &self.params.vad, self.samples_seen());
        let transcription = Transcription {
            text: join_text(&self.committed.text, &tail.text),
            language: self.committed.language.clone().or(tail.language),
            audio_s: crate::audio::seconds(self.samples_seen()),
            speech_s: crate::audio::seconds(speech.iter().map(|r| r.len()).sum()),
            timings: StageTimings {
                vad_ms: self.vad_ms,
                stt_ms: self.stats.stt_ms_while_recording + self.stats.stt_ms_after_release,
            },
        };
        Ok((transcription, self.stats))
    }

    fn finish_live(
        mut self,
        transcriber: &mut Transcriber,
        recording: &[f32],
    ) -> Result<(Transcription, StreamStats), TranscribeError> {
        let t = Instant::now();
        let stt = transcriber.stt_mut();
        let text = match stt.live_finish() {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(
                    "live recognition failed at the end ({e}); decoding the whole recording"
                );
                return Ok((
                    transcriber.transcribe(recording, &self.options)?,
                    self.stats,
                ));
            }
        };
        self.stats.stt_ms_after_release += ms_since(t);
        let audio_s = crate::audio::seconds(self.samples_seen());
        let transcription = Transcription {
            text,
            language: (!stt.is_multilingual()).then(|| "en".to_string()),
            audio_s,
            speech_s: audio_s,
            timings: StageTimings {
                vad_ms: 0.0,
                stt_ms: self.stats.stt_ms_while_recording + self.stats.stt_ms_after_release,
            },
        };
        Ok((transcription, self.stats))
    }
}
