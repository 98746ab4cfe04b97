//! Pasting on Wayland, with the same promise as on X11: the user's previous clipboard comes back
//! only after the target application has fetched the dictated text.
//!
//! Through the data-control protocol (wlroots compositors, KDE), the clipboard managers' way in:
//! this process offers the text itself, so it sees the moment the target reads it. The previous
//! text is read and put back through wl-clipboard-rs, which keeps serving it from a thread
//! until someone copies something else.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use wayland_client::protocol::wl_seat;
use wayland_client::{
    Connection, Dispatch, EventQueue, QueueHandle, delegate_noop, event_created_child,
};
use wayland_protocols_wlr::data_control::v1::client::{
    zwlr_data_control_device_v1::{self, ZwlrDataControlDeviceV1},
    zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
    zwlr_data_control_offer_v1::ZwlrDataControlOfferV1,
    zwlr_data_control_source_v1::{self, ZwlrDataControlSourceV1},
};

use super::OutputError;
use super::paste::{GRACE, PASTE_TIMEOUT, SETTLE};
use super::wayland_connect::{self, ignore_registry_events};

/// What the text is offered as: what GTK, Qt, foot and XWayland ask for.
const TEXT_TYPES: [&str; 5] = [
    "text/plain;charset=utf-8",
    "text/plain",
    "UTF8_STRING",
    "STRING",
    "TEXT",
];

fn failed(what: impl std::fmt::Display) -> OutputError {
    OutputError::Clipboard(format!("Wayland clipboard: {what}"))
}

#[derive(Default)]
struct State {
    /// The text being offered, and when it was last handed over.
    text: Vec<u8>,
    fetched: Vec<Instant>,
    /// Someone else took the clipboard.
    cancelled: bool,
    error: Option<String>,
}

ignore_registry_events!(State);

impl Dispatch<ZwlrDataControlSourceV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &ZwlrDataControlSourceV1,
        event: zwlr_data_control_source_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwlr_data_control_source_v1::Event::Send { fd, .. } => {
                let fd: OwnedFd = fd;
                let mut pipe = std::fs::File::from(fd);
                match pipe.write_all(&state.text) {
                    Ok(()) => state.fetched.push(Instant::now()),
                    Err(e) => state.error = Some(e.to_string()),
                }
            }
            zwlr_data_control_source_v1::Event::Cancelled => state.cancelled = true,
            _ => {}
        }
    }
}

impl Dispatch<ZwlrDataControlDeviceV1, ()> for State {
    fn event(
        _: &mut Self,
        _: &ZwlrDataControlDeviceV1,
        event: zwlr_data_control_device_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        // Other clients' selections are announced as offers; this process only writes.
        if let zwlr_data_control_device_v1::Event::Selection { id: Some(offer) }
        | zwlr_data_control_device_v1::Event::PrimarySelection { id: Some(offer) } = event
        {
            offer.destroy();
        }
    }

    event_created_child!(State, ZwlrDataControlDeviceV1, [
        zwlr_data_control_device_v1::EVT_DATA_OFFER_OPCODE => (ZwlrDataControlOfferV1, ()),
    ]);
}

delegate_noop!(State: ignore wl_seat::WlSeat);
delegate_noop!(State: ZwlrDataControlManagerV1);
delegate_noop!(State: ignore ZwlrDataControlOfferV1);

/// This process's hold on the Wayland clipboard.
pub struct WaylandClipboard {
    queue: EventQueue<State>,
    state: State,
    manager: ZwlrDataControlManagerV1,
    device: ZwlrDataControlDeviceV1,
    /// The offer of the last paste (destroyed at the next: by then someone else serves).
    source: Option<ZwlrDataControlSourceV1>,
}

impl WaylandClipboard {
    pub fn connect() -> Result<WaylandClipboard, OutputError> {
        let (mut queue, seat, manager) =
            wayland_connect::connect::<State, ZwlrDataControlManagerV1>(1..=2)?;
        let device = manager.get_data_device(&seat, &queue.handle(), ());
        let mut state = State::default();
        queue.roundtrip(&mut state).map_err(failed)?;
        Ok(WaylandClipboard {
            queue,
            state,
            manager,
            device,
            source: None,
        })
    }

