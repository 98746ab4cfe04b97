//! One place that owns a dictation's life: Idle → Recording → Transcribing (→ Cleaning) →
//! Output → Idle. The coordinator thread turns hotkey events into commands (through the
//! [`PressClassifier`]), runs the microphone, and hands finished recordings to a worker
//! thread that owns the warm models. No GUI types: the desktop app and tests drive it the
//! same way, through [`Input`] and [`SessionEvent`].

mod coordinator;
mod job;
mod journal;
pub mod loader;
pub mod pipeline;
mod recording;
pub mod rehearsal;
mod seam;
mod turn_listener;
mod voice;
mod worker;

use std::sync::mpsc::{Sender, channel};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::Serialize;

use crate::audio::{CaptureSource, SystemMicrophones};
use crate::settings::Settings;
use coordinator::Coordinator;
pub use job::Job;
pub use journal::Saved;
pub use pipeline::{DictationReport, Pipeline};
use worker::Worker;

/// What the shell sends the session.
pub enum Input {
    Press(Instant),
    Release(Instant),
    /// Start or stop, whatever the mode (a shortcut that cannot report a release).
    Toggle,
    /// The cancel key.
    Cancel,
    /// While held (a second hotkey), the next dictation skips clean-up.
    PreferRaw(bool),
    /// New settings: mode and microphone at once; models and clean-up reload in the worker.
    Settings(Box<Settings>),
    /// Stop listening to the hotkey (tray "pause") or resume.
    Pause(bool),
    /// Transcribe a past dictation (by history id) again; nothing is typed.
    Retranscribe(i64),
    /// Find the dictations a killed process left behind and transcribe them; nothing is typed.
    Recover,
    Shutdown,
    /// From the worker: a dictation is finished.
    Done(Box<DictationReport>),
    /// From the worker: a re-transcription is finished.
    Retranscribed(i64, Result<String, String>),
    /// From the worker: the interrupted dictations found, and what became of each.
    Recovered(Vec<Recovered>),
    /// From the worker: the speech model was loaded (true) or is not loaded (false), and why
    /// not when loading it failed.
    ModelReady(bool, Option<String>),
    /// From the worker: something the user should see.
    Problem(String),
    /// From the worker: the text so far of the dictation being recorded.
    Partial(crate::streaming::Partial),
    /// From the hands-free listener: recording number `.0` has ended by itself.
    TurnEnded(u64, crate::turn::TurnEnd),
    /// From the hands-free listener: recording number `.0` has heard speech.
    SpeechHeard(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Idle,
    Recording,
    Transcribing,
    Paused,
}

/// What the session tells the shell.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SessionEvent {
    State {
        state: State,
    },
    /// Input level 0..1 while recording (~20 times a second).
    Level {
        level: f32,
    },
    Finished {
        report: Box<DictationReport>,
    },
    /// The recording just started is hands-free: it ends when the speaker has finished.
    HandsFree,
    /// A hands-free dictation ended by itself and went to be typed; the session listens on
    /// for a moment, and speech now continues it (a follow-on).
    FollowOn,
    /// The application the dictation is for, and the profile that will shape it.
    Target {
        app: String,
        profile: Option<String>,
    },
    /// The text recognised so far while the key is held (streaming).
    Partial {
        text: String,
    },
    /// Something the user should see (a failed start, a lost device, a model problem).
    Problem {
        message: String,
    },
    /// Register the cancel key (Esc) only while recording, so it is not stolen otherwise.
    WantCancelKey {
        wanted: bool,
    },
    /// The speech model is loaded and warm (or not: none available, or unloaded when idle).
    ModelLoaded {
        loaded: bool,
        /// Why it could not be loaded (not downloaded, damaged…); none when unloaded on purpose.
        #[serde(skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    /// A past dictation was transcribed again (text, or why not).
    Retranscribed {
        id: i64,
        text: Option<String>,
        error: Option<String>,
    },
    /// Recovery has run ([`Input::Recover`]): the interrupted dictations it found.
    Recovered {
        dictations: Vec<Recovered>,
    },
}

/// An interrupted dictation, transcribed at the next start.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    pub id: i64,
    /// Its text (never typed: it is in the history), or why there is none.
    pub text: Option<String>,
    pub error: Option<String>,
}

