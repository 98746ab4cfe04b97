//! Whisper through whisper.cpp (whisper-rs). The model is loaded once and its decoder state reused.

use std::io::Read;
use std::path::Path;

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::{AudioContext, Language, SpeechToText, SttError, SttOutput, SttRequest, runaway};

/// whisper.cpp refuses input shorter than one second; shorter speech is padded with silence.
const MIN_SAMPLES: usize = crate::SAMPLE_RATE as usize + crate::SAMPLE_RATE as usize / 10;
/// `ggml` magic as stored (little-endian u32 0x67676d6c).
const GGML_MAGIC: [u8; 4] = *b"lmgg";

/// Encoder frames per second of audio (1500 frames = 30 s).
const CTX_FRAMES_PER_SECOND: usize = 50;
/// Extra encoder frames beyond the audio: without a margin the decoder sometimes stops a
/// word early or repeats the last one when the window ends right at the speech.
const CTX_MARGIN_FRAMES: usize = 256;
/// The smallest window used: very short windows make the decoder unreliable.
const CTX_MIN_FRAMES: usize = 384;
/// A repeat of this many words at the end marks a decoder that ran away.
const REPEAT_MIN_WORDS: usize = 4;
/// Past this the scaled window saves too little to be worth the risk: use the full one.
const CTX_FULL_ABOVE: usize = 1200;

/// The `audio_ctx` for `samples` of 16 kHz audio (0 = the model's full window).
pub fn scaled_audio_ctx(samples: usize) -> i32 {
    let frames = samples.div_ceil(crate::SAMPLE_RATE as usize / CTX_FRAMES_PER_SECOND);
    // Rounded up to a multiple of 64 so similar lengths share the same compute graph shape.
    let ctx = (frames + CTX_MARGIN_FRAMES)
        .max(CTX_MIN_FRAMES)
        .div_ceil(64)
        * 64;
    if ctx > CTX_FULL_ABOVE { 0 } else { ctx as i32 }
}

pub struct WhisperEngine {
    // `state` borrows nothing from `ctx` in whisper-rs (both hold an Arc); ctx also names the
    // special tokens.
    ctx: WhisperContext,
    state: WhisperState,
    name: String,
    multilingual: bool,
    threads: i32,
}

/// Check that a file looks like a whisper.cpp ggml model before handing it to C code.
pub fn check_ggml_file(path: &Path) -> Result<(), SttError> {
    let invalid = |reason: String| SttError::ModelInvalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SttError::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(invalid(e.to_string())),
    };
    // Magic + 11 hyper-parameters (i32). whisper.cpp asserts (aborts the process) on some
    // garbage values, so implausible headers are rejected here with a message instead.
    let mut header = [0u8; 48];
    let mut got = 0;
    while got < header.len() {
        match file.read(&mut header[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(invalid(e.to_string())),
        }
    }
    if got >= 4 && header[..4] != GGML_MAGIC {
        return Err(invalid(
            "not a whisper.cpp ggml model (wrong file header); download one with `utter models download`".into(),
        ));
    }
    if got < header.len() {
        return Err(invalid("the file is empty or truncated".into()));
    }
    let field = |i: usize| {
        i32::from_le_bytes([
            header[4 + 4 * i],
            header[5 + 4 * i],
            header[6 + 4 * i],
            header[7 + 4 * i],
        ])
    };
    let (n_vocab, n_audio_ctx, n_audio_layer, n_text_layer, n_mels, ftype) =
        (field(0), field(1), field(4), field(8), field(9), field(10));
    let plausible = (50_000..=52_000).contains(&n_vocab)
        && n_audio_ctx == 1500
        && (1..=64).contains(&n_audio_layer)
        && (1..=64).contains(&n_text_layer)
        && (n_mels == 80 || n_mels == 128)
        && (0..=30).contains(&(ftype % 1000));
    if !plausible {
        return Err(invalid(
            "the model header is corrupt (implausible hyper-parameters); delete the file and download it again".into(),
        ));
    }
    Ok(())
}

impl WhisperEngine {
    /// Load a ggml model. `name` is how it is shown to users; `threads` is the decode thread count.
    pub fn load(path: &Path, name: &str, threads: usize) -> Result<Self, SttError> {
        install_log_hook();
        check_ggml_file(path)?;
        let invalid = |reason: String| SttError::ModelInvalid {
            path: path.to_path_buf(),
            reason,
        };
        let path_str = path
            .to_str()
            .ok_or_else(|| invalid("the path is not valid UTF-8".into()))?;
        let ctx = WhisperContext::new_with_params(path_str, WhisperContextParameters::default()).map_err(|e| {
            invalid(format!(
                "whisper.cpp could not read it ({e}); the file is probably truncated or corrupt — delete it and download it again"
            ))
        })?;
        let state = ctx.create_state().map_err(|e| invalid(e.to_string()))?;
        let multilingual = ctx.is_multilingual();
        Ok(Self {
            ctx,
            state,
            name: name.to_string(),
            multilingual,
            threads: threads.clamp(1, 64) as i32,
        })
    }

