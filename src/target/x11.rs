//! The focused window's WM_CLASS and title on X11.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};

use super::Target;

pub fn focused() -> Option<Target> {
    let (conn, screen) = x11rb::connect(None).ok()?;
    let root = conn.setup().roots[screen].root;
    let atom = |name: &[u8]| -> Option<u32> {
        Some(conn.intern_atom(false, name).ok()?.reply().ok()?.atom)
    };
    let (net_wm_name, utf8) = (atom(b"_NET_WM_NAME")?, atom(b"UTF8_STRING")?);
    let text = |window: Window, property: u32, kind: u32| -> Option<Vec<u8>> {
        let reply = conn
            .get_property(false, window, property, kind, 0, 4096)
            .ok()?
            .reply()
            .ok()?;
        (reply.value_len > 0).then_some(reply.value)
    };
    // The focus may sit on a child of the application's top-level window: walk up to the
    // window that has a class.
    let mut window = conn.get_input_focus().ok()?.reply().ok()?.focus;
    for _ in 0..16 {
        if window == root || window == x11rb::NONE {
            return None;
        }
        if let Some(class) = text(window, AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into()) {
            let mut parts = class
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned());
            let instance = parts.next().filter(|s| !s.is_empty());
            let app = parts.next().filter(|s| !s.is_empty());
            let title = text(window, net_wm_name, utf8)
                .or_else(|| text(window, AtomEnum::WM_NAME.into(), AtomEnum::STRING.into()))
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default();
            return Some(Target {
                app: app.or_else(|| instance.clone()).unwrap_or_default(),
                instance,
                title,
                window: window.to_string(),
            });
        }
        window = conn.query_tree(window).ok()?.reply().ok()?.parent;
    }
    None
}
