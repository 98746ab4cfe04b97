//! Which application a dictation is for: the focused window when the key goes down, as far as
//! the session tells — the window's class and title on X11, sway's or Hyprland's IPC on
//! Wayland, nothing elsewhere (then the default profile applies).

mod hyprland;
mod sway;
mod x11;

use serde::{Deserialize, Serialize};

use crate::output::DisplayServer;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Target {
    /// The application: WM_CLASS's class on X11 ("XTerm"), the app id on Wayland ("foot").
    pub app: String,
    /// WM_CLASS's instance ("xterm"), when the window has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    pub title: String,
    /// Which window exactly (X11 window id, sway container id, Hyprland address): a later
    /// dictation can tell whether it goes to the same one.
    pub window: String,
}

impl Target {
    /// The names a profile's `apps` patterns are matched against.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.app.as_str()).chain(self.instance.as_deref())
    }
}

/// The focused application now; `None` when the session does not say.
pub fn focused() -> Option<Target> {
    match DisplayServer::detect() {
        Some(DisplayServer::X11) => x11::focused(),
        Some(DisplayServer::Wayland) => sway::focused().or_else(hyprland::focused),
        None => None,
    }
}
