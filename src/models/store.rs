//! The local model folder: what is installed, which file a model name means, imports.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive::{self, ArchiveError};
use super::catalog::{Catalog, CatalogError, Engine, ModelEntry};
use super::download::{DownloadError, DownloadProgress, Downloader, partial_path, sha256_file};
use crate::stt::check_ggml_file;
use crate::stt::nemo::ModelFiles;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "model {name:?} is not downloaded (looked in {dir}). Run `utter models download {name}`, \
         or set UTTER_MODELS_DIR to a folder that has {file}"
    )]
    NotInstalled {
        name: String,
        file: String,
        dir: PathBuf,
    },
    #[error(
        "no Whisper model found in {dir}. Run `utter models download {default}` (or pick one from \
         `utter models list`), or set UTTER_MODELS_DIR to a folder with ggml-*.bin models"
    )]
    NoWhisperModel { dir: PathBuf, default: String },
    #[error("model file {0} does not exist")]
    FileNotFound(PathBuf),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Parts(#[from] super::parts::PartsError),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Paths(#[from] crate::paths::NoHomeDir),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn folder_name(path: &Path, spec: &str) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| spec.to_string())
}

/// A model resolved to a file (Whisper) or folder (NeMo transducers) on disk.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedModel {
    pub name: String,
    pub path: PathBuf,
    pub engine: Engine,
}

/// A catalog entry (or an imported file) and whether it is on disk.
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub engine: Engine,
    pub file: String,
    pub size: u64,
    pub languages: String,
    pub description: String,
    pub default: bool,
    pub installed: bool,
    /// Bytes of an interrupted download waiting to be resumed.
    pub partial_bytes: Option<u64>,
    /// Not in the catalog: imported or copied by hand.
    pub imported: bool,
    /// The catalog's measured word error rate and speed, when it has them.
    pub measured: Option<super::catalog::Measured>,
    /// Measured on this machine, when the user has (see [`super::MeasuredHereFile`]).
    pub measured_here: Option<super::MeasuredHere>,
}

pub struct ModelStore {
    dir: PathBuf,
    catalog: Catalog,
}

impl ModelStore {
    /// The user's model folder (`UTTER_MODELS_DIR` or the data dir) with the built-in catalog.
    pub fn open_default() -> Result<Self, StoreError> {
        Ok(Self::new(crate::paths::models_dir()?, Catalog::builtin()))
    }

    pub fn new(dir: PathBuf, catalog: Catalog) -> Self {
        Self { dir, catalog }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn path_of(&self, entry: &ModelEntry) -> PathBuf {
        self.dir.join(&entry.file)
    }

    pub fn is_installed(&self, entry: &ModelEntry) -> bool {
        let path = self.path_of(entry);
        if !entry.parts.is_empty() {
            return super::parts::is_installed(entry, &path);
        }
        if entry.archive {
            return ModelFiles::locate(&path).is_ok();
        }
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
    }

    /// Where a download of `entry` is written before it is verified (and, for archives,
    /// extracted).
    fn download_path(&self, entry: &ModelEntry) -> PathBuf {
        if entry.archive {
            self.dir.join(entry.download_file())
        } else {
            self.path_of(entry)
        }
    }

    /// Download `entry` (resuming, verified) and put it in place; archives are extracted and
    /// their layout checked before they replace anything. `url` overrides where it comes
    /// from: the file's URL, or for a multi-file model the folder holding its sources.
    pub fn install(
        &self,
        entry: &ModelEntry,
        downloader: &Downloader,
        url: Option<&str>,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<PathBuf, InstallError> {
        let dest = self.path_of(entry);
        if !entry.parts.is_empty() {
            super::parts::install(entry, &dest, downloader, url, progress)?;
            return Ok(dest);
        }
        let url = url.map_or_else(|| entry.download_url(), str::to_string);
        let url = url.as_str();
        let download = self.download_path(entry);
        downloader.download(url, entry.size, entry.checksum(), &download, progress)?;
        if entry.archive {
            let installed = archive::install_tar_bz2(&download, &dest);
            // The archive is only a vehicle: once extracted, or found unusable in full, it goes
            // (a broken one would otherwise be "resumed" forever).
            let _ = std::fs::remove_file(&download);
            installed?;
        }
        Ok(dest)
    }

    /// Catalog entries, then ggml files in the folder that the catalog does not know.
    pub fn list(&self) -> Vec<ModelStatus> {
        let mut list: Vec<ModelStatus> = self
            .catalog
            .models
            .iter()
            .map(|m| ModelStatus {
                name: m.name.clone(),
                engine: m.engine,
                file: m.file.clone(),
                size: m.size,
                languages: m.languages.clone(),
                description: m.description.clone(),
                default: m.default,
                installed: self.is_installed(m),
                partial_bytes: std::fs::metadata(partial_path(&self.download_path(m)))
                    .ok()
                    .map(|md| md.len()),
                imported: false,
                measured: m.measured,
                measured_here: None,
            })
            .collect();
        for (name, path) in self.imported_files() {
            list.push(ModelStatus {
                size: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                file: path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                name,
                engine: Engine::Whisper,
                languages: "unknown".into(),
                description: "imported".into(),
                default: false,
                installed: true,
                partial_bytes: None,
                imported: true,
                measured: None,
                measured_here: None,
            });
        }
        list
    }

    /// `ggml-*.bin` files in the folder that are not catalog files, as (name, path).
    fn imported_files(&self) -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut found: Vec<(String, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                let name = file
                    .strip_prefix("ggml-")?
                    .strip_suffix(".bin")?
                    .to_string();
                (self.catalog.by_file(&file).is_none() && e.path().is_file())
                    .then(|| (name, e.path()))
            })
            .collect();
        found.sort();
        found
    }

