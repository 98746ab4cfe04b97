//! The recording indicator in a Wayland session: a layer-shell surface (wlr-layer-shell, offered
//! by sway, Hyprland, KDE and other wlroots compositors) on the overlay layer, which never takes
//! the keyboard — the text still goes to the window the user was in. A plain GTK window rather
//! than a webview: layer shell must be set up before a window is first shown, and Tauri shows
//! (realizes) its windows while building them (tao#925). All of it runs on the main thread.

use std::cell::RefCell;

use gtk::prelude::*;
use gtk_layer_shell::{Edge, KeyboardMode, Layer, LayerShell};
use utter::session::{SessionEvent, State};

/// What the indicator says while a hands-free dictation waits for the speaker to finish.
const HANDS_FREE_LABEL: &str = "Listening — stop talking to finish";
const FOLLOW_ON_LABEL: &str = "Still listening — go on to continue";
/// The end of the text so far that fits the indicator.
const TEXT_CHARS: usize = 48;
const CSS: &str = "
window.utter-indicator { background: #111827; border-radius: 8px; }
.utter-indicator label { color: white; font: 13px sans-serif; }
.utter-indicator .dot { color: #ef4444; }
.utter-indicator.transcribing .dot { color: #f59e0b; }
.utter-indicator levelbar block.filled { background: #22c55e; }
.utter-indicator .profile { color: #93c5fd; }
";

struct Indicator {
    window: gtk::Window,
    label: gtk::Label,
    /// The profile shaping this dictation ("terminal"), when one applies.
    profile: gtk::Label,
    level: gtk::LevelBar,
}

thread_local! {
    static INDICATOR: RefCell<Option<Indicator>> = const { RefCell::new(None) };
}

/// Make the indicator (hidden). Main thread only. Err: the compositor has no layer shell
/// (GNOME), and there is no indicator.
pub fn create() -> Result<(), &'static str> {
    if !gtk_layer_shell::is_supported() {
        return Err("this compositor offers no layer shell (wlr-layer-shell)");
    }
    let window = gtk::Window::new(gtk::WindowType::Toplevel);
    window.init_layer_shell();
    window.set_namespace("utter-indicator");
    window.set_layer(Layer::Overlay);
    window.set_keyboard_mode(KeyboardMode::None);
    window.set_anchor(Edge::Bottom, true);
    window.set_layer_shell_margin(Edge::Bottom, 48);
    window.set_size_request(260, 44);
    window.style_context().add_class("utter-indicator");
    let css = gtk::CssProvider::new();
    if css.load_from_data(CSS.as_bytes()).is_ok() {
        window
            .style_context()
            .add_provider(&css, gtk::STYLE_PROVIDER_PRIORITY_APPLICATION);
    }

    let row = gtk::Box::new(gtk::Orientation::Horizontal, 8);
    row.set_margin_start(12);
    row.set_margin_end(12);
    let dot = gtk::Label::new(Some("●"));
    dot.style_context().add_class("dot");
    let label = gtk::Label::new(Some("Recording"));
    label.set_xalign(0.0);
    let profile = gtk::Label::new(None);
    profile.style_context().add_class("profile");
    let level = gtk::LevelBar::for_interval(0.0, 1.0);
    level.set_size_request(60, 6);
    level.set_valign(gtk::Align::Center);
    level.set_hexpand(true);
    for widget in [&dot, &label, &profile] {
        widget
            .style_context()
            .add_provider(&css, gtk::STYLE_PROVIDER_PRIORITY_APPLICATION);
        row.pack_start(widget, false, false, 0);
    }
    level
        .style_context()
        .add_provider(&css, gtk::STYLE_PROVIDER_PRIORITY_APPLICATION);
    row.pack_end(&level, true, true, 0);
    window.add(&row);
    row.show_all();

    INDICATOR.with(|cell| {
        *cell.borrow_mut() = Some(Indicator {
            window,
            label,
            profile,
            level,
        })
    });
    Ok(())
}

/// Follow a session event. Main thread only; a no-op when there is no indicator.
pub fn show(event: &SessionEvent) {
    INDICATOR.with(|cell| {
        if let Some(indicator) = cell.borrow().as_ref() {
            indicator.follow(event);
        }
    });
}

impl Indicator {
    fn follow(&self, event: &SessionEvent) {
        match event {
            SessionEvent::State { state } => {
                let style = self.window.style_context();
                match state {
                    State::Recording => {
                        style.remove_class("transcribing");
                        self.label.set_text("Recording");
                        self.profile.set_text("");
                        self.window.show();
                    }
                    State::Transcribing => {
                        style.add_class("transcribing");
                        self.label.set_text("Transcribing…");
                        self.level.set_value(0.0);
                        self.window.show();
                    }
                    State::Idle | State::Paused => self.window.hide(),
                }
            }
            SessionEvent::HandsFree => self.label.set_text(HANDS_FREE_LABEL),
            SessionEvent::FollowOn => self.label.set_text(FOLLOW_ON_LABEL),
            SessionEvent::Target {
                profile: Some(profile),
                ..
            } => self.profile.set_text(profile),
            SessionEvent::Partial { text } if !text.is_empty() => {
                self.label.set_text(&text_tail(text))
            }
            SessionEvent::Level { level } => self
                .level
                .set_value((f64::from(*level).sqrt() * 1.4).min(1.0)),
            _ => {}
        }
    }
}

fn text_tail(text: &str) -> String {
    let count = text.chars().count();
    if count <= TEXT_CHARS {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - (TEXT_CHARS - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_keeps_its_end() {
        assert_eq!(text_tail("short"), "short");
        let long = "é".repeat(60) + "end";
        let tail = text_tail(&long);
        assert_eq!(tail.chars().count(), TEXT_CHARS);
        assert!(tail.starts_with('…') && tail.ends_with("end"), "{tail}");
    }
}
