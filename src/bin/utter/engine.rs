//! Building a warm transcriber from the command line's options.

use std::time::Instant;

use anyhow::{Context, Result};
use utter::models::ModelStore;
use utter::settings::Settings;
use utter::stt::Language;
use utter::transcriber::{TranscribeOptions, Transcriber};
use utter::vad::SileroVad;

use crate::RecognitionArgs;

pub struct LoadedEngine {
    pub transcriber: Transcriber,
    pub options: TranscribeOptions,
    pub load_ms: f64,
}

pub fn load(args: &RecognitionArgs, settings: &Settings) -> Result<LoadedEngine> {
    let start = Instant::now();
    let store = ModelStore::open_default()?;
    let model = store.resolve_speech_model(args.model.as_deref())?;
    let vad_path = store.resolve_vad()?;
    let vad = SileroVad::load(&vad_path)?;
    let threads = args
        .threads
        .unwrap_or_else(utter::session::loader::default_threads);
    let stt = utter::stt::load_engine(&model, threads)
        .with_context(|| format!("loading model {:?}", model.name))?;
    tracing::info!(model = %model.name, path = %model.path.display(), threads, "model loaded");
    Ok(LoadedEngine {
        transcriber: Transcriber::new(vad, stt),
        options: TranscribeOptions {
            language: Language::parse(&args.language),
            translate: args.translate,
            vocabulary: settings
                .vocabulary
                .iter()
                .chain(&args.vocabulary)
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
            audio_context: args.audio_ctx.into(),
        },
        load_ms: start.elapsed().as_secs_f64() * 1000.0,
    })
}
