//! In a Wayland session, the dictation key through the desktop's GlobalShortcuts portal where
//! it has one (press and release: push-to-talk); where it has none, the compositor's key
//! bindings reach the control socket instead (remote.rs), and the user is told how.

use std::sync::Arc;
use std::time::Instant;

use utter::session::Input;
use utter::shortcut_portal::{self, PortalError, PortalShortcut, ShortcutEvent};

use crate::state::{AppState, lock};

/// Ask the portal for `hotkey` on a background thread (the desktop may show a dialog and wait
/// for the user); a shortcut bound before is given back first.
pub fn bind(state: Arc<AppState>, hotkey: String) {
    let spawned = std::thread::Builder::new()
        .name("utter-portal-bind".into())
        .spawn(move || {
            // Held while binding: a second request waits for the first instead of racing it.
            let mut current = lock(&state.portal);
            drop(current.take());
            let sender = Arc::clone(&state);
            let bound = PortalShortcut::bind(&hotkey, move |event| match event {
                ShortcutEvent::Pressed { raw } => {
                    sender.send(Input::PreferRaw(raw));
                    sender.send(Input::Press(Instant::now()));
                }
                ShortcutEvent::Released => sender.send(Input::Release(Instant::now())),
            });
            let trigger = shortcut_portal::describe(&bound.as_ref());
            tracing::info!("trigger: {trigger}");
            match bound {
                Ok(bound) => *current = Some(bound),
                Err(PortalError::Missing | PortalError::NoBus) => {}
                Err(e) => state.warn(format!("dictation key: {e}")),
            }
            *lock(&state.trigger) = Some(trigger);
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot ask the GlobalShortcuts portal: {e}");
    }
}
