//! The files of a Moonshine model folder, in either published layout: ONNX with
//! `tokenizer.json` (Hugging Face, moonshine-js) or ONNX Runtime `.ort` with `tokenizer.bin`
//! (Moonshine's C++ packages).

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub encoder: PathBuf,
    pub decoder: PathBuf,
    pub tokenizer: PathBuf,
}

fn either(dir: &Path, stem: &str, extensions: [&str; 2]) -> Result<PathBuf, String> {
    extensions
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "{stem}.{} (or {stem}.{}) is missing",
                extensions[0], extensions[1]
            )
        })
}

impl ModelFiles {
    pub fn locate(dir: &Path) -> Result<Self, String> {
        if !dir.is_dir() {
            return Err("not a directory".into());
        }
        Ok(Self {
            encoder: either(dir, "encoder_model", ["onnx", "ort"])?,
            decoder: either(dir, "decoder_model_merged", ["onnx", "ort"])?,
            tokenizer: either(dir, "tokenizer", ["json", "bin"])?,
        })
    }

    /// Whether `path` looks like a Moonshine folder.
    pub fn looks_like(path: &Path) -> bool {
        path.is_dir()
            && (path.join("encoder_model.onnx").is_file()
                || path.join("encoder_model.ort").is_file())
    }
}
