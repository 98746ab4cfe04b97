//! Delivering text to the focused application: typed key by key, or pasted through the
//! clipboard (which is restored once the paste has been served).

mod display;
pub mod focus;
mod key_watch;
mod paste;
mod text_box;
mod typing;
mod wayland_clipboard;
mod wayland_connect;
mod wayland_keyboard;

use serde::{Deserialize, Serialize};

pub use display::{DisplayServer, SessionReport};
pub use paste::Paster;
pub use text_box::{TextBox, before_full_stop};
pub use typing::Typist;
use wayland_clipboard::WaylandClipboard;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Synthesized key presses: works everywhere keys work, exact for any Unicode text.
    #[default]
    Type,
    /// Clipboard + paste shortcut: instant for long text.
    Paste,
}

/// The keys that paste in the target application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PasteKeys {
    #[default]
    CtrlV,
    /// Terminals (xterm, GNOME Terminal, Konsole, ...) paste with Ctrl+Shift+V.
    CtrlShiftV,
    ShiftInsert,
}

/// The editing keys a dictation presses besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    Enter,
    Backspace,
}

/// How to type in a Wayland session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WaylandTyping {
    /// The compositor's virtual keyboard where it has one, else wtype or ydotool.
    #[default]
    Auto,
    VirtualKeyboard,
    Wtype,
    /// Needs ydotoold running; types the keys of a US layout only.
    Ydotool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputSettings {
    pub method: Method,
    pub paste_keys: PasteKeys,
    /// Add a space after each dictation, so the next one does not run into it.
    pub trailing_space: bool,
    /// How keys are typed in a Wayland session (X11 always uses XTest).
    pub wayland_typing: WaylandTyping,
    /// Press Enter after the text (a chat sends it, a shell runs it). Off by default; a
    /// profile or "press enter" at the end of a dictation turns it on.
    pub press_enter: bool,
    /// Not a setting: this dictation continues the one delivered just before it (a hands-free
    /// follow-on), so it needs a space first when that one was typed without one after it.
    #[serde(skip)]
    pub continues: bool,
    /// Not a setting: the full stop that closed the dictation before this one was taken back
    /// (the speaker went on with the sentence), and whatever space followed it: a word needs
    /// a space first again.
    #[serde(skip)]
    pub rejoins: bool,
}

impl Default for OutputSettings {
    fn default() -> Self {
        OutputSettings {
            method: Method::Type,
            paste_keys: PasteKeys::CtrlV,
            trailing_space: true,
            wayland_typing: WaylandTyping::Auto,
            press_enter: false,
            continues: false,
            rejoins: false,
        }
    }
}

impl OutputSettings {
    /// The text exactly as it will be delivered.
    pub fn finish_text(&self, text: &str) -> String {
        // Spaces around the text go; a dictated line break at the end stays.
        let text = text.trim_matches(|c: char| c == ' ' || c == '\t');
        // Before Enter a space would only be sent along.
        let space = self.trailing_space && !self.press_enter;
        // The dictation before was sent with Enter, or left a space after itself.
        let lead = self.rejoins || (self.continues && !self.trailing_space && !self.press_enter);
        let lead = if lead && text.starts_with(char::is_alphanumeric) {
            " "
        } else {
            ""
        };
        if space && !text.is_empty() && !text.ends_with('\n') {
            format!("{lead}{text} ")
        } else {
            format!("{lead}{text}")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("no display to type into: {0} (is DISPLAY set, or is this a Wayland session?)")]
    NoDisplay(String),
    #[error("typing failed: {0}")]
    Typing(String),
    #[error("the clipboard is not available: {0}")]
    Clipboard(String),
    #[error("the focused window is Utter's own; the text was not typed (it is in the history)")]
    OwnWindow,
    /// What was typed before was not erased ("scratch that", a full stop taken back), and why.
    #[error("{0}")]
    NotErased(String),
}

/// Something that puts text into the focused application.
pub trait Deliver {
    fn deliver(&mut self, text: &str) -> Result<(), OutputError>;
}

/// Where a finished dictation goes: the focused application (normally [`Output`]).
pub trait TextSink: Send {
    fn deliver(&mut self, settings: &OutputSettings, text: &str) -> Result<Delivered, OutputError>;