    /// Which speech model to use: a path (a ggml file or a NeMo model folder), a catalog
    /// name, an imported model's name, or (with `None`) the default model if installed, else
    /// the first installed one.
    pub fn resolve_speech_model(&self, spec: Option<&str>) -> Result<ResolvedModel, ResolveError> {
        match spec {
            Some(spec) => self.resolve_named(spec),
            None => self.resolve_any(),
        }
    }

    fn resolve_named(&self, spec: &str) -> Result<ResolvedModel, ResolveError> {
        let as_path = Path::new(spec);
        let looks_like_path = spec.contains(std::path::MAIN_SEPARATOR) || spec.ends_with(".bin");
        if looks_like_path && crate::stt::moonshine::ModelFiles::looks_like(as_path) {
            return Ok(ResolvedModel {
                name: folder_name(as_path, spec),
                path: as_path.to_path_buf(),
                engine: Engine::Moonshine,
            });
        }
        if looks_like_path && ModelFiles::looks_like(as_path) {
            let name = folder_name(as_path, spec);
            // Only a label: the engine reads from the model itself whether it streams.
            let engine = if name.contains("nemotron") || name.contains("streaming") {
                Engine::Nemotron
            } else {
                Engine::Parakeet
            };
            return Ok(ResolvedModel {
                name,
                path: as_path.to_path_buf(),
                engine,
            });
        }
        if looks_like_path {
            if as_path.is_file() {
                let name = as_path
                    .file_stem()
                    .map(|s| s.to_string_lossy().trim_start_matches("ggml-").to_string())
                    .unwrap_or_else(|| spec.to_string());
                return Ok(ResolvedModel {
                    name,
                    path: as_path.to_path_buf(),
                    engine: Engine::Whisper,
                });
            }
            if spec.contains(std::path::MAIN_SEPARATOR) {
                return Err(ResolveError::FileNotFound(as_path.to_path_buf()));
            }
        }
        if let Some(entry) = self
            .catalog
            .models
            .iter()
            .find(|m| m.name == spec && m.engine.is_speech_to_text())
        {
            return if self.is_installed(entry) {
                Ok(ResolvedModel {
                    name: entry.name.clone(),
                    path: self.path_of(entry),
                    engine: entry.engine,
                })
            } else {
                Err(ResolveError::NotInstalled {
                    name: entry.name.clone(),
                    file: entry.file.clone(),
                    dir: self.dir.clone(),
                })
            };
        }
        if let Some((name, path)) = self
            .imported_files()
            .into_iter()
            .find(|(name, _)| name == spec)
        {
            return Ok(ResolvedModel {
                name,
                path,
                engine: Engine::Whisper,
            });
        }
        self.catalog.get(spec)?;
        Err(ResolveError::FileNotFound(self.dir.join(spec)))
    }

