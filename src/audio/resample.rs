//! Downmix to mono and resample to 16 kHz with rubato's FFT resampler.
//!
//! The converter is streaming: it is fed blocks of any size as they arrive from a device
//! and emits 16 kHz samples with the resampler's delay already removed, so the output lines
//! up with the input sample for sample (a tone keeps its frequency, speech its timing).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::SAMPLE_RATE;

/// Input frames per resampler call: ~21 ms at 48 kHz, small enough for live capture.
const CHUNK_FRAMES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    #[error("unsupported input format: {rate} Hz, {channels} channel(s)")]
    UnsupportedFormat { rate: u32, channels: u16 },
    #[error("resampler failed: {0}")]
    Rubato(String),
}

/// Streaming interleaved-any-rate → mono-16-kHz converter.
pub struct ToMono16k {
    channels: usize,
    resampler: Option<Fft<f32>>,
    /// Mono input waiting for a full resampler chunk.
    pending: Vec<f32>,
    out_buf: Vec<f32>,
    /// Output frames still to drop at the start (the resampler's delay).
    delay_left: usize,
    input_frames: u64,
    output_frames: u64,
    ratio: f64,
}

impl ToMono16k {
    pub fn new(input_rate: u32, channels: u16) -> Result<Self, ResampleError> {
        if input_rate == 0 || channels == 0 {
            return Err(ResampleError::UnsupportedFormat {
                rate: input_rate,
                channels,
            });
        }
        let resampler = if input_rate == SAMPLE_RATE {
            None
        } else {
            Some(
                Fft::<f32>::new(
                    input_rate as usize,
                    SAMPLE_RATE as usize,
                    CHUNK_FRAMES,
                    1,
                    FixedSync::Input,
                )
                .map_err(|e| ResampleError::Rubato(e.to_string()))?,
            )
        };
        let (out_len, delay) = resampler
            .as_ref()
            .map(|r| (r.output_frames_max(), r.output_delay()))
            .unwrap_or((0, 0));
        Ok(Self {
            channels: channels as usize,
            resampler,
            pending: Vec::with_capacity(CHUNK_FRAMES * 2),
            out_buf: vec![0.0; out_len],
            delay_left: delay,
            input_frames: 0,
            output_frames: 0,
            ratio: f64::from(SAMPLE_RATE) / f64::from(input_rate),
        })
    }

    /// Convert one block of interleaved samples, appending 16 kHz mono to `out`.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let frames = interleaved.len() / self.channels;
        self.input_frames += frames as u64;
        if self.resampler.is_none() {
            let before = out.len();
            downmix_into(interleaved, self.channels, out);
            self.output_frames += (out.len() - before) as u64;
            return Ok(());
        }
        downmix_into(interleaved, self.channels, &mut self.pending);
        self.drain_full_chunks(out)
    }

    /// Flush what is buffered; the output then holds exactly `input × 16000 / rate` samples.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let expected = (self.input_frames as f64 * self.ratio).round() as u64;
        if self.resampler.is_none() {
            return Ok(());
        }
        while self.output_frames < expected {
            let partial = self.pending.len().min(CHUNK_FRAMES);
            self.pending.resize(CHUNK_FRAMES, 0.0);
            self.process_chunk(0, Some(partial), out, expected)?;
            self.pending.clear();
        }
        Ok(())
    }

    fn drain_full_chunks(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let mut consumed = 0;
        while self.pending.len() - consumed >= CHUNK_FRAMES {
            self.process_chunk(consumed, None, out, u64::MAX)?;
            consumed += CHUNK_FRAMES;
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Resample `CHUNK_FRAMES` of `pending` from `start`; `partial` marks how many are real
    /// (the rest is treated as silence, for the final flush). Output beyond `limit` is dropped.
    fn process_chunk(
        &mut self,
        start: usize,
        partial: Option<usize>,
        out: &mut Vec<f32>,
        limit: u64,
    ) -> Result<(), ResampleError> {
        let Some(resampler) = self.resampler.as_mut() else {
            return Ok(());
        };
        let rubato_err = |e: &dyn std::fmt::Display| ResampleError::Rubato(e.to_string());
        let input =
            InterleavedSlice::new(&self.pending[start..start + CHUNK_FRAMES], 1, CHUNK_FRAMES)
                .map_err(|e| rubato_err(&e))?;
        let out_frames = self.out_buf.len();
        let mut output = InterleavedSlice::new_mut(&mut self.out_buf, 1, out_frames)
            .map_err(|e| rubato_err(&e))?;
        let indexing = partial.map(|n| Indexing {
            input_offset: 0,
            output_offset: 0,
            partial_len: Some(n),
            active_channels_mask: None,
        });
        let (_, written) = resampler
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .map_err(|e| rubato_err(&e))?;
        self.emit(written, out, limit);
        Ok(())
    }

    fn emit(&mut self, written: usize, out: &mut Vec<f32>, limit: u64) {
        let skip = self.delay_left.min(written);
        self.delay_left -= skip;
        let available = (written - skip) as u64;
        let take = available.min(limit.saturating_sub(self.output_frames)) as usize;
        out.extend_from_slice(&self.out_buf[skip..skip + take]);
        self.output_frames += take as u64;
    }
}

/// Average the channels of interleaved audio into `out`.
pub fn downmix_into(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

/// Convert a whole clip (interleaved, any rate) to 16 kHz mono.
pub fn to_mono_16k(
    interleaved: &[f32],
    rate: u32,
    channels: u16,
) -> Result<Vec<f32>, ResampleError> {
    let mut converter = ToMono16k::new(rate, channels)?;
    let frames = interleaved.len() / channels.max(1) as usize;
    let mut out = Vec::with_capacity((frames as f64 * converter.ratio) as usize + CHUNK_FRAMES);
    converter.push(interleaved, &mut out)?;
    converter.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_length_matches_the_rate_ratio() {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000] {
            let input = vec![0.1f32; rate as usize * 2 + 123];
            let out = to_mono_16k(&input, rate, 1).unwrap();
            let expected =
                ((rate as usize * 2 + 123) as f64 * 16_000.0 / f64::from(rate)).round() as usize;
            assert_eq!(out.len(), expected, "rate {rate}");
        }
    }

    #[test]
    fn streaming_in_odd_blocks_equals_one_shot() {
        let rate = 44_100;
        let input: Vec<f32> = (0..rate * 2).map(|i| ((i as f32) * 0.01).sin()).collect();
        let whole = to_mono_16k(&input, rate as u32, 1).unwrap();
        let mut conv = ToMono16k::new(rate as u32, 1).unwrap();
        let mut out = Vec::new();
        for block in input.chunks(441) {
            conv.push(block, &mut out).unwrap();
        }
        conv.finish(&mut out).unwrap();
        assert_eq!(out.len(), whole.len());
        let max_diff = out
            .iter()
            .zip(&whole)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(max_diff < 1e-4, "max diff {max_diff}");
    }

    #[test]
    fn downmix_averages_channels() {
        let mut out = Vec::new();
        downmix_into(&[1.0, 0.0, 0.5, 0.5], 2, &mut out);
        assert_eq!(out, vec![0.5, 0.5]);
    }

    #[test]
    fn zero_rate_is_an_error() {
        assert!(ToMono16k::new(0, 2).is_err());
    }
}