pub struct Session {
    input: Sender<Input>,
    coordinator: Option<JoinHandle<()>>,
}

impl Session {
    /// Start the coordinator and worker threads. `events` is called from the coordinator
    /// thread; it must not block.
    /// A pipeline without a speech model loads it on its own thread: the hotkey works (and
    /// records) meanwhile.
    pub fn start(
        settings: Settings,
        pipeline: Pipeline,
        events: impl Fn(SessionEvent) + Send + 'static,
    ) -> Session {
        Session::start_with_source(settings, pipeline, Box::new(SystemMicrophones), events)
    }

    /// Like [`start`](Self::start), recording from `source` instead of the system's microphones.
    pub fn start_with_source(
        settings: Settings,
        pipeline: Pipeline,
        source: Box<dyn CaptureSource>,
        events: impl Fn(SessionEvent) + Send + 'static,
    ) -> Session {
        let (input, inbox) = channel();
        let (jobs, job_inbox) = channel();
        let done = input.clone();
        // Raised by the coordinator when the key comes up mid-speech, read by the worker's decodes.
        let released = crate::stt::StopFlag::default();
        // The listener hears the speaker go on while the worker is busy decoding a pause.
        let resume = crate::streaming::ResumeWatch::default();
        let turns = turn_listener::spawn(done.clone(), resume.clone());
        // The coordinator enters each recording in the history as it starts, through its own
        // connection (the worker's may be busy).
        let journal = journal::Journal::new(
            pipeline.history.as_ref().and_then(|h| {
                h.reopen()
                    .map_err(|e| tracing::warn!("recordings are saved at the end only: {e}"))
                    .ok()
            }),
            pipeline.recordings_dir.clone(),
        );
        let find_targets = pipeline.output.finds_target();
        let worker = Worker::new(pipeline, settings.clone(), done, released.clone(), resume);
        std::thread::Builder::new()
            .name("utter-pipeline".into())
            .spawn(move || worker.run(job_inbox))
            .expect("spawn the pipeline thread");
        let coordinator = std::thread::Builder::new()
            .name("utter-session".into())
            .spawn(move || {
                Coordinator::new(settings, source, jobs, turns, events, released, journal)
                    .finding_targets(find_targets)
                    .run(inbox)
            })
            .expect("spawn the session thread");
        Session {
            input,
            coordinator: Some(coordinator),
        }
    }

    /// A handle for sending input from other threads (hotkey listener, UI commands).
    pub fn sender(&self) -> Sender<Input> {
        self.input.clone()
    }

    pub fn send(&self, input: Input) {
        let _ = self.input.send(input);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.input.send(Input::Shutdown);
        if let Some(handle) = self.coordinator.take() {
            let _ = handle.join();
        }
    }
}

/// Rebuild what the new settings change: the clean-up client always (cheap), the speech
/// model only when another one was chosen. Says whether the model was loaded again (or why it
/// could not be); `None` when it stayed as it was.
pub(super) fn reload(pipeline: &mut Pipeline, settings: &Settings) -> Option<Result<(), String>> {
    let mut warnings = Vec::new();
    pipeline.cleaner = loader::load_cleaner(settings, &mut warnings);
    let wanted = settings.model.clone();
    let current = pipeline
        .transcriber
        .as_ref()
        .map(|t| t.stt().model_name().to_string());
    let model_changed = match (&wanted, &current) {
        (_, None) => true,
        // A path names the same model as its file (ggml-NAME.bin) or folder (Moonshine, NeMo).
        (Some(w), Some(c)) => {
            w != c
                && !w.ends_with(&format!("ggml-{c}.bin"))
                && std::path::Path::new(w).file_name() != Some(std::ffi::OsStr::new(c))
        }
        (None, Some(_)) => false,
    };
    if let Some(t) = pipeline.transcriber.as_mut() {
        t.vad_params = settings.vad.clone();
    }
    let model = model_changed.then(|| match loader::load_transcriber(settings) {
        Ok(t) => {
            pipeline.transcriber = Some(t);
            Ok(())
        }
        Err(e) => Err(format!("{e:#}")),
    });
    for w in warnings
        .iter()
        .chain(model.as_ref().and_then(|m| m.as_ref().err()))
    {
        tracing::warn!("{w}");
    }
    model
}
