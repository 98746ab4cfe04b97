//! Opening a Moonshine graph so it runs fast.
//!
//! Moonshine base is published in ONNX Runtime's `.ort` format with int8 weights that are
//! turned back into floats (Cast + Mul) on *every* run: ~60 ms per decoder step on 2 cores.
//! ONNX Runtime only folds such constants when it loads an ONNX model, so an `.ort` file is
//! written out once as ONNX (with the subgraph names its writer leaves out, see
//! [`super::onnx_wire`]) into the cache folder and loaded from there: ~10 ms per step. If that
//! fails for any reason, the `.ort` file is used as it is (slower, same words).

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use sha2::{Digest, Sha256};

/// Load a graph with `threads` intra-op threads; `.ort` files go through the ONNX cache.
pub fn open_session(path: &Path, threads: usize) -> Result<Session, String> {
    if !path.is_file() {
        return Err("the file is missing".into());
    }
    let is_ort_format = path.extension().is_some_and(|e| e == "ort");
    if is_ort_format {
        match onnx_copy(path) {
            Ok(onnx) => match build(&onnx, threads) {
                Ok(session) => return Ok(session),
                Err(e) => {
                    tracing::warn!(
                        "the ONNX copy {} of {} does not load ({e}); using the .ort file",
                        onnx.display(),
                        path.display()
                    );
                    let _ = std::fs::remove_file(&onnx);
                }
            },
            Err(e) => tracing::warn!(
                "cannot prepare an ONNX copy of {} ({e}); using the .ort file (slower)",
                path.display()
            ),
        }
    }
    build(path, threads)
}

fn build(path: &Path, threads: usize) -> Result<Session, String> {
    let env = crate::onnx_runtime::environment().map_err(|e| e.to_string())?;
    Session::builder(env)
        .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
        .and_then(|mut b| b.commit_from_file(path))
        .map_err(|e| format!("not a usable ONNX model: {e}"))
}

/// Where the ONNX copy of an `.ort` file is cached: named after its content (size and
/// SHA-256), so a replaced model gets a new copy and copies of one model share one.
fn cache_path(ort_file: &Path) -> Result<PathBuf, String> {
    let mut file = std::fs::File::open(ort_file).map_err(|e| format!("cannot read: {e}"))?;
    let mut hash = Sha256::new();
    let size = std::io::copy(&mut file, &mut hash).map_err(|e| format!("cannot read: {e}"))?;
    hash.update(size.to_le_bytes());
    let key: String = hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = ort_file
        .file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    let dir = crate::paths::cache_dir()
        .map_err(|e| e.to_string())?
        .join("onnx");
    Ok(dir.join(format!("{stem}-{key}.onnx")))
}

/// The cached ONNX copy of `ort_file`, made now if there is none.
fn onnx_copy(ort_file: &Path) -> Result<PathBuf, String> {
    let target = cache_path(ort_file)?;
    if target.is_file() {
        return Ok(target);
    }
    let dir = target.parent().ok_or("no cache folder")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let written = tempfile::Builder::new()
        .prefix(".ort-export-")
        .suffix(".onnx")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    // ONNX Runtime writes the graph it loaded; with optimisations off it is the same graph.
    let env = crate::onnx_runtime::environment().map_err(|e| e.to_string())?;
    Session::builder(env)
        .and_then(|b| {
            b.with_optimization_level(GraphOptimizationLevel::Disable)
                .map_err(Into::into)
        })
        .and_then(|b| {
            b.with_optimized_model_path(written.path())
                .map_err(Into::into)
        })
        .and_then(|mut b| b.commit_from_file(ort_file))
        .map_err(|e| format!("ONNX Runtime cannot load or write it: {e}"))?;
    let exported =
        std::fs::read(written.path()).map_err(|e| format!("cannot read the export: {e}"))?;
    let patched = super::onnx_wire::name_subgraphs(&exported)
        .map_err(|e| format!("the export is not a readable ONNX model: {e}"))?;
    let mut out = tempfile::Builder::new()
        .prefix(".ort-patched-")
        .suffix(".onnx")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut out, &patched)
        .and_then(|()| out.as_file().sync_all())
        .map_err(|e| format!("cannot write the ONNX copy: {e}"))?;
    out.persist(&target)
        .map_err(|e| format!("cannot write the ONNX copy: {e}"))?;
    Ok(target)
}
