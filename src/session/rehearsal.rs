//! Dictations rehearsed on a warm session as the app runs it, fed by a simulated microphone
//! and typing nothing: how `utter bench` and "measure on this machine" time a model.

use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::audio::SimulatedMicrophone;
use crate::cleanup::Cleaner;
use crate::output::{NoOutput, TextSink};
use crate::settings::Settings;
use crate::transcriber::Transcriber;

use super::{DictationReport, Input, Pipeline, Session, SessionEvent};

/// A session without history or clean-up, delivering to `output` (a [`crate::output::TextBox`]
/// shows what a window would), recording from a simulated microphone; also when each clip
/// finished playing.
pub fn simulated_session(
    transcriber: Transcriber,
    settings: &Settings,
    output: Box<dyn TextSink>,
    events: impl Fn(SessionEvent) + Send + 'static,
) -> (Session, SimulatedMicrophone, Receiver<Instant>) {
    session_on_simulated_microphone(transcriber, None, settings, output, 1.0, events)
}

/// Like [`simulated_session`], typing nothing, with a clean-up stage and the microphone
/// playing `pace` times faster than real time.
pub fn simulated_session_with(
    transcriber: Transcriber,
    cleaner: Option<Cleaner>,
    settings: &Settings,
    pace: f64,
    events: impl Fn(SessionEvent) + Send + 'static,
) -> (Session, SimulatedMicrophone, Receiver<Instant>) {
    let output = Box::new(NoOutput);
    session_on_simulated_microphone(transcriber, cleaner, settings, output, pace, events)
}

fn session_on_simulated_microphone(
    transcriber: Transcriber,
    cleaner: Option<Cleaner>,
    settings: &Settings,
    output: Box<dyn TextSink>,
    pace: f64,
    events: impl Fn(SessionEvent) + Send + 'static,
) -> (Session, SimulatedMicrophone, Receiver<Instant>) {
    let pipeline = Pipeline {
        transcriber: Some(transcriber),
        cleaner,
        output,
        history: None,
        recordings_dir: None,
    };
    let (mic, played) = SimulatedMicrophone::with_pace(pace);
    let session =
        Session::start_with_source(settings.clone(), pipeline, Box::new(mic.clone()), events);
    (session, mic, played)
}

#[derive(Debug, thiserror::Error)]
pub enum RehearsalError {
    #[error("the simulated microphone did not finish playing within {0:?}")]
    NotPlayed(Duration),
    #[error("the dictation did not finish within {0:?}")]
    NotFinished(Duration),
}

/// Push-to-talk dictations on one warm session: press, play the clip, release when it has
/// played, wait for the report.
pub struct Rehearsal {
    session: Session,
    mic: SimulatedMicrophone,
    played: Receiver<Instant>,
    finished: Receiver<Box<DictationReport>>,
}

impl Rehearsal {
    pub fn start(transcriber: Transcriber, settings: &Settings) -> Rehearsal {
        Rehearsal::with(transcriber, None, settings, 1.0)
    }

    /// With a clean-up stage, the microphone playing `pace` times faster than real time.
    pub fn with(
        transcriber: Transcriber,
        cleaner: Option<Cleaner>,
        settings: &Settings,
        pace: f64,
    ) -> Rehearsal {
        let (tx, finished) = channel();
        let on_event = move |event| {
            if let SessionEvent::Finished { report } = event {
                let _ = tx.send(report);
            }
        };
        let (session, mic, played) =
            simulated_session_with(transcriber, cleaner, settings, pace, on_event);
        Rehearsal {
            session,
            mic,
            played,
            finished,
        }
    }

    pub fn apply(&self, settings: &Settings) {
        self.session
            .send(Input::Settings(Box::new(settings.clone())));
    }

    /// One dictation of `samples`, the key released as soon as they have played.
    pub fn dictate(&mut self, samples: Vec<f32>) -> Result<DictationReport, RehearsalError> {
        let seconds = crate::audio::seconds(samples.len());
        // Generous: a slow machine decodes at several times real time.
        let timeout = Duration::from_secs_f64(seconds * 3.0 + 60.0);
        self.mic.queue(samples);
        self.session.send(Input::Press(Instant::now()));
        self.played
            .recv_timeout(timeout)
            .map_err(|_| RehearsalError::NotPlayed(timeout))?;
        self.session.send(Input::Release(Instant::now()));
        let report = self
            .finished
            .recv_timeout(timeout)
            .map_err(|_| RehearsalError::NotFinished(timeout))?;
        Ok(*report)
    }
}

/// A timing of the report by name ("release_to_text", "stt", …).
pub fn timing(report: &DictationReport, name: &str) -> Option<f64> {
    report
        .timings
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| *v)
}
