//! Typing keys into the focused application, the way this session allows: XTest on X11
//! (enigo), the virtual-keyboard protocol on Wayland, else `wtype` or `ydotool` if installed.
//! Unicode text is entered exactly, whatever the keyboard layout (except through ydotool,
//! which can only press the keys of a US layout).

use std::process::Command;

use enigo::{Direction, Enigo, Key, Keyboard, Settings};

use super::display::DisplayServer;
use super::wayland_keyboard::WaylandKeyboard;
use super::{Deliver, EditKey, OutputError, PasteKeys, WaylandTyping};

pub enum Typist {
    X11(Box<Enigo>),
    Wayland(WaylandKeyboard),
    Tool(Tool),
}

/// A command-line typing tool, for Wayland desktops without the virtual-keyboard protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Wtype,
    Ydotool,
}

impl Tool {
    pub(super) fn program(self) -> &'static str {
        match self {
            Tool::Wtype => "wtype",
            Tool::Ydotool => "ydotool",
        }
    }

    /// The first one installed, in order of exactness.
    fn find() -> Option<Tool> {
        [Tool::Wtype, Tool::Ydotool]
            .into_iter()
            .find(|t| on_path(t.program()))
    }

    fn run(self, args: &[&str]) -> Result<(), OutputError> {
        let out = Command::new(self.program())
            .args(args)
            .output()
            .map_err(|e| OutputError::Typing(format!("{}: {e}", self.program())))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(OutputError::Typing(format!(
                "{} failed ({}): {}",
                self.program(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    fn type_text(self, text: &str) -> Result<(), OutputError> {
        match self {
            Tool::Wtype => self.run(&["--", text]),
            Tool::Ydotool => self.run(&["type", "--", text]),
        }
    }

    fn press(self, key: EditKey, times: usize) -> Result<(), OutputError> {
        let mut args: Vec<&str> = Vec::new();
        for _ in 0..times {
            match (self, key) {
                (Tool::Wtype, EditKey::Enter) => args.extend(["-k", "Return"]),
                (Tool::Wtype, EditKey::Backspace) => args.extend(["-k", "BackSpace"]),
                // evdev key codes: 28 Enter, 14 Backspace.
                (Tool::Ydotool, EditKey::Enter) => args.extend(["28:1", "28:0"]),
                (Tool::Ydotool, EditKey::Backspace) => args.extend(["14:1", "14:0"]),
            }
        }
        if args.is_empty() {
            return Ok(());
        }
        if self == Tool::Ydotool {
            args.insert(0, "key");
        }
        self.run(&args)
    }

    fn paste(self, keys: PasteKeys) -> Result<(), OutputError> {
        // ydotool speaks evdev key codes: 29 Ctrl, 42 Shift, 47 V, 110 Insert.
        let args: &[&str] = match (self, keys) {
            (Tool::Wtype, PasteKeys::CtrlV) => &["-M", "ctrl", "v", "-m", "ctrl"],
            (Tool::Wtype, PasteKeys::CtrlShiftV) => &[
                "-M", "ctrl", "-M", "shift", "v", "-m", "shift", "-m", "ctrl",
            ],
            (Tool::Wtype, PasteKeys::ShiftInsert) => {
                &["-M", "shift", "-k", "Insert", "-m", "shift"]
            }
            (Tool::Ydotool, PasteKeys::CtrlV) => &["key", "29:1", "47:1", "47:0", "29:0"],
            (Tool::Ydotool, PasteKeys::CtrlShiftV) => {
                &["key", "29:1", "42:1", "47:1", "47:0", "42:0", "29:0"]
            }
            (Tool::Ydotool, PasteKeys::ShiftInsert) => &["key", "42:1", "110:1", "110:0", "42:0"],
        };
        self.run(args)
    }
}

/// How text is typed in a Wayland session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WaylandWay {
    VirtualKeyboard,
    Tool(Tool),
}

impl WaylandWay {
    pub(super) fn describe(self) -> &'static str {
        match self {
            WaylandWay::VirtualKeyboard => "the Wayland virtual keyboard (zwp_virtual_keyboard_v1)",
            WaylandWay::Tool(tool) => tool.program(),
        }
    }
}

/// The one place that decides how to type on Wayland: the user's choice, and whether the
/// compositor offers a virtual keyboard. The error says why there is no way.
pub(super) fn wayland_way(
    typing: WaylandTyping,
    has_virtual_keyboard: bool,
) -> Result<WaylandWay, String> {
    let installed = |tool: Tool| {
        if on_path(tool.program()) {
            Ok(WaylandWay::Tool(tool))
        } else {
            Err(format!(
                "typing with {} was chosen, but it is not installed",
                tool.program()
            ))
        }
    };
    let no_keyboard = "this compositor has no virtual keyboard (zwp_virtual_keyboard_v1)";
    match typing {
        WaylandTyping::Wtype => installed(Tool::Wtype),
        WaylandTyping::Ydotool => installed(Tool::Ydotool),
        _ if has_virtual_keyboard => Ok(WaylandWay::VirtualKeyboard),
        WaylandTyping::VirtualKeyboard => {
            Err(format!("typing with it was chosen, but {no_keyboard}"))
        }
        WaylandTyping::Auto => Tool::find().map(WaylandWay::Tool).ok_or(format!(
            "{no_keyboard} and neither wtype nor ydotool is installed"
        )),
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

impl Typist {
    /// The way to type that this session offers; the error says why there is none.
    pub fn new(typing: WaylandTyping) -> Result<Typist, OutputError> {
        match DisplayServer::detect() {
            Some(DisplayServer::Wayland) => Typist::for_wayland(typing),
            _ => {
                let enigo = Enigo::new(&Settings::default())
                    .map_err(|e| OutputError::NoDisplay(e.to_string()))?;
                Ok(Typist::X11(Box::new(enigo)))
            }
        }
    }

    fn for_wayland(typing: WaylandTyping) -> Result<Typist, OutputError> {
        let mut unusable = None;
        if matches!(typing, WaylandTyping::Auto | WaylandTyping::VirtualKeyboard) {
            match WaylandKeyboard::connect() {
                Ok(keyboard) => return Ok(Typist::Wayland(keyboard)),
                Err(e) => unusable = Some(e),
            }
        }
        // No virtual keyboard to use: the choice says what else.
        match wayland_way(typing, false) {
            Ok(WaylandWay::Tool(tool)) => {
                if let Some(e) = unusable {
                    tracing::info!("{e}; typing with {}", tool.program());
                }
                Ok(Typist::Tool(tool))
            }
            other => {
                let why = other.err().unwrap_or_default();
                Err(OutputError::NoDisplay(match unusable {
                    Some(e) => format!("{e}; {why}"),
                    None => why,
                }))
            }
        }
    }

    /// How text is typed, for the log and the settings window.
    pub fn describe(&self) -> &'static str {
        match self {
            Typist::X11(_) => "X11 key events (XTest)",
            Typist::Wayland(_) => WaylandWay::VirtualKeyboard.describe(),
            Typist::Tool(tool) => WaylandWay::Tool(*tool).describe(),
        }
    }

    /// Press Enter (send, run) or Backspace (take typed text back) `times` times.
    pub fn press(&mut self, key: EditKey, times: usize) -> Result<(), OutputError> {
        match self {
            Typist::X11(enigo) => {
                let key = match key {
                    EditKey::Enter => Key::Return,
                    EditKey::Backspace => Key::Backspace,
                };
                for _ in 0..times {
                    enigo
                        .key(key, Direction::Click)
                        .map_err(|e| OutputError::Typing(e.to_string()))?;
                }
                Ok(())
            }
            Typist::Wayland(keyboard) => keyboard.press(key, times),
            Typist::Tool(tool) => tool.press(key, times),
        }
    }

    /// Press the application's paste shortcut.
    pub fn press_paste_keys(&mut self, keys: PasteKeys) -> Result<(), OutputError> {
        match self {
            Typist::X11(enigo) => {
                let (modifiers, key): (&[Key], Key) = match keys {
                    PasteKeys::CtrlV => (&[Key::Control], Key::Unicode('v')),
                    PasteKeys::CtrlShiftV => (&[Key::Control, Key::Shift], Key::Unicode('v')),
                    PasteKeys::ShiftInsert => (&[Key::Shift], Key::Insert),
                };
                let typing = |e: enigo::InputError| OutputError::Typing(e.to_string());
                for m in modifiers {
                    enigo.key(*m, Direction::Press).map_err(typing)?;
                }
                let clicked = enigo.key(key, Direction::Click).map_err(typing);
                for m in modifiers.iter().rev() {
                    enigo.key(*m, Direction::Release).map_err(typing)?;
                }
                clicked
            }
            Typist::Wayland(keyboard) => keyboard.paste(keys),
            Typist::Tool(tool) => tool.paste(keys),
        }
    }
}

impl Deliver for Typist {
    fn deliver(&mut self, text: &str) -> Result<(), OutputError> {
        match self {
            Typist::X11(enigo) => enigo
                .text(text)
                .map_err(|e| OutputError::Typing(e.to_string())),
            Typist::Wayland(keyboard) => keyboard.type_text(text),
            Typist::Tool(tool) => tool.type_text(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_keyboard_is_used_where_there_is_one_unless_a_tool_is_chosen() {
        for typing in [WaylandTyping::Auto, WaylandTyping::VirtualKeyboard] {
            assert_eq!(wayland_way(typing, true), Ok(WaylandWay::VirtualKeyboard));
        }
        let refused = wayland_way(WaylandTyping::VirtualKeyboard, false).unwrap_err();
        assert!(refused.contains("no virtual keyboard"), "{refused}");
        // A chosen tool is used (or refused by name) whatever the compositor offers.
        for (typing, tool) in [
            (WaylandTyping::Wtype, Tool::Wtype),
            (WaylandTyping::Ydotool, Tool::Ydotool),
        ] {
            match wayland_way(typing, true) {
                Ok(way) => assert_eq!(way, WaylandWay::Tool(tool)),
                Err(why) => assert!(why.contains(tool.program()), "{why}"),
            }
        }
    }
}
