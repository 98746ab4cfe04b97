//! Finding and loading ONNX Runtime (used by the Silero VAD).
//!
//! `ort` loads the shared library at run time, so no network is needed at build time.
//! Search order: next to the executable, then `<data dir>/onnxruntime/`, then `ORT_DYLIB_PATH`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;

#[derive(Debug, Clone, thiserror::Error)]
pub enum OrtSetupError {
    #[error(
        "ONNX Runtime library (libonnxruntime.so) not found; looked in: {}. \
         Run scripts/fetch-onnxruntime.sh and copy the library next to the utter binary, \
         or set ORT_DYLIB_PATH to its path",
        .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error("cannot load ONNX Runtime from {path}: {reason}")]
    Load { path: PathBuf, reason: String },
}

const LIB_NAME: &str = "libonnxruntime.so";

/// Places the library is looked for, in order.
pub fn search_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        paths.push(dir.join(LIB_NAME));
    }
    if let Ok(dir) = crate::paths::data_dir() {
        paths.push(dir.join("onnxruntime").join(LIB_NAME));
    }
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        paths.push(PathBuf::from(path));
    }
    paths
}

/// Find the library: the first search path that exists, also accepting versioned names
/// (`libonnxruntime.so.1.32.0`) in the same folder.
pub fn locate() -> Result<PathBuf, OrtSetupError> {
    let searched = search_paths();
    for path in &searched {
        if path.is_file() {
            return Ok(path.clone());
        }
        if let Some(versioned) = versioned_sibling(path) {
            return Ok(versioned);
        }
    }
    Err(OrtSetupError::NotFound { searched })
}

fn versioned_sibling(path: &Path) -> Option<PathBuf> {
    let dir = path.parent()?;
    let prefix = format!("{LIB_NAME}.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    found.sort();
    found.pop()
}

static ENVIRONMENT: OnceLock<Result<Environment, OrtSetupError>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loading the library on first use.
pub fn environment() -> Result<&'static Environment, OrtSetupError> {
    ENVIRONMENT
        .get_or_init(|| {
            let path = locate()?;
            let load_err = |reason: String| OrtSetupError::Load {
                path: path.clone(),
                reason,
            };
            let builder = ort::init_from(&path).map_err(|e| load_err(e.to_string()))?;
            let env = builder
                .with_name("utter")
                .build()
                .map_err(|e| load_err(e.to_string()))?;
            tracing::debug!(path = %path.display(), "ONNX Runtime loaded");
            Ok(env)
        })
        .as_ref()
        .map_err(Clone::clone)
}
