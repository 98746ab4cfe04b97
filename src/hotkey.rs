//! Turning raw hotkey presses and releases into dictation commands.
//!
//! X11 auto-repeat turns a held key into a stream of release+press pairs a few milliseconds
//! apart; a release is therefore only believed when no press follows within
//! [`AUTO_REPEAT_WINDOW`]. Presses while a dictation is being transcribed are ignored, so two
//! sessions never overlap. Pure logic with explicit time: unit-tested without a keyboard.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A release followed by a press within this window is key auto-repeat, not the user.
pub const AUTO_REPEAT_WINDOW: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Hold to record, release to transcribe.
    #[default]
    PushToTalk,
    /// Tap to start, tap again to stop.
    Toggle,
    /// Tap to start; it ends by itself when you have finished speaking (or at a tap).
    HandsFree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Stop,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    Recording,
    /// Transcribing or delivering: new presses are ignored until [`PressClassifier::finished`].
    Busy,
}

#[derive(Debug, Clone)]
pub struct PressClassifier {
    mode: Mode,
    phase: Phase,
    key_down: bool,
    pending_release: Option<Instant>,
}

impl PressClassifier {
    pub fn new(mode: Mode) -> Self {
        PressClassifier {
            mode,
            phase: Phase::Idle,
            key_down: false,
            pending_release: None,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Change the mode; any dictation in progress carries on under the new mode's rules.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    pub fn is_recording(&self) -> bool {
        self.phase == Phase::Recording
    }

    /// When [`poll`](Self::poll) must next be called, if a release is waiting to be believed.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending_release.map(|t| t + AUTO_REPEAT_WINDOW)
    }

    pub fn press(&mut self, now: Instant) -> Option<Command> {
        if let Some(released) = self.pending_release {
            if now.duration_since(released) <= AUTO_REPEAT_WINDOW {
                // Auto-repeat: the key never really went up.
                self.pending_release = None;
                self.key_down = true;
                return None;
            }
            // A real release that nobody polled yet: settle it before this press.
            if let Some(command) = self.poll(now) {
                self.key_down = true;
                return Some(command);
            }
        }
        if self.key_down {
            // A press without a release in between: the key is still held.
            return None;
        }
        self.key_down = true;
        match (self.phase, self.mode) {
            (Phase::Idle, _) => {
                self.phase = Phase::Recording;
                Some(Command::Start)
            }
            (Phase::Recording, Mode::Toggle | Mode::HandsFree) => {
                self.phase = Phase::Busy;
                Some(Command::Stop)
            }
            _ => None,
        }
    }

    pub fn release(&mut self, now: Instant) -> Option<Command> {
        if !self.key_down {
            return None;
        }
        self.key_down = false;
        self.pending_release = Some(now);
        None
    }

    /// Settle a release once no auto-repeat press followed it.
    pub fn poll(&mut self, now: Instant) -> Option<Command> {
        let released = self.pending_release?;
        if now.duration_since(released) <= AUTO_REPEAT_WINDOW {
            return None;
        }
        self.pending_release = None;
        if self.mode == Mode::PushToTalk && self.phase == Phase::Recording {
            self.phase = Phase::Busy;
            return Some(Command::Stop);
        }
        None
    }

    /// A shortcut that only reports taps (`utter-desktop --toggle`): start a dictation, or stop
    /// the one being recorded, whatever the mode.
    pub fn toggle(&mut self) -> Option<Command> {
        self.pending_release = None;
        self.key_down = false;
        match self.phase {
            Phase::Idle => {
                self.phase = Phase::Recording;
                Some(Command::Start)
            }
            Phase::Recording => {
                self.phase = Phase::Busy;
                Some(Command::Stop)
            }
            Phase::Busy => None,
        }
    }

    /// The cancel key (Esc): drop the recording in progress.
    pub fn cancel(&mut self) -> Option<Command> {
        if self.phase == Phase::Recording {
            self.phase = Phase::Idle;
            self.pending_release = None;
            return Some(Command::Cancel);
        }
        None
    }

    /// The session has delivered (or failed, or dropped) the dictation: ready for the next.
    pub fn finished(&mut self) {
        if self.phase == Phase::Busy {
            self.phase = Phase::Idle;
        }
    }

    /// The recording ended without the key (the device failed): wait for the dictation to
    /// finish like after a normal stop.
    pub fn stopped_externally(&mut self) {
        if self.phase == Phase::Recording {
            self.phase = Phase::Busy;
        }
        self.pending_release = None;
    }

    /// The recording stopped and left nothing to transcribe (a hands-free follow-on in which
    /// nothing more was said): ready for the next at once.
    pub fn nothing_to_finish(&mut self) {
        self.phase = Phase::Idle;
        self.pending_release = None;
    }

