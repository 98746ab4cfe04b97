//! Single instance: an exclusive lock on a file in the data dir, held while the app runs.

use std::fs::File;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("another Utter is running")]
    AlreadyRunning(PathBuf),
    #[error("cannot create the lock file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    NoHome(#[from] utter::paths::NoHomeDir),
}

/// Held for the life of the process; the lock is released when it is dropped (or on exit).
pub struct InstanceLock {
    _file: File,
}

pub fn acquire() -> Result<InstanceLock, InstanceError> {
    let dir = utter::paths::data_dir()?;
    std::fs::create_dir_all(&dir).map_err(|e| InstanceError::Io(dir.clone(), e))?;
    let path = dir.join("utter-desktop.lock");
    let file = File::create(&path).map_err(|e| InstanceError::Io(path.clone(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(InstanceLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(InstanceError::AlreadyRunning(path)),
        Err(std::fs::TryLockError::Error(e)) => Err(InstanceError::Io(path, e)),
    }
}
