//! Dictation history in SQLite: every dictation is recorded (with its audio) before any step
//! that can fail, then filled in stage by stage, so nothing said is ever lost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::cleanup::{CleanupOutcome, Used};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dictations (
    id             INTEGER PRIMARY KEY,
    created_ms     INTEGER NOT NULL,
    status         TEXT NOT NULL,
    audio_path     TEXT,
    audio_s        REAL NOT NULL DEFAULT 0,
    model          TEXT,
    language       TEXT,
    raw_text       TEXT,
    cleaned_text   TEXT,
    final_text     TEXT,
    text_used      TEXT,
    cleanup_reason TEXT,
    error          TEXT,
    timings        TEXT NOT NULL DEFAULT '{}',
    pid            INTEGER,
    reference      TEXT,
    golden_ms      INTEGER,
    settings_hash  TEXT,
    cleanup_trace  TEXT,
    target_app     TEXT,
    target_title   TEXT,
    profile        TEXT,
    process_start  TEXT
);
CREATE INDEX IF NOT EXISTS dictations_created ON dictations(created_ms);
";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history database {path}: {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no dictation with id {0}")]
    NotFound(i64),
    #[error(transparent)]
    NoHome(#[from] crate::paths::NoHomeDir),
    #[error("cannot create {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where a dictation got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being recorded: the audio file grows as it is captured.
    Recording,
    /// Audio captured and saved; nothing else yet.
    Recorded,
    /// Text ready (after clean-up, if any); not yet delivered.
    Transcribed,
    /// Delivered to the focused application.
    Delivered,
    /// A stage failed; `error` says which and why.
    Failed,
    /// Cancelled by the user; kept only if audio was worth keeping.
    Cancelled,
    /// The app was killed (or crashed) while recording or transcribing it; its audio is kept.
    Interrupted,
    /// Interrupted, then transcribed at the next start; its text was never typed.
    Recovered,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Recording => "recording",
            Status::Recorded => "recorded",
            Status::Transcribed => "transcribed",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Interrupted => "interrupted",
            Status::Recovered => "recovered",
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "transcribed" => Status::Transcribed,
            "delivered" => Status::Delivered,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            "recording" => Status::Recording,
            "interrupted" => Status::Interrupted,
            "recovered" => Status::Recovered,
            _ => Status::Recorded,
        }
    }
}

/// One dictation as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub created_ms: i64,
    pub status: Status,
    pub audio_path: Option<PathBuf>,
    pub audio_s: f64,
    pub model: Option<String>,
    pub language: Option<String>,
    pub raw_text: Option<String>,
    pub cleaned_text: Option<String>,
    pub final_text: Option<String>,
    /// "raw" or "cleaned".
    pub text_used: Option<String>,
    pub cleanup_reason: Option<String>,
    pub error: Option<String>,
    /// Milliseconds per stage (record, vad, stt, llm, output, ...).
    pub timings: BTreeMap<String, f64>,
    /// What was really said, as the user corrected or confirmed it: the entry is then part of
    /// the golden set (see [`golden`]).
    pub reference: Option<String>,
    /// When it joined the golden set (ms since the epoch).
    pub golden_ms: Option<i64>,
    /// A short hash of the settings the dictation ran with.
    pub settings_hash: Option<String>,
    /// The clean-up request sent and the reply received, when clean-up ran.
    pub cleanup_trace: Option<serde_json::Value>,
    /// The application it went to (class or app id), its window title, and the profile used.
    pub target_app: Option<String>,
    pub target_title: Option<String>,
    pub profile: Option<String>,
}

impl Entry {
    /// The best text there is: final, else raw.
    pub fn text(&self) -> Option<&str> {
        self.final_text.as_deref().or(self.raw_text.as_deref())
    }
}

/// How much history to keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Retention {
    /// Keep at most this many dictations (`None`: no limit).
    pub keep_last: Option<usize>,
    /// Forget dictations older than this (`None`: no limit).
    pub max_age_days: Option<u32>,
    /// Keep the audio of past dictations (off: audio is deleted once the text is delivered).
    pub keep_audio: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_last: Some(1000),
            max_age_days: None,
            keep_audio: true,
        }
    }
}

