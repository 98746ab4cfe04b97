//! What the desktop shell keeps while it runs: settings (as saved, plus this run's overrides),
//! the session's input channel, the hotkeys, and warnings to show the user.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};

use utter::session::{Input, State};
use utter::settings::{Loaded, Settings, SettingsFile};

use crate::Args;
use crate::hotkeys::Hotkeys;

pub struct AppState {
    pub file: SettingsFile,
    /// The settings as saved in the file (what the settings window edits).
    saved: Mutex<Settings>,
    overrides: Args,
    pub warnings: Mutex<Vec<String>>,
    /// Why the speech model could not be loaded, until it is (shown with the warnings).
    pub model_problem: Mutex<Option<String>>,
    session: Mutex<Option<Sender<Input>>>,
    pub hotkeys: Mutex<Option<Hotkeys>>,
    /// The dictation key bound through the desktop's portal (Wayland).
    pub portal: Mutex<Option<utter::shortcut_portal::PortalShortcut>>,
    /// How dictation is triggered, once settled at run time (the portal's answer).
    pub trigger: Mutex<Option<String>>,
    pub state: Mutex<State>,
    pub paused: Mutex<bool>,
    /// One clipboard handle for the app's life: on X11 the copied text is served by its owner.
    clipboard: Mutex<Option<arboard::Clipboard>>,
    /// Whether the first model load has been reported (onboarding happens once).
    pub model_checked: std::sync::atomic::AtomicBool,
    /// Raised to cancel the model download in progress.
    pub download_cancel: utter::stt::StopFlag,
    /// A model is being measured (one at a time: two would time each other).
    pub measuring: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the speech model is loaded now (diagnostics).
    pub model_loaded: std::sync::atomic::AtomicBool,
    /// Interrupted dictations recovered at this start (history ids), offered in the tray.
    pub recovered: Mutex<Vec<i64>>,
}

/// A poisoned lock only means another thread panicked mid-update; the data is still usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    pub fn new(file: SettingsFile, loaded: Loaded, overrides: Args) -> AppState {
        AppState {
            file,
            saved: Mutex::new(loaded.settings),
            overrides,
            warnings: Mutex::new(loaded.warning.into_iter().collect()),
            model_problem: Mutex::new(None),
            model_checked: std::sync::atomic::AtomicBool::new(false),
            session: Mutex::new(None),
            hotkeys: Mutex::new(None),
            portal: Mutex::new(None),
            trigger: Mutex::new(None),
            state: Mutex::new(State::Idle),
            paused: Mutex::new(false),
            clipboard: Mutex::new(None),
            recovered: Mutex::new(Vec::new()),
            model_loaded: std::sync::atomic::AtomicBool::new(false),
            download_cancel: Default::default(),
            measuring: Default::default(),
        }
    }

    pub fn saved(&self) -> Settings {
        lock(&self.saved).clone()
    }

    /// The settings in force: saved, with this run's command-line overrides on top.
    pub fn effective(&self) -> Settings {
        let mut s = self.saved();
        if let Some(model) = &self.overrides.model {
            s.model = Some(model.clone());
        }
        if let Some(hotkey) = &self.overrides.hotkey {
            s.hotkey = hotkey.clone();
        }
        s
    }

    pub fn open_settings_at_start(&self) -> bool {
        self.overrides.settings
    }

    pub fn set_saved(&self, settings: Settings) {
        *lock(&self.saved) = settings;
    }

    /// The warnings to show now: those collected, and the speech model's problem if it has one.
    pub fn current_warnings(&self) -> Vec<String> {
        let mut all = lock(&self.warnings).clone();
        all.extend(lock(&self.model_problem).clone());
        all
    }

    pub fn warn(&self, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!("{message}");
        lock(&self.warnings).push(message);
    }

    /// Put text on the clipboard (for "copy" in the history and the tray).
    pub fn copy_to_clipboard(&self, text: &str) -> Result<(), String> {
        let mut slot = lock(&self.clipboard);
        if slot.is_none() {
            *slot = Some(arboard::Clipboard::new().map_err(|e| e.to_string())?);
        }
        match slot.as_mut() {
            Some(clipboard) => clipboard
                .set_text(text.to_string())
                .map_err(|e| e.to_string()),
            None => Err("no clipboard".into()),
        }
    }

    pub fn attach_session(&self, sender: Sender<Input>) {
        *lock(&self.session) = Some(sender);
    }

    pub fn send(&self, input: Input) {
        if let Some(tx) = lock(&self.session).as_ref() {
            let _ = tx.send(input);
        }
    }
}
