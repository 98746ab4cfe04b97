//! Whether the user typed anything since the last dictation (X11): XInput 2 raw key presses,
//! seen without grabbing anything. "scratch that" only erases a dictation nothing was typed
//! after — else it would erase the user's own words.

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::Event;
use x11rb::protocol::xinput::{self, ConnectionExt as _};
use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

pub struct KeyWatch {
    conn: RustConnection,
    /// Keys that type nothing themselves (Shift, Ctrl, …): pressing them is not typing.
    modifiers: Vec<u8>,
}

/// Raw events also report auto-repeat, which is not a new key press.
const KEY_REPEAT: u32 = 1 << 16;

impl KeyWatch {
    /// `None` where the server has no XInput 2 (then nothing can be known, and "scratch that"
    /// refuses).
    pub fn start() -> Option<KeyWatch> {
        let (conn, screen) = x11rb::connect(None).ok()?;
        conn.extension_information(xinput::X11_EXTENSION_NAME)
            .ok()??;
        conn.xinput_xi_query_version(2, 0).ok()?.reply().ok()?;
        let root = conn.setup().roots[screen].root;
        let mask = xinput::EventMask {
            deviceid: 1, // all master devices
            mask: vec![xinput::XIEventMask::RAW_KEY_PRESS],
        };
        conn.xinput_xi_select_events(root, &[mask])
            .ok()?
            .check()
            .ok()?;
        let modifiers = conn
            .get_modifier_mapping()
            .ok()?
            .reply()
            .ok()?
            .keycodes
            .into_iter()
            .filter(|k| *k != 0)
            .collect();
        Some(KeyWatch { conn, modifiers })
    }

    /// Keycodes that produce `keysym` in the current keymap.
    pub fn keycodes_of(&self, keysym: u32) -> Vec<u8> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let Some(map) = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return Vec::new();
        };
        let per = usize::from(map.keysyms_per_keycode.max(1));
        map.keysyms
            .chunks(per)
            .enumerate()
            .filter(|(_, syms)| syms.contains(&keysym))
            .map(|(i, _)| min + i as u8)
            .collect()
    }

    /// Keys pressed since the last call (modifiers, repeats and `ignored` keycodes aside).
    /// A round trip first, so every key the server has seen so far is counted.
    pub fn presses_since_last(&mut self, ignored: &[u8]) -> usize {
        if self
            .conn
            .get_input_focus()
            .ok()
            .and_then(|c| c.reply().ok())
            .is_none()
        {
            return 0;
        }
        let mut presses = 0;
        while let Ok(Some(event)) = self.conn.poll_for_event() {
            if let Event::XinputRawKeyPress(e) = event {
                let code = e.detail as u8;
                let repeat = u32::from(e.flags) & KEY_REPEAT != 0;
                if !repeat && !self.modifiers.contains(&code) && !ignored.contains(&code) {
                    presses += 1;
                }
            }
        }
        presses
    }
}

/// The X keysym of a hotkey's key as written in the settings ("Space", "F9", "KeyA", "A").
pub fn hotkey_keysym(hotkey: &str) -> Option<u32> {
    let key = hotkey.rsplit('+').next()?.trim();
    let key = key
        .strip_prefix("Key")
        .or_else(|| key.strip_prefix("Digit"))
        .filter(|k| k.len() == 1)
        .unwrap_or(key);
    let named = [
        ("space", 0x20),
        ("pause", 0xff13),
        ("scrolllock", 0xff14),
        ("insert", 0xff63),
        ("home", 0xff50),
        ("end", 0xff57),
        ("pageup", 0xff55),
        ("pagedown", 0xff56),
        ("backquote", 0x60),
        ("escape", 0xff1b),
        ("enter", 0xff0d),
        ("tab", 0xff09),
    ];
    let lower = key.to_ascii_lowercase();
    if let Some((_, sym)) = named.iter().find(|(n, _)| *n == lower) {
        return Some(*sym);
    }
    if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u32>().ok())
        && (1..=35).contains(&n)
    {
        return Some(0xffbe + n - 1);
    }
    let mut chars = lower.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() => Some(c as u32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotkey_keys_map_to_their_keysyms() {
        assert_eq!(hotkey_keysym("Ctrl+Alt+Space"), Some(0x20));
        assert_eq!(hotkey_keysym("F9"), Some(0xffc6));
        assert_eq!(hotkey_keysym("Ctrl+Shift+D"), Some(u32::from(b'd')));
        assert_eq!(hotkey_keysym("Super+KeyA"), Some(u32::from(b'a')));
        assert_eq!(hotkey_keysym("Alt+Digit7"), Some(u32::from(b'7')));
        assert_eq!(hotkey_keysym("Pause"), Some(0xff13));
        assert_eq!(hotkey_keysym("Ctrl+Banana"), None);
    }
}
