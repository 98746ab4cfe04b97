//! The Tauri application: windows (settings, recording indicator), and wiring the session's
//! events to them.

use std::sync::Arc;

use anyhow::Result;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};
use utter::output::DisplayServer;
use utter::session::{Session, SessionEvent, State};

use crate::hotkeys::{self, Hotkeys};
use crate::state::{AppState, lock};
use crate::{commands, tray};

pub const SETTINGS: &str = "settings";
pub const INDICATOR: &str = "indicator";

pub fn run(state: AppState) -> Result<()> {
    let state = Arc::new(state);
    let app = tauri::Builder::default()
        .manage(Arc::clone(&state))
        .invoke_handler(commands::handler())
        .setup(move |app| {
            setup(app.handle(), Arc::clone(&state));
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|_handle, event| {
        // The app lives in the tray: closing the settings window must not quit it.
        if let tauri::RunEvent::ExitRequested { api, code, .. } = event
            && code.is_none()
        {
            api.prevent_exit();
        }
    });
    Ok(())
}

fn setup(app: &AppHandle, state: Arc<AppState>) {
    let settings = state.effective();
    if let Err(e) = tray::create(app) {
        // Headless X or a desktop without a tray host: everything else still works.
        tracing::warn!("no tray icon: {e}");
    }
    let report = utter::output::SessionReport::detect(settings.output.wayland_typing);
    tracing::info!(
        "session: {}; trigger: {}; typing: {}; pasting: {}",
        report
            .display_server
            .map_or("no display", DisplayServer::name),
        report.trigger,
        report.typing,
        report.pasting
    );
    let wayland = report.display_server == Some(DisplayServer::Wayland);
    if wayland {
        // A Wayland compositor gives a new window the keyboard focus: only a layer-shell
        // surface can stay out of the way; without one, better no indicator than a focus thief.
        match crate::layer_indicator::create() {
            Ok(()) => tracing::info!("recording indicator: a layer-shell overlay (never focused)"),
            Err(why) => tracing::info!("no recording indicator: {why}"),
        }
    } else if let Err(e) = create_indicator(app) {
        tracing::warn!("no recording indicator: {e}");
    }
    match Hotkeys::new(&settings.hotkey) {
        Ok(h) if wayland => {
            tracing::info!(
                "Wayland session: the X11 grab of {} only hears it while an XWayland window \
                 has the focus",
                settings.hotkey
            );
            *lock(&state.hotkeys) = Some(h);
        }
        Ok(h) => {
            tracing::info!("hold {} to dictate", settings.hotkey);
            *lock(&state.hotkeys) = Some(h);
        }
        Err(_) if wayland => {}
        Err(e) => state.warn(format!("{e:#}")),
    }
    if wayland {
        crate::portal_trigger::bind(Arc::clone(&state), settings.hotkey.clone());
    }
    hotkeys::listen(Arc::clone(&state));
    if state.open_settings_at_start()
        && let Err(e) = show_settings(app)
    {
        tracing::warn!("cannot open the settings window: {e}");
    }

    // The session starts at once; the worker loads the models on its own thread, and a
    // dictation started meanwhile waits for them instead of being dropped.
    let mut warnings = Vec::new();
    let pipeline = utter::session::loader::load_pipeline_without_models(&settings, &mut warnings);
    for w in warnings {
        state.warn(w);
    }
    let events_app = app.clone();
    let events_state = Arc::clone(&state);
    let session = Session::start(settings, pipeline, move |event| {
        on_session_event(&events_app, &events_state, event)
    });
    state.attach_session(session.sender());
    // Dictations a killed or crashed run left behind are transcribed in the background.
    session.send(utter::session::Input::Recover);
    // The session lives as long as the app.
    std::mem::forget(session);
    // So does the control socket (a file left at exit is replaced by the next start).
    std::mem::forget(crate::remote::listen(app, Arc::clone(&state)));
}

fn on_model_loaded(app: &AppHandle, state: &AppState, loaded: bool, problem: Option<&str>) {
    state
        .model_loaded
        .store(loaded, std::sync::atomic::Ordering::SeqCst);
    // A problem stays shown until the model loads (after a download, say), then goes.
    if let Some(problem) = problem {
        tracing::warn!("{problem}");
        *lock(&state.model_problem) = Some(problem.to_string());
    } else if loaded {
        *lock(&state.model_problem) = None;
    }
    let first = !state
        .model_checked
        .swap(true, std::sync::atomic::Ordering::SeqCst);
    if loaded {
        tracing::info!("ready");
    } else if first {
        // Onboarding: show the settings so a model can be downloaded; never blocks.
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || {
            let _ = show_settings(&handle);
        });
    } else {
        tracing::info!("speech model unloaded");
    }
}

