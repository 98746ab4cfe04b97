//! Global hotkeys (global-hotkey, X11 key grabs): the dictation key, and Esc to cancel —
//! grabbed only while recording so that Esc keeps working everywhere else.

use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context, Result};
use global_hotkey::hotkey::{Code, HotKey, Modifiers};
use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState};
use utter::session::Input;

/// "Ctrl+Alt+Space", "ctrl + shift + d", "F9" → a hotkey.
pub fn parse(spec: &str) -> Result<HotKey> {
    let normalized: Vec<String> = spec
        .split('+')
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .map(|part| match part.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => "control".to_string(),
            "win" | "meta" | "super" => "super".to_string(),
            _ => part.to_string(),
        })
        .collect();
    anyhow::ensure!(!normalized.is_empty(), "the hotkey is empty");
    let hotkey = HotKey::from_str(&normalized.join("+"))
        .with_context(|| format!("{spec:?} is not a hotkey (try \"Ctrl+Alt+Space\" or \"F9\")"))?;
    anyhow::ensure!(
        hotkey.key != Code::Escape,
        "Esc cancels a dictation, so it cannot start one: choose another hotkey"
    );
    let command_modifiers = Modifiers::CONTROL | Modifiers::ALT | Modifiers::SUPER;
    anyhow::ensure!(
        !types_text(hotkey.key) || hotkey.mods.intersects(command_modifiers),
        "the hotkey {spec:?} would be taken from everything you type: add Ctrl, Alt or Super, \
         or use a key such as F9"
    );
    Ok(hotkey)
}

/// Keys that type something or edit text: grabbed without Ctrl/Alt/Super they would be gone
/// from every application.
fn types_text(key: Code) -> bool {
    use Code::*;
    let name = format!("{key:?}");
    name.starts_with("Key")
        || name.starts_with("Digit")
        || name.starts_with("Numpad")
        || matches!(
            key,
            Space
                | Enter
                | Tab
                | Backspace
                | Delete
                | Minus
                | Equal
                | BracketLeft
                | BracketRight
                | Backslash
                | Semicolon
                | Quote
                | Backquote
                | Comma
                | Period
                | Slash
                | IntlBackslash
        )
}

pub struct Hotkeys {
    manager: GlobalHotKeyManager,
    main: HotKey,
    /// The dictation key with Shift added: this dictation skips the LLM clean-up.
    raw: Option<HotKey>,
    /// Esc alone, and Esc with the dictation key's modifiers (still held in push-to-talk).
    cancel: Vec<HotKey>,
    cancel_registered: bool,
}

fn raw_key(main: &HotKey) -> Option<HotKey> {
    (!main.mods.contains(Modifiers::SHIFT))
        .then(|| HotKey::new(Some(main.mods | Modifiers::SHIFT), main.key))
}

fn cancel_keys(main: &HotKey) -> Vec<HotKey> {
    let mut keys = vec![HotKey::new(None, Code::Escape)];
    if !main.mods.is_empty() {
        keys.push(HotKey::new(Some(main.mods), Code::Escape));
    }
    keys
}