    /// The recording could not start (e.g. no microphone): back to idle at once.
    pub fn start_failed(&mut self) {
        self.phase = Phase::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(origin: Instant, ms: u64) -> Instant {
        origin + Duration::from_millis(ms)
    }

    #[test]
    fn push_to_talk_starts_on_press_and_stops_after_the_release_settles() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        assert_eq!(c.release(at(t0, 2000)), None);
        assert_eq!(c.deadline(), Some(at(t0, 2050)));
        assert_eq!(c.poll(at(t0, 2030)), None, "not yet believed");
        assert_eq!(c.poll(at(t0, 2051)), Some(Command::Stop));
        assert_eq!(c.poll(at(t0, 2100)), None);
    }

    #[test]
    fn a_toggle_starts_and_stops_in_either_mode_and_waits_while_busy() {
        for mode in [Mode::PushToTalk, Mode::Toggle] {
            let t0 = Instant::now();
            let mut c = PressClassifier::new(mode);
            assert_eq!(c.toggle(), Some(Command::Start), "{mode:?}");
            assert!(c.is_recording());
            assert_eq!(c.toggle(), Some(Command::Stop), "{mode:?}");
            assert_eq!(c.toggle(), None, "busy transcribing");
            assert_eq!(c.press(t0), None, "busy transcribing");
            c.release(at(t0, 10));
            c.finished();
            assert_eq!(c.poll(at(t0, 100)), None);
            assert_eq!(c.toggle(), Some(Command::Start), "{mode:?}");
            assert_eq!(c.cancel(), Some(Command::Cancel));
        }
    }

    #[test]
    fn x11_auto_repeat_while_holding_is_ignored() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        // The X server repeats a held key as release+press pairs ~30 times a second.
        for i in 0..30u64 {
            let t = 500 + i * 33;
            assert_eq!(c.release(at(t0, t)), None);
            assert_eq!(c.press(at(t0, t + 1)), None);
            assert_eq!(c.poll(at(t0, t + 20)), None);
        }
        assert!(c.is_recording());
        c.release(at(t0, 3000));
        assert_eq!(c.poll(at(t0, 3100)), Some(Command::Stop));
    }

    #[test]
    fn toggle_mode_ignores_auto_repeat_and_stops_on_the_next_tap() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::Toggle);
        assert_eq!(c.press(t0), Some(Command::Start));
        c.release(at(t0, 400));
        assert_eq!(c.press(at(t0, 410)), None, "auto-repeat must not toggle");
        c.release(at(t0, 600));
        assert_eq!(
            c.poll(at(t0, 700)),
            None,
            "a release does nothing in toggle mode"
        );
        assert_eq!(c.press(at(t0, 3000)), Some(Command::Stop));
        c.release(at(t0, 3100));
        assert_eq!(c.poll(at(t0, 3200)), None);
    }

    #[test]
    fn presses_during_transcription_never_start_a_second_session() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        c.release(at(t0, 1000));
        assert_eq!(c.poll(at(t0, 1100)), Some(Command::Stop));
        // Double press while the first dictation is transcribed.
        assert_eq!(c.press(at(t0, 1200)), None);
        c.release(at(t0, 1250));
        assert_eq!(c.poll(at(t0, 1400)), None);
        assert_eq!(c.press(at(t0, 1500)), None);
        c.release(at(t0, 1600));
        assert_eq!(c.poll(at(t0, 1700)), None);
        c.finished();
        assert_eq!(c.press(at(t0, 2000)), Some(Command::Start));
    }

    #[test]
    fn a_quick_double_press_in_push_to_talk_is_one_short_session() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        c.release(at(t0, 80));
        // Second press 120 ms after the release: a real press, but the first is settled
        // first and the session is busy, so nothing overlaps.
        assert_eq!(c.poll(at(t0, 140)), Some(Command::Stop));
        assert_eq!(c.press(at(t0, 200)), None);
    }

    #[test]
    fn an_unpolled_release_is_settled_before_the_next_press() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        c.release(at(t0, 500));
        assert_eq!(c.press(at(t0, 700)), Some(Command::Stop));
        c.release(at(t0, 800));
        assert_eq!(c.poll(at(t0, 900)), None);
    }

    #[test]
    fn cancel_drops_the_recording_and_a_late_release_does_nothing() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::PushToTalk);
        assert_eq!(c.press(t0), Some(Command::Start));
        assert_eq!(c.cancel(), Some(Command::Cancel));
        c.release(at(t0, 900));
        assert_eq!(c.poll(at(t0, 1000)), None);
        assert_eq!(c.cancel(), None, "nothing to cancel when idle");
        assert_eq!(c.press(at(t0, 2000)), Some(Command::Start));
    }

    #[test]
    fn a_failed_start_returns_to_idle() {
        let t0 = Instant::now();
        let mut c = PressClassifier::new(Mode::Toggle);
        assert_eq!(c.press(t0), Some(Command::Start));
        c.start_failed();
        c.release(at(t0, 100));
        c.poll(at(t0, 200));
        assert_eq!(c.press(at(t0, 300)), Some(Command::Start));
    }
}
