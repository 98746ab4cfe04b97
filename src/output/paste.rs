//! Pasting: the text goes on the clipboard, the paste keys are sent, and the user's previous
//! clipboard comes back only after the target application has actually fetched our text.
//!
//! Restoring on a timer races the paste (peers' users get their old clipboard pasted). On X11
//! we therefore own the CLIPBOARD selection ourselves for the paste, serve the target's request,
//! and restore afterwards.

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, PropMode,
    SELECTION_NOTIFY_EVENT, SelectionNotifyEvent, SelectionRequestEvent, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::typing::Typist;
use super::{OutputError, PasteKeys};

/// How long the target may take to ask for the text after the paste keys.
pub(super) const PASTE_TIMEOUT: Duration = Duration::from_secs(2);
/// Keep serving this long after a request: some applications ask more than once (GTK asks
/// for TARGETS, then the text, sometimes twice). This runs after the text has been handed
/// over, so it does not delay the text, only the clipboard restore.
pub(super) const GRACE: Duration = Duration::from_millis(150);
/// The only wait before the text can appear. Clipboard managers (GNOME, Klipper, CopyQ) fetch
/// new clipboard content as soon as it changes and some then take ownership; sending the paste
/// keys in the same instant lets the target race the manager for ownership and get the
/// manager's stale copy. Managers here fetch within a few ms of the ownership change; 30 ms
/// covers a busy 2-core machine with margin. Requests arriving meanwhile are served.
pub(super) const SETTLE: Duration = Duration::from_millis(30);

struct Atoms {
    clipboard: Atom,
    targets: Atom,
    utf8: Atom,
    text: Atom,
    text_plain: Atom,
}

/// Our own X11 window that owns the CLIPBOARD selection and answers requests for it.
struct SelectionOwner {
    conn: RustConnection,
    window: Window,
    atoms: Atoms,
}

pub struct Paster {
    owner: SelectionOwner,
    /// Keeps the restored clipboard served after our window lets go of it.
    clipboard: arboard::Clipboard,
    keys: Typist,
}

fn x11_err(e: impl std::fmt::Display) -> OutputError {
    OutputError::Clipboard(e.to_string())
}

impl SelectionOwner {
    fn new() -> Result<SelectionOwner, OutputError> {
        let (conn, screen_num) =
            x11rb::connect(None).map_err(|e| OutputError::NoDisplay(e.to_string()))?;
        let root = conn.setup().roots[screen_num].root;
        let window = conn.generate_id().map_err(x11_err)?;
        conn.create_window(
            x11rb::COPY_DEPTH_FROM_PARENT,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::INPUT_OUTPUT,
            x11rb::COPY_FROM_PARENT,
            &CreateWindowAux::new(),
        )
        .map_err(x11_err)?;
        let intern = |name: &str| -> Result<Atom, OutputError> {
            Ok(conn
                .intern_atom(false, name.as_bytes())
                .map_err(x11_err)?
                .reply()
                .map_err(x11_err)?
                .atom)
        };
        let atoms = Atoms {
            clipboard: intern("CLIPBOARD")?,
            targets: intern("TARGETS")?,
            utf8: intern("UTF8_STRING")?,
            text: intern("TEXT")?,
            text_plain: intern("text/plain;charset=utf-8")?,
        };
        Ok(SelectionOwner {
            conn,
            window,
            atoms,
        })
    }

    fn own(&self) -> Result<(), OutputError> {
        self.conn
            .set_selection_owner(self.window, self.atoms.clipboard, x11rb::CURRENT_TIME)
            .map_err(x11_err)?;
        let owner = self
            .conn
            .get_selection_owner(self.atoms.clipboard)
            .map_err(x11_err)?
            .reply()
            .map_err(x11_err)?
            .owner;
        if owner != self.window {
            return Err(OutputError::Clipboard(
                "another program holds on to the clipboard".into(),
            ));
        }
        Ok(())
    }

    fn release(&self) -> Result<(), OutputError> {
        self.conn
            .set_selection_owner(x11rb::NONE, self.atoms.clipboard, x11rb::CURRENT_TIME)
            .map_err(x11_err)?;
        self.conn.flush().map_err(x11_err)
    }