    /// A dictation has started: get ready to deliver, so the text is not kept waiting.
    fn prepare(&mut self) {}

    /// Whether text goes to the focused application (so the session looks at which one it is
    /// and applies its profile).
    fn finds_target(&self) -> bool {
        false
    }

    /// Take back the previous dictation ("scratch that"): how many characters were erased.
    fn scratch(&mut self, _settings: &OutputSettings, _hotkey: &str) -> Result<usize, OutputError> {
        Err(nothing_typed())
    }

    /// Take back the full stop closing the previous dictation, which delivered `said`, and
    /// what was typed after it (a space): the next dictation goes on with its sentence.
    fn take_back_full_stop(
        &mut self,
        _settings: &OutputSettings,
        _hotkey: &str,
        _said: &str,
    ) -> Result<(), OutputError> {
        Err(nothing_typed())
    }
}

fn nothing_typed() -> OutputError {
    OutputError::NotErased("nothing was typed into an application by this session".into())
}

/// Delivers nowhere: for runs whose caller shows the text itself (`utter listen` prints it,
/// the bench measures up to the moment it would be typed).
pub struct NoOutput;

impl TextSink for NoOutput {
    fn deliver(&mut self, _: &OutputSettings, _: &str) -> Result<Delivered, OutputError> {
        Ok(Delivered::default())
    }
}

impl TextSink for Output {
    fn deliver(&mut self, settings: &OutputSettings, text: &str) -> Result<Delivered, OutputError> {
        Output::deliver(self, settings, text)
    }

    fn prepare(&mut self) {
        // A failure shows at delivery, with the text kept.
        let _ = self.typist(self.typing);
    }

    fn finds_target(&self) -> bool {
        true
    }

    fn scratch(&mut self, settings: &OutputSettings, hotkey: &str) -> Result<usize, OutputError> {
        Output::scratch(self, settings, hotkey)
    }

    fn take_back_full_stop(
        &mut self,
        settings: &OutputSettings,
        hotkey: &str,
        said: &str,
    ) -> Result<(), OutputError> {
        Output::take_back_full_stop(self, settings, hotkey, said)
    }
}

/// What the last dictation typed, so "scratch that" can take it back.
struct LastDelivery {
    /// The window it went to (`None`: the session could not tell).
    window: Option<String>,
    /// Exactly as typed.
    text: String,
    entered: bool,
}

/// Both methods, created on first use (a display may appear after start-up).
#[derive(Default)]
pub struct Output {
    typist: Option<Typist>,
    /// What the typist was made for (the settings may change between dictations).
    typing: WaylandTyping,
    paster: Option<Paster>,
    wayland_clipboard: Option<WaylandClipboard>,
    last: Option<LastDelivery>,
    keys: Option<key_watch::KeyWatch>,
}

/// What delivering did besides the text itself.
#[derive(Debug, Default)]
pub struct Delivered {
    /// The user's clipboard text, restored after a paste and now served by this process.
    pub restored_clipboard: Option<String>,
    /// When the text reached the application, if that was later than `deliver` returning
    /// would suggest (a paste is fetched by the target, then the clipboard is restored).
    pub text_arrived_at: Option<std::time::Instant>,
}

impl Output {
    /// The typist, made on first use (a display may appear after start-up) and again when
    /// the way of typing changes.
    fn typist(&mut self, typing: WaylandTyping) -> Result<&mut Typist, OutputError> {
        if typing != self.typing {
            self.typist = None;
            self.typing = typing;
        }
        if self.typist.is_none() {
            let typist = Typist::new(typing)?;
            tracing::info!("typing through {}", typist.describe());
            self.typist = Some(typist);
        }
        self.typist
            .as_mut()
            .ok_or_else(|| OutputError::NoDisplay("no way to type".into()))
    }

    fn type_text(&mut self, text: &str, typing: WaylandTyping) -> Result<(), OutputError> {
        self.typist(typing)?.deliver(text)
    }

