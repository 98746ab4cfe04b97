//! Logs go to stderr and to `<data dir>/logs/utter-desktop.log`. Transcripts are only logged
//! at debug level (UTTER_LOG=debug).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

const LOG_FILE: &str = "utter-desktop.log";

/// The folder of the log file.
pub fn log_dir() -> Result<std::path::PathBuf, utter::paths::NoHomeDir> {
    utter::paths::data_dir().map(|d| d.join("logs"))
}

/// The log file's path.
pub fn log_file() -> Result<std::path::PathBuf, utter::paths::NoHomeDir> {
    log_dir().map(|d| d.join(LOG_FILE))
}

/// Keep the returned guard alive: it flushes the log file.
pub fn init() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // The audio decoder logs, in its own words, what our errors already say.
    let filter = || {
        EnvFilter::try_from_env("UTTER_LOG")
            .unwrap_or_else(|_| EnvFilter::new("info,symphonia=off"))
    };
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let file = log_dir().ok().and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        Some(tracing_appender::rolling::never(dir, LOG_FILE))
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = fmt::layer().with_writer(writer).with_ansi(false);
            tracing_subscriber::registry()
                .with(filter())
                .with(stderr)
                .with(file_layer)
                .init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry()
                .with(filter())
                .with(stderr)
                .init();
            None
        }
    }
}