pub struct History {
    conn: Connection,
    path: PathBuf,
    /// A corrupt database found at opening was kept here.
    set_aside: Option<PathBuf>,
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const COLUMNS: &str = "id, created_ms, status, audio_path, audio_s, model, language, raw_text, \
                       cleaned_text, final_text, text_used, cleanup_reason, error, timings, \
                       reference, golden_ms, settings_hash, cleanup_trace, target_app, \
                       target_title, profile";

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let status: String = row.get(2)?;
    let audio: Option<String> = row.get(3)?;
    let timings: String = row.get(13)?;
    let trace: Option<String> = row.get(17)?;
    Ok(Entry {
        id: row.get(0)?,
        created_ms: row.get(1)?,
        status: Status::parse(&status),
        audio_path: audio.map(PathBuf::from),
        audio_s: row.get(4)?,
        model: row.get(5)?,
        language: row.get(6)?,
        raw_text: row.get(7)?,
        cleaned_text: row.get(8)?,
        final_text: row.get(9)?,
        text_used: row.get(10)?,
        cleanup_reason: row.get(11)?,
        error: row.get(12)?,
        timings: serde_json::from_str(&timings).unwrap_or_default(),
        reference: row.get(14)?,
        golden_ms: row.get(15)?,
        settings_hash: row.get(16)?,
        cleanup_trace: trace.and_then(|t| serde_json::from_str(&t).ok()),
        target_app: row.get(18)?,
        target_title: row.get(19)?,
        profile: row.get(20)?,
    })
}

impl History {
    fn db(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Db {
            path: self.path.clone(),
            source,
        }
    }

    fn changed(&self, id: i64, rows: rusqlite::Result<usize>) -> Result<(), HistoryError> {
        match rows.map_err(|e| self.db(e))? {
            0 => Err(HistoryError::NotFound(id)),
            _ => Ok(()),
        }
    }