    /// The clipboard's text now, if it holds text.
    pub fn current_text() -> Option<String> {
        use std::io::Read;
        use wl_clipboard_rs::paste::{ClipboardType, MimeType, Seat, get_contents};
        let (mut pipe, _) =
            get_contents(ClipboardType::Regular, Seat::Unspecified, MimeType::Text).ok()?;
        let mut text = String::new();
        pipe.read_to_string(&mut text).ok()?;
        Some(text)
    }

    /// Put `text` back on the clipboard, served from a thread until someone copies again.
    pub fn restore(text: &str) -> Result<(), OutputError> {
        Self::copy(text, false)
    }

    /// Serve `text` as the clipboard from this thread until someone copies again.
    pub fn keep(text: &str) -> Result<(), OutputError> {
        Self::copy(text, true)
    }

    fn copy(text: &str, foreground: bool) -> Result<(), OutputError> {
        use wl_clipboard_rs::copy::{MimeType, Options, Source};
        let mut options = Options::new();
        options.foreground(foreground);
        options
            .copy(
                Source::Bytes(text.as_bytes().to_vec().into_boxed_slice()),
                MimeType::Text,
            )
            .map_err(failed)
    }

    /// Offer `text` as the clipboard, serve the requests of `SETTLE` (clipboard managers), run
    /// `press_keys`, then serve until the target has fetched it (and a moment more). Returns
    /// when it was fetched, or `None` if no one asked within [`PASTE_TIMEOUT`].
    pub fn paste(
        &mut self,
        text: &str,
        press_keys: impl FnOnce() -> Result<(), OutputError>,
    ) -> Result<Option<Instant>, OutputError> {
        if let Some(old) = self.source.take() {
            old.destroy();
        }
        let qh = self.queue.handle();
        let source = self.manager.create_data_source(&qh, ());
        for mime in TEXT_TYPES {
            source.offer(mime.to_string());
        }
        self.state.text = text.as_bytes().to_vec();
        self.state.fetched.clear();
        self.state.cancelled = false;
        self.device.set_selection(Some(&source));
        self.source = Some(source);
        self.serve_until(Instant::now() + SETTLE)?;
        let before_keys = self.state.fetched.len();
        press_keys()?;
        let deadline = Instant::now() + PASTE_TIMEOUT;
        while self.state.fetched.len() == before_keys && !self.state.cancelled {
            if Instant::now() >= deadline {
                return Ok(None);
            }
            self.serve_until(deadline.min(Instant::now() + Duration::from_millis(20)))?;
        }
        let fetched_at = self.state.fetched.get(before_keys).copied();
        self.serve_until(Instant::now() + GRACE)?;
        if let Some(e) = self.state.error.take() {
            return Err(failed(format!("handing the text over: {e}")));
        }
        Ok(fetched_at)
    }

    /// Let go of the clipboard (it was empty before the paste).
    pub fn clear(&mut self) -> Result<(), OutputError> {
        self.device.set_selection(None);
        self.queue.roundtrip(&mut self.state).map_err(failed)?;
        Ok(())
    }

    /// Answer the compositor's requests until `deadline` or until someone else takes over.
    fn serve_until(&mut self, deadline: Instant) -> Result<(), OutputError> {
        loop {
            self.queue
                .dispatch_pending(&mut self.state)
                .map_err(failed)?;
            self.queue.flush().map_err(failed)?;
            let now = Instant::now();
            if now >= deadline || self.state.cancelled {
                return Ok(());
            }
            let Some(guard) = self.queue.prepare_read() else {
                continue;
            };
            let wait = deadline - now;
            let readable = {
                let fd = guard.connection_fd();
                let mut fds = [rustix::event::PollFd::new(
                    &fd,
                    rustix::event::PollFlags::IN,
                )];
                let timeout = rustix::event::Timespec {
                    tv_sec: wait.as_secs() as i64,
                    tv_nsec: i64::from(wait.subsec_nanos()),
                };
                rustix::event::poll(&mut fds, Some(&timeout)).map_err(failed)? > 0
            };
            if readable {
                guard.read().map_err(failed)?;
            }
        }
    }
}

impl Drop for WaylandClipboard {
    fn drop(&mut self) {
        if let Some(source) = self.source.take() {
            source.destroy();
        }
        self.device.destroy();
        let _ = self.queue.flush();
    }
}
