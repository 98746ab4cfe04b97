//! The running app's end of `utter-desktop --press/--release/--toggle/--cancel` (and of a second
//! `utter-desktop`, which opens the settings window): commands from the control socket drive
//! the same session as the hotkey.

use std::sync::Arc;
use std::time::Instant;

use tauri::AppHandle;
use utter::control::{self, Command};
use utter::session::Input;

use crate::state::AppState;

/// Start listening; the returned server must be kept for as long as the app runs.
pub fn listen(app: &AppHandle, state: Arc<AppState>) -> Option<control::Server> {
    let path = match control::socket_path() {
        Ok(path) => path,
        Err(e) => {
            state.warn(format!("no control socket: {e}"));
            return None;
        }
    };
    let app = app.clone();
    let on_command = move |command| match command {
        Command::Press => state.send(Input::Press(Instant::now())),
        Command::Release => state.send(Input::Release(Instant::now())),
        Command::Toggle => state.send(Input::Toggle),
        Command::Cancel => state.send(Input::Cancel),
        Command::ShowSettings => {
            let handle = app.clone();
            let _ = app.run_on_main_thread(move || {
                if let Err(e) = crate::windows::show_settings(&handle) {
                    tracing::warn!("cannot open the settings window: {e}");
                }
            });
        }
    };
    match control::serve(&path, on_command) {
        Ok(server) => {
            tracing::info!("control socket: {}", path.display());
            Some(server)
        }
        Err(e) => {
            tracing::warn!("no control socket: {e}");
            None
        }
    }
}

/// Send `command` to the running app (this process is a short-lived client).
pub fn send(command: Command) -> Result<(), control::ControlError> {
    control::send(&control::socket_path()?, command)
}
