//! The Apps section: where the last dictation went ("use for the app I'm in now") and the
//! built-in profiles.

use serde::Serialize;
use utter::history::History;
use utter::profiles::Profile;

#[derive(Serialize)]
pub struct LastTarget {
    app: String,
}

/// The application the newest dictation went to, if the history knows one.
#[tauri::command]
pub fn last_target() -> Result<Option<LastTarget>, String> {
    let history = History::open_default().map_err(|e| e.to_string())?;
    let entries = history.search("", 20).map_err(|e| e.to_string())?;
    Ok(entries
        .into_iter()
        .find_map(|e| e.target_app)
        .map(|app| LastTarget { app }))
}

#[tauri::command]
pub fn builtin_profiles() -> Vec<Profile> {
    utter::profiles::builtin()
}