    /// Answer selection requests until `deadline`; with `stop_after_served`, stop [`GRACE`]
    /// after the text was handed out. Returns when the text was first handed out, if it was.
    fn serve_until(
        &self,
        text: &str,
        deadline: Option<Instant>,
        stop_after_served: bool,
    ) -> Result<Option<Instant>, OutputError> {
        let mut served_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let timed_out = deadline.is_some_and(|d| now >= d);
            if timed_out || (stop_after_served && served_at.is_some_and(|t| now >= t + GRACE)) {
                return Ok(served_at);
            }
            match self.conn.poll_for_event().map_err(x11_err)? {
                Some(Event::SelectionRequest(request)) => {
                    if self.answer(&request, text)? && served_at.is_none() {
                        served_at = Some(Instant::now());
                    }
                }
                Some(Event::SelectionClear(_)) => {
                    // Someone else took the clipboard over; nothing more to serve.
                    return Ok(served_at);
                }
                Some(_) => {}
                None if deadline.is_none() => {
                    // Holding indefinitely: block for the next event instead of polling.
                    match self.conn.wait_for_event().map_err(x11_err)? {
                        Event::SelectionRequest(request) => {
                            self.answer(&request, text)?;
                        }
                        Event::SelectionClear(_) => return Ok(served_at),
                        _ => {}
                    }
                }
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    }

    /// Returns whether the text itself (not just the list of formats) was handed out.
    fn answer(&self, request: &SelectionRequestEvent, text: &str) -> Result<bool, OutputError> {
        let a = &self.atoms;
        let property = if request.property == x11rb::NONE {
            request.target
        } else {
            request.property
        };
        let string: Atom = AtomEnum::STRING.into();
        let mut gave_text = false;
        let reply_property = if request.target == a.targets {
            self.conn
                .change_property32(
                    PropMode::REPLACE,
                    request.requestor,
                    property,
                    AtomEnum::ATOM,
                    &[a.targets, a.utf8, a.text_plain, a.text, string],
                )
                .map_err(x11_err)?;
            property
        } else if [a.utf8, a.text_plain, a.text, string].contains(&request.target) {
            let kind = if request.target == a.text {
                a.utf8
            } else {
                request.target
            };
            self.conn
                .change_property8(
                    PropMode::REPLACE,
                    request.requestor,
                    property,
                    kind,
                    text.as_bytes(),
                )
                .map_err(x11_err)?;
            gave_text = true;
            property
        } else {
            x11rb::NONE
        };
        let notify = SelectionNotifyEvent {
            response_type: SELECTION_NOTIFY_EVENT,
            sequence: 0,
            time: request.time,
            requestor: request.requestor,
            selection: request.selection,
            target: request.target,
            property: reply_property,
        };
        self.conn
            .send_event(false, request.requestor, EventMask::NO_EVENT, notify)
            .map_err(x11_err)?;
        self.conn.flush().map_err(x11_err)?;
        Ok(gave_text)
    }
}

impl Paster {
    pub fn new() -> Result<Paster, OutputError> {
        Ok(Paster {
            owner: SelectionOwner::new()?,
            clipboard: arboard::Clipboard::new().map_err(x11_err)?,
            // X11 only: the Wayland way of typing does not apply.
            keys: Typist::new(super::WaylandTyping::Auto)?,
        })
    }

    /// Paste `text` into the focused application, then put the previous clipboard text back.
    /// Returns the restored text (this process now serves it, and must live on to keep it,
    /// see [`keep_clipboard`]) and when the application fetched the pasted text.
    pub fn paste(
        &mut self,
        text: &str,
        keys: PasteKeys,
    ) -> Result<(Option<String>, Option<Instant>), OutputError> {
        let previous = self.clipboard.get_text().ok();
        self.owner.own()?;
        self.owner
            .serve_until(text, Some(Instant::now() + SETTLE), false)?;
        self.send_paste_keys(keys)?;
        let Some(fetched_at) =
            self.owner
                .serve_until(text, Some(Instant::now() + PASTE_TIMEOUT), true)?
        else {
            tracing::warn!(
                "the focused application did not ask for the text within {PASTE_TIMEOUT:?}; \
                 it stays on the clipboard"
            );
            return Ok((None, None));
        };
        match &previous {
            Some(old) => self.clipboard.set_text(old.clone()).map_err(x11_err)?,
            // There was no text before: give the clipboard up, as we found it.
            None => self.owner.release()?,
        }
        Ok((previous, Some(fetched_at)))
    }

    fn send_paste_keys(&mut self, keys: PasteKeys) -> Result<(), OutputError> {
        self.keys.press_paste_keys(keys)
    }
}

/// Serve `text` as the clipboard until another program takes the clipboard over or the X
/// server goes away (what `xclip` does). For short-lived processes about to exit.
pub fn keep_clipboard(text: &str) -> Result<(), OutputError> {
    let owner = SelectionOwner::new()?;
    owner.own()?;
    owner.serve_until(text, None, false).map(|_| ())
}
