//! Commands the settings window calls. Each one is a thin call into the engine; slow ones run
//! off the UI thread (`async` commands run on Tauri's worker pool).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tauri::State;
use utter::cleanup::{LlmClient, Provider};
use utter::history::{Entry, History};
use utter::models::{ModelStatus, ModelStore};
use utter::secrets::ApiKeys;
use utter::session::Input;
use utter::settings::Settings;

use crate::state::{AppState, lock};

type Shared<'a> = State<'a, Arc<AppState>>;
type CmdResult<T> = Result<T, String>;

fn text_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Run blocking work (HTTP with the blocking client, audio, downloads) off the async runtime.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(job)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        get_settings,
        save_settings,
        list_devices,
        list_models,
        model_advice,
        desktop_session,
        history_list,
        history_delete,
        history_copy,
        copy_last,
        llm_models,
        llm_test,
        set_api_key,
        providers,
        download_model,
        delete_model,
        history_audio,
        history_retranscribe,
        mic_test,
        try_press,
        try_release,
        cancel_download,
        crate::measure::measure_model,
        crate::golden::history_correct,
        crate::golden::history_confirm,
        crate::golden::history_unmark,
        crate::golden::vocabulary_proposals,
        crate::targets::last_target,
        crate::targets::builtin_profiles,
        crate::diagnostics::diagnostics,
        crate::diagnostics::open_log_folder,
        crate::diagnostics::copy_diagnostics,
    ]
}

#[derive(Serialize)]
struct SettingsView {
    settings: Settings,
    warnings: Vec<String>,
    settings_path: String,
    state: utter::session::State,
}

#[tauri::command]
fn get_settings(state: Shared<'_>) -> SettingsView {
    SettingsView {
        settings: state.saved(),
        warnings: state.current_warnings(),
        settings_path: state.file.path().display().to_string(),
        state: *lock(&state.state),
    }
}

/// Validate, save atomically, and apply at once (hotkey re-grabbed, session updated).
#[tauri::command]
fn save_settings(app: tauri::AppHandle, state: Shared<'_>, settings: Settings) -> CmdResult<()> {
    if settings.cleanup.enabled {
        settings.cleanup.validate().map_err(text_err)?;
    }
    crate::hotkeys::parse(&settings.hotkey).map_err(|e| format!("{e:#}"))?;
    utter::profiles::check(&settings.profiles)?;
    let previous = state.saved();
    let previous_hotkey = state.effective().hotkey;
    state.set_saved(settings.clone());
    let effective = state.effective();
    // Grabbed before anything is written: a key another program holds is refused, not kept.
    let grabbed = match lock(&state.hotkeys).as_mut() {
        Some(h) => h.set_main(&effective.hotkey),
        None => Ok(()),
    };
    if let Err(e) = grabbed.and_then(|()| Ok(state.file.save(&settings)?)) {
        state.set_saved(previous);
        if let Some(h) = lock(&state.hotkeys).as_mut() {
            let _ = h.set_main(&previous_hotkey);
        }
        return Err(format!("{e:#}"));
    }
    if let Err(e) = crate::autostart::apply(settings.start_at_login) {
        state.warn(format!("start at login: {e}"));
    }
    if effective.mode == utter::hotkey::Mode::HandsFree {
        // The end-of-turn model comes with hands-free; fetched in the background if missing.
        let app = app.clone();
        std::thread::spawn(move || {
            if let Err(e) = download_blocking(&app, None, true) {
                tracing::warn!("hands-free model download: {e}");
            }
        });
    }
    if effective.hotkey != previous_hotkey
        && utter::output::DisplayServer::detect() == Some(utter::output::DisplayServer::Wayland)
    {
        crate::portal_trigger::bind(Arc::clone(&state), effective.hotkey.clone());
    }
    state.send(Input::Settings(Box::new(effective)));
    Ok(())
}

#[tauri::command]
async fn list_devices() -> CmdResult<Vec<utter::audio::devices::InputDevice>> {
    blocking(|| utter::audio::devices::list_input_devices().map_err(text_err)).await
}

#[tauri::command]
fn list_models() -> CmdResult<Vec<ModelStatus>> {
    let mut models = ModelStore::open_default().map_err(text_err)?.list();
    if let Some(file) = utter::models::MeasuredHereFile::open_default() {
        file.attach(&mut models);
    }
    Ok(models)
}

/// The model proposed for a dictation language, with the reason (measured figures).
#[tauri::command]
fn model_advice(language: String) -> Option<utter::models::Advice> {
    utter::models::Catalog::builtin().advice(&language)
}

#[derive(Serialize)]
struct DesktopSession {
    report: utter::output::SessionReport,
    key_bindings: Vec<utter::control::KeyBindingSetup>,
}

