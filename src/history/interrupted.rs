//! Dictations in progress, and those a killed process left behind. A dictation is entered
//! when its recording starts (status `recording`, with the process id and when that process
//! started), so if the process dies, the next start finds it: still `recording` or `recorded`
//! under a process that is gone — or whose id another process has taken since.

use std::path::Path;

use rusqlite::params;

use super::{COLUMNS, Entry, History, HistoryError, Status, entry_from_row, now_ms};

impl History {
    /// A recording starts; its audio is being written to `audio_path`.
    pub fn begin(&self, audio_path: Option<&Path>) -> Result<i64, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO dictations \
                 (created_ms, status, audio_path, audio_s, pid, process_start) \
                 VALUES (?1, ?2, ?3, 0, ?4, ?5)",
                params![
                    now_ms(),
                    Status::Recording.as_str(),
                    audio_path.map(|p| p.display().to_string()),
                    std::process::id(),
                    process_start(std::process::id())
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
            .prepare("SELECT id, pid, process_start FROM dictations WHERE status IN (?1, ?2)")
            .map_err(|e| self.db(e))?;
        let unfinished: Vec<(i64, Option<u32>, Option<String>)> = stmt
            .query_map(
                params![Status::Recording.as_str(), Status::Recorded.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .and_then(Iterator::collect)
            .map_err(|e| self.db(e))?;
        for (id, pid, started) in unfinished {
            if pid.is_none_or(|pid| !process_alive(pid, started.as_deref())) {
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

/// Whether the process that had id `pid` and started at `started` (see [`process_start`])
/// still runs. After a reboot, or once ids wrap around, another process (this one, even) can
/// have the id: its start tells them apart. Without a recorded start (older entries, systems
/// without /proc) a running process with the id counts.
fn process_alive(pid: u32, started: Option<&str>) -> bool {
    match (started, process_start(pid)) {
        (Some(then), Some(now)) => then == now,
        _ => pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists(),
    }
}

/// When process `pid` started, unique across boots: the boot's id and the start time in clock
/// ticks since boot (/proc/PID/stat, field 22). None where there is no such process or no /proc.
pub(super) fn process_start(pid: u32) -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let start_ticks = after_name.split_whitespace().nth(19)?;
    Some(format!("{}:{start_ticks}", boot.trim()))
}
