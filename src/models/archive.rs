//! Installing a model shipped as a `.tar.bz2` (the NeMo transducers): extract beside the
//! destination, check that the folder is a loadable model layout, then rename it into place,
//! so a half-extracted or wrong archive never replaces a working model.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::stt::nemo::ModelFiles;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot extract {archive}: {reason}")]
    Extract { archive: PathBuf, reason: String },
    #[error("{archive} does not hold a model folder: {reason}")]
    Layout { archive: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Extract `archive` and install the model folder inside it as `dest`.
pub fn install_tar_bz2(archive: &Path, dest: &Path) -> Result<(), ArchiveError> {
    let parent = dest.parent().unwrap_or_else(|| Path::new("."));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    // Extracted on the same file system as `dest`, so the final rename is atomic.
    let staging = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(parent)
        .map_err(io(parent))?;
    let file = File::open(archive).map_err(io(archive))?;
    let mut tar = tar::Archive::new(bzip2::read::BzDecoder::new(BufReader::new(file)));
    // `unpack` refuses entries that would land outside the staging folder.
    tar.unpack(staging.path())
        .map_err(|e| ArchiveError::Extract {
            archive: archive.to_path_buf(),
            reason: e.to_string(),
        })?;
    let root = model_root(staging.path())
        .and_then(|root| ModelFiles::locate(&root).map(|_| root))
        .map_err(|reason| ArchiveError::Layout {
            archive: archive.to_path_buf(),
            reason,
        })?;
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(io(dest))?;
    }
    std::fs::rename(&root, dest).map_err(io(dest))?;
    Ok(())
}

/// The folder holding the model: the archive's single top-level folder, or the top itself.
fn model_root(top: &Path) -> Result<PathBuf, String> {
    if ModelFiles::looks_like(top) {
        return Ok(top.to_path_buf());
    }
    let dirs: Vec<PathBuf> = std::fs::read_dir(top)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    match dirs.as_slice() {
        [single] => Ok(single.clone()),
        [] => Err("the archive is empty".into()),
        _ => Err(format!("{} top-level folders, expected one", dirs.len())),
    }
}