/// Which trigger and output path this session uses and why, and the key-binding lines for
/// each desktop with this very binary.
#[tauri::command]
fn desktop_session(state: Shared<'_>) -> DesktopSession {
    let program = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "utter-desktop".into());
    let mut report = utter::output::SessionReport::detect(state.effective().output.wayland_typing);
    if let Some(trigger) = lock(&state.trigger).clone() {
        report.trigger = trigger;
    }
    DesktopSession {
        report,
        key_bindings: utter::control::key_binding_setups(&program),
    }
}

#[tauri::command]
fn history_list(query: String, limit: usize) -> CmdResult<Vec<Entry>> {
    History::open_default()
        .map_err(text_err)?
        .search(&query, limit)
        .map_err(text_err)
}

#[tauri::command]
fn history_delete(id: i64) -> CmdResult<()> {
    History::open_default()
        .map_err(text_err)?
        .delete(id)
        .map_err(text_err)
}

#[tauri::command]
fn history_copy(state: Shared<'_>, id: i64) -> CmdResult<()> {
    let entry = History::open_default()
        .map_err(text_err)?
        .get(id)
        .map_err(text_err)?;
    state.copy_to_clipboard(entry.text().unwrap_or_default())
}

pub fn copy_last_dictation(state: &AppState) -> CmdResult<()> {
    let history = History::open_default().map_err(text_err)?;
    match history.last_with_text().map_err(text_err)? {
        Some(entry) => state.copy_to_clipboard(entry.text().unwrap_or_default()),
        None => Err("no dictation yet".into()),
    }
}

/// The texts of the dictations recovered at this start, oldest first, on the clipboard.
pub fn copy_recovered(state: &AppState) -> CmdResult<()> {
    let ids = crate::state::lock(&state.recovered).clone();
    let history = History::open_default().map_err(text_err)?;
    let texts: Vec<String> = ids
        .iter()
        .filter_map(|id| history.get(*id).ok())
        .filter_map(|entry| entry.text().map(str::to_string))
        .collect();
    if texts.is_empty() {
        return Err("no recovered dictation".into());
    }
    state.copy_to_clipboard(&texts.join("\n\n"))
}

/// Stop the download in progress (its bytes are kept; downloading again resumes).
#[tauri::command]
fn cancel_download(state: Shared<'_>) {
    state
        .download_cancel
        .store(true, std::sync::atomic::Ordering::SeqCst);
}

/// The settings window's "hold to try" button: the same as the hotkey going down and up.
#[tauri::command]
fn try_press(state: Shared<'_>) {
    state.send(Input::Press(std::time::Instant::now()));
}

#[tauri::command]
fn try_release(state: Shared<'_>) {
    state.send(Input::Release(std::time::Instant::now()));
}

#[tauri::command]
fn copy_last(state: Shared<'_>) -> CmdResult<()> {
    copy_last_dictation(&state)
}

#[derive(Serialize)]
struct ProviderView {
    id: &'static str,
    label: &'static str,
    base_url: &'static str,
    local: bool,
}

#[tauri::command]
fn providers() -> Vec<ProviderView> {
    Provider::ALL
        .iter()
        .map(|p| ProviderView {
            id: p.id(),
            label: p.label(),
            base_url: p.base_url(),
            local: p.is_local(),
        })
        .collect()
}

fn client_for(settings: &utter::cleanup::CleanupSettings) -> CmdResult<LlmClient> {
    let key = ApiKeys::default()
        .get(settings.provider)
        .ok()
        .flatten()
        .map(|(k, _)| k);
    LlmClient::new(settings.provider, &settings.effective_base_url(), key).map_err(text_err)
}

#[tauri::command]
async fn llm_models(cleanup: utter::cleanup::CleanupSettings) -> CmdResult<Vec<String>> {
    blocking(move || {
        client_for(&cleanup)?
            .list_models(Duration::from_secs(10))
            .map_err(text_err)
    })
    .await
}

#[derive(Serialize)]
struct PingView {
    round_trip_ms: u128,
    models: usize,
}

#[tauri::command]
async fn llm_test(cleanup: utter::cleanup::CleanupSettings) -> CmdResult<PingView> {
    blocking(move || {
        let (rtt, models) = client_for(&cleanup)?
            .ping(Duration::from_secs(10))
            .map_err(text_err)?;
        Ok(PingView {
            round_trip_ms: rtt.as_millis(),
            models,
        })
    })
    .await
}

