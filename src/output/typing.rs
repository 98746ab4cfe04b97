//! Typing through enigo (XTest on X11): Unicode text is entered exactly, whatever the layout.

use enigo::{Enigo, Keyboard, Settings};

use super::{Deliver, OutputError};

pub struct Typist {
    enigo: Enigo,
}

impl Typist {
    pub fn new() -> Result<Typist, OutputError> {
        let enigo =
            Enigo::new(&Settings::default()).map_err(|e| OutputError::NoDisplay(e.to_string()))?;
        Ok(Typist { enigo })
    }

    pub(crate) fn enigo(&mut self) -> &mut Enigo {
        &mut self.enigo
    }
}

impl Deliver for Typist {
    fn deliver(&mut self, text: &str) -> Result<(), OutputError> {
        self.enigo
            .text(text)
            .map_err(|e| OutputError::Typing(e.to_string()))
    }
}
