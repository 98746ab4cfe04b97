//! NeMo's log-mel front end (AudioToMelSpectrogramPreprocessor at inference), in Rust.
//!
//! 16 kHz audio, pre-emphasis 0.97, 25 ms Hann window (400 samples) every 10 ms, 512-point
//! FFT, power spectrum, Slaney mel filterbank (0–8 kHz), `ln(mel + 2^-24)`. Frames are
//! centred like NeMo's (`center=True`, zero padding): frame `i` covers samples
//! `[160 i - 200, 160 i + 200)` and a signal of `n` samples has `1 + n / 160` frames.
//!
//! The extractor is incremental: feeding the audio in any pieces gives exactly the frames of
//! feeding it at once, which streaming recognition relies on.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

const N_FFT: usize = 512;
const WIN: usize = 400;
pub const HOP: usize = 160;
const PREEMPHASIS: f32 = 0.97;
/// NeMo's `log_zero_guard_value` (2^-24), added before the log.
pub const LOG_GUARD: f32 = 5.960_464_5e-8;
/// Added to the standard deviation in per-feature normalisation (NeMo's CONSTANT).
const NORM_EPSILON: f32 = 1e-5;

/// Log-mel frames, one row of `n_mels` values per 10 ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    pub n_mels: usize,
    /// Row-major: frame 0's `n_mels` values, then frame 1's, ...
    pub data: Vec<f32>,
}

impl Features {
    pub fn frames(&self) -> usize {
        self.data.len() / self.n_mels.max(1)
    }

    /// `[n_mels, frames]`, the layout NeMo encoders take.
    pub fn channels_first(&self) -> Vec<f32> {
        transpose(&self.data, self.frames(), self.n_mels)
    }

    /// NeMo's `per_feature` normalisation: each mel bin to zero mean and unit (sample)
    /// standard deviation over the utterance.
    pub fn normalize_per_feature(&mut self) {
        let frames = self.frames();
        if frames == 0 {
            return;
        }
        for bin in 0..self.n_mels {
            let column = || self.data.iter().skip(bin).step_by(self.n_mels);
            let mean = column().map(|&v| f64::from(v)).sum::<f64>() / frames as f64;
            let var = column()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / (frames.max(2) - 1) as f64;
            let std = var.sqrt() as f32 + NORM_EPSILON;
            for v in self.data.iter_mut().skip(bin).step_by(self.n_mels) {
                *v = (*v - mean as f32) / std;
            }
        }
    }
}

pub fn transpose(data: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = data[r * cols + c];
        }
    }
    out
}

/// Incremental log-mel extractor.
pub struct LogMel {
    n_mels: usize,
    /// `n_mels` rows of `N_FFT / 2 + 1` weights.
    filters: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    fft_in: Vec<f32>,
    fft_out: Vec<realfft::num_complex::Complex<f32>>,
    power: Vec<f32>,
    /// Pre-emphasised samples, starting at padded position `buffer_start`
    /// (padded position = sample index + WIN / 2).
    buffer: Vec<f32>,
    buffer_start: usize,
    previous_sample: Option<f32>,
    samples_seen: usize,
    frames_done: usize,
}

