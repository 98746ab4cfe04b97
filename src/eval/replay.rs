//! Replaying a golden set through one configuration: every recording dictated through a warm
//! session exactly as the app runs it (push-to-talk, the key released when the recording has
//! played), with that configuration's model, strategy, vocabulary and clean-up.

use std::collections::BTreeMap;

use serde::Serialize;

use super::align::{self, Step};
use super::config::EvalConfig;
use super::golden_set::GoldenSet;
use crate::hotkey::Mode;
use crate::session::loader;
use crate::session::rehearsal::{Rehearsal, RehearsalError};

/// One recording replayed.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub file: String,
    pub reference: String,
    pub text_raw: String,
    pub text_final: String,
    pub wer_raw_percent: f64,
    pub wer_final_percent: f64,
    /// Milliseconds per stage, as the session measured them.
    pub timings: BTreeMap<String, f64>,
    /// Why the raw text was kept although clean-up was on (a guard's or the LLM's code).
    pub cleanup_reason: Option<String>,
    /// Words in the final text that were never said.
    pub invented_words: usize,
    /// The final text against the reference, word by word.
    pub alignment: Vec<Step>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("configuration {name:?}: {reason}")]
    Load { name: String, reason: String },
    #[error("configuration {name:?}: {source}")]
    Session {
        name: String,
        source: RehearsalError,
    },
}

fn percent(reference: &str, text: &str) -> f64 {
    (super::word_error_rate(reference, text) * 1000.0).round() / 10.0
}

/// Replay every item of `set` with `config`; `progress(done, total)` after each. Clean-up
/// problems (LLM down, a reply rejected) are results, not errors: the raw text is kept, as in
/// the app. `warnings` gets what the clean-up set-up had to say.
pub fn replay(
    set: &GoldenSet,
    config: &EvalConfig,
    pace: f64,
    warnings: &mut Vec<String>,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<Replayed>, ReplayError> {
    let mut settings = config.settings.clone();
    settings.mode = Mode::PushToTalk;
    let transcriber = loader::load_transcriber(&settings).map_err(|e| ReplayError::Load {
        name: config.name.clone(),
        reason: format!("{e:#}"),
    })?;
    let cleaner = loader::load_cleaner(&settings, warnings);
    let language = settings.language.clone();
    let mut session = Rehearsal::with(transcriber, cleaner, &settings, pace);
    // A warm app has paid its first-dictation costs long ago: so does the replay, on the
    // shortest recording (not counted).
    let failed = |source| ReplayError::Session {
        name: config.name.clone(),
        source,
    };
    if let Some(shortest) = set.items.iter().min_by_key(|i| i.samples.len()) {
        session.dictate(shortest.samples.clone()).map_err(failed)?;
    }
    let mut results = Vec::with_capacity(set.items.len());
    for (i, item) in set.items.iter().enumerate() {
        // Each recording in its own language where the set says it.
        let wanted = if item.language == "auto" || item.language.is_empty() {
            language.clone()
        } else {
            item.language.clone()
        };
        if wanted != settings.language {
            settings.language = wanted;
            session.apply(&settings);
        }
        let report =
            session
                .dictate(item.samples.clone())
                .map_err(|source| ReplayError::Session {
                    name: config.name.clone(),
                    source,
                })?;
        let alignment = align::align(&item.reference, &report.text);
        results.push(Replayed {
            file: item.file.clone(),
            reference: item.reference.clone(),
            wer_raw_percent: percent(&item.reference, &report.raw_text),
            wer_final_percent: percent(&item.reference, &report.text),
            invented_words: align::counts(&alignment).invented,
            alignment,
            text_raw: report.raw_text,
            text_final: report.text,
            timings: report.timings.into_iter().collect(),
            cleanup_reason: report.cleanup_reason,
            error: report.error,
        });
        progress(i + 1, set.items.len());
    }
    Ok(results)
}
