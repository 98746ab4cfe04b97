//! Hands-free decodes a pause early, before the end-of-turn model is asked, so the transcript
//! it waits for is ready sooner. When the speaker goes on instead, that decode is wasted and
//! holds up the decoder; the worker running it cannot hear the speech resume (it is busy
//! decoding), but the hands-free listener, hearing the same recording on its own thread, can
//! — and stops it through this watch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use super::{DecodeKind, Speculative, StreamingTranscription, ms_since};
use crate::stt::{StopFlag, SttError};
use crate::transcriber::{Decoded, TranscribeError, Transcriber};

/// Shared by the listener (which reports speech) and the stream (which decodes early).
/// Positions are samples of the current recording (a follow-on counts from its own start).
#[derive(Debug, Clone)]
pub struct ResumeWatch(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// The end of the latest speech the listener heard (long enough to count as going on).
    spoken_through: AtomicUsize,
    /// An early decode of the audio up to here is running (`usize::MAX`: none).
    decoding_through: AtomicUsize,
    stop: StopFlag,
}

impl Default for ResumeWatch {
    fn default() -> Self {
        ResumeWatch(Arc::new(Inner {
            spoken_through: AtomicUsize::new(0),
            decoding_through: AtomicUsize::new(usize::MAX),
            stop: StopFlag::default(),
        }))
    }
}

impl ResumeWatch {
    /// The listener: a recording (or a follow-on) starts; positions count from 0 again.
    pub fn new_recording(&self) {
        self.0.spoken_through.store(0, SeqCst);
    }

    /// The listener: speech goes on through sample `through`. Stops an early decode of audio
    /// that ends before it.
    pub fn heard_speech_through(&self, through: usize) {
        self.0.spoken_through.fetch_max(through, SeqCst);
        if through > self.0.decoding_through.load(SeqCst) {
            self.0.stop.store(true, SeqCst);
        }
    }

    /// The stream: an early decode of the audio up to `through` starts. The flag that stops
    /// it, or None when speech after `through` was heard already (the decode is not worth
    /// starting). Call [`done`](Self::done) after it.
    pub fn start_decoding(&self, through: usize) -> Option<StopFlag> {
        self.0.stop.store(false, SeqCst);
        // Both sides store, then read the other's: at least one sees the other (SeqCst).
        self.0.decoding_through.store(through, SeqCst);
        if self.0.spoken_through.load(SeqCst) > through {
            self.done();
            return None;
        }
        Some(self.0.stop.clone())
    }

    pub fn done(&self) {
        self.0.decoding_through.store(usize::MAX, SeqCst);
    }

    /// The audio (samples) an early decode running now covers.
    pub fn decoding(&self) -> Option<usize> {
        Some(self.0.decoding_through.load(SeqCst)).filter(|&through| through != usize::MAX)
    }
}

/// How a hands-free stream decodes: at the pause the end-of-turn model is asked about, and
/// early in it (given up when the speaker goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListeningDecodes {
    pub pause_ms: u32,
    pub early_pause_ms: Option<u32>,
}

impl StreamingTranscription {
    /// Hands-free: decode at the pause the end-of-turn model is asked about and, with
    /// `resume` telling when the speaker goes on, early in it.
    pub fn listening(mut self, decodes: ListeningDecodes, resume: ResumeWatch) -> Self {
        self.params.early_pause_ms = decodes.early_pause_ms;
        self.resume = Some(resume);
        self.decoding_at_pauses_of(decodes.pause_ms)
    }

    /// A short pause: decode what is pending now, unless the speaker goes on meanwhile (or
    /// the key is already up: the release decodes it).
    pub(super) fn decode_early(
        &mut self,
        transcriber: &mut Transcriber,
        start: usize,
        end: usize,
    ) -> Result<(), TranscribeError> {
        let Some(watch) = self.resume.clone() else {
            return Ok(());
        };
        if self.is_released() {
            return Ok(());
        }
        self.stats.early_decodes += 1;
        let Some(stop) = watch.start_decoding(self.frame_sample(end)) else {
            self.stats.early_stopped += 1;
            return Ok(());
        };
        let t = Instant::now();
        let result = self.decode(transcriber, start, end, Some(&stop), DecodeKind::Pause);
        watch.done();
        self.stats.stt_ms_while_recording += ms_since(t);
        match result {
            Ok(decoded) => {
                self.speculative = Some(Speculative {
                    start,
                    end,
                    decoded,
                    early: true,
                });
                Ok(())
            }
            Err(TranscribeError::Stt(SttError::Stopped)) => {
                self.stats.early_stopped += 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The early decode of this pause, when the silence lasted (not one voiced frame after it
    /// up to `end`: a short word is not speech to the VAD's segments, but it is words): it is
    /// the pause's decode.
    pub(super) fn take_early(&mut self, start: usize, end: usize) -> Option<Decoded> {
        let s = self.speculative.as_ref()?;
        if !s.early || s.start != start || s.end > end || self.voiced_between(s.end, end) {
            return None;
        }
        self.stats.early_used += 1;
        self.speculative.take().map(|s| s.decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn speech_after_the_decoded_audio_stops_the_decode_and_speech_before_it_does_not() {
        let watch = ResumeWatch::default();
        watch.new_recording();
        watch.heard_speech_through(16_000);
        let stop = watch
            .start_decoding(20_000)
            .expect("nothing heard after 20000 yet");
        watch.heard_speech_through(19_000);
        assert!(!stop.load(Relaxed), "speech inside the decoded audio");
        watch.heard_speech_through(22_000);
        assert!(stop.load(Relaxed), "speech after it: the speaker went on");
        watch.done();

        // Already heard going on when the decode would start: it does not.
        assert!(watch.start_decoding(21_000).is_none());
        // No decode running: nothing to stop, and the next one starts unstopped.
        watch.heard_speech_through(30_000);
        let stop = watch.start_decoding(31_000).expect("a later pause");
        assert!(!stop.load(Relaxed));
        // A new recording counts from 0.
        watch.done();
        watch.new_recording();
        assert!(watch.start_decoding(8_000).is_some());
    }
}
