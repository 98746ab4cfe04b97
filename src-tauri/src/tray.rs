//! The tray icon and its menu: open settings, copy last dictation, pause/resume, quit.

use std::sync::Arc;

use anyhow::Result;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
use utter::session::{Input, State};

use crate::state::{AppState, lock};
use crate::windows;

const TRAY: &str = "utter-tray";

pub fn create(app: &AppHandle) -> Result<()> {
    let settings = MenuItem::with_id(app, "settings", "Settings…", true, None::<&str>)?;
    let copy = MenuItem::with_id(app, "copy_last", "Copy last dictation", true, None::<&str>)?;
    // Enabled when a dictation interrupted by a crash or kill was recovered at start.
    let recovered = MenuItem::with_id(
        app,
        "copy_recovered",
        "No recovered dictation",
        false,
        None::<&str>,
    )?;
    app.manage(RecoveredItem(recovered.clone()));
    let pause = MenuItem::with_id(app, "pause", "Pause hotkey", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Utter", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&settings, &copy, &recovered, &pause, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .menu(&menu)
        .tooltip("Utter — ready")
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "settings" => {
                let _ = windows::show_settings(app);
            }
            "copy_last" => {
                let state = app.state::<Arc<AppState>>();
                if let Err(e) = crate::commands::copy_last_dictation(&state) {
                    tracing::warn!("{e}");
                }
            }
            "copy_recovered" => {
                let state = app.state::<Arc<AppState>>();
                if let Err(e) = crate::commands::copy_recovered(&state) {
                    tracing::warn!("{e}");
                }
            }
            "pause" => {
                let state = app.state::<Arc<AppState>>();
                let paused = {
                    let mut p = lock(&state.paused);
                    *p = !*p;
                    *p
                };
                state.send(Input::Pause(paused));
                let _ = pause.set_text(if paused {
                    "Resume hotkey"
                } else {
                    "Pause hotkey"
                });
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

/// The tray's "Copy recovered dictation" item.
struct RecoveredItem(MenuItem<tauri::Wry>);

/// Offer `count` recovered dictations in the tray.
pub fn offer_recovered(app: &AppHandle, count: usize) {
    if let Some(item) = app.try_state::<RecoveredItem>() {
        let text = match count {
            1 => "Copy recovered dictation".to_string(),
            n => format!("Copy {n} recovered dictations"),
        };
        let _ = item.0.set_text(text);
        let _ = item.0.set_enabled(count > 0);
    }
}

pub fn show_state(app: &AppHandle, state: State) {
    if let Some(tray) = app.tray_by_id(TRAY) {
        let text = match state {
            State::Idle => "Utter — ready",
            State::Recording => "Utter — recording",
            State::Transcribing => "Utter — transcribing",
            State::Paused => "Utter — paused",
        };
        let _ = tray.set_tooltip(Some(text));
    }
}
