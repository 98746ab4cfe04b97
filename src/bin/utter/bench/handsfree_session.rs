//! `utter bench --handsfree` through the session, as the app runs it: from the end of the speech
//! to the text.

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use utter::audio::SimulatedMicrophone;
use utter::hotkey::Mode;
use utter::output::TextBox;
use utter::session::rehearsal::simulated_session;
use utter::session::{Input, Session, SessionEvent, State};
use utter::settings::{Settings, Until};
use utter::transcriber::Transcriber;
use utter::turn::EndParams;

use super::handsfree::{SR, TAIL_S};

/// A warm hands-free session on a simulated microphone.
pub struct HandsFreeSession {
    session: Session,
    mic: SimulatedMicrophone,
    events: std::sync::mpsc::Receiver<(Instant, SessionEvent)>,
    settings: Settings,
    /// What a window shows of each dictation and its follow-ons.
    window: TextBox,
}

/// One hands-free dictation through the session, follow-ons and all.
pub struct Dictated {
    /// From the end of the speech to the last text.
    pub ready_ms: f64,
    /// As a window would read once all was typed (full stops taken back at the seams).
    pub text: String,
    /// Follow-ons whose seam was heard going on with the sentence (the full stop before it
    /// taken back), and those after a full stop that stayed.
    pub rejoined: usize,
    pub full_stops_kept: usize,
    /// Each follow-on's decode of its seam in context (ms), part of its text's wait.
    pub seam_ms: Vec<f64>,
}

impl HandsFreeSession {
    pub fn start(transcriber: Transcriber, mut settings: Settings) -> HandsFreeSession {
        settings.mode = Mode::HandsFree;
        let (tx, events) = channel();
        let window = TextBox::default();
        let output = Box::new(window.clone());
        let (session, mic, _played) =
            simulated_session(transcriber, &settings, output, move |event| {
                let _ = tx.send((Instant::now(), event));
            });
        HandsFreeSession {
            session,
            mic,
            events,
            settings,
            window,
        }
    }

    /// One dictation of `audio` (then silence) with its follow-ons.
    pub fn dictate(
        &mut self,
        params: EndParams,
        audio: &[f32],
        speech_end: usize,
    ) -> Result<Dictated> {
        let hf = &mut self.settings.hands_free;
        hf.until = if params.semantic {
            Until::Turn
        } else {
            Until::Silence
        };
        hf.end_silence_ms = params.end_silence_ms;
        hf.likely_finished_above = params.likely_finished_above;
        hf.likely_end_silence_ms = params.likely_end_silence_ms;
        hf.pause_ms = params.pause_ms;
        hf.finished_above = params.finished_above;
        hf.read_transcript = params.read_transcript;
        hf.full_stop_above = params.full_stop_above;
        hf.follow_on_ms = params.follow_on_ms;
        hf.early_decode_ms = params.early_decode_ms;
        self.session
            .send(Input::Settings(Box::new(self.settings.clone())));
        let mut fed = audio.to_vec();
        // Silence through the follow-on window after the latest end, as a microphone goes on.
        let tail_s = TAIL_S + f64::from(params.follow_on_ms) / 1000.0;
        fed.extend(std::iter::repeat_n(0.0, (tail_s * SR as f64) as usize));
        self.window.clear();
        self.mic.queue(fed);
        self.session.send(Input::Toggle);
        let timeout = Duration::from_secs(120);
        let mut started = None;
        let mut ready_ms = None;
        let (mut rejoined, mut full_stops_kept) = (0, 0);
        let mut seam_ms = Vec::new();
        let mut said_before = String::new();
        loop {
            let (at, event) = self
                .events
                .recv_timeout(timeout)
                .context("the hands-free dictation did not finish")?;
            match event {
                SessionEvent::State {
                    state: State::Recording,
                } => started = Some(at),
                SessionEvent::Finished { report } => {
                    if let Some(error) = report.error {
                        bail!("dictation failed: {error}");
                    }
                    if report.continues && report.rejoined {
                        rejoined += 1;
                    } else if report.continues && said_before.trim_end().ends_with('.') {
                        full_stops_kept += 1;
                    }
                    let seam = report.timings.iter().find(|(stage, _)| stage == "seam");
                    seam_ms.extend(seam.map(|(_, ms)| *ms));
                    said_before = report.text.clone();
                    let started = started.context("no recording")?;
                    let spoken = started + Duration::from_secs_f64(speech_end as f64 / SR as f64);
                    ready_ms = Some(at.saturating_duration_since(spoken).as_secs_f64() * 1000.0);
                }
                // After the follow-on window: a tap now starts the next dictation.
                SessionEvent::State { state: State::Idle } if ready_ms.is_some() => {
                    return Ok(Dictated {
                        ready_ms: ready_ms.context("no text")?,
                        text: self.window.text().trim().to_string(),
                        rejoined,
                        full_stops_kept,
                        seam_ms,
                    });
                }
                _ => {}
            }
        }
    }
}
