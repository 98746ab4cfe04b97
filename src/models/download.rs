//! Verified, resumable model downloads.
//!
//! Bytes go to `<file>.partial`; an interrupted download resumes from there with an HTTP
//! Range request. The SHA-256 is computed as the bytes arrive (over the resumed part too),
//! and only a file of the right size and checksum is renamed into place, atomically.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, RANGE};
use sha2::{Digest, Sha256};

/// Free space kept beyond the file itself, so a download never fills the disk to the brim.
const DISK_MARGIN: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("download of {url} failed: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("download of {url} failed: {reason}")]
    Network { url: String, reason: String },
    #[error(
        "download of {url} stalled: no data for {secs} s (the partial file is kept; run the command again to resume)"
    )]
    Stalled { url: String, secs: u64 },
    #[error(
        "checksum mismatch for {file}: expected SHA-256 {expected}, got {actual}; the download was discarded"
    )]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("size mismatch for {file}: expected {expected} bytes, the server sent {actual}")]
    Size {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("not enough disk space in {dir}: {needed} bytes needed, {available} available")]
    DiskFull {
        dir: PathBuf,
        needed: u64,
        available: u64,
    },
    #[error("download of {url} cancelled (the partial file is kept: download again to resume)")]
    Cancelled { url: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

#[derive(Debug, Clone)]
pub struct DownloadOptions {
    /// Give up when no bytes arrive for this long.
    pub stall_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            stall_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct DownloadProgress {
    pub downloaded: u64,
    pub total: u64,
}

pub struct Downloader {
    client: reqwest::blocking::Client,
    options: DownloadOptions,
    /// Raised by another thread (a Cancel button): the download stops, keeping its bytes.
    cancel: Option<crate::stt::StopFlag>,
}

impl Downloader {
    pub fn new(options: DownloadOptions) -> Result<Self, DownloadError> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("utter/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            // In the blocking client this bounds every read: it is the stall watchdog.
            .timeout(options.stall_timeout)
            .build()
            .map_err(|e| DownloadError::Network {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            client,
            options,
            cancel: None,
        })
    }

    /// Stop downloading when `flag` is raised (checked between chunks).
    pub fn cancelled_by(mut self, flag: crate::stt::StopFlag) -> Self {
        self.cancel = Some(flag);
        self
    }

    fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Download `url` to `dest`, verifying `size` and `sha256` (lower-case hex). Without a
    /// checksum (an upstream file the catalog could not pin) `size` is only an estimate: the
    /// server's Content-Length is checked instead, and the caller verifies the content.
    pub fn download(
        &self,
        url: &str,
        size: u64,
        sha256: Option<&str>,
        dest: &Path,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<(), DownloadError> {
        let dir = dest.parent().unwrap_or_else(|| Path::new("."));
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DownloadError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let partial = partial_path(dest);
        let mut have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        let mut size = size;
        if have > size && sha256.is_some() {
            std::fs::remove_file(&partial).map_err(io_err(&partial))?;
            have = 0;
        }
        ensure_space(dir, size.saturating_sub(have))?;

        let mut hasher = Sha256::new();
        if have > 0 {
            hash_existing(&partial, &mut hasher).map_err(io_err(&partial))?;
        }
        if have < size || sha256.is_none() {
            (have, size) = self.fetch(
                url,
                size,
                sha256.is_some(),
                have,
                &partial,
                &mut hasher,
                progress,
            )?;
        }
        progress(DownloadProgress {
            downloaded: have,
            total: size,
        });
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if have != size {
            return Err(DownloadError::Size {
                file: file_name,
                expected: size,
                actual: have,
            });
        }
        let actual = hex(&hasher.finalize());
        if let Some(sha256) = sha256
            && actual != sha256
        {
            let _ = std::fs::remove_file(&partial);
            return Err(DownloadError::Checksum {
                file: file_name,
                expected: sha256.to_string(),
                actual,
            });
        }
        std::fs::rename(&partial, dest).map_err(io_err(dest))
    }

    /// Append the rest of the file to `partial`; returns the partial file's new length and the
    /// file's size (the server's, when `size` is not `pinned`).
    #[allow(clippy::too_many_arguments)]
    fn fetch(
        &self,
        url: &str,
        mut size: u64,
        pinned: bool,
        mut have: u64,
        partial: &Path,
        hasher: &mut Sha256,
        progress: &mut dyn FnMut(DownloadProgress),
    ) -> Result<(u64, u64), DownloadError> {
        let network = |e: reqwest::Error| self.classify(url, e);
        let mut request = self.client.get(url);
        if have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let mut response = request.send().map_err(network)?;
        let status = response.status();
        let append = match status {
            StatusCode::PARTIAL_CONTENT => true,
            StatusCode::OK => false,
            StatusCode::RANGE_NOT_SATISFIABLE => {
                // The server has no bytes past ours: start over rather than trust the partial file.
                let _ = std::fs::remove_file(partial);
                *hasher = Sha256::new();
                return self.fetch(url, size, pinned, 0, partial, hasher, progress);
            }
            _ => {
                return Err(DownloadError::Http {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
        };
        if !append && have > 0 {
            // The server ignored the Range header and sends the whole file.
            have = 0;
            *hasher = Sha256::new();
        }
        let content_length = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if !pinned {
            // Unknown length and nothing to resume from: accept what the server sends.
            size = content_length.map_or(u64::MAX, |len| have + len);
        }
        if let Some(len) = content_length
            && have + len != size
        {
            return Err(DownloadError::Size {
                file: url.rsplit('/').next().unwrap_or(url).to_string(),
                expected: size,
                actual: have + len,
            });
        }
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(partial)
            .map_err(|source| DownloadError::Io {
                path: partial.to_path_buf(),
                source,
            })?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            if self.is_cancelled() {
                file.sync_all().map_err(|e| write_error(partial, e))?;
                return Err(DownloadError::Cancelled {
                    url: url.to_string(),
                });
            }
            let n = match response.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = file.sync_all();
                    return Err(self.classify_io(url, e));
                }
            };
            if have + n as u64 > size {
                drop(file);
                let _ = std::fs::remove_file(partial);
                return Err(DownloadError::Size {
                    file: url.rsplit('/').next().unwrap_or(url).to_string(),
                    expected: size,
                    actual: have + n as u64,
                });
            }
            file.write_all(&buf[..n])
                .map_err(|e| write_error(partial, e))?;
            hasher.update(&buf[..n]);
            have += n as u64;
            progress(DownloadProgress {
                downloaded: have,
                total: size,
            });
        }
        file.sync_all().map_err(|e| write_error(partial, e))?;
        if size == u64::MAX {
            size = have;
        }
        Ok((have, size))
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> DownloadError {
        if e.is_timeout() {
            DownloadError::Stalled {
                url: url.to_string(),
                secs: self.options.stall_timeout.as_secs(),
            }
        } else {
            DownloadError::Network {
                url: url.to_string(),
                reason: error_chain(&e),
            }
        }
    }

    fn classify_io(&self, url: &str, e: io::Error) -> DownloadError {
        let timed_out = e.kind() == io::ErrorKind::TimedOut
            || e.get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
                .is_some_and(reqwest::Error::is_timeout);
        if timed_out {
            DownloadError::Stalled {
                url: url.to_string(),
                secs: self.options.stall_timeout.as_secs(),
            }
        } else {
            DownloadError::Network {
                url: url.to_string(),
                reason: format!(
                    "connection lost: {e} (the partial file is kept; run the command again to resume)"
                ),
            }
        }
    }
}

pub(crate) fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

fn write_error(path: &Path, source: io::Error) -> DownloadError {
    if source.kind() == io::ErrorKind::StorageFull {
        let available = fs4::available_space(path.parent().unwrap_or(path)).unwrap_or(0);
        return DownloadError::DiskFull {
            dir: path.parent().unwrap_or(path).to_path_buf(),
            needed: 0,
            available,
        };
    }
    DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn ensure_space(dir: &Path, needed: u64) -> Result<(), DownloadError> {
    // If free space cannot be read (unusual filesystems), let the write itself report it.
    if let Ok(available) = fs4::available_space(dir)
        && available < needed + DISK_MARGIN
    {
        return Err(DownloadError::DiskFull {
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

fn hash_existing(path: &Path, hasher: &mut Sha256) -> io::Result<()> {
    let mut file = File::open(path)?;
    io::copy(&mut file, hasher)?;
    Ok(())
}

/// SHA-256 of a file, lower-case hex.
pub(crate) fn sha256_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    hash_existing(path, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