/// The key goes to the OS keyring only; it never passes through the settings.
#[tauri::command]
fn set_api_key(provider: String, key: String) -> CmdResult<()> {
    let provider = Provider::from_id(&provider).ok_or("unknown provider")?;
    ApiKeys::default().set(provider, &key).map_err(text_err)
}

#[derive(Clone, Serialize)]
struct DownloadEvent {
    name: String,
    downloaded: u64,
    total: u64,
    done: bool,
    error: Option<String>,
}

/// Download a catalog model (and the VAD model if missing), reporting progress as
/// "download" events at most every 200 ms.
#[tauri::command]
async fn download_model(app: tauri::AppHandle, state: Shared<'_>, name: String) -> CmdResult<()> {
    let hands_free = state.effective().mode == utter::hotkey::Mode::HandsFree;
    blocking(move || download_blocking(&app, Some(&name), hands_free)).await
}

/// Download `name` (if any) with what dictation needs beside it: the VAD model, and the
/// end-of-turn model when dictating hands-free.
pub fn download_blocking(
    app: &tauri::AppHandle,
    name: Option<&str>,
    hands_free: bool,
) -> CmdResult<()> {
    use tauri::{Emitter, Manager};
    let store = ModelStore::open_default().map_err(text_err)?;
    // A new download starts uncancelled; the settings window's Cancel raises the flag.
    let cancel = app.state::<Arc<AppState>>().download_cancel.clone();
    cancel.store(false, std::sync::atomic::Ordering::SeqCst);
    let downloader = utter::models::Downloader::new(Default::default())
        .map_err(text_err)?
        .cancelled_by(cancel);
    let catalog = store.catalog();
    let helpers = [catalog.vad(), catalog.turn().filter(|_| hands_free)];
    let mut wanted: Vec<String> = helpers.iter().flatten().map(|m| m.name.clone()).collect();
    wanted.extend(name.map(str::to_string));
    for model in wanted {
        let entry = store.catalog().get(&model).map_err(text_err)?.clone();
        if store.is_installed(&entry) {
            continue;
        }
        let mut last = std::time::Instant::now();
        let emit = |downloaded, total, done, error: Option<String>| {
            let _ = app.emit(
                "download",
                DownloadEvent {
                    name: model.clone(),
                    downloaded,
                    total,
                    done,
                    error,
                },
            );
        };
        let mut total = entry.size;
        let result = store.install(&entry, &downloader, None, &mut |p| {
            total = p.total;
            if last.elapsed() >= Duration::from_millis(200) {
                last = std::time::Instant::now();
                emit(p.downloaded, p.total, false, None);
            }
        });
        match result {
            Ok(_) => emit(total, total, true, None),
            Err(e) => {
                emit(0, entry.size, true, Some(e.to_string()));
                return Err(e.to_string());
            }
        }
    }
    Ok(())
}

#[tauri::command]
fn delete_model(name: String) -> CmdResult<()> {
    ModelStore::open_default()
        .map_err(text_err)?
        .delete(&name)
        .map(|_| ())
        .map_err(text_err)
}

/// A past dictation's audio as a `data:` URL for an `<audio>` element.
#[tauri::command]
fn history_audio(id: i64) -> CmdResult<String> {
    use base64::Engine as _;
    let entry = History::open_default()
        .map_err(text_err)?
        .get(id)
        .map_err(text_err)?;
    let path = entry
        .audio_path
        .ok_or("this dictation's audio was not kept")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(format!(
        "data:audio/wav;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Ask the session to transcribe a past dictation again; the answer comes as a
/// "retranscribed" session event.
#[tauri::command]
fn history_retranscribe(state: Shared<'_>, id: i64) {
    state.send(Input::Retranscribe(id));
}

/// Listen to a microphone for three seconds and report its level as "mic_level" events, so
/// the user can see it works before dictating.
#[tauri::command]
async fn mic_test(app: tauri::AppHandle, device: Option<String>) -> CmdResult<String> {
    blocking(move || mic_test_blocking(&app, device)).await
}

fn mic_test_blocking(app: &tauri::AppHandle, device: Option<String>) -> CmdResult<String> {
    use tauri::Emitter;
    let options = utter::audio::CaptureOptions {
        device: device.filter(|d| !d.is_empty()),
        ..Default::default()
    };
    let mic = utter::audio::Microphone::open(&options).map_err(text_err)?;
    drop(mic.start_recording());
    let mut peak = 0.0f32;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(50));
        mic.health().map_err(text_err)?;
        let level = mic.level();
        peak = peak.max(level);
        let _ = app.emit("mic_level", level);
    }
    let _ = mic.stop_recording();
    let _ = app.emit("mic_level", 0.0f32);
    Ok(format!(
        "{} works (peak level {:.2})",
        mic.device_name(),
        peak
    ))
}
