//! What a user needs to report a problem, for the settings window's About section: the
//! session and the paths in use for the hotkey and the output, the microphone, the model and
//! whether it is loaded, where ONNX Runtime and the files are.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;

use crate::state::{AppState, lock};

#[derive(Serialize)]
pub struct Diagnostics {
    version: &'static str,
    session: String,
    trigger: String,
    typing: String,
    pasting: String,
    microphone: String,
    model: String,
    model_loaded: bool,
    threads: usize,
    onnx_runtime: String,
    log_file: String,
    data_dir: String,
    settings_file: String,
    models_dir: String,
}

fn shown(result: Result<std::path::PathBuf, impl std::fmt::Display>) -> String {
    match result {
        Ok(path) => path.display().to_string(),
        Err(e) => format!("unavailable: {e}"),
    }
}

/// The default input device, or the one the settings name.
fn microphone(chosen: Option<String>) -> String {
    if let Some(name) = chosen {
        return name;
    }
    match utter::audio::devices::list_input_devices() {
        Ok(devices) => devices
            .into_iter()
            .find(|d| d.is_default)
            .map(|d| format!("{} (system default)", d.name))
            .unwrap_or_else(|| "the system's default input".into()),
        Err(e) => format!("unavailable: {e}"),
    }
}

fn model(settings: &utter::settings::Settings) -> String {
    let resolved = utter::models::ModelStore::open_default()
        .map_err(|e| e.to_string())
        .and_then(|store| {
            store
                .resolve_speech_model(settings.model.as_deref())
                .map_err(|e| e.to_string())
        });
    match resolved {
        Ok(m) => format!("{} ({:?})", m.name, m.engine),
        Err(e) => format!("none: {e}"),
    }
}

#[tauri::command]
pub async fn diagnostics(state: State<'_, Arc<AppState>>) -> Result<Diagnostics, String> {
    let settings = state.effective();
    let mut report = utter::output::SessionReport::detect(settings.output.wayland_typing);
    if let Some(trigger) = lock(&state.trigger).clone() {
        report.trigger = trigger;
    }
    let session = match report.display_server {
        Some(utter::output::DisplayServer::Wayland) => "Wayland",
        Some(utter::output::DisplayServer::X11) => "X11",
        None => "no display",
    };
    let model_loaded = state.model_loaded.load(std::sync::atomic::Ordering::SeqCst);
    let settings_file = state.file.path().display().to_string();
    // Device and model lookups touch the disk and the sound server: off the UI thread.
    let (microphone, model) = tauri::async_runtime::spawn_blocking(move || {
        (microphone(settings.microphone.clone()), model(&settings))
    })
    .await
    .map_err(|e| format!("internal error: {e}"))?;
    Ok(Diagnostics {
        version: env!("CARGO_PKG_VERSION"),
        session: session.into(),
        trigger: report.trigger,
        typing: report.typing,
        pasting: report.pasting,
        microphone,
        model,
        model_loaded,
        threads: utter::session::loader::default_threads(),
        onnx_runtime: shown(utter::onnx_runtime::locate()),
        log_file: shown(crate::logging::log_file()),
        data_dir: shown(utter::paths::data_dir()),
        settings_file,
        models_dir: shown(utter::paths::models_dir()),
    })
}

/// Open the log folder in the desktop's file manager.
#[tauri::command]
pub fn open_log_folder() -> Result<String, String> {
    let dir = crate::logging::log_dir().map_err(|e| e.to_string())?;
    std::process::Command::new("xdg-open")
        .arg(&dir)
        .spawn()
        .map_err(|e| format!("cannot open {}: {e}", dir.display()))?;
    Ok(dir.display().to_string())
}

/// Put the diagnostics text on the clipboard, for a bug report.
#[tauri::command]
pub fn copy_diagnostics(state: State<'_, Arc<AppState>>, text: String) -> Result<(), String> {
    state.copy_to_clipboard(&text)
}
