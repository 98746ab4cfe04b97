//! Which kind of desktop session this is, and so which way text can reach its windows.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayServer {
    X11,
    Wayland,
}

impl DisplayServer {
    /// From the session's environment: a Wayland session also sets `DISPLAY` (for XWayland),
    /// so Wayland wins whenever it is there.
    pub fn detect() -> Option<DisplayServer> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        if var("WAYLAND_DISPLAY").is_some() || var("XDG_SESSION_TYPE").as_deref() == Some("wayland")
        {
            Some(DisplayServer::Wayland)
        } else if var("DISPLAY").is_some() {
            Some(DisplayServer::X11)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DisplayServer::X11 => "X11",
            DisplayServer::Wayland => "Wayland",
        }
    }
}
