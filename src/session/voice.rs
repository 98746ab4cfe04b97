//! Was the user still speaking when the key came up? Judged from the level of the captured
//! audio on the session thread (the worker, busy decoding, cannot run its VAD then). Only
//! then can a decode in progress not be the final one, so only then is it given up.

use crate::SAMPLE_RATE;

/// Level windows of 20 ms.
const WINDOW: usize = SAMPLE_RATE as usize / 50;
/// A window this loud relative to the loudest so far is voice.
const VOICE_FRACTION: f32 = 0.25;
/// Quieter than this is never voice (a silent recording has no "loudest").
const VOICE_FLOOR: f32 = 0.005;
/// Voice within this long before the release means the user was still speaking; it is the
/// pause after which the stream decodes (see `StreamParams::pause_ms`).
const RECENT_MS: usize = 320;

#[derive(Debug, Default)]
pub struct RecentVoice {
    samples: usize,
    pending: Vec<f32>,
    loudest: f32,
    last_voice_end: Option<usize>,
}

impl RecentVoice {
    pub fn push(&mut self, block: &[f32]) {
        self.pending.extend_from_slice(block);
        let whole = self.pending.len() / WINDOW * WINDOW;
        for window in self.pending[..whole].chunks_exact(WINDOW) {
            let rms = (window.iter().map(|s| s * s).sum::<f32>() / WINDOW as f32).sqrt();
            self.samples += WINDOW;
            self.loudest = self.loudest.max(rms);
            if rms >= VOICE_FLOOR && rms >= self.loudest * VOICE_FRACTION {
                self.last_voice_end = Some(self.samples);
            }
        }
        self.pending.drain(..whole);
    }

    /// Whether there was voice in the last 320 ms of what was pushed.
    pub fn speaking_at_end(&self) -> bool {
        let recent = RECENT_MS * SAMPLE_RATE as usize / 1000;
        let end = self.samples + self.pending.len();
        self.last_voice_end
            .is_some_and(|v| end.saturating_sub(v) < recent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: usize, amplitude: f32) -> Vec<f32> {
        (0..ms * 16)
            .map(|i| amplitude * (i as f32 * 0.05).sin())
            .collect()
    }

    #[test]
    fn voice_right_before_the_release_counts_a_pause_does_not() {
        let mut v = RecentVoice::default();
        v.push(&tone(500, 0.0));
        v.push(&tone(1000, 0.3));
        assert!(v.speaking_at_end());
        // A quiet syllable after loud speech is still speech...
        v.push(&tone(100, 0.1));
        assert!(v.speaking_at_end());
        // ...but 400 ms of near-silence is a pause, in blocks of any size.
        for _ in 0..20 {
            v.push(&tone(20, 0.001));
        }
        assert!(!v.speaking_at_end());
    }

    #[test]
    fn silence_is_never_speech() {
        let mut v = RecentVoice::default();
        v.push(&tone(2000, 0.001));
        assert!(!v.speaking_at_end());
        assert!(!RecentVoice::default().speaking_at_end());
    }
}