impl LogMel {
    pub fn new(n_mels: usize) -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT);
        let fft_out = fft.make_output_vec();
        // Symmetric Hann (torch.hann_window(periodic=False)), as NeMo uses.
        let window = (0..WIN)
            .map(|i| {
                let x = 2.0 * std::f64::consts::PI * i as f64 / (WIN - 1) as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let mut extractor = Self {
            n_mels,
            filters: crate::audio::mel::slaney_filterbank(N_FFT, n_mels),
            window,
            fft_in: vec![0.0; N_FFT],
            fft_out,
            fft,
            power: vec![0.0; N_FFT / 2 + 1],
            buffer: Vec::new(),
            buffer_start: 0,
            previous_sample: None,
            samples_seen: 0,
            frames_done: 0,
        };
        extractor.reset();
        extractor
    }

    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// Start a new signal.
    pub fn reset(&mut self) {
        // The centred first frame starts WIN / 2 samples before the signal: zeros.
        self.buffer.clear();
        self.buffer.resize(WIN / 2, 0.0);
        self.buffer_start = 0;
        self.previous_sample = None;
        self.samples_seen = 0;
        self.frames_done = 0;
    }

    /// The whole signal at once.
    pub fn compute(&mut self, samples: &[f32]) -> Features {
        self.reset();
        let mut data = Vec::new();
        self.accept(samples, &mut data);
        self.finish(&mut data);
        Features {
            n_mels: self.n_mels,
            data,
        }
    }

    /// Add samples; appends every frame whose window is now complete to `out`.
    pub fn accept(&mut self, samples: &[f32], out: &mut Vec<f32>) {
        self.buffer.reserve(samples.len());
        for &s in samples {
            let emphasized = match self.previous_sample {
                Some(prev) => s - PREEMPHASIS * prev,
                None => s,
            };
            self.previous_sample = Some(s);
            self.buffer.push(emphasized);
        }
        self.samples_seen += samples.len();
        let available = self.buffer_start + self.buffer.len();
        while self.frames_done * HOP + WIN <= available && self.frames_done < self.total_frames() {
            self.emit_frame(out);
        }
        self.drop_consumed();
    }

    /// The signal has ended: appends the remaining frames (zero padded) to `out`.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let needed = (self.total_frames().saturating_sub(1)) * HOP + WIN;
        let available = self.buffer_start + self.buffer.len();
        if needed > available {
            self.buffer
                .resize(self.buffer.len() + needed - available, 0.0);
        }
        while self.frames_done < self.total_frames() {
            self.emit_frame(out);
        }
        self.drop_consumed();
    }

    /// Frames a signal of the samples seen so far has in all.
    fn total_frames(&self) -> usize {
        1 + self.samples_seen / HOP
    }

    fn emit_frame(&mut self, out: &mut Vec<f32>) {
        let start = self.frames_done * HOP - self.buffer_start;
        let frame = &self.buffer[start..start + WIN];
        // The rest of the 512-point input stays zero; the frame's position inside it only
        // changes the phase, not the power spectrum.
        for ((dst, &x), &w) in self.fft_in.iter_mut().zip(frame).zip(&self.window) {
            *dst = x * w;
        }
        self.fft_in[WIN..].fill(0.0);
        // Lengths match the plan, so this cannot fail.
        let _ = self.fft.process(&mut self.fft_in, &mut self.fft_out);
        for (p, c) in self.power.iter_mut().zip(&self.fft_out) {
            *p = c.norm_sqr();
        }
        let bins = self.power.len();
        for m in 0..self.n_mels {
            let row = &self.filters[m * bins..(m + 1) * bins];
            let energy: f32 = row.iter().zip(&self.power).map(|(w, p)| w * p).sum();
            out.push((energy + LOG_GUARD).ln());
        }
        self.frames_done += 1;
    }

    fn drop_consumed(&mut self) {
        let keep_from = self.frames_done * HOP;
        if keep_from > self.buffer_start {
            let drop = (keep_from - self.buffer_start).min(self.buffer.len());
            self.buffer.drain(..drop);
            self.buffer_start += drop;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (i as f32 * 0.05).sin() * 0.3 + ((i * 7919) % 13) as f32 * 0.001)
            .collect()
    }

    #[test]
    fn frame_count_follows_nemo() {
        let mut mel = LogMel::new(80);
        for n in [0, 1, 159, 160, 161, 16_000, 16_123] {
            assert_eq!(mel.compute(&tone(n)).frames(), 1 + n / HOP, "{n} samples");
        }
    }

    #[test]
    fn pieces_give_the_same_frames_as_the_whole() {
        let signal = tone(16_000 + 77);
        let mut mel = LogMel::new(128);
        let whole = mel.compute(&signal);
        for piece in [1usize, 17, 160, 399, 1000, 4096] {
            mel.reset();
            let mut data = Vec::new();
            for chunk in signal.chunks(piece) {
                mel.accept(chunk, &mut data);
            }
            mel.finish(&mut data);
            assert_eq!(data, whole.data, "piece size {piece}");
        }
    }

    #[test]
    fn per_feature_normalisation_gives_zero_mean_unit_std() {
        let mut features = LogMel::new(80).compute(&tone(8000));
        features.normalize_per_feature();
        let frames = features.frames();
        for bin in [0, 40, 79] {
            let col: Vec<f32> = features
                .data
                .iter()
                .skip(bin)
                .step_by(80)
                .copied()
                .collect();
            let mean = col.iter().sum::<f32>() / frames as f32;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / (frames - 1) as f32;
            assert!(mean.abs() < 1e-4, "bin {bin} mean {mean}");
            assert!(
                (var.sqrt() - 1.0).abs() < 1e-3,
                "bin {bin} std {}",
                var.sqrt()
            );
        }
    }
}
