//! Models: the built-in catalog, the local model folder, and the verified downloader.

mod archive;
mod catalog;
mod download;
mod measured_here;
mod parts;
mod store;

pub use archive::ArchiveError;
pub use catalog::{Advice, Catalog, CatalogError, Engine, Measured, ModelEntry, ModelPart};
pub use download::{DownloadError, DownloadOptions, DownloadProgress, Downloader};
pub use measured_here::{MeasuredHere, MeasuredHereFile, WriteError as MeasuredWriteError};
pub use parts::PartsError;
pub use store::{InstallError, ModelStatus, ModelStore, ResolveError, ResolvedModel, StoreError};
