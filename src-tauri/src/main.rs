//! Utter's desktop app: a thin shell over the engine's dictation session — global hotkey,
//! tray, recording indicator and settings window. No pipeline logic lives here.

mod autostart;
mod commands;
mod diagnostics;
mod golden;
mod hotkeys;
mod instance;
mod layer_indicator;
mod logging;
mod measure;
mod portal_trigger;
mod remote;
mod state;
mod targets;
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
    /// Tell the running Utter the dictation key went down (bind it in your compositor).
    #[arg(long, group = "remote")]
    pub press: bool,
    /// Tell the running Utter the dictation key came up.
    #[arg(long, group = "remote")]
    pub release: bool,
    /// Start a dictation in the running Utter, or stop the one being recorded.
    #[arg(long, group = "remote")]
    pub toggle: bool,
    /// Drop the dictation being recorded in the running Utter.
    #[arg(long, group = "remote")]
    pub cancel: bool,
}

impl Args {
    fn remote_command(&self) -> Option<utter::control::Command> {
        use utter::control::Command;
        [
            (self.press, Command::Press),
            (self.release, Command::Release),
            (self.toggle, Command::Toggle),
            (self.cancel, Command::Cancel),
        ]
        .into_iter()
        .find_map(|(given, command)| given.then_some(command))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // A key binding's command: hand it to the running app and exit at once.
    if let Some(command) = args.remote_command() {
        return match remote::send(command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Before the first file is written (the log): everything Utter keeps is owner-only.
    let tightened = utter::privacy::make_private();
    let _log = logging::init();
    utter::privacy::report(&tightened);
    utter::crash::install_panic_hook();
    let _instance = match instance::acquire() {
        Ok(lock) => lock,
        Err(instance::InstanceError::AlreadyRunning(path)) => {
            let shown = remote::send(utter::control::Command::ShowSettings);
            eprintln!(
                "Utter is already running (lock {}); {}",
                path.display(),
                match shown {
                    Ok(()) => "its settings window is open.".to_string(),
                    Err(e) => format!("use its tray icon ({e})."),
                }
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
