//! Speech-to-text engines behind one trait, so Whisper, Moonshine and the NVIDIA transducers are
//! interchangeable.

pub mod moonshine;
pub mod nemo;
pub mod runaway;
mod whisper;

pub use moonshine::MoonshineEngine;
pub use nemo::NemoEngine;
pub use whisper::{WhisperEngine, check_ggml_file, scaled_audio_ctx};

use std::fmt;

/// Language of the speech: detected, or given as an ISO 639-1 code ("en", "de", ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Auto,
    Code(String),
}

impl Language {
    /// Parse "auto" or a language code; the engine validates the code against what it knows.
    pub fn parse(s: &str) -> Self {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s == "auto" {
            Language::Auto
        } else {
            Language::Code(s)
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Language::Auto => f.write_str("auto"),
            Language::Code(c) => f.write_str(c),
        }
    }
}

/// How much of Whisper's 30 s encoder window to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioContext {
    /// Always the whole 30 s window (what Whisper was trained on; slowest).
    Full,
    /// Scaled to the audio's length with a margin: the encoder cost follows the audio.
    #[default]
    Scaled,
}

/// Set from another thread to ask a decode in progress to give up (the key came up and its
/// result would come too late to be useful).
pub type StopFlag = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// What to decode and how.
#[derive(Debug, Clone, Default)]
pub struct SttRequest {
    pub language: Language,
    /// Translate to English instead of transcribing (multilingual models only).
    pub translate: bool,
    /// Text the model is primed with: custom vocabulary, or the text before this segment.
    pub prompt: Option<String>,
    pub audio_context: AudioContext,
    /// Engines that can stop early check this between steps and return [`SttError::Stopped`].
    pub stop: Option<StopFlag>,
}

/// Decoded text of one piece of audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SttOutput {
    pub text: String,
    /// The language the engine transcribed in (detected or requested).
    pub language: Option<String>,
    /// The probability the engine gave the mark that closes the text (". ! ?"), when the text
    /// ends with one and the engine tells: how sure it is that the speech ended a sentence
    /// there (hands-free reads it; see `turn::reads_finished`).
    pub closing_confidence: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SttError {
    #[error("model file {path} not found")]
    ModelMissing { path: std::path::PathBuf },
    #[error("cannot load model {path}: {reason}")]
    ModelInvalid {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("unknown language {0:?} (use \"auto\" or an ISO 639-1 code such as \"en\" or \"de\")")]
    UnknownLanguage(String),
    #[error("model {model} is English-only; it cannot {what}")]
    EnglishOnly { model: String, what: String },
    #[error("speech recognition failed: {0}")]
    Decode(String),
    #[error("the decode was stopped because its result is no longer needed")]
    Stopped,
}

/// A loaded speech-to-text model, kept warm between calls.
pub trait SpeechToText: Send {
    /// Engine family, e.g. "whisper".
    fn engine(&self) -> &'static str;
    /// Model name as shown to users, e.g. "base-q8_0".
    fn model_name(&self) -> &str;
    fn is_multilingual(&self) -> bool;
    /// Transcribe 16 kHz mono audio that is known to contain speech.
    fn transcribe(&mut self, audio: &[f32], request: &SttRequest) -> Result<SttOutput, SttError>;

    /// Longest piece of audio the engine transcribes well in one call; longer speech is cut
    /// (at pauses, else at the quietest point) into pieces no longer than this.
    fn max_piece_seconds(&self) -> f32 {
        28.0
    }

    /// Whether decoding the same speech again with more audio is cheap (the cost follows the
    /// audio's length): then the text is refreshed while the user speaks, not only at pauses.
    fn cheap_redecode(&self) -> bool {
        false
    }

    /// Streaming engines (Nemotron) recognise a recording while it is being made. Starts a
    /// live recognition; `false` when the engine cannot stream.
    fn live_start(&mut self) -> Result<bool, SttError> {
        Ok(false)
    }

    /// More audio of the live recording.
    fn live_push(&mut self, _samples: &[f32]) -> Result<(), SttError> {
        Ok(())
    }

    /// The live recording's text so far.
    fn live_text(&self) -> String {
        String::new()
    }

    /// The live recording has ended: its final text.
    fn live_finish(&mut self) -> Result<String, SttError> {
        Err(SttError::Decode("no live recognition in progress".into()))
    }
}

/// `audio`, padded with silence to at least `min` samples (engines that cannot take less).
pub(crate) fn padded_to(audio: &[f32], min: usize) -> std::borrow::Cow<'_, [f32]> {
    if audio.len() >= min {
        return std::borrow::Cow::Borrowed(audio);
    }
    let mut padded = audio.to_vec();
    padded.resize(min, 0.0);
    std::borrow::Cow::Owned(padded)
}

/// The files of a model folder, found by `locate`: a folder that is not there is
/// [`SttError::ModelMissing`], one that does not hold a model is [`SttError::ModelInvalid`].
pub(crate) fn locate_folder<T>(
    dir: &std::path::Path,
    locate: impl FnOnce(&std::path::Path) -> Result<T, String>,
) -> Result<T, SttError> {
    locate(dir).map_err(|reason| {
        if dir.exists() {
            SttError::ModelInvalid {
                path: dir.to_path_buf(),
                reason,
            }
        } else {
            SttError::ModelMissing {
                path: dir.to_path_buf(),
            }
        }
    })
}

/// Load the engine a resolved model needs: Whisper for ggml files, the NeMo transducer engine
/// for Parakeet/Nemotron folders.
pub fn load_engine(
    model: &crate::models::ResolvedModel,
    threads: usize,
) -> Result<Box<dyn SpeechToText>, SttError> {
    use crate::models::Engine;
    match model.engine {
        Engine::Whisper => Ok(Box::new(WhisperEngine::load(
            &model.path,
            &model.name,
            threads,
        )?)),
        Engine::Parakeet | Engine::Nemotron => Ok(Box::new(NemoEngine::load(
            &model.path,
            &model.name,
            threads,
        )?)),
        Engine::Moonshine => Ok(Box::new(MoonshineEngine::load(
            &model.path,
            &model.name,
            threads,
        )?)),
        Engine::SileroVad => Err(SttError::ModelInvalid {
            path: model.path.clone(),
            reason: "this is the voice-activity model, not a speech-to-text model".into(),
        }),
        Engine::SmartTurn => Err(SttError::ModelInvalid {
            path: model.path.clone(),
            reason: "this is the end-of-turn model, not a speech-to-text model".into(),
        }),
    }
}