fn on_session_event(app: &AppHandle, state: &AppState, event: SessionEvent) {
    match &event {
        SessionEvent::State { state: s } => {
            tracing::info!("state: {}", state_name(*s));
            *lock(&state.state) = *s;
            show_indicator(app, matches!(s, State::Recording | State::Transcribing));
            tray::show_state(app, *s);
        }
        SessionEvent::WantCancelKey { wanted } => {
            if let Some(h) = lock(&state.hotkeys).as_mut() {
                h.want_cancel(*wanted);
            }
        }
        SessionEvent::Finished { report } => {
            let timings: Vec<String> = report
                .timings
                .iter()
                .map(|(k, v)| format!("{k} {v:.0} ms"))
                .collect();
            tracing::info!(
                delivered = report.delivered,
                "dictation: {}",
                timings.join(", ")
            );
            tracing::debug!(text = %report.text, "dictation text");
        }
        SessionEvent::Problem { message } => state.warn(message.clone()),
        SessionEvent::ModelLoaded { loaded, problem } => {
            on_model_loaded(app, state, *loaded, problem.as_deref())
        }
        // Transcripts only at debug level, like the dictation's text.
        SessionEvent::Partial { text } => tracing::debug!("indicator text: {text}"),
        // The window title stays out of the log: it can name what the user is working on.
        SessionEvent::Target { app, profile } => tracing::info!(
            "dictating into {app}{}",
            profile
                .as_deref()
                .map_or(String::new(), |p| format!(" (profile {p})"))
        ),
        SessionEvent::HandsFree => {
            tracing::info!("listening hands-free: the dictation ends when you stop talking")
        }
        SessionEvent::FollowOn => {
            tracing::info!("listening for more: speech now continues the dictation")
        }
        SessionEvent::Recovered { dictations } => on_recovered(app, state, dictations),
        SessionEvent::Level { .. } | SessionEvent::Retranscribed { .. } => {}
    }
    follow_in_layer_indicator(app, &event);
    let _ = app.emit("session", &event);
}

/// Tell the user about dictations recovered after a crash or kill, and offer them in the
/// tray. Their text stays out of the log; it was never typed anywhere.
fn on_recovered(app: &AppHandle, state: &AppState, dictations: &[utter::session::Recovered]) {
    let ids: Vec<i64> = dictations
        .iter()
        .filter(|d| d.text.as_deref().is_some_and(|t| !t.trim().is_empty()))
        .map(|d| d.id)
        .collect();
    for d in dictations.iter().filter(|d| d.error.is_some()) {
        tracing::warn!(
            "interrupted dictation {} not recovered: {}",
            d.id,
            d.error.as_deref().unwrap_or_default()
        );
    }
    if ids.is_empty() {
        return;
    }
    state.warn(format!(
        "Utter was stopped during {}; recovered from the recording, kept in the history (ids          {}) and not typed anywhere — tray → Copy recovered dictation",
        if ids.len() == 1 { "a dictation".to_string() } else { format!("{} dictations", ids.len()) },
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    ));
    let count = ids.len();
    *crate::state::lock(&state.recovered) = ids;
    crate::tray::offer_recovered(app, count);
}

fn create_indicator(app: &AppHandle) -> Result<()> {
    WebviewWindowBuilder::new(app, INDICATOR, WebviewUrl::App("indicator.html".into()))
        .title("Utter")
        .inner_size(220.0, 44.0)
        .resizable(false)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .focused(false)
        .focusable(false)
        .visible(false)
        .build()?;
    Ok(())
}

/// The Wayland indicator follows the session's events itself (on the main thread).
fn follow_in_layer_indicator(app: &AppHandle, event: &SessionEvent) {
    if matches!(
        event,
        SessionEvent::State { .. }
            | SessionEvent::HandsFree
            | SessionEvent::FollowOn
            | SessionEvent::Target { .. }
            | SessionEvent::Partial { .. }
            | SessionEvent::Level { .. }
    ) {
        let event = event.clone();
        let _ = app.run_on_main_thread(move || crate::layer_indicator::show(&event));
    }
}

fn show_indicator(app: &AppHandle, visible: bool) {
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if let Some(w) = handle.get_webview_window(INDICATOR) {
            let _ = if visible { w.show() } else { w.hide() };
        }
    });
}

const SETTINGS_SIZE: (f64, f64) = (760.0, 720.0);

/// At 200 % on a laptop screen the usual size is taller than the screen: keep the window within
/// 90 % of its monitor (its sections scroll; the sidebar and the footer stay in view).
fn fit_to_monitor(window: &tauri::WebviewWindow) {
    let Ok(Some(monitor)) = window.current_monitor() else {
        return;
    };
    let screen = monitor.size().to_logical::<f64>(monitor.scale_factor());
    let width = SETTINGS_SIZE.0.min(screen.width * 0.9);
    let height = SETTINGS_SIZE.1.min(screen.height * 0.9);
    if (width, height) != SETTINGS_SIZE {
        tracing::info!(width, height, "settings window made to fit the screen");
        let _ = window.set_size(tauri::LogicalSize::new(width, height));
    }
}

/// Open (or raise) the settings window. Must run on the main thread.
pub fn show_settings(app: &AppHandle) -> Result<()> {
    if let Some(w) = app.get_webview_window(SETTINGS) {
        w.show()?;
        w.set_focus()?;
        return Ok(());
    }
    let window = WebviewWindowBuilder::new(app, SETTINGS, WebviewUrl::App("index.html".into()))
        .title("Utter — Settings")
        .inner_size(SETTINGS_SIZE.0, SETTINGS_SIZE.1)
        .min_inner_size(480.0, 360.0)
        .build()?;
    fit_to_monitor(&window);
    // On Wayland no one can ask which window has the keyboard; the window itself knows.
    window.on_window_event(|event| match event {
        tauri::WindowEvent::Focused(focused) => {
            utter::output::focus::set_own_window_focused(*focused)
        }
        tauri::WindowEvent::Destroyed => utter::output::focus::set_own_window_focused(false),
        _ => {}
    });
    Ok(())
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Idle => "idle",
        State::Recording => "recording",
        State::Transcribing => "transcribing",
        State::Paused => "paused",
    }
}
