//! Moonshine (Useful Sensors) through ONNX Runtime: an English speech recogniser whose
//! encoder works on the raw audio, so its cost follows the audio's length — a short tail
//! costs tens of milliseconds, which is what makes text-at-release possible on a CPU.

mod files;
mod greedy;
mod layout;
mod network;
mod onnx_wire;
mod prepare;
mod tokenizer;

use std::path::Path;

pub use files::ModelFiles;
pub use network::Dims;
pub use tokenizer::Tokenizer;

use network::Networks;

use super::{Language, SpeechToText, SttError, SttOutput, SttRequest};

/// Longest audio handed to Moonshine in one piece. Longer pieces drift into invented text;
/// measured on the eval corpus (see README, "Moonshine").
pub const MAX_PIECE_SECONDS: f32 = 20.0;

/// Shorter audio is padded with silence to this length (0.5 s).
const MIN_SAMPLES: usize = 8_000;

/// Audio at the start of a decode that identifies "the same speech, extended".
const HINT_MATCH_SAMPLES: usize = 8_000;

pub struct MoonshineEngine {
    nets: Networks,
    tokenizer: Tokenizer,
    name: String,
    /// The last decode: its first samples and tokens, the hint for a decode of the same
    /// speech with more audio after it.
    last: Option<(Vec<f32>, Vec<u32>)>,
    /// What the last decode cost (for the bench and tests).
    pub last_stats: DecodeStats,
    /// Longest piece in seconds ([`MAX_PIECE_SECONDS`]; settable to measure other lengths).
    pub max_piece_seconds: f32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub tokens: usize,
    pub reused: usize,
    pub decoder_runs: usize,
    pub looped: bool,
    pub truncated: bool,
}

impl MoonshineEngine {
    /// Load a model folder; every problem names the file it concerns.
    pub fn load(dir: &Path, name: &str, threads: usize) -> Result<Self, SttError> {
        let files = super::locate_folder(dir, ModelFiles::locate)?;
        let tokenizer =
            Tokenizer::load(&files.tokenizer).map_err(|reason| SttError::ModelInvalid {
                path: files.tokenizer.clone(),
                reason,
            })?;
        let nets = Networks::load(&files.encoder, &files.decoder, threads)
            .map_err(|(path, reason)| SttError::ModelInvalid { path, reason })?;
        if tokenizer.len() > nets.dims.vocab {
            return Err(SttError::ModelInvalid {
                path: files.tokenizer,
                reason: format!(
                    "has {} tokens but the decoder only scores {}: they are not from the same model",
                    tokenizer.len(),
                    nets.dims.vocab
                ),
            });
        }
        Ok(Self {
            nets,
            tokenizer,
            name: name.to_string(),
            last: None,
            last_stats: DecodeStats::default(),
            max_piece_seconds: MAX_PIECE_SECONDS,
        })
    }

    pub fn dims(&self) -> Dims {
        self.nets.dims
    }

    /// The tokens of `audio` (no text post-processing), each with the probability the model
    /// gave it.
    fn decode_tokens(
        &mut self,
        audio: &[f32],
        stop: Option<&super::StopFlag>,
    ) -> Result<(Vec<u32>, Vec<f32>), SttError> {
        // The encoder's strided convolutions need a minimum of audio; pad a blip with silence.
        let audio = &*super::padded_to(audio, MIN_SAMPLES);
        let encoded = self.nets.encode(audio).map_err(SttError::Decode)?;
        if encoded.frames == 0 {
            return Ok(Default::default());
        }
        let head = &audio[..audio.len().min(HINT_MATCH_SAMPLES)];
        let hint: &[u32] = match &self.last {
            Some((last_head, tokens)) if last_head.as_slice() == head => tokens,
            _ => &[],
        };
        let decoded = greedy::decode(
            &mut self.nets,
            &encoded,
            hint,
            super::runaway::token_limit(audio.len()),
            greedy::min_tokens(audio.len()),
            stop,
        )
        .map_err(|e| match e {
            greedy::DecodeError::Failed(e) => SttError::Decode(e),
            greedy::DecodeError::Stopped => SttError::Stopped,
        })?;
        self.last_stats = DecodeStats {
            tokens: decoded.tokens.len(),
            reused: decoded.reused,
            decoder_runs: decoded.steps,
            looped: decoded.looped,
            truncated: decoded.truncated,
        };
        tracing::debug!(
            audio_s = crate::audio::seconds(audio.len()),
            stats = ?self.last_stats,
            "Moonshine decoded"
        );
        self.last = Some((head.to_vec(), decoded.tokens.clone()));
        Ok((decoded.tokens, decoded.probabilities))
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
}

impl SpeechToText for MoonshineEngine {
    fn engine(&self) -> &'static str {
        "moonshine"
    }

    fn model_name(&self) -> &str {
        &self.name
    }

    fn is_multilingual(&self) -> bool {
        false
    }

    fn max_piece_seconds(&self) -> f32 {
        self.max_piece_seconds
    }

    fn cheap_redecode(&self) -> bool {
        true
    }

    fn transcribe(&mut self, audio: &[f32], request: &SttRequest) -> Result<SttOutput, SttError> {
        if request.translate {
            return Err(SttError::EnglishOnly {
                model: self.name.clone(),
                what: "translate".into(),
            });
        }
        if let Language::Code(code) = &request.language
            && code != "en"
        {
            return Err(SttError::EnglishOnly {
                model: self.name.clone(),
                what: format!("transcribe language {code:?}"),
            });
        }
        if audio.is_empty() {
            return Ok(SttOutput {
                text: String::new(),
                language: Some("en".into()),
                closing_confidence: None,
            });
        }
        let (tokens, probabilities) = self.decode_tokens(audio, request.stop.as_ref())?;
        let text = self.tokenizer.decode(&tokens);
        let closing_confidence = tokens
            .last()
            .filter(|&&last| crate::turn::ends_with_closing_mark(&self.tokenizer.decode(&[last])))
            .and(probabilities.last().copied());
        Ok(SttOutput {
            text,
            language: Some("en".into()),
            closing_confidence,
        })
    }
}
