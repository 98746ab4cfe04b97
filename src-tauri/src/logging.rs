//! Logs go to stderr and to `<data dir>/logs/utter-desktop.log`. Transcripts are only logged
//! at debug level (UTTER_LOG=debug).

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

/// Keep the returned guard alive: it flushes the log file.
pub fn init() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // The audio decoder logs, in its own words, what our errors already say.
    let filter = || {
        EnvFilter::try_from_env("UTTER_LOG")
            .unwrap_or_else(|_| EnvFilter::new("info,symphonia=off"))
    };
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let dir = utter::paths::data_dir().ok().map(|d| d.join("logs"));
    let file = dir.and_then(|dir| {
        std::fs::create_dir_all(&dir).ok()?;
        Some(tracing_appender::rolling::never(dir, "utter-desktop.log"))
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