    /// As [`Paster::paste`], through the Wayland clipboard and the Wayland keyboard.
    fn paste_on_wayland(
        &mut self,
        text: &str,
        settings: &OutputSettings,
    ) -> Result<(Option<String>, Option<std::time::Instant>), OutputError> {
        let keys = settings.paste_keys;
        self.typist(settings.wayland_typing)?;
        if self.wayland_clipboard.is_none() {
            self.wayland_clipboard = Some(WaylandClipboard::connect()?);
        }
        let (Some(typist), Some(clipboard)) =
            (self.typist.as_mut(), self.wayland_clipboard.as_mut())
        else {
            return Err(OutputError::Clipboard("no Wayland clipboard".into()));
        };
        let previous = WaylandClipboard::current_text();
        let Some(fetched_at) = clipboard.paste(text, || typist.press_paste_keys(keys))? else {
            tracing::warn!(
                "the focused application did not ask for the text in time; it stays on the clipboard"
            );
            return Ok((None, None));
        };
        match &previous {
            Some(old) => WaylandClipboard::restore(old)?,
            None => clipboard.clear()?,
        }
        Ok((previous, Some(fetched_at)))
    }

    /// Deliver `text` (then Enter, if the settings say so) and remember it for "scratch that".
    pub fn deliver(
        &mut self,
        settings: &OutputSettings,
        text: &str,
    ) -> Result<Delivered, OutputError> {
        let text = settings.finish_text(text);
        if text.is_empty() && !settings.press_enter {
            return Ok(Delivered::default());
        }
        if focus::focus_is_ours() {
            return Err(OutputError::OwnWindow);
        }
        if !text.is_empty() {
            // Whatever happens now, what was typed before is no longer the last delivery.
            self.last = None;
        }
        let mut delivered = if text.is_empty() {
            Delivered::default()
        } else {
            self.deliver_text(settings, &text)?
        };
        if settings.press_enter {
            self.typist(settings.wayland_typing)?
                .press(EditKey::Enter, 1)?;
        }
        // The text is there now; what follows is bookkeeping for "scratch that", which the
        // dictation's timings must not count.
        delivered
            .text_arrived_at
            .get_or_insert_with(std::time::Instant::now);
        self.last = Some(LastDelivery {
            window: crate::target::focused().map(|t| t.window),
            text,
            entered: settings.press_enter,
        });
        // What was just typed is ours, not the user's.
        if DisplayServer::detect() == Some(DisplayServer::X11) {
            if self.keys.is_none() {
                self.keys = key_watch::KeyWatch::start();
            }
            if let Some(keys) = self.keys.as_mut() {
                // The keys typed above went through another connection: give the server a
                // moment to report them here, where they are set aside.
                std::thread::sleep(std::time::Duration::from_millis(50));
                keys.presses_since_last(&[]);
            }
        }
        Ok(delivered)
    }

    /// Erase the previous dictation with Backspace — only when it went to the window in front
    /// now, was not sent with Enter, and nothing was typed since.
    pub fn scratch(
        &mut self,
        settings: &OutputSettings,
        hotkey: &str,
    ) -> Result<usize, OutputError> {
        let Some(last) = self.last.take() else {
            return Err(OutputError::NotErased(
                "no dictation has been typed since Utter started".into(),
            ));
        };
        self.check_untouched(&last, hotkey)?;
        let chars = last.text.chars().count();
        self.typist(settings.wayland_typing)?
            .press(EditKey::Backspace, chars)?;
        Ok(chars)
    }

    /// Erase the full stop closing the previous dictation (which delivered `said`) and the
    /// space typed after it — under the same conditions as [`scratch`](Self::scratch).
    pub fn take_back_full_stop(
        &mut self,
        settings: &OutputSettings,
        hotkey: &str,
        said: &str,
    ) -> Result<(), OutputError> {
        let refuse = |why: &str| Err(OutputError::NotErased(why.to_string()));
        let Some(mut last) = self.last.take() else {
            return refuse("the previous dictation was not typed");
        };
        let Some(kept) = before_full_stop(&last.text, said) else {
            return refuse("the previous dictation did not type that full stop");
        };
        self.check_untouched(&last, hotkey)?;
        let erased = last.text[kept..].chars().count();
        self.typist(settings.wayland_typing)?
            .press(EditKey::Backspace, erased)?;
        last.text.truncate(kept);
        self.last = Some(last);
        Ok(())
    }