    fn resolve_any(&self) -> Result<ResolvedModel, ResolveError> {
        let default = self.catalog.default_whisper();
        let installed = default
            .into_iter()
            .chain(self.catalog.speech_models())
            .find(|m| self.is_installed(m));
        if let Some(entry) = installed {
            return Ok(ResolvedModel {
                name: entry.name.clone(),
                path: self.path_of(entry),
                engine: entry.engine,
            });
        }
        if let Some((name, path)) = self.imported_files().into_iter().next() {
            return Ok(ResolvedModel {
                name,
                path,
                engine: Engine::Whisper,
            });
        }
        Err(ResolveError::NoWhisperModel {
            dir: self.dir.clone(),
            default: default
                .map(|m| m.name.clone())
                .unwrap_or_else(|| "base-q8_0".into()),
        })
    }

    /// The Silero VAD model file.
    pub fn resolve_vad(&self) -> Result<PathBuf, ResolveError> {
        let entry = self
            .catalog
            .vad()
            .ok_or_else(|| ResolveError::FileNotFound(self.dir.join("silero_vad.onnx")))?;
        self.resolve_installed(entry)
    }

    /// The end-of-turn model file (hands-free dictation).
    pub fn resolve_turn(&self) -> Result<PathBuf, ResolveError> {
        let entry = self
            .catalog
            .turn()
            .ok_or_else(|| ResolveError::FileNotFound(self.dir.join("smart-turn-v3.2-cpu.onnx")))?;
        self.resolve_installed(entry)
    }

    fn resolve_installed(&self, entry: &ModelEntry) -> Result<PathBuf, ResolveError> {
        if self.is_installed(entry) {
            Ok(self.path_of(entry))
        } else {
            Err(ResolveError::NotInstalled {
                name: entry.name.clone(),
                file: entry.file.clone(),
                dir: self.dir.clone(),
            })
        }
    }

    /// Copy a model file into the folder. A file matching a catalog checksum takes that
    /// entry's name; any other whisper.cpp ggml file is kept under its own name.
    pub fn import(&self, source: &Path) -> Result<ResolvedModel, StoreError> {
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        let digest = sha256_file(source).map_err(io_err(source))?;
        let known = self.catalog.models.iter().find(|m| m.sha256 == digest);
        let (name, file) = match known {
            Some(entry) => (entry.name.clone(), entry.file.clone()),
            None => {
                check_ggml_file(source).map_err(|e| StoreError::Invalid(e.to_string()))?;
                let stem = source
                    .file_stem()
                    .map(|s| s.to_string_lossy().trim_start_matches("ggml-").to_string())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        StoreError::Invalid(format!("{}: no file name", source.display()))
                    })?;
                if self.catalog.models.iter().any(|m| m.name == stem) {
                    return Err(StoreError::Invalid(format!(
                        "{} is named like the catalog model {stem:?} but its checksum differs; rename it \
                         (e.g. ggml-{stem}-custom.bin) to import it as a separate model",
                        source.display()
                    )));
                }
                (stem.clone(), format!("ggml-{stem}.bin"))
            }
        };
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let dest = self.dir.join(&file);
        let tmp = partial_path(&dest);
        std::fs::copy(source, &tmp).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
        Ok(ResolvedModel {
            name,
            path: dest,
            engine: Engine::Whisper,
        })
    }

    /// Remove an installed model (and any partial download of it).
    pub fn delete(&self, name: &str) -> Result<PathBuf, StoreError> {
        let path = match self.catalog.models.iter().find(|m| m.name == name) {
            Some(entry) if entry.is_folder() => {
                let _ = std::fs::remove_file(partial_path(&self.download_path(entry)));
                let dir = self.path_of(entry);
                std::fs::remove_dir_all(&dir).map_err(|source| StoreError::Io {
                    path: dir.clone(),
                    source,
                })?;
                return Ok(dir);
            }
            Some(entry) => self.path_of(entry),
            None => self
                .imported_files()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p)
                .ok_or_else(|| StoreError::Invalid(format!("no installed model named {name:?}")))?,
        };
        let _ = std::fs::remove_file(partial_path(&path));
        std::fs::remove_file(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}
