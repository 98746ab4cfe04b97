//! The dictation key through the desktop's GlobalShortcuts portal (xdg-desktop-portal; offered
//! by KDE Plasma, GNOME 48 and later, Hyprland): the desktop grabs the key and reports both
//! press and release, so push-to-talk works in native Wayland windows, where no program may
//! grab keys itself. Runs on its own thread; the caller hears presses and releases.

use std::sync::mpsc;
use std::thread::JoinHandle;

use ashpd::desktop::CreateSessionOptions;
use ashpd::desktop::global_shortcuts::{BindShortcutsOptions, GlobalShortcuts, NewShortcut};
use futures_util::StreamExt;

/// The shortcut that dictates, and its variant that skips the LLM clean-up (Shift added).
pub const DICTATE: &str = "dictate";
pub const DICTATE_RAW: &str = "dictate-raw";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortcutEvent {
    /// `raw`: the variant without LLM clean-up.
    Pressed {
        raw: bool,
    },
    Released,
}

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error(
        "this desktop's xdg-desktop-portal offers no GlobalShortcuts (KDE Plasma, GNOME 48 and \
         later and Hyprland do)"
    )]
    Missing,
    #[error("this session has no D-Bus session bus, so no desktop portal")]
    NoBus,
    #[error("the desktop's shortcut dialog was cancelled, so no dictation key is bound")]
    Cancelled,
    #[error("the desktop bound none of Utter's shortcuts")]
    NotBound,
    #[error("the GlobalShortcuts portal failed: {0}")]
    Failed(String),
}

impl From<ashpd::Error> for PortalError {
    fn from(e: ashpd::Error) -> PortalError {
        use ashpd::desktop::ResponseError;
        match e {
            ashpd::Error::PortalNotFound(_) => PortalError::Missing,
            ashpd::Error::Response(ResponseError::Cancelled) => PortalError::Cancelled,
            // No session bus at all.
            ashpd::Error::Zbus(zbus::Error::Address(_))
            | ashpd::Error::Zbus(zbus::Error::Connection(..))
            | ashpd::Error::Zbus(zbus::Error::InputOutput(_)) => PortalError::NoBus,
            ashpd::Error::Zbus(zbus::Error::MethodError(name, _, _))
                if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name.as_str() == "org.freedesktop.DBus.Error.UnknownInterface"
                    || name.as_str() == "org.freedesktop.DBus.Error.UnknownMethod" =>
            {
                PortalError::Missing
            }
            other => PortalError::Failed(other.to_string()),
        }
    }
}

/// A bound dictation shortcut; dropping it closes the portal session (the desktop forgets it).
pub struct PortalShortcut {
    trigger: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl PortalShortcut {
    /// Ask the desktop to bind the dictation key, proposing `hotkey` ("Ctrl+Alt+Space"); the
    /// desktop may show the user a dialog and may bind another key. Blocks until the desktop
    /// answers — call it off the UI thread. `on_event` runs on the portal's thread.
    pub fn bind(
        hotkey: &str,
        on_event: impl FnMut(ShortcutEvent) + Send + 'static,
    ) -> Result<PortalShortcut, PortalError> {
        let shortcuts = wanted_shortcuts(hotkey);
        let (bound_tx, bound_rx) = mpsc::sync_channel(1);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("utter-portal-shortcut".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = bound_tx.send(Err(PortalError::Failed(e.to_string())));
                        return;
                    }
                };
                runtime.block_on(run(shortcuts, bound_tx, stop_rx, on_event));
            })
            .map_err(|e| PortalError::Failed(e.to_string()))?;
        match bound_rx.recv() {
            Ok(Ok(trigger)) => Ok(PortalShortcut {
                trigger,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(PortalError::Failed(
                "the portal thread ended without an answer".into(),
            )),
        }
    }

    /// How the desktop says the key is triggered ("Ctrl+Alt+Space"), as it reported it.
    pub fn trigger(&self) -> &str {
        &self.trigger
    }
}