    /// Record a captured dictation before anything else happens to it.
    pub fn record(&self, audio_path: Option<&Path>, audio_s: f64) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO dictations (created_ms, status, audio_path, audio_s) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    now_ms(),
                    Status::Recorded.as_str(),
                    audio_path.map(|p| p.display().to_string()),
                    audio_s
                ],
            )
            .map_err(|e| self.db(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The recogniser's text. It is also the final text until a clean-up replaces it.
    pub fn set_transcript(
        &self,
        id: i64,
        raw: &str,
        model: &str,
        language: Option<&str>,
    ) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET raw_text = ?2, final_text = ?2, model = ?3, language = ?4, \
             text_used = 'raw', status = ?5 WHERE id = ?1",
            params![id, raw, model, language, Status::Transcribed.as_str()],
        );
        self.changed(id, rows)
    }

    /// A short hash of the settings the dictation ran with (to tell configurations apart).
    pub fn set_settings_hash(&self, id: i64, hash: &str) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET settings_hash = ?2 WHERE id = ?1",
            params![id, hash],
        );
        self.changed(id, rows)
    }

    /// Which application the dictation went to, and the profile that shaped it.
    pub fn set_target(
        &self,
        id: i64,
        target: &crate::target::Target,
        profile: Option<&str>,
    ) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET target_app = ?2, target_title = ?3, profile = ?4 WHERE id = ?1",
            params![id, target.app, target.title, profile],
        );
        self.changed(id, rows)
    }

    /// Which text clean-up chose and why.
    pub fn set_cleanup(&self, id: i64, outcome: &CleanupOutcome) -> Result<(), HistoryError> {
        let used = match outcome.used {
            Used::Cleaned => "cleaned",
            Used::Raw => "raw",
        };
        let trace = outcome.trace().map(|t| t.to_string());
        let rows = self.conn.execute(
            "UPDATE dictations SET cleaned_text = ?2, final_text = ?3, text_used = ?4, \
             cleanup_reason = ?5, cleanup_trace = COALESCE(?6, cleanup_trace) WHERE id = ?1",
            params![
                id,
                outcome.cleaned,
                outcome.text(),
                used,
                outcome.reason,
                trace
            ],
        );
        self.changed(id, rows)
    }

    pub fn set_status(
        &self,
        id: i64,
        status: Status,
        error: Option<&str>,
    ) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET status = ?2, error = COALESCE(?3, error) WHERE id = ?1",
            params![id, status.as_str(), error],
        );
        self.changed(id, rows)
    }

    /// Add stage durations (merged with those already stored).
    pub fn add_timings(&self, id: i64, stages: &[(&str, f64)]) -> Result<(), HistoryError> {
        let mut entry = self.get(id)?;
        for (stage, ms) in stages {
            entry
                .timings
                .insert((*stage).to_string(), (ms * 100.0).round() / 100.0);
        }
        let json = serde_json::to_string(&entry.timings).unwrap_or_else(|_| "{}".into());
        let rows = self.conn.execute(
            "UPDATE dictations SET timings = ?2 WHERE id = ?1",
            params![id, json],
        );
        self.changed(id, rows)
    }

    pub fn get(&self, id: i64) -> Result<Entry, HistoryError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM dictations WHERE id = ?1"),
                params![id],
                entry_from_row,
            )
            .optional()
            .map_err(|e| self.db(e))?
            .ok_or(HistoryError::NotFound(id))
    }

    /// The newest dictation that has text ("copy last dictation").
    pub fn last_with_text(&self) -> Result<Option<Entry>, HistoryError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM dictations WHERE COALESCE(final_text, raw_text, '') \
                     != '' ORDER BY id DESC LIMIT 1"
                ),
                [],
                entry_from_row,
            )
            .optional()
            .map_err(|e| self.db(e))
    }

    /// Newest first; `query` matches raw or final text (case-insensitive), empty matches all.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Entry>, HistoryError> {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM dictations WHERE ?1 = '%%' \
                 OR raw_text LIKE ?1 ESCAPE '\\' OR final_text LIKE ?1 ESCAPE '\\' \
                 OR reference LIKE ?1 ESCAPE '\\' \
                 ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map(params![pattern, limit as i64], entry_from_row)
            .map_err(|e| self.db(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.db(e))
    }

    /// Delete a dictation and its audio file.
    pub fn delete(&self, id: i64) -> Result<(), HistoryError> {
        let entry = self.get(id)?;
        remove_audio(&entry);
        let rows = self
            .conn
            .execute("DELETE FROM dictations WHERE id = ?1", params![id]);
        self.changed(id, rows)
    }

    /// Apply the retention policy; returns how many dictations were forgotten.
    pub fn prune(&self, retention: &Retention) -> Result<usize, HistoryError> {
        let mut doomed: Vec<Entry> = Vec::new();
        let all = self.search("", usize::MAX / 2)?;
        let cutoff = retention
            .max_age_days
            .map(|days| now_ms() - i64::from(days) * 86_400_000);
        for (index, entry) in all.iter().enumerate() {
            let too_many = retention.keep_last.is_some_and(|n| index >= n);
            let too_old = cutoff.is_some_and(|c| entry.created_ms < c);
            if too_many || too_old {
                doomed.push(entry.clone());
            }
        }
        for entry in &doomed {
            self.delete(entry.id)?;
        }
        if !retention.keep_audio {
            for entry in all.iter().filter(|e| e.status == Status::Delivered) {
                if entry.audio_path.is_some() && !doomed.iter().any(|d| d.id == entry.id) {
                    remove_audio(entry);
                    self.conn
                        .execute(
                            "UPDATE dictations SET audio_path = NULL WHERE id = ?1",
                            params![entry.id],
                        )
                        .map_err(|e| self.db(e))?;
                }
            }
        }
        Ok(doomed.len())
    }
}

fn remove_audio(entry: &Entry) {
    if let Some(path) = &entry.audio_path
        && let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot delete {}: {e}", path.display());
    }
}

pub mod golden;
mod interrupted;
mod open;

#[cfg(test)]
mod tests;
