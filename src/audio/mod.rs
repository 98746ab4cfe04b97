//! Audio in: microphone capture, file decoding, conversion to 16 kHz mono, WAV out.

pub mod capture;
pub mod decode;
pub mod devices;
pub mod mel;
pub mod resample;
pub mod simulated;
pub mod source;
pub mod wav;

pub use capture::{CaptureError, CaptureOptions, Microphone, Recording};
pub use decode::{DecodeError, load_mono_16k};
pub use resample::{ResampleError, ToMono16k, to_mono_16k};
pub use simulated::SimulatedMicrophone;
pub use source::{CaptureSource, CaptureStream, SystemMicrophones};

/// Seconds of audio in `n` samples at 16 kHz.
pub fn seconds(n: usize) -> f64 {
    n as f64 / f64::from(crate::SAMPLE_RATE)
}

/// Cut the silence after the last word down to `keep_ms` (a level 30 dB under the loudest
/// 20 ms marks the end of speech): a key let go that long after the speaker finished.
pub fn trim_trailing_silence(samples: &mut Vec<f32>, keep_ms: u32) {
    const WINDOW: usize = crate::SAMPLE_RATE as usize / 50;
    let rms: Vec<f32> = samples
        .chunks(WINDOW)
        .map(|w| (w.iter().map(|s| s * s).sum::<f32>() / w.len() as f32).sqrt())
        .collect();
    let loudest = rms.iter().copied().fold(0.0f32, f32::max);
    let Some(last) = rms.iter().rposition(|&r| r > loudest * 0.03) else {
        return;
    };
    let end = (last + 1) * WINDOW + keep_ms as usize * crate::SAMPLE_RATE as usize / 1000;
    samples.truncate(end.min(samples.len()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_silence_is_cut_to_what_is_kept() {
        let sr = crate::SAMPLE_RATE as usize;
        let mut audio = vec![0.5f32; sr];
        audio.extend(vec![0.001f32; sr]);
        let mut cut = audio.clone();
        trim_trailing_silence(&mut cut, 0);
        assert_eq!(cut.len(), sr);
        let mut kept = audio.clone();
        trim_trailing_silence(&mut kept, 100);
        assert_eq!(kept.len(), sr + sr / 10);
        let mut silent = vec![0.0f32; sr];
        trim_trailing_silence(&mut silent, 0);
        assert_eq!(silent.len(), sr, "no speech: nothing to cut at");
    }
}
