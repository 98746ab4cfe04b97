//! Typing into native Wayland windows through the virtual-keyboard protocol
//! (`zwp_virtual_keyboard_v1`: sway, Hyprland, river, Wayfire and other wlroots compositors).
//!
//! As `wtype` does: a keymap with one key per character of the text is uploaded, then those
//! keys are pressed, so any Unicode text arrives exactly whatever the user's layout. Only the
//! virtual keyboard is bound — never the input-method protocol, which would take the seat's
//! input method away from the user's own (fcitx, IBus).

use std::io::Write;
use std::os::fd::AsFd;
use std::time::Instant;

use wayland_client::protocol::{wl_keyboard, wl_seat};
use wayland_client::{EventQueue, delegate_noop};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};

use super::wayland_connect::{self, ignore_registry_events};
use super::{OutputError, PasteKeys};

/// X11 clients (through XWayland) only see keycodes up to 255: at most this many keys a keymap.
const MAX_KEYS: usize = 240;
/// How long a new keymap is left to settle before the first key (measured in headless sway:
/// 0 of 15 test runs lost text with 50 ms, 2–5 of 12 without).
const KEYMAP_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);
/// Real modifier masks (fixed by XKB).
const SHIFT: u32 = 1 << 0;
const CONTROL: u32 = 1 << 2;
const KEYSYM_RETURN: u32 = 0xff0d;
const KEYSYM_TAB: u32 = 0xff09;
const KEYSYM_INSERT: u32 = 0xff63;
const KEYSYM_BACKSPACE: u32 = 0xff08;
const KEYSYM_V: u32 = 0x76;

/// The keysym that types `c`, if it can be typed at all.
fn keysym(c: char) -> Option<u32> {
    let code = c as u32;
    match c {
        '\n' => Some(KEYSYM_RETURN),
        '\t' => Some(KEYSYM_TAB),
        _ if c.is_control() => None,
        // Latin-1 keysyms are the code points themselves; the rest use Unicode keysyms.
        _ if (0x20..=0x7e).contains(&code) || (0xa0..=0xff).contains(&code) => Some(code),
        _ => Some(0x0100_0000 + code),
    }
}

/// An XKB keymap whose key `i` (evdev code `i + 1`) types `keysyms[i]`.
fn keymap_text(keysyms: &[u32]) -> String {
    let mut codes = String::new();
    let mut symbols = String::new();
    for (i, sym) in keysyms.iter().enumerate() {
        codes.push_str(&format!("<K{}> = {};\n", i + 1, i + 9));
        symbols.push_str(&format!("key <K{}> {{[ {sym:#x} ]}};\n", i + 1));
    }
    format!(
        "xkb_keymap {{\nxkb_keycodes \"utter\" {{\nminimum = 8;\nmaximum = {};\n{codes}}};\n\
         xkb_types \"utter\" {{ include \"complete\" }};\n\
         xkb_compatibility \"utter\" {{ include \"complete\" }};\n\
         xkb_symbols \"utter\" {{\n{symbols}}};\n}};\n",
        keysyms.len() + 9
    )
}

/// Nothing to keep from the compositor's events: the keyboard only sends.
struct Globals;

ignore_registry_events!(Globals);
delegate_noop!(Globals: ignore wl_seat::WlSeat);
delegate_noop!(Globals: ZwpVirtualKeyboardManagerV1);
delegate_noop!(Globals: ZwpVirtualKeyboardV1);

/// A virtual keyboard on the compositor's seat, kept for the app's life.
pub struct WaylandKeyboard {
    queue: EventQueue<Globals>,
    globals: Globals,
    keyboard: ZwpVirtualKeyboardV1,
    /// The keysyms of the keymap in force.
    keysyms: Vec<u32>,
    started: Instant,
}

fn failed(what: impl std::fmt::Display) -> OutputError {
    OutputError::Typing(format!("Wayland virtual keyboard: {what}"))
}

impl WaylandKeyboard {
    /// Connect to the session's compositor (`WAYLAND_DISPLAY`) and create the keyboard; an
    /// error says why this desktop cannot be typed into this way.
    pub fn connect() -> Result<WaylandKeyboard, OutputError> {
        let (queue, seat, manager) =
            wayland_connect::connect::<Globals, ZwpVirtualKeyboardManagerV1>(1..=1)?;
        let qh = queue.handle();
        let keyboard = manager.create_virtual_keyboard(&seat, &qh, ());
        let mut this = WaylandKeyboard {
            queue,
            globals: Globals,
            keyboard,
            keysyms: Vec::new(),
            started: Instant::now(),
        };
        this.use_keymap(base_keysyms())?;
        Ok(this)
    }

