//! Whether the focused window is one of Utter's own (settings, indicator), so dictated text is
//! never typed into them: the window system says on X11; on Wayland, where no client may ask,
//! Utter's windows report their own focus.

use std::sync::atomic::{AtomicBool, Ordering};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _};

/// The process id of the focused window's client, when the window says (`_NET_WM_PID`).
pub fn focused_pid() -> Option<u32> {
    let (conn, screen) = x11rb::connect(None).ok()?;
    let root = conn.setup().roots[screen].root;
    let pid_atom = conn
        .intern_atom(true, b"_NET_WM_PID")
        .ok()?
        .reply()
        .ok()?
        .atom;
    let mut window = conn.get_input_focus().ok()?.reply().ok()?.focus;
    // The focus may sit on a child of the client's top-level window: walk up to find the pid.
    for _ in 0..16 {
        if window == root || window == x11rb::NONE {
            return None;
        }
        let reply = conn
            .get_property(false, window, pid_atom, AtomEnum::CARDINAL, 0, 1)
            .ok()?
            .reply()
            .ok()?;
        if let Some(pid) = reply.value32().and_then(|mut v| v.next()) {
            return Some(pid);
        }
        window = conn.query_tree(window).ok()?.reply().ok()?.parent;
    }
    None
}

static OWN_WINDOW_FOCUSED: AtomicBool = AtomicBool::new(false);

/// Called by Utter's windows when they gain or lose the keyboard focus.
pub fn set_own_window_focused(focused: bool) {
    OWN_WINDOW_FOCUSED.store(focused, Ordering::SeqCst);
}

/// Whether the focused window belongs to this process.
pub fn focus_is_ours() -> bool {
    OWN_WINDOW_FOCUSED.load(Ordering::SeqCst) || focused_pid() == Some(std::process::id())
}