    fn params<'a>(&self, request: &'a SttRequest, language: Option<&'a str>) -> FullParams<'a, 'a> {
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.threads);
        params.set_language(language);
        params.set_translate(request.translate);
        params.set_no_context(true);
        params.set_no_timestamps(true);
        params.set_suppress_blank(true);
        params.set_suppress_nst(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        if let Some(prompt) = request.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
            params.set_initial_prompt(prompt);
        }
        params
    }

    /// One whisper.cpp decode with encoder window `audio_ctx` (0 = full): the text.
    fn run(
        &mut self,
        request: &SttRequest,
        language: &str,
        audio_ctx: i32,
        audio: &[f32],
    ) -> Result<Decoded, SttError> {
        let mut params = self.params(request, Some(language));
        if audio_ctx > 0 {
            params.set_audio_ctx(audio_ctx);
        }
        // A decoder can go on past the speech (counting on, repeating) until whisper.cpp's
        // context is full, and then again at each fallback temperature: tens of seconds for
        // a few seconds of audio, worst in a cut window. Capped, a runaway costs a few tokens
        // (and in a cut window the full one decides).
        params.set_max_tokens(runaway::token_limit(audio.len()) as i32);
        if let Some(stop) = &request.stop {
            // whisper.cpp asks between graph nodes, so even the encoder stops within a moment.
            // (whisper-rs's closure-based setter casts its box to the wrong type; this passes
            // the flag itself.)
            // SAFETY: the flag is owned by `request`, which outlives the `full` call below, and
            // the callback only reads it atomically.
            unsafe {
                params.set_abort_callback(Some(abort_when_set));
                params.set_abort_callback_user_data(
                    std::sync::Arc::as_ptr(stop) as *mut std::ffi::c_void
                );
            }
        }
        let stopped = || {
            request
                .stop
                .as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        };
        self.state.full(params, audio).map_err(|e| {
            if stopped() {
                SttError::Stopped
            } else {
                SttError::Decode(e.to_string())
            }
        })?;
        if stopped() {
            // Whatever whisper.cpp returned after the stop may be cut short.
            return Err(SttError::Stopped);
        }
        let mut text = String::new();
        let mut tokens = 0;
        let mut closing_confidence = None;
        let first_special = self.ctx.token_eot();
        for segment in self.state.as_iter() {
            tokens += segment.n_tokens().max(0) as usize;
            let piece = segment
                .to_str_lossy()
                .map_err(|e| SttError::Decode(e.to_string()))?;
            let piece = piece.trim();
            if piece.is_empty() || is_non_speech_annotation(piece) {
                continue;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(piece);
            closing_confidence = closing_token_probability(&segment, first_special);
        }
        Ok(Decoded {
            text,
            tokens,
            closing_confidence,
        })
    }
}

impl SpeechToText for WhisperEngine {
    fn engine(&self) -> &'static str {
        "whisper"
    }

    fn model_name(&self) -> &str {
        &self.name
    }

    fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    fn transcribe(&mut self, audio: &[f32], request: &SttRequest) -> Result<SttOutput, SttError> {
        let language = match &request.language {
            Language::Auto if self.multilingual => "auto".to_string(),
            Language::Auto => "en".to_string(),
            Language::Code(code) => {
                if whisper_rs::get_lang_id(code).is_none() {
                    return Err(SttError::UnknownLanguage(code.clone()));
                }
                if !self.multilingual && code != "en" {
                    return Err(SttError::EnglishOnly {
                        model: self.name.clone(),
                        what: format!("transcribe language {code:?}; choose a multilingual model"),
                    });
                }
                code.clone()
            }
        };
        if request.translate && !self.multilingual {
            return Err(SttError::EnglishOnly {
                model: self.name.clone(),
                what: "translate; choose a multilingual model".into(),
            });
        }
        let audio = &*super::padded_to(audio, MIN_SAMPLES);
        let scaled = match request.audio_context {
            AudioContext::Scaled => scaled_audio_ctx(audio.len()),
            AudioContext::Full => 0,
        };
        let first = self.run(request, &language, scaled, audio)?;
        let (mut text, mut closing_confidence) = (first.text, first.closing_confidence);
        // A window cut to the audio can make the decoder run away (repeat its last sentence,
        // or go on past the speech up to the token cap): then the full window decides.
        if scaled > 0
            && (runaway::repeats_its_end(&text, REPEAT_MIN_WORDS)
                || first.tokens >= runaway::token_limit(audio.len()))
        {
            tracing::debug!(
                scaled,
                "scaled window ran away; decoding with the full window"
            );
            let full = self.run(request, &language, 0, audio)?;
            (text, closing_confidence) = (full.text, full.closing_confidence);
        }
        let detected = if language == "auto" {
            whisper_rs::get_lang_str(self.state.full_lang_id_from_state()).map(str::to_string)
        } else {
            Some(language)
        };
        Ok(SttOutput {
            text,
            language: detected,
            closing_confidence,
        })
    }
}

