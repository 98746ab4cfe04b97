//! Figures measured on this machine (`utter models measure`, the settings window's "Measure
//! here"), kept per model in `measured-here.json` in the data folder. The catalog's own figures
//! come from the project's build machine; these are the user's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What one model achieved on the built-in set here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredHere {
    /// Key up → text ready, median over the set, through the session as the app runs it.
    pub release_to_text_ms: f64,
    pub release_to_text_p95_ms: f64,
    pub wer_percent: f64,
    /// The strategy the dictations ran with ("streaming" or "batch").
    pub strategy: String,
    pub threads: usize,
    pub clips: usize,
    pub speech_seconds: f64,
    /// Seconds since the Unix epoch.
    pub measured_at: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    path: PathBuf,
    source: std::io::Error,
}

#[derive(Default, Serialize, Deserialize)]
struct StoredFigures {
    models: BTreeMap<String, MeasuredHere>,
}

pub struct MeasuredHereFile {
    path: PathBuf,
}

impl MeasuredHereFile {
    pub fn at(path: PathBuf) -> MeasuredHereFile {
        MeasuredHereFile { path }
    }

    /// In the data folder; `None` without a home folder.
    pub fn open_default() -> Option<MeasuredHereFile> {
        let dir = crate::paths::data_dir().ok()?;
        Some(MeasuredHereFile::at(dir.join("measured-here.json")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every model's figures. A missing file is none yet; an unreadable one is logged and
    /// treated as none — measuring again writes a good one.
    pub fn load(&self) -> BTreeMap<String, MeasuredHere> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "cannot read measured figures: {e}");
                return BTreeMap::new();
            }
        };
        match serde_json::from_str::<StoredFigures>(&text) {
            Ok(stored) => stored.models,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), "ignoring measured figures: {e}");
                BTreeMap::new()
            }
        }
    }

    /// Keep `figures` for `model`, replacing earlier ones, in one atomic write.
    pub fn store(&self, model: &str, figures: MeasuredHere) -> Result<(), WriteError> {
        let mut stored = StoredFigures {
            models: self.load(),
        };
        stored.models.insert(model.to_string(), figures);
        let write_err = |source| WriteError {
            path: self.path.clone(),
            source,
        };
        let text = serde_json::to_string_pretty(&stored).map_err(|e| write_err(e.into()))?;
        crate::paths::write_atomically(&self.path, text.as_bytes()).map_err(write_err)
    }

    /// Fill in each listed model's figures from here.
    pub fn attach(&self, models: &mut [super::ModelStatus]) {
        let figures = self.load();
        for m in models {
            m.measured_here = figures.get(&m.name).cloned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(ms: f64) -> MeasuredHere {
        MeasuredHere {
            release_to_text_ms: ms,
            release_to_text_p95_ms: ms * 2.0,
            wer_percent: 3.5,
            strategy: "streaming".into(),
            threads: 2,
            clips: 5,
            speech_seconds: 30.0,
            measured_at: 1,
        }
    }

    #[test]
    fn figures_are_kept_per_model_and_replaced_when_measured_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = MeasuredHereFile::at(dir.path().join("data/measured-here.json"));
        assert!(file.load().is_empty());
        file.store("base-q8_0", figures(600.0)).unwrap();
        file.store("moonshine-base-en", figures(200.0)).unwrap();
        file.store("base-q8_0", figures(500.0)).unwrap();
        let loaded = file.load();
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded["base-q8_0"], figures(500.0));
        assert_eq!(loaded["moonshine-base-en"], figures(200.0));
    }

    #[test]
    fn a_damaged_file_counts_as_no_figures_and_is_replaced_by_the_next_measurement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("measured-here.json");
        std::fs::write(&path, "{ not json").unwrap();
        let file = MeasuredHereFile::at(path);
        assert!(file.load().is_empty());
        file.store("tiny.en-q8_0", figures(100.0)).unwrap();
        assert_eq!(file.load()["tiny.en-q8_0"], figures(100.0));
    }
}
