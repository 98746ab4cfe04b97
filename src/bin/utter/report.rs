//! What `transcribe` and `listen` print: plain text, or one JSON object per result.

use serde::Serialize;
use utter::cleanup::CleanupOutcome;
use utter::transcriber::Transcription;

use crate::cleanup::CleanupReport;

#[derive(Serialize)]
pub struct TimingsMs {
    pub load: f64,
    pub vad: f64,
    pub stt: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<f64>,
    pub total: f64,
}

#[derive(Serialize)]
pub struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<&'a str>,
    /// Where the captured audio was saved (listen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_path: Option<String>,
    /// The dictation's id in the history (listen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_id: Option<i64>,
    pub text: &'a str,
    pub language: Option<&'a str>,
    pub model: &'a str,
    pub audio_s: f64,
    pub speech_s: f64,
    pub timings_ms: TimingsMs,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub cleanup: Option<CleanupReport<'a>>,
}

impl<'a> Report<'a> {
    pub fn new(t: &'a Transcription, model: &'a str, load_ms: f64, total_ms: f64) -> Self {
        Self {
            file: None,
            device: None,
            audio_path: None,
            history_id: None,
            text: &t.text,
            language: t.language.as_deref(),
            model,
            audio_s: round2(t.audio_s),
            speech_s: round2(t.speech_s),
            timings_ms: TimingsMs {
                load: round2(load_ms),
                vad: round2(t.timings.vad_ms),
                stt: round2(t.timings.stt_ms),
                llm: None,
                total: round2(total_ms),
            },
            cleanup: None,
        }
    }

    /// Report the clean-up stage: the text becomes the text it chose.
    pub fn with_cleanup(mut self, outcome: &'a CleanupOutcome) -> Self {
        self.text = outcome.text();
        self.timings_ms.llm = outcome.llm_ms.map(round2);
        self.cleanup = Some(CleanupReport::from(outcome));
        self
    }

    pub fn print(&self, json: bool) {
        if json {
            match serde_json::to_string(self) {
                Ok(line) => println!("{line}"),
                Err(e) => eprintln!("error: cannot encode JSON: {e}"),
            }
        } else {
            println!("{}", self.text);
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