impl Hotkeys {
    pub fn new(spec: &str) -> Result<Hotkeys> {
        let manager = GlobalHotKeyManager::new().context("cannot listen to global hotkeys")?;
        let main = parse(spec)?;
        manager.register(main).with_context(|| {
            format!("cannot grab the hotkey {spec:?} (is another app using it?)")
        })?;
        let raw = raw_key(&main).filter(|raw| match manager.register(*raw) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("no raw-dictation variant of the hotkey: {e}");
                false
            }
        });
        Ok(Hotkeys {
            manager,
            cancel: cancel_keys(&main),
            raw,
            main,
            cancel_registered: false,
        })
    }

    /// Switch to another hotkey at once; the old one is released. On failure the old one stays.
    pub fn set_main(&mut self, spec: &str) -> Result<()> {
        let new = parse(spec)?;
        if new == self.main {
            return Ok(());
        }
        let _ = self.manager.unregister(self.main);
        if let Err(e) = self.manager.register(new) {
            let _ = self.manager.register(self.main);
            return Err(e).with_context(|| format!("cannot grab the hotkey {spec:?}"));
        }
        let cancel_was_registered = self.cancel_registered;
        self.want_cancel(false);
        if let Some(raw) = self.raw.take() {
            let _ = self.manager.unregister(raw);
        }
        self.raw = raw_key(&new).filter(|raw| self.manager.register(*raw).is_ok());
        self.main = new;
        self.cancel = cancel_keys(&new);
        self.want_cancel(cancel_was_registered);
        Ok(())
    }

    pub fn want_cancel(&mut self, wanted: bool) {
        if wanted == self.cancel_registered {
            return;
        }
        let result = if wanted {
            self.manager.register_all(&self.cancel)
        } else {
            self.manager.unregister_all(&self.cancel)
        };
        match result {
            Ok(()) => self.cancel_registered = wanted,
            Err(e) => tracing::warn!("cancel key: {e}"),
        }
    }

    /// What a hotkey event means for the session.
    pub fn inputs_for(&self, event: &GlobalHotKeyEvent) -> Vec<Input> {
        let now = Instant::now();
        let raw = self.raw.is_some_and(|r| r.id() == event.id());
        if event.id() == self.main.id() || raw {
            match event.state() {
                HotKeyState::Pressed => vec![Input::PreferRaw(raw), Input::Press(now)],
                HotKeyState::Released => vec![Input::Release(now)],
            }
        } else if self.cancel.iter().any(|c| c.id() == event.id())
            && event.state() == HotKeyState::Pressed
        {
            vec![Input::Cancel]
        } else {
            Vec::new()
        }
    }
}

/// Forward hotkey events to the session for the life of the app.
pub fn listen(state: std::sync::Arc<crate::state::AppState>) {
    std::thread::Builder::new()
        .name("utter-hotkeys".into())
        .spawn(move || {
            let events = GlobalHotKeyEvent::receiver();
            while let Ok(event) = events.recv() {
                let inputs = crate::state::lock(&state.hotkeys)
                    .as_ref()
                    .map(|h| h.inputs_for(&event))
                    .unwrap_or_default();
                for input in inputs {
                    state.send(input);
                }
            }
        })
        .expect("spawn the hotkey thread");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_parse() {
        let h = parse("Ctrl+Alt+Space").unwrap();
        assert_eq!(
            h,
            HotKey::new(Some(Modifiers::CONTROL | Modifiers::ALT), Code::Space)
        );
        assert_eq!(parse(" ctrl + shift + d ").unwrap().key, Code::KeyD);
        assert_eq!(parse("F9").unwrap(), HotKey::new(None, Code::F9));
        assert!(parse("").is_err());
        assert!(parse("Ctrl+Banana").is_err());
    }

    #[test]
    fn keys_that_type_need_a_command_modifier_and_esc_is_taken() {
        for refused in [
            "A",
            "Shift+A",
            "Space",
            "Shift+Space",
            "7",
            "Comma",
            "Enter",
        ] {
            let e = parse(refused).unwrap_err().to_string();
            assert!(
                e.contains("taken from everything you type"),
                "{refused}: {e}"
            );
        }
        for allowed in ["Ctrl+A", "Alt+Space", "Super+7", "F9", "Shift+F12", "Pause"] {
            assert!(parse(allowed).is_ok(), "{allowed}");
        }
        let e = parse("Escape").unwrap_err().to_string();
        assert!(e.contains("Esc cancels"), "{e}");
    }

    #[test]
    fn the_raw_variant_adds_shift() {
        let main = parse("Ctrl+Alt+Space").unwrap();
        let raw = raw_key(&main).unwrap();
        assert_eq!(
            raw.mods,
            Modifiers::CONTROL | Modifiers::ALT | Modifiers::SHIFT
        );
        assert_eq!(raw.key, Code::Space);
        assert!(raw_key(&parse("Ctrl+Shift+D").unwrap()).is_none());
    }
}