impl Drop for PortalShortcut {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The thread only closes the session: a short wait, and never on a UI thread's path
        // (bind/rebind run on a background thread).
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn run(
    shortcuts: Vec<NewShortcut>,
    bound: mpsc::SyncSender<Result<String, PortalError>>,
    stop: tokio::sync::oneshot::Receiver<()>,
    mut on_event: impl FnMut(ShortcutEvent),
) {
    let (portal, session, trigger) = match open(&shortcuts).await {
        Ok(opened) => opened,
        Err(e) => {
            let _ = bound.send(Err(e));
            return;
        }
    };
    let streams = futures_util::try_join!(portal.receive_activated(), portal.receive_deactivated());
    let (activated, deactivated) = match streams {
        Ok(streams) => streams,
        Err(e) => {
            let _ = bound.send(Err(e.into()));
            return;
        }
    };
    let _ = bound.send(Ok(trigger));
    // The portal sends these signals only to the session's owner — this connection, which
    // holds one session — so the shortcut's id is all there is to check.
    let events = futures_util::stream::select(
        activated.filter_map(|a| {
            std::future::ready(match a.shortcut_id() {
                DICTATE => Some(ShortcutEvent::Pressed { raw: false }),
                DICTATE_RAW => Some(ShortcutEvent::Pressed { raw: true }),
                _ => None,
            })
        }),
        deactivated.filter_map(|d| {
            let ours = [DICTATE, DICTATE_RAW].contains(&d.shortcut_id());
            std::future::ready(ours.then_some(ShortcutEvent::Released))
        }),
    );
    let mut events = std::pin::pin!(events);
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(event) => on_event(event),
                None => {
                    tracing::warn!("the GlobalShortcuts portal went away; the dictation key no longer works");
                    break;
                }
            },
            _ = &mut stop => break,
        }
    }
    let _ = session.close().await;
}

type Opened = (
    GlobalShortcuts,
    ashpd::desktop::Session<GlobalShortcuts>,
    String,
);

async fn open(shortcuts: &[NewShortcut]) -> Result<Opened, PortalError> {
    let portal = GlobalShortcuts::new().await?;
    let session = portal
        .create_session(CreateSessionOptions::default())
        .await?;
    let answer = portal
        .bind_shortcuts(&session, shortcuts, None, BindShortcutsOptions::default())
        .await?
        .response()?;
    let dictate = answer
        .shortcuts()
        .iter()
        .find(|s| s.id() == DICTATE)
        .ok_or(PortalError::NotBound)?;
    Ok((portal, session, dictate.trigger_description().to_string()))
}

/// The trigger line of the session report, once the portal has answered.
pub fn describe(outcome: &Result<&PortalShortcut, &PortalError>) -> String {
    match outcome {
        Ok(bound) => format!(
            "the desktop's GlobalShortcuts portal: hold {} to talk (with Shift: no LLM \
             clean-up); utter-desktop --press/--release work too",
            bound.trigger()
        ),
        Err(why) => format!(
            "your compositor's key bindings running utter-desktop --press/--release (or \
             --toggle): {why}, and Wayland lets no program grab keys itself"
        ),
    }
}

fn wanted_shortcuts(hotkey: &str) -> Vec<NewShortcut> {
    let trigger = preferred_trigger(hotkey);
    let raw_trigger = trigger
        .as_deref()
        .filter(|t| !t.split('+').any(|part| part == "SHIFT"))
        .map(|t| format!("SHIFT+{t}"));
    vec![
        NewShortcut::new(DICTATE, "Dictate (hold to talk)").preferred_trigger(trigger.as_deref()),
        NewShortcut::new(
            DICTATE_RAW,
            "Dictate without the LLM clean-up (hold to talk)",
        )
        .preferred_trigger(raw_trigger.as_deref()),
    ]
}

/// Utter's hotkey spelling ("Ctrl+Alt+Space") in the XDG shortcuts spelling the portal wants
/// ("CTRL+ALT+space": modifiers in capitals, the key as its XKB keysym name).
pub fn preferred_trigger(hotkey: &str) -> Option<String> {
    let mut parts = Vec::new();
    for part in hotkey.split('+').map(str::trim).filter(|p| !p.is_empty()) {
        let modifier = match part.to_ascii_lowercase().as_str() {
            "ctrl" | "control" => Some("CTRL"),
            "alt" => Some("ALT"),
            "shift" => Some("SHIFT"),
            "super" | "win" | "meta" | "logo" => Some("LOGO"),
            _ => None,
        };
        parts.push(match modifier {
            Some(m) => m.to_string(),
            None => keysym_name(part),
        });
    }
    (!parts.is_empty()).then(|| parts.join("+"))
}

fn keysym_name(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    match lower.as_str() {
        "space" => "space".into(),
        "enter" | "return" => "Return".into(),
        "esc" | "escape" => "Escape".into(),
        "tab" => "Tab".into(),
        "backspace" => "BackSpace".into(),
        _ if key.chars().count() == 1 => lower,
        // F1…F24 and anything else already spelled as a keysym.
        _ if lower.starts_with('f') && lower[1..].parse::<u8>().is_ok() => key.to_ascii_uppercase(),
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkeys_are_spelled_the_portal_way() {
        let cases = [
            ("Ctrl+Alt+Space", Some("CTRL+ALT+space")),
            (" ctrl + shift + D ", Some("CTRL+SHIFT+d")),
            ("Super+F9", Some("LOGO+F9")),
            ("f12", Some("F12")),
            ("Ctrl+Enter", Some("CTRL+Return")),
            ("", None),
        ];
        for (hotkey, want) in cases {
            assert_eq!(preferred_trigger(hotkey).as_deref(), want, "{hotkey:?}");
        }
    }
}