    fn use_keymap(&mut self, keysyms: Vec<u32>) -> Result<(), OutputError> {
        let text = keymap_text(&keysyms);
        let mut file = tempfile::tempfile().map_err(failed)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(&[0]))
            .map_err(failed)?;
        self.keyboard.keymap(
            wl_keyboard::KeymapFormat::XkbV1.into(),
            file.as_fd(),
            text.len() as u32 + 1,
        );
        self.keysyms = keysyms;
        self.queue.roundtrip(&mut self.globals).map_err(failed)?;
        // Even once the compositor has the keymap (the roundtrip), sway needs a moment before
        // keys use it: typing at once lost a whole text one time in three in the tests (wtype,
        // which does not wait at all, often loses its first key).
        std::thread::sleep(KEYMAP_SETTLE);
        Ok(())
    }

    fn now_ms(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }

    fn tap(&mut self, keysym: u32) {
        if let Some(i) = self.keysyms.iter().position(|&k| k == keysym) {
            let time = self.now_ms();
            let code = i as u32 + 1;
            self.keyboard
                .key(time, code, wl_keyboard::KeyState::Pressed.into());
            self.keyboard
                .key(time, code, wl_keyboard::KeyState::Released.into());
        }
    }

    fn set_modifiers(&mut self, depressed: u32) {
        self.keyboard.modifiers(depressed, 0, 0, 0);
    }

    /// Type `text` exactly; characters that no key can type (control codes) are left out.
    pub fn type_text(&mut self, text: &str) -> Result<(), OutputError> {
        let wanted: Vec<u32> = text.chars().filter_map(keysym).collect();
        let base = base_keysyms();
        for chunk in chunks_of_distinct(&wanted, &base, MAX_KEYS - base.len()) {
            let missing = chunk.iter().any(|k| !self.keysyms.contains(k));
            if missing {
                let mut keysyms = base.clone();
                keysyms.extend(chunk.iter().filter(|k| !base.contains(k)));
                self.use_keymap(distinct(&keysyms))?;
            }
            self.set_modifiers(0);
            for &keysym in chunk {
                self.tap(keysym);
            }
        }
        self.queue.roundtrip(&mut self.globals).map_err(failed)?;
        Ok(())
    }

    /// Press Enter or Backspace `times` times.
    pub fn press(&mut self, key: super::EditKey, times: usize) -> Result<(), OutputError> {
        let keysym = match key {
            super::EditKey::Enter => KEYSYM_RETURN,
            super::EditKey::Backspace => KEYSYM_BACKSPACE,
        };
        if !self.keysyms.contains(&keysym) {
            self.use_keymap(base_keysyms())?;
        }
        self.set_modifiers(0);
        for _ in 0..times {
            self.tap(keysym);
        }
        self.queue.roundtrip(&mut self.globals).map_err(failed)?;
        Ok(())
    }

    /// Press the paste shortcut.
    pub fn paste(&mut self, keys: PasteKeys) -> Result<(), OutputError> {
        let (mods, key) = match keys {
            PasteKeys::CtrlV => (CONTROL, KEYSYM_V),
            PasteKeys::CtrlShiftV => (CONTROL | SHIFT, KEYSYM_V),
            PasteKeys::ShiftInsert => (SHIFT, KEYSYM_INSERT),
        };
        self.set_modifiers(mods);
        self.tap(key);
        self.set_modifiers(0);
        self.queue.roundtrip(&mut self.globals).map_err(failed)?;
        Ok(())
    }
}

fn distinct(keysyms: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    for &k in keysyms {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The keys every keymap has: printable ASCII and Latin-1, the typographic marks dictation
/// produces, and the editing keys. Most dictations need no other, so the keymap (and the
/// wait after changing it) stays the same from one dictation to the next.
fn base_keysyms() -> Vec<u32> {
    const MARKS: [char; 9] = ['—', '–', '‘', '’', '“', '”', '…', '€', '•'];
    let mut keysyms: Vec<u32> = (0x20..=0x7e).chain(0xa0..=0xff).collect();
    keysyms.extend(MARKS.iter().filter_map(|&c| keysym(c)));
    keysyms.extend([KEYSYM_RETURN, KEYSYM_TAB, KEYSYM_INSERT, KEYSYM_BACKSPACE]);
    keysyms
}

/// Consecutive runs of `keysyms` with at most `max` distinct values outside `base` each.
fn chunks_of_distinct<'a>(keysyms: &'a [u32], base: &[u32], max: usize) -> Vec<&'a [u32]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut seen: Vec<u32> = Vec::new();
    for (i, &k) in keysyms.iter().enumerate() {
        if !base.contains(&k) && !seen.contains(&k) {
            if seen.len() == max {
                chunks.push(&keysyms[start..i]);
                start = i;
                seen.clear();
            }
            seen.push(k);
        }
    }
    if start < keysyms.len() {
        chunks.push(&keysyms[start..]);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_has_its_keysym() {
        assert_eq!(keysym('a'), Some(0x61));
        assert_eq!(keysym('é'), Some(0xe9));
        assert_eq!(keysym('—'), Some(0x0100_2014));
        assert_eq!(keysym('😀'), Some(0x0101_f600));
        assert_eq!(keysym('\n'), Some(KEYSYM_RETURN));
        assert_eq!(keysym('\u{7}'), None);
    }

    #[test]
    fn the_keymap_maps_each_key_to_one_keysym() {
        let text = keymap_text(&[0x61, 0x0100_2014]);
        assert!(text.contains("<K1> = 9;"), "{text}");
        assert!(text.contains("key <K2> {[ 0x1002014 ]};"), "{text}");
        assert!(text.contains("maximum = 11;"), "{text}");
    }

    #[test]
    fn long_texts_are_split_so_no_keymap_outgrows_x11_keycodes() {
        let base = base_keysyms();
        assert!(base.len() < MAX_KEYS - 30, "room for other characters");
        let room = MAX_KEYS - base.len();
        let mut many: Vec<u32> = (0..500).map(|i| 0x0100_4e00 + i).collect();
        many.extend([0x61, 0x62]);
        let chunks = chunks_of_distinct(&many, &base, room);
        assert_eq!(chunks.len(), 500usize.div_ceil(room));
        assert!(chunks.iter().all(|c| distinct(c).len() <= room + 2));
        assert_eq!(chunks.concat(), many);
        let latin: Vec<u32> = "Ça va — très “bien”…".chars().filter_map(keysym).collect();
        assert_eq!(chunks_of_distinct(&latin, &base, room), vec![&latin[..]]);
        assert!(latin.iter().all(|k| base.contains(k)), "no keymap change");
    }
}
