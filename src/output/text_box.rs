//! A text box in memory: what a window would show after the dictations typed into it, full
//! stops taken back and all — for runs with no window (`utter bench --handsfree`).

use std::sync::{Arc, Mutex};

use super::{Delivered, OutputError, OutputSettings, TextSink};

/// Where the full stop closing `said` starts in `typed` (what was typed, `said` last), so the
/// text before it is kept; None when `typed` does not end with that full stop (and what was
/// typed after it, a space).
pub fn before_full_stop(typed: &str, said: &str) -> Option<usize> {
    let ends = typed.trim_end();
    let said = said.trim();
    (!said.is_empty() && ends.ends_with(said) && ends.ends_with('.'))
        .then(|| ends.len() - '.'.len_utf8())
}

#[derive(Debug, Clone, Default)]
pub struct TextBox(Arc<Mutex<String>>);

impl TextBox {
    /// Everything typed into it, as it reads now.
    pub fn text(&self) -> String {
        self.0.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut text) = self.0.lock() {
            text.clear();
        }
    }
}

impl TextSink for TextBox {
    fn deliver(&mut self, settings: &OutputSettings, text: &str) -> Result<Delivered, OutputError> {
        if let Ok(mut typed) = self.0.lock() {
            typed.push_str(&settings.finish_text(text));
            if settings.press_enter {
                typed.push('\n');
            }
        }
        Ok(Delivered::default())
    }

    fn take_back_full_stop(
        &mut self,
        _: &OutputSettings,
        _: &str,
        said: &str,
    ) -> Result<(), OutputError> {
        let mut typed = self
            .0
            .lock()
            .map_err(|_| OutputError::NotErased("the text box is gone".into()))?;
        let kept = before_full_stop(&typed, said).ok_or_else(|| {
            OutputError::NotErased("the text box does not end with that full stop".into())
        })?;
        typed.truncate(kept);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_stop_is_taken_back_only_where_the_last_dictation_typed_it() {
        assert_eq!(
            before_full_stop("Hi. I have thoughts. ", "I have thoughts."),
            Some(19)
        );
        assert_eq!(
            before_full_stop("I have thoughts.", "I have thoughts."),
            Some(15)
        );
        assert_eq!(
            before_full_stop("I have thoughts? ", "I have thoughts?"),
            None
        );
        assert_eq!(
            before_full_stop("I have thoughts. Then", "I have thoughts."),
            None
        );
        assert_eq!(before_full_stop("I have thoughts. ", ""), None);

        let mut window = TextBox::default();
        let settings = OutputSettings::default();
        window.deliver(&settings, "I have thoughts.").unwrap();
        window
            .take_back_full_stop(&settings, "", "I have thoughts.")
            .unwrap();
        let rejoins = OutputSettings {
            continues: true,
            rejoins: true,
            ..settings
        };
        window.deliver(&rejoins, "about that.").unwrap();
        assert_eq!(window.text(), "I have thoughts about that. ");
        assert!(
            window
                .take_back_full_stop(&rejoins, "", "I have thoughts.")
                .is_err()
        );
    }
}
