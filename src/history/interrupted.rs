//! Dictations in progress, and those a killed process left behind. A dictation is entered
//! when its recording starts (status `recording`, with the process id), so if the process
//! dies, the next start finds it: still `recording` or `recorded` under a process that is gone.

use std::path::Path;

use rusqlite::params;

use super::{COLUMNS, Entry, History, HistoryError, Status, entry_from_row, now_ms};

impl History {
    /// A recording starts; its audio is being written to `audio_path`.
    pub fn begin(&self, audio_path: Option<&Path>) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO dictations (created_ms, status, audio_path, audio_s, pid) \
                 VALUES (?1, ?2, ?3, 0, ?4)",
                params![
                    now_ms(),
                    Status::Recording.as_str(),
                    audio_path.map(|p| p.display().to_string()),
                    std::process::id()
                ],
            )
            .map_err(|e| self.db(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The recording ended: its audio (None: not saved, `error` says why) and length.
    pub fn recorded(
        &self,
        id: i64,
        audio_path: Option<&Path>,
        audio_s: f64,
        error: Option<&str>,
    ) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET status = ?2, audio_path = ?3, audio_s = ?4, \
             error = COALESCE(?5, error) WHERE id = ?1",
            params![
                id,
                Status::Recorded.as_str(),
                audio_path.map(|p| p.display().to_string()),
                audio_s,
                error
            ],
        );
        self.changed(id, rows)
    }

    /// Mark the dictations whose process died while recording or transcribing them as
    /// interrupted, and return every interrupted dictation not yet recovered (oldest first).
    pub fn interrupted(&self) -> Result<Vec<Entry>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, pid FROM dictations WHERE status IN (?1, ?2)")
            .map_err(|e| self.db(e))?;
        let unfinished: Vec<(i64, Option<u32>)> = stmt
            .query_map(
                params![Status::Recording.as_str(), Status::Recorded.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.db(e))?;
        for (id, pid) in unfinished {
            if pid.is_none_or(|pid| !process_alive(pid)) {
                self.set_status(id, Status::Interrupted, None)?;
            }
        }
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM dictations WHERE status = ?1 ORDER BY id"
            ))
            .map_err(|e| self.db(e))?;
        stmt.query_map(params![Status::Interrupted.as_str()], entry_from_row)
            .and_then(Iterator::collect)
            .map_err(|e| self.db(e))
    }

    /// An interrupted dictation's audio was read again (`audio_s` long).
    pub fn set_audio_length(&self, id: i64, audio_s: f64) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET audio_s = ?2 WHERE id = ?1",
            params![id, audio_s],
        );
        self.changed(id, rows)
    }
}

/// Whether process `pid` still runs (this one always does). A process that is gone and a pid
/// taken over since cannot be told apart; the second keeps the dictation waiting until it ends.
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}
