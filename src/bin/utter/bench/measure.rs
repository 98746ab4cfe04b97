//! The measurements: dictations through a warm session fed by a simulated microphone, the
//! corpus transcribed whole, the VAD's cost, memory and idle CPU.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use utter::eval::corpus::{Clip, Utterance};
use utter::session::rehearsal::{self, Rehearsal};
use utter::settings::{Settings, Strategy};
use utter::stt::AudioContext;
use utter::transcriber::{TranscribeOptions, Transcriber};
use utter::vad::FRAME_SAMPLES;

use super::report::{LatencyRow, RtfRow, percentile, round};

pub fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Batch => "batch",
        Strategy::Streaming => "streaming",
    }
}

/// Word error rate in percent over several dictations, weighted by reference length.
pub fn corpus_wer(pairs: &[(String, String)]) -> f64 {
    round(100.0 * utter::eval::corpus_word_error_rate(pairs))
}

pub fn vad_us_per_frame(transcriber: &mut Transcriber, clips: &[Clip]) -> Result<f64> {
    let audio: Vec<f32> = clips
        .iter()
        .flat_map(|c| c.samples.clone())
        .take(30 * 16_000)
        .collect();
    let vad = transcriber.vad_mut();
    vad.reset();
    let start = Instant::now();
    let mut frames = 0;
    for frame in audio.chunks_exact(FRAME_SAMPLES) {
        vad.speech_probability(frame)?;
        frames += 1;
    }
    Ok(round(
        start.elapsed().as_secs_f64() * 1e6 / f64::from(frames.max(1)),
    ))
}

/// Transcribe each piece of audio whole: (real-time factor over the speech, WER %).
pub fn transcribe_all(
    transcriber: &mut Transcriber,
    options: &TranscribeOptions,
    audio: &[(&[f32], &str)],
) -> Result<(f64, f64)> {
    let (mut stt_s, mut speech_s) = (0.0, 0.0);
    let mut pairs = Vec::new();
    for (samples, reference) in audio {
        let t = transcriber.transcribe(samples, options)?;
        stt_s += t.timings.stt_ms / 1000.0;
        speech_s += t.speech_s;
        pairs.push((reference.to_string(), t.text));
    }
    let rtf = (stt_s / speech_s.max(1e-9) * 1000.0).round() / 1000.0;
    Ok((rtf, corpus_wer(&pairs)))
}

/// Whisper's encoder window: the full 30 s against one scaled to the audio.
pub fn whisper_windows(
    transcriber: &mut Transcriber,
    options: &TranscribeOptions,
    utterances: &[Utterance],
) -> Result<Vec<RtfRow>> {
    let audio: Vec<(&[f32], &str)> = utterances
        .iter()
        .map(|u| (u.samples.as_slice(), u.reference.as_str()))
        .collect();
    [
        (AudioContext::Full, "full"),
        (AudioContext::Scaled, "scaled"),
    ]
    .into_iter()
    .map(|(audio_context, name)| {
        let options = TranscribeOptions {
            audio_context,
            ..options.clone()
        };
        let (rtf, wer_percent) = transcribe_all(transcriber, &options, &audio)?;
        Ok(RtfRow {
            audio_ctx: name,
            rtf,
            wer_percent,
        })
    })
    .collect()
}

/// One warm session, as the app runs it, recording from a simulated microphone.
pub struct SessionBench {
    rehearsal: Rehearsal,
    settings: Settings,
}

impl SessionBench {
    pub fn start(transcriber: Transcriber, settings: Settings) -> SessionBench {
        SessionBench {
            rehearsal: Rehearsal::start(transcriber, &settings),
            settings,
        }
    }

    pub fn measure(
        &mut self,
        size: f64,
        strategy: Strategy,
        utterances: &[Utterance],
    ) -> Result<LatencyRow> {
        self.settings.speed.strategy = strategy;
        self.rehearsal.apply(&self.settings);
        let mut latencies = Vec::new();
        let mut pairs = Vec::new();
        for u in utterances {
            let report = self.rehearsal.dictate(u.samples.clone())?;
            if let Some(error) = &report.error {
                bail!("dictation failed: {error}");
            }
            let ms = rehearsal::timing(&report, "release_to_text")
                .context("no release_to_text timing")?;
            latencies.push(ms);
            tracing::debug!(reference = %u.reference, "{strategy:?}: {}", report.text);
            pairs.push((u.reference.clone(), report.text.clone()));
        }
        Ok(LatencyRow {
            utterance_s: size,
            strategy: strategy_name(strategy),
            p50: round(percentile(&latencies, 50.0)),
            p95: round(percentile(&latencies, 95.0)),
            runs: latencies.len(),
            wer_percent: corpus_wer(&pairs),
        })
    }
}

/// The process's CPU time (user + system) over `window` while the session sits idle.
pub fn idle_cpu_percent(window: Duration) -> f64 {
    let before = cpu_seconds();
    std::thread::sleep(window);
    let after = cpu_seconds();
    match (before, after) {
        (Some(b), Some(a)) => 100.0 * (a - b) / window.as_secs_f64(),
        _ => f64::NAN,
    }
}

fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Ticks are USER_HZ, which is 100 on Linux.
    Some(ticks / 100.0)
}

/// Start a new peak-memory measurement (Linux: writing 5 to clear_refs resets VmHWM).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Resident memory now (VmRSS), in MB.
pub fn current_rss_mb() -> f64 {
    proc_status_mb("VmRSS:")
}

pub fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM:")
}

fn proc_status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
