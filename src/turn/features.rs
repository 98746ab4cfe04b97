//! Smart Turn's input: Whisper's log-mel front end (as `transformers.WhisperFeatureExtractor`
//! with 8 s chunks and `do_normalize`) over the last 8 s of audio.
//!
//! The last 8 s (left-padded with zeros when shorter) are normalised to zero mean and unit
//! variance, reflect-padded by half a window, cut into 400-sample periodic-Hann frames every
//! 160 samples (801 frames), turned into power spectra (400-point FFT), projected onto 80
//! Slaney mel bins, `log10(max(mel, 1e-10))`; the last frame is dropped, everything is clamped
//! to (max − 8) and scaled `(x + 4) / 4`. The spectra are computed in f64, as the reference does.

use realfft::RealFftPlanner;

/// Samples the model hears: 8 s at 16 kHz.
pub const WINDOW_SAMPLES: usize = 8 * crate::SAMPLE_RATE as usize;
pub const N_MELS: usize = 80;
/// Frames the model takes (801 computed, the last dropped).
pub const FRAMES: usize = 800;
const N_FFT: usize = 400;
const HOP: usize = 160;
const MEL_FLOOR: f64 = 1e-10;
const VARIANCE_EPSILON: f32 = 1e-7;

/// The model's `input_features` for `audio` (16 kHz mono): `[N_MELS, FRAMES]`, row-major.
pub fn log_mel(audio: &[f32]) -> Vec<f32> {
    let window = last_window(audio);
    let normalised = normalise(&window);
    let spectra = power_spectra(&normalised);
    let filters = crate::audio::mel::slaney_filterbank(N_FFT, N_MELS);
    let bins = N_FFT / 2 + 1;
    let mut mel = vec![0.0f64; N_MELS * FRAMES];
    for (t, spectrum) in spectra.chunks_exact(bins).take(FRAMES).enumerate() {
        for (m, weights) in filters.chunks_exact(bins).enumerate() {
            let energy: f64 = weights
                .iter()
                .zip(spectrum)
                .map(|(w, p)| f64::from(*w) * p)
                .sum();
            mel[m * FRAMES + t] = energy.max(MEL_FLOOR).log10();
        }
    }
    let ceiling = mel.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    mel.iter()
        .map(|v| ((v.max(ceiling - 8.0) + 4.0) / 4.0) as f32)
        .collect()
}

/// The last 8 s, zeros in front when there is less.
fn last_window(audio: &[f32]) -> Vec<f32> {
    let tail = &audio[audio.len().saturating_sub(WINDOW_SAMPLES)..];
    let mut window = vec![0.0f32; WINDOW_SAMPLES - tail.len()];
    window.extend_from_slice(tail);
    window
}

/// Zero mean, unit (population) variance, in f32 like the reference.
fn normalise(x: &[f32]) -> Vec<f32> {
    let n = x.len() as f64;
    let mean = (x.iter().map(|&v| f64::from(v)).sum::<f64>() / n) as f32;
    let variance = (x.iter().map(|&v| f64::from(v - mean).powi(2)).sum::<f64>() / n) as f32;
    let scale = (variance + VARIANCE_EPSILON).sqrt();
    x.iter().map(|&v| (v - mean) / scale).collect()
}

/// Power spectra of the centred frames (reflect padding), `N_FFT / 2 + 1` values per frame.
fn power_spectra(x: &[f32]) -> Vec<f64> {
    let pad = N_FFT / 2;
    // numpy's "reflect": the edge sample is not repeated.
    let mut padded = Vec::with_capacity(x.len() + 2 * pad);
    padded.extend((1..=pad).rev().map(|i| f64::from(x[i])));
    padded.extend(x.iter().map(|&v| f64::from(v)));
    padded.extend((0..pad).map(|i| f64::from(x[x.len() - 2 - i])));
    let hann: Vec<f64> = (0..N_FFT)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64).cos())
        .collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(N_FFT);
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let frames = 1 + (padded.len() - N_FFT) / HOP;
    let mut spectra = Vec::with_capacity(frames * output.len());
    for t in 0..frames {
        let frame = &padded[t * HOP..t * HOP + N_FFT];
        for ((slot, s), w) in input.iter_mut().zip(frame).zip(&hann) {
            *slot = s * w;
        }
        // The buffers are the plan's own sizes, so this cannot fail.
        if fft.process(&mut input, &mut output).is_err() {
            output.iter_mut().for_each(|c| *c = Default::default());
        }
        spectra.extend(output.iter().map(|c| c.norm_sqr()));
    }
    spectra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_audio_is_padded_in_front_and_long_audio_keeps_its_end() {
        let short = last_window(&[1.0; 10]);
        assert_eq!(short.len(), WINDOW_SAMPLES);
        assert!(short[..WINDOW_SAMPLES - 10].iter().all(|v| *v == 0.0));
        let long: Vec<f32> = (0..WINDOW_SAMPLES + 5).map(|i| i as f32).collect();
        assert_eq!(last_window(&long)[0], 5.0);
    }

    #[test]
    fn the_shape_is_80_by_800() {
        let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let features = log_mel(&tone);
        assert_eq!(features.len(), N_MELS * FRAMES);
        let max = features.iter().copied().fold(f32::MIN, f32::max);
        let min = features.iter().copied().fold(f32::MAX, f32::min);
        assert!(
            (min - (max - 2.0)).abs() < 1e-4,
            "clamped 8 decades below: {min} {max}"
        );
    }
}
