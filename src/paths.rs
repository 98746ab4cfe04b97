//! Where Utter keeps its files. Follows the XDG base directories on Linux, with
//! `UTTER_DATA_DIR`, `UTTER_CONFIG_DIR` and `UTTER_MODELS_DIR` as explicit overrides.

use std::path::PathBuf;

use directories::ProjectDirs;

#[derive(Debug, thiserror::Error)]
#[error("cannot determine the user's home directory; set UTTER_DATA_DIR and UTTER_CONFIG_DIR")]
pub struct NoHomeDir;

fn project_dirs() -> Result<ProjectDirs, NoHomeDir> {
    ProjectDirs::from("", "", "utter").ok_or(NoHomeDir)
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Recordings, history, downloaded runtimes (`$XDG_DATA_HOME/utter`).
pub fn data_dir() -> Result<PathBuf, NoHomeDir> {
    match env_dir("UTTER_DATA_DIR") {
        Some(dir) => Ok(dir),
        None => Ok(project_dirs()?.data_dir().to_path_buf()),
    }
}

/// Settings (`$XDG_CONFIG_HOME/utter`).
pub fn config_dir() -> Result<PathBuf, NoHomeDir> {
    match env_dir("UTTER_CONFIG_DIR") {
        Some(dir) => Ok(dir),
        None => Ok(project_dirs()?.config_dir().to_path_buf()),
    }
}

/// Model files (`UTTER_MODELS_DIR`, else `<data dir>/models`).
pub fn models_dir() -> Result<PathBuf, NoHomeDir> {
    match env_dir("UTTER_MODELS_DIR") {
        Some(dir) => Ok(dir),
        None => Ok(data_dir()?.join("models")),
    }
}

/// Files Utter derives and can always make again, such as fast copies of `.ort` models
/// (`UTTER_CACHE_DIR`, else `$XDG_CACHE_HOME/utter`).
pub fn cache_dir() -> Result<PathBuf, NoHomeDir> {
    match env_dir("UTTER_CACHE_DIR") {
        Some(dir) => Ok(dir),
        None => Ok(project_dirs()?.cache_dir().to_path_buf()),
    }
}

/// Where the last captured dictation is kept so a failed transcription loses nothing.
pub fn recordings_dir() -> Result<PathBuf, NoHomeDir> {
    Ok(data_dir()?.join("recordings"))
}

/// Where a file that could not be read is kept aside: `<path>.corrupt-<unix time>`.
/// Write `bytes` to a temporary file beside `path`, flush it to disk, then rename it into place:
/// a crash or a full disk never leaves a half-written file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub fn corrupt_copy_of(path: &std::path::Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{stamp}"));
    PathBuf::from(aside)
}
