//! Opening the history database: schema, upgrades, and a corrupt file set aside (like the
//! settings) so that dictation goes on with a new one.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode};

use super::{History, HistoryError, SCHEMA};

impl History {
    /// `<data dir>/history.sqlite3`.
    pub fn open_default() -> Result<History, HistoryError> {
        let dir = crate::paths::data_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| HistoryError::Dir {
            path: dir.clone(),
            source,
        })?;
        History::open(&dir.join("history.sqlite3"))
    }

    /// Open (or create) the database at `path`. A file that is not a database, or fails
    /// SQLite's integrity check, is renamed to `<path>.corrupt-<unix time>` and a new one is
    /// started; [`set_aside`](Self::set_aside) says where the old one went.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let db = |source| HistoryError::Db {
            path: path.to_path_buf(),
            source,
        };
        match connect(path, Check::Integrity) {
            Ok(conn) => Ok(History {
                conn,
                path: path.to_path_buf(),
                set_aside: None,
            }),
            Err(e) if is_corruption(&e) => {
                let aside = set_aside(path).map_err(|source| HistoryError::Dir {
                    path: path.to_path_buf(),
                    source,
                })?;
                tracing::warn!(
                    "the history database {} could not be read ({e}); it was kept as {} and a \
                     new one started",
                    path.display(),
                    aside.display()
                );
                Ok(History {
                    conn: connect(path, Check::Integrity).map_err(db)?,
                    path: path.to_path_buf(),
                    set_aside: Some(aside),
                })
            }
            Err(e) => Err(db(e)),
        }
    }

    /// Another connection to the same database (for another thread); the file was checked
    /// when this one was opened.
    pub fn reopen(&self) -> Result<History, HistoryError> {
        let conn = connect(&self.path, Check::Skip).map_err(|source| HistoryError::Db {
            path: self.path.clone(),
            source,
        })?;
        Ok(History {
            conn,
            path: self.path.clone(),
            set_aside: None,
        })
    }

    /// Where a corrupt database found at opening was kept, if one was.
    pub fn set_aside(&self) -> Option<&Path> {
        self.set_aside.as_deref()
    }

    /// What to tell the user about [`set_aside`](Self::set_aside).
    pub fn set_aside_warning(&self) -> Option<String> {
        self.set_aside().map(|aside| {
            format!(
                "the dictation history could not be read; it was kept as {} and a new history \
                 started",
                aside.display()
            )
        })
    }
}

/// Whether opening runs SQLite's integrity check.
#[derive(PartialEq)]
enum Check {
    Integrity,
    Skip,
}

fn connect(path: &Path, check: Check) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    if check == Check::Skip {
        return Ok(conn);
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        ));
    }
    conn.execute_batch(SCHEMA)?;
    upgrade(&conn)?;
    Ok(conn)
}

/// Columns added since the first release, with their types.
const ADDED_COLUMNS: [(&str, &str); 9] = [
    ("pid", "INTEGER"),
    ("reference", "TEXT"),
    ("golden_ms", "INTEGER"),
    ("settings_hash", "TEXT"),
    ("cleanup_trace", "TEXT"),
    ("target_app", "TEXT"),
    ("target_title", "TEXT"),
    ("profile", "TEXT"),
    ("process_start", "TEXT"),
];

fn upgrade(conn: &Connection) -> rusqlite::Result<()> {
    for (name, kind) in ADDED_COLUMNS {
        let present: bool = conn.query_row(
            "SELECT COUNT(*) FROM pragma_table_info('dictations') WHERE name = ?1",
            [name],
            |row| row.get::<_, i64>(0).map(|n| n > 0),
        )?;
        if !present {
            conn.execute_batch(&format!("ALTER TABLE dictations ADD COLUMN {name} {kind}"))?;
        }
    }
    Ok(())
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Move the database and its WAL files out of the way, together.
fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let aside = crate::paths::corrupt_copy_of(path);
    std::fs::rename(path, &aside)?;
    for suffix in ["-wal", "-shm"] {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = aside.as_os_str().to_owned();
        to.push(suffix);
        match std::fs::rename(&from, &to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(aside)
}
