//! Utter's desktop app: a thin shell over the engine's dictation session — global hotkey,
//! tray, recording indicator and settings window. No pipeline logic lives here.

mod autostart;
mod commands;
mod hotkeys;
mod instance;
mod logging;
mod state;
mod tray;
mod windows;

use std::process::ExitCode;

use clap::Parser;
use utter::settings::SettingsFile;

#[derive(Parser, Debug, Clone, Default)]
#[command(
    name = "utter-desktop",
    version,
    about = "Hold a key, speak, release: text appears"
)]
pub struct Args {
    /// Use this model for this run (a catalog name or a path to a ggml file).
    #[arg(long)]
    pub model: Option<String>,
    /// Use this hotkey for this run, e.g. "Ctrl+Alt+Space" or "F9".
    #[arg(long)]
    pub hotkey: Option<String>,
    /// Open the settings window at start.
    #[arg(long)]
    pub settings: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let _log = logging::init();
    let _instance = match instance::acquire() {
        Ok(lock) => lock,
        Err(instance::InstanceError::AlreadyRunning(path)) => {
            eprintln!(
                "Utter is already running (lock {}); use its tray icon.",
                path.display()
            );
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = match SettingsFile::default_location() {
        Ok(file) => file,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let loaded = match file.load() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let app_state = state::AppState::new(file, loaded, args);
    match windows::run(app_state) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
