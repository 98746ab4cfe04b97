//! "Measure here" on a model card: the built-in set dictated through a session of its own with
//! that model, the figures kept (see `utter::models::MeasuredHereFile`) and returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tauri::Emitter;
use utter::models::{MeasuredHere, MeasuredHereFile};

use crate::state::AppState;

type Shared<'a> = tauri::State<'a, Arc<AppState>>;

#[derive(Clone, Serialize)]
struct MeasureProgress {
    name: String,
    done: usize,
    total: usize,
}

/// Clears the "measuring" flag however the measurement ends.
struct Measuring(Arc<AtomicBool>);

impl Drop for Measuring {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

#[tauri::command]
pub async fn measure_model(
    app: tauri::AppHandle,
    state: Shared<'_>,
    name: String,
) -> Result<MeasuredHere, String> {
    if state.measuring.swap(true, Ordering::SeqCst) {
        return Err("a model is being measured already".into());
    }
    let measuring = Measuring(state.measuring.clone());
    let mut settings = state.effective();
    settings.model = Some(name.clone());
    tauri::async_runtime::spawn_blocking(move || {
        let _measuring = measuring;
        let transcriber =
            utter::session::loader::load_transcriber(&settings).map_err(|e| format!("{e:#}"))?;
        let figures = utter::eval::measure_here::measure(transcriber, &settings, |done, total| {
            let progress = MeasureProgress {
                name: name.clone(),
                done,
                total,
            };
            let _ = app.emit("measure", progress);
        })
        .map_err(|e| e.to_string())?;
        tracing::info!(
            model = %name,
            release_to_text_ms = figures.release_to_text_ms,
            wer_percent = figures.wer_percent,
            "measured on this machine"
        );
        MeasuredHereFile::open_default()
            .ok_or("no home folder to keep the figures in")?
            .store(&name, figures.clone())
            .map_err(|e| e.to_string())?;
        Ok(figures)
    })
    .await
    .map_err(|e| format!("internal error: {e}"))?
}