    /// What was typed last is still as it was: in the window in front now, not sent with
    /// Enter, and nothing typed after it.
    fn check_untouched(&mut self, last: &LastDelivery, hotkey: &str) -> Result<(), OutputError> {
        let refuse = |why: &str| Err(OutputError::NotErased(why.to_string()));
        if last.entered {
            return refuse("the previous dictation was sent with Enter");
        }
        let here = crate::target::focused().map(|t| t.window);
        if last.window.is_none() || here != last.window {
            return refuse("the previous dictation went to another window");
        }
        if DisplayServer::detect() != Some(DisplayServer::X11) {
            return refuse(
                "on Wayland Utter cannot see whether you typed since the previous dictation",
            );
        }
        let Some(keys) = self.keys.as_mut() else {
            return refuse("this X server cannot tell whether you typed since (no XInput 2)");
        };
        let ignored: Vec<u8> = key_watch::hotkey_keysym(hotkey)
            .map(|sym| keys.keycodes_of(sym))
            .unwrap_or_default();
        if keys.presses_since_last(&ignored) > 0 {
            return refuse("you typed since the previous dictation");
        }
        Ok(())
    }

    fn deliver_text(
        &mut self,
        settings: &OutputSettings,
        text: &str,
    ) -> Result<Delivered, OutputError> {
        match settings.method {
            Method::Type => {
                self.type_text(text, settings.wayland_typing)?;
                Ok(Delivered::default())
            }
            Method::Paste if DisplayServer::detect() == Some(DisplayServer::Wayland) => {
                let (restored_clipboard, text_arrived_at) =
                    self.paste_on_wayland(text, settings)?;
                Ok(Delivered {
                    restored_clipboard,
                    text_arrived_at,
                })
            }
            Method::Paste => {
                if self.paster.is_none() {
                    self.paster = Some(Paster::new()?);
                }
                let (restored_clipboard, text_arrived_at) = match self.paster.as_mut() {
                    Some(p) => p.paste(text, settings.paste_keys)?,
                    None => (None, None),
                };
                Ok(Delivered {
                    restored_clipboard,
                    text_arrived_at,
                })
            }
        }
    }
}

/// Serve `text` as the clipboard until another program takes the clipboard over (what
/// `xclip` and `wl-copy` do). For short-lived processes about to exit.
pub fn keep_clipboard(text: &str) -> Result<(), OutputError> {
    match DisplayServer::detect() {
        Some(DisplayServer::Wayland) => WaylandClipboard::keep(text),
        _ => paste::keep_clipboard(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_space_is_added_once_and_never_after_a_line_break() {
        let s = OutputSettings::default();
        assert_eq!(s.finish_text(" Hello. "), "Hello. ");
        assert_eq!(s.finish_text("Dear Tim,\n"), "Dear Tim,\n");
        assert_eq!(s.finish_text(""), "");
        let no_space = OutputSettings {
            trailing_space: false,
            ..s
        };
        assert_eq!(no_space.finish_text("Hi."), "Hi.");
    }

    #[test]
    fn a_follow_on_starts_with_a_space_only_when_none_was_left_before_it() {
        let follow_on = OutputSettings {
            continues: true,
            ..OutputSettings::default()
        };
        assert_eq!(follow_on.finish_text("about that."), "about that. ");
        let no_space = OutputSettings {
            trailing_space: false,
            ..follow_on.clone()
        };
        assert_eq!(no_space.finish_text("about that."), " about that.");
        assert_eq!(no_space.finish_text(", and then"), ", and then");
        assert_eq!(no_space.finish_text(""), "");
        let entered = OutputSettings {
            press_enter: true,
            ..no_space
        };
        assert_eq!(entered.finish_text("next"), "next");
    }

    #[test]
    fn a_follow_on_after_a_full_stop_taken_back_starts_with_a_space_before_a_word() {
        // The full stop and the space after it were erased: "thoughts" + " about that. ".
        let rejoins = OutputSettings {
            continues: true,
            rejoins: true,
            ..OutputSettings::default()
        };
        assert_eq!(rejoins.finish_text("about that."), " about that. ");
        assert_eq!(rejoins.finish_text(", about that."), ", about that. ");
        let no_space = OutputSettings {
            trailing_space: false,
            ..rejoins
        };
        assert_eq!(no_space.finish_text("about that."), " about that.");
    }
}