/// What one whisper.cpp decode produced.
struct Decoded {
    text: String,
    /// Tokens in its segments, to tell a decode that hit the cap.
    tokens: usize,
    closing_confidence: Option<f32>,
}

/// The probability of the segment's last text token when it closes a sentence.
fn closing_token_probability(
    segment: &whisper_rs::WhisperSegment<'_>,
    first_special: whisper_rs::WhisperTokenId,
) -> Option<f32> {
    let last = (0..segment.n_tokens())
        .rev()
        .filter_map(|i| segment.get_token(i))
        .find(|token| token.token_id() < first_special)?;
    let piece = last.to_str_lossy().ok()?;
    crate::turn::ends_with_closing_mark(&piece).then(|| last.token_probability())
}

/// whisper.cpp's abort callback: `flag` is the `AtomicBool` of a [`crate::stt::StopFlag`].
unsafe extern "C" fn abort_when_set(flag: *mut std::ffi::c_void) -> bool {
    // SAFETY: set up in `transcribe` to point at a flag that lives for the whole call.
    unsafe {
        (*(flag as *const std::sync::atomic::AtomicBool)).load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Whisper marks non-speech with bracketed tags ("[BLANK_AUDIO]", "(music)", "[Applause]");
/// none of that is dictation.
fn is_non_speech_annotation(piece: &str) -> bool {
    let bracketed = |open: char, close: char| piece.starts_with(open) && piece.ends_with(close);
    bracketed('[', ']') || bracketed('(', ')') || bracketed('*', '*') || piece == "♪"
}

fn install_log_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Route whisper.cpp's chatter (and ggml's) to `tracing` instead of stderr; whisper.cpp's
    // own through ours, below.
    ONCE.call_once(|| {
        whisper_rs::install_logging_hooks();
        // SAFETY: a plain function that lives as long as the process; no user data.
        unsafe { whisper_rs_sys::whisper_log_set(Some(whisper_log), std::ptr::null_mut()) };
    });
}

/// whisper.cpp's messages, as whisper-rs would route them, except that a decode we stopped
/// (the key came up; hands-free, the speaker went on) is not an error: whisper.cpp says
/// "failed to encode" (or decode) then. A real failure reaches the dictation as an error
/// anyway.
unsafe extern "C" fn whisper_log(
    level: whisper_rs_sys::ggml_log_level,
    text: *const std::ffi::c_char,
    _user_data: *mut std::ffi::c_void,
) {
    if text.is_null() {
        return;
    }
    // SAFETY: whisper.cpp passes a NUL-terminated string valid for the call.
    let text = unsafe { std::ffi::CStr::from_ptr(text) }.to_string_lossy();
    let text = text.trim();
    let stopped = text.ends_with("failed to encode") || text.ends_with("failed to decode");
    match level {
        whisper_rs_sys::ggml_log_level_GGML_LOG_LEVEL_ERROR if !stopped => {
            tracing::error!("{text}")
        }
        whisper_rs_sys::ggml_log_level_GGML_LOG_LEVEL_WARN => tracing::warn!("{text}"),
        whisper_rs_sys::ggml_log_level_GGML_LOG_LEVEL_INFO => tracing::info!("{text}"),
        _ => tracing::debug!("{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_are_recognised() {
        for s in ["[BLANK_AUDIO]", "(music)", "[Applause]", "*coughs*", "♪"] {
            assert!(is_non_speech_annotation(s), "{s}");
        }
        for s in ["Hello.", "I said (quietly) no", "[x] marks the spot"] {
            assert!(!is_non_speech_annotation(s), "{s}");
        }
    }

    #[test]
    fn audio_ctx_follows_the_length_with_a_margin_and_a_floor() {
        let sr = crate::SAMPLE_RATE as usize;
        assert_eq!(
            scaled_audio_ctx(sr) as usize,
            CTX_MIN_FRAMES,
            "short audio gets the floor"
        );
        let ctx = scaled_audio_ctx(11 * sr) as usize;
        assert!(
            ctx >= 550 + CTX_MARGIN_FRAMES && ctx.is_multiple_of(64),
            "{ctx}"
        );
        assert_eq!(
            scaled_audio_ctx(25 * sr),
            0,
            "near 30 s uses the full window"
        );
    }

    #[test]
    fn non_ggml_files_are_rejected_before_whisper_sees_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bin");
        std::fs::write(&path, b"<html>404 Not Found</html>").unwrap();
        let err = check_ggml_file(&path).unwrap_err().to_string();
        assert!(err.contains("not a whisper.cpp ggml model"), "{err}");
        std::fs::write(&path, b"").unwrap();
        assert!(
            check_ggml_file(&path)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let missing = dir.path().join("nope.bin");
        assert!(matches!(
            check_ggml_file(&missing),
            Err(SttError::ModelMissing { .. })
        ));
    }
}
