//! "How fast and how accurate is this model on my machine?": a short set of real English speech
//! built into the app (`models/measure/`, ~30 s, sources and licences in its `clips.tsv`),
//! dictated through a warm session as the app runs it.

use std::io::Cursor;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::hotkey::Mode;
use crate::models::MeasuredHere;
use crate::session::rehearsal::{self, Rehearsal, RehearsalError};
use crate::settings::{Settings, Strategy};
use crate::transcriber::Transcriber;

const MANIFEST: &str = include_str!("../../models/measure/clips.tsv");
const AUDIO: [(&str, &[u8]); 5] = [
    ("jfk.wav", include_bytes!("../../models/measure/jfk.wav")),
    (
        "en_ljspeech_LJ050-0131.wav",
        include_bytes!("../../models/measure/en_ljspeech_LJ050-0131.wav"),
    ),
    (
        "en_librispeech_61-70968-0000.wav",
        include_bytes!("../../models/measure/en_librispeech_61-70968-0000.wav"),
    ),
    (
        "en_harvard_spk1_snt1.wav",
        include_bytes!("../../models/measure/en_harvard_spk1_snt1.wav"),
    ),
    (
        "en_spont_thoughts.wav",
        include_bytes!("../../models/measure/en_spont_thoughts.wav"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error(transparent)]
    Rehearsal(#[from] RehearsalError),
    #[error("a dictation of the built-in set failed: {0}")]
    Dictation(String),
    #[error("the built-in clip {0} is damaged: {1}")]
    Clip(String, String),
}

/// A clip of the built-in set and what is said in it.
pub struct BuiltinClip {
    pub file: &'static str,
    pub reference: String,
    pub samples: Vec<f32>,
}

pub fn builtin_clips() -> Result<Vec<BuiltinClip>, MeasureError> {
    AUDIO
        .iter()
        .map(|&(file, bytes)| {
            let damaged = |e: String| MeasureError::Clip(file.to_string(), e);
            let reference = MANIFEST
                .lines()
                .filter_map(|line| line.split('\t').nth(1).filter(|_| line.starts_with(file)))
                .next()
                .ok_or_else(|| damaged("not in clips.tsv".into()))?
                .to_string();
            let mut reader =
                hound::WavReader::new(Cursor::new(bytes)).map_err(|e| damaged(e.to_string()))?;
            let samples = reader
                .samples::<i16>()
                .map(|s| s.map(|s| f32::from(s) / 32768.0))
                .collect::<Result<Vec<f32>, _>>()
                .map_err(|e| damaged(e.to_string()))?;
            Ok(BuiltinClip {
                file,
                reference,
                samples,
            })
        })
        .collect()
}

/// Dictate the built-in set once through a warm session with `settings`' strategy (English;
/// push-to-talk; no clean-up); `progress(done, total)` after each clip.
pub fn measure(
    transcriber: Transcriber,
    settings: &Settings,
    mut progress: impl FnMut(usize, usize),
) -> Result<MeasuredHere, MeasureError> {
    let clips = builtin_clips()?;
    let mut settings = settings.clone();
    settings.language = "en".into();
    settings.mode = Mode::PushToTalk;
    settings.cleanup.enabled = false;
    let mut session = Rehearsal::start(transcriber, &settings);
    // The first dictation on a fresh session pays one-off costs a warm app has paid already.
    let warm_up = clips
        .iter()
        .min_by_key(|c| c.samples.len())
        .map(|c| c.samples.clone())
        .unwrap_or_default();
    session.dictate(warm_up)?;
    progress(0, clips.len());
    let (mut latencies, mut pairs) = (Vec::new(), Vec::new());
    for (i, clip) in clips.iter().enumerate() {
        let report = session.dictate(clip.samples.clone())?;
        if let Some(error) = report.error.clone() {
            return Err(MeasureError::Dictation(error));
        }
        latencies.push(rehearsal::timing(&report, "release_to_text").unwrap_or(0.0));
        pairs.push((clip.reference.clone(), report.text));
        progress(i + 1, clips.len());
    }
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let one_decimal = |v: f64| (v * 10.0).round() / 10.0;
    Ok(MeasuredHere {
        release_to_text_ms: at(0.5).round(),
        release_to_text_p95_ms: at(0.95).round(),
        wer_percent: one_decimal(100.0 * super::corpus_word_error_rate(&pairs)),
        strategy: match settings.speed.strategy {
            Strategy::Batch => "batch",
            Strategy::Streaming => "streaming",
        }
        .into(),
        threads: crate::session::loader::default_threads(),
        clips: clips.len(),
        speech_seconds: one_decimal(
            clips
                .iter()
                .map(|c| crate::audio::seconds(c.samples.len()))
                .sum(),
        ),
        measured_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_clip_is_16_khz_speech_with_its_reference() {
        let clips = builtin_clips().unwrap();
        assert_eq!(clips.len(), AUDIO.len());
        for clip in &clips {
            let seconds = crate::audio::seconds(clip.samples.len());
            assert!((2.0..12.0).contains(&seconds), "{}: {seconds} s", clip.file);
            assert!(clip.reference.split(' ').count() >= 5, "{}", clip.file);
            let peak = clip.samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!(peak > 0.1, "{}: silent?", clip.file);
        }
    }
}
