//! Building the warm parts of the pipeline from settings: models, clean-up, history.

use crate::cleanup::{Cleaner, setup};
use crate::history::History;
use crate::models::ModelStore;
use crate::secrets::ApiKeys;
use crate::settings::Settings;
use crate::transcriber::Transcriber;
use crate::vad::SileroVad;

use super::pipeline::Pipeline;

pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8)
}

/// Load VAD + speech model named in the settings (or the default one).
pub fn load_transcriber(settings: &Settings) -> anyhow::Result<Transcriber> {
    let store = ModelStore::open_default()?;
    let model = store.resolve_speech_model(settings.model.as_deref())?;
    let vad = SileroVad::load(&store.resolve_vad()?)?;
    let stt = crate::stt::load_engine(&model, default_threads())?;
    tracing::info!(model = %model.name, engine = ?model.engine, "speech model loaded");
    let mut transcriber = Transcriber::new(vad, stt);
    transcriber.vad_params = settings.vad.clone();
    Ok(transcriber)
}

/// The clean-up stage, or `None` when it is off. Problems are returned as warnings: a broken
/// clean-up configuration must never stop dictation.
pub fn load_cleaner(settings: &Settings, warnings: &mut Vec<String>) -> Option<Cleaner> {
    let prepare = |cleanup, warnings: &mut Vec<String>| match setup::prepare(
        cleanup,
        &ApiKeys::default(),
        false,
    ) {
        Ok(prepared) => {
            warnings.extend(prepared.warnings);
            prepared.cleaner.is_enabled().then_some(prepared.cleaner)
        }
        Err(e) => {
            warnings.push(format!("clean-up is off: {e}"));
            None
        }
    };
    if let Some(cleaner) = prepare(settings.cleanup.clone(), warnings) {
        return Some(cleaner);
    }
    // Off in general but on for some application: ready, off unless a profile says on.
    settings
        .profiles
        .iter()
        .any(|p| p.cleanup == Some(true))
        .then(|| {
            let mut cleanup = settings.cleanup.clone();
            cleanup.enabled = true;
            prepare(cleanup, warnings).map(|c| c.off_unless_asked())
        })
        .flatten()
}

/// Everything the worker needs except the speech model, which the session's worker loads
/// (and reports on) itself. A history database that cannot be opened is a warning.
pub fn load_pipeline_without_models(settings: &Settings, warnings: &mut Vec<String>) -> Pipeline {
    let history = match History::open_default() {
        Ok(h) => {
            warnings.extend(h.set_aside_warning());
            Some(h)
        }
        Err(e) => {
            warnings.push(format!("history is off: {e}"));
            None
        }
    };
    let recordings_dir = crate::paths::recordings_dir().ok();
    Pipeline {
        transcriber: None,
        cleaner: load_cleaner(settings, warnings),
        output: Box::new(crate::output::Output::default()),
        history,
        recordings_dir,
    }
}
