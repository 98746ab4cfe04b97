//! The CLI's view of the history: record each dictation, and let a broken history database
//! cost a warning, never the dictation.

use std::path::Path;

use utter::cleanup::CleanupOutcome;
use utter::history::{History, Retention, Status};

pub struct Journal {
    history: Option<History>,
    id: Option<i64>,
    retention: Retention,
}

fn warn(e: impl std::fmt::Display) {
    eprintln!("warning: history: {e}");
}

impl Journal {
    pub fn open(retention: Retention) -> Journal {
        let history = History::open_default().map_err(warn).ok();
        Journal {
            history,
            id: None,
            retention,
        }
    }

    pub fn id(&self) -> Option<i64> {
        self.id
    }

    fn with(&self, f: impl FnOnce(&History, i64) -> Result<(), utter::history::HistoryError>) {
        if let (Some(history), Some(id)) = (&self.history, self.id) {
            let _ = f(history, id).map_err(warn);
        }
    }

    pub fn record(&mut self, audio: Option<&Path>, audio_s: f64) {
        if let Some(history) = &self.history {
            self.id = history.record(audio, audio_s).map_err(warn).ok();
        }
    }

    pub fn transcript(&self, text: &str, model: &str, language: Option<&str>) {
        self.with(|h, id| h.set_transcript(id, text, model, language));
    }

    pub fn cleanup(&self, outcome: &CleanupOutcome) {
        self.with(|h, id| h.set_cleanup(id, outcome));
    }

    pub fn timings(&self, stages: &[(&str, f64)]) {
        self.with(|h, id| h.add_timings(id, stages));
    }

    pub fn finish(&self, status: Status, error: Option<&str>) {
        self.with(|h, id| h.set_status(id, status, error));
        if let Some(history) = &self.history {
            let _ = history.prune(&self.retention).map_err(warn);
        }
    }
}
