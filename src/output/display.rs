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

/// How dictation is triggered and text delivered in this session, and why: for the log and
/// the settings window.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    pub display_server: Option<DisplayServer>,
    pub trigger: String,
    pub typing: String,
    pub pasting: String,
}

impl SessionReport {
    /// With `typing`, the user's choice of how to type on Wayland.
    pub fn detect(typing: super::WaylandTyping) -> SessionReport {
        let display_server = DisplayServer::detect();
        let (trigger, typing, pasting) = match display_server {
            Some(DisplayServer::X11) => (
                "the hotkey (an X11 key grab); utter-desktop --press/--release/--toggle work too"
                    .to_string(),
                "X11 key events (XTest)".to_string(),
                "Utter's own X11 clipboard selection; your clipboard comes back after the paste"
                    .to_string(),
            ),
            Some(DisplayServer::Wayland) => wayland_paths(typing),
            None => (
                "none: no display (DISPLAY / WAYLAND_DISPLAY unset)".to_string(),
                "none: no display".to_string(),
                "none: no display".to_string(),
            ),
        };
        SessionReport {
            display_server,
            trigger,
            typing,
            pasting,
        }
    }
}

fn wayland_paths(typing: super::WaylandTyping) -> (String, String, String) {
    // Settled once the portal answers (shortcut_portal::describe).
    let trigger = "the desktop's GlobalShortcuts portal where it has one, else your \
                   compositor's key bindings running utter-desktop --press/--release (or \
                   --toggle): Wayland lets no program grab keys itself"
        .to_string();
    let globals = super::wayland_connect::interfaces().unwrap_or_default();
    let has = |name: &str| globals.iter().any(|g| g == name);
    let typing = match super::typing::wayland_way(typing, has("zwp_virtual_keyboard_manager_v1")) {
        Ok(way) => way.describe().to_string(),
        Err(why) => format!("none: {why}; dictations stay in the history"),
    };
    let pasting = if has("zwlr_data_control_manager_v1") {
        "the Wayland clipboard (data-control); your clipboard comes back after the paste"
            .to_string()
    } else {
        "none: this compositor has no data-control protocol; use typing".to_string()
    };
    (trigger, typing, pasting)
}
