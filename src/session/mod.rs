//! One place that owns a dictation's life: Idle → Recording → Transcribing (→ Cleaning) →
//! Output → Idle. The coordinator thread turns hotkey events into commands (through the
//! [`PressClassifier`]), runs the microphone, and hands finished recordings to a worker
//! thread that owns the warm models. No GUI types: the desktop app and tests drive it the
//! same way, through [`Input`] and [`SessionEvent`].

pub mod loader;
pub mod pipeline;

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audio::{CaptureOptions, Microphone};
use crate::cleanup::Choice;
use crate::hotkey::{Command, PressClassifier};
use crate::settings::Settings;
pub use pipeline::{DictationReport, Job, Pipeline};

const LEVEL_INTERVAL: Duration = Duration::from_millis(50);

/// What the shell sends the session.
pub enum Input {
    Press(Instant),
    Release(Instant),
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
    Shutdown,
    /// From the worker: a dictation is finished.
    Done(Box<DictationReport>),
    /// From the worker: a re-transcription is finished.
    Retranscribed(i64, Result<String, String>),
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
    /// Something the user should see (a failed start, a lost device, a model problem).
    Problem {
        message: String,
    },
    /// Register the cancel key (Esc) only while recording, so it is not stolen otherwise.
    WantCancelKey {
        wanted: bool,
    },
    /// A past dictation was transcribed again (text, or why not).
    Retranscribed {
        id: i64,
        text: Option<String>,
        error: Option<String>,
    },
}

enum WorkerMsg {
    Job(Box<Job>),
    Settings(Box<Settings>),
    Retranscribe(i64, Box<Job>),
}

pub struct Session {
    input: Sender<Input>,
    coordinator: Option<JoinHandle<()>>,
}

impl Session {
    /// Start the coordinator and worker threads. `events` is called from the coordinator
    /// thread; it must not block.
    pub fn start(
        settings: Settings,
        pipeline: Pipeline,
        events: impl Fn(SessionEvent) + Send + 'static,
    ) -> Session {
        let (input, inbox) = channel();
        let (jobs, job_inbox) = channel();
        let done = input.clone();
        std::thread::Builder::new()
            .name("utter-pipeline".into())
            .spawn(move || run_worker(pipeline, job_inbox, done))
            .expect("spawn the pipeline thread");
        let coordinator = std::thread::Builder::new()
            .name("utter-session".into())
            .spawn(move || Coordinator::new(settings, jobs, events).run(inbox))
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

fn run_worker(mut pipeline: Pipeline, inbox: Receiver<WorkerMsg>, done: Sender<Input>) {
    for msg in inbox {
        match msg {
            WorkerMsg::Job(job) => {
                // A panic in a stage must not take the app down with the dictation in it.
                let report =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline.run(*job)))
                        .unwrap_or_else(|_| DictationReport {
                            history_id: None,
                            text: String::new(),
                            raw_text: String::new(),
                            cleanup_reason: None,
                            delivered: false,
                            error: Some("internal error while processing the dictation".into()),
                            timings: Vec::new(),
                        });
                pipeline.store_timings(&report);
                if done.send(Input::Done(Box::new(report))).is_err() {
                    return;
                }
            }
            WorkerMsg::Settings(settings) => reload(&mut pipeline, &settings),
            WorkerMsg::Retranscribe(id, job) => {
                let result = pipeline.retranscribe(id, &job);
                if done.send(Input::Retranscribed(id, result)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Rebuild what the new settings change: the clean-up client always (cheap), the speech
/// model only when another one was chosen.
fn reload(pipeline: &mut Pipeline, settings: &Settings) {
    let mut warnings = Vec::new();
    pipeline.cleaner = loader::load_cleaner(settings, &mut warnings);
    let wanted = settings.model.clone();
    let current = pipeline
        .transcriber
        .as_ref()
        .map(|t| t.stt().model_name().to_string());
    let model_changed = match (&wanted, &current) {
        (_, None) => true,
        (Some(w), Some(c)) => w != c && !w.ends_with(&format!("ggml-{c}.bin")),
        (None, Some(_)) => false,
    };
    if model_changed {
        match loader::load_transcriber(settings) {
            Ok(t) => pipeline.transcriber = Some(t),
            Err(e) => warnings.push(format!("{e:#}")),
        }
    }
    for w in warnings {
        tracing::warn!("{w}");
    }
}

struct Recording {
    mic: Microphone,
    pressed: Instant,
    opened_ms: f64,
}

struct Coordinator<F: Fn(SessionEvent)> {
    settings: Settings,
    classifier: PressClassifier,
    jobs: Sender<WorkerMsg>,
    events: F,
    recording: Option<Recording>,
    prefer_raw: bool,
    paused: bool,
}

impl<F: Fn(SessionEvent)> Coordinator<F> {
    fn new(settings: Settings, jobs: Sender<WorkerMsg>, events: F) -> Self {
        Coordinator {
            classifier: PressClassifier::new(settings.mode),
            settings,
            jobs,
            events,
            recording: None,
            prefer_raw: false,
            paused: false,
        }
    }

    fn emit(&self, event: SessionEvent) {
        (self.events)(event);
    }

    fn run(mut self, inbox: Receiver<Input>) {
        self.emit(SessionEvent::State { state: State::Idle });
        loop {
            let wait = match (self.recording.is_some(), self.classifier.deadline()) {
                (true, _) => LEVEL_INTERVAL,
                (false, Some(d)) => d.saturating_duration_since(Instant::now()),
                (false, None) => Duration::from_secs(1),
            };
            let command = match inbox.recv_timeout(wait) {
                Ok(Input::Shutdown) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(input) => self.handle(input),
                Err(RecvTimeoutError::Timeout) => None,
            };
            let command = command.or_else(|| self.classifier.poll(Instant::now()));
            if let Some(command) = command {
                self.execute(command);
            }
            self.watch_recording();
        }
        if let Some(rec) = self.recording.take() {
            // Shutting down mid-dictation: still transcribe and keep what was said.
            let samples = rec.mic.stop_recording().samples;
            self.submit(samples, rec.pressed, rec.opened_ms, None);
        }
    }

    fn handle(&mut self, input: Input) -> Option<Command> {
        let now = Instant::now();
        match input {
            Input::Press(_) | Input::Release(_) if self.paused => None,
            Input::Press(t) => self.classifier.press(t.min(now)),
            Input::Release(t) => self.classifier.release(t.min(now)),
            Input::Cancel => self.classifier.cancel(),
            Input::PreferRaw(raw) => {
                self.prefer_raw = raw;
                None
            }
            Input::Pause(paused) => {
                self.paused = paused;
                let state = if paused { State::Paused } else { State::Idle };
                if self.recording.is_none() {
                    self.emit(SessionEvent::State { state });
                }
                None
            }
            Input::Settings(settings) => {
                self.classifier.set_mode(settings.mode);
                let _ = self.jobs.send(WorkerMsg::Settings(settings.clone()));
                self.settings = *settings;
                None
            }
            Input::Done(report) => {
                self.classifier.finished();
                if let Some(error) = &report.error {
                    self.emit(SessionEvent::Problem {
                        message: error.clone(),
                    });
                }
                self.emit(SessionEvent::Finished { report });
                if self.recording.is_none() {
                    let state = if self.paused {
                        State::Paused
                    } else {
                        State::Idle
                    };
                    self.emit(SessionEvent::State { state });
                }
                None
            }
            Input::Retranscribe(id) => {
                let job = Job::from_settings(Vec::new(), now, &self.settings);
                let _ = self.jobs.send(WorkerMsg::Retranscribe(id, Box::new(job)));
                None
            }
            Input::Retranscribed(id, result) => {
                let (text, error) = match result {
                    Ok(text) => (Some(text), None),
                    Err(error) => (None, Some(error)),
                };
                self.emit(SessionEvent::Retranscribed { id, text, error });
                None
            }
            Input::Shutdown => None,
        }
    }

    fn execute(&mut self, command: Command) {
        match command {
            Command::Start => self.start_recording(),
            Command::Stop => self.stop_recording(None),
            Command::Cancel => {
                tracing::info!("dictation cancelled");
                if let Some(rec) = self.recording.take() {
                    let _ = rec.mic.stop_recording();
                }
                self.emit(SessionEvent::WantCancelKey { wanted: false });
                self.emit(SessionEvent::State { state: State::Idle });
            }
        }
    }

    fn start_recording(&mut self) {
        let pressed = Instant::now();
        let options = CaptureOptions {
            device: self.settings.microphone.clone(),
            ..CaptureOptions::default()
        };
        match Microphone::open(&options) {
            Ok(mic) => {
                // Only the complete recording matters here; live blocks are not consumed.
                drop(mic.start_recording());
                let opened_ms = pressed.elapsed().as_secs_f64() * 1000.0;
                tracing::debug!(opened_ms, device = mic.device_name(), "recording");
                self.recording = Some(Recording {
                    mic,
                    pressed,
                    opened_ms,
                });
                self.emit(SessionEvent::State {
                    state: State::Recording,
                });
                self.emit(SessionEvent::WantCancelKey { wanted: true });
            }
            Err(e) => {
                self.classifier.start_failed();
                self.emit(SessionEvent::Problem {
                    message: e.to_string(),
                });
                self.emit(SessionEvent::State { state: State::Idle });
            }
        }
    }

    fn stop_recording(&mut self, device_error: Option<String>) {
        let Some(rec) = self.recording.take() else {
            return;
        };
        let recording = rec.mic.stop_recording();
        let error = device_error.or(recording.error.map(|e| e.to_string()));
        self.emit(SessionEvent::WantCancelKey { wanted: false });
        self.emit(SessionEvent::State {
            state: State::Transcribing,
        });
        self.submit(recording.samples, rec.pressed, rec.opened_ms, error);
    }

    fn submit(
        &mut self,
        samples: Vec<f32>,
        pressed: Instant,
        opened_ms: f64,
        error: Option<String>,
    ) {
        let released = Instant::now();
        let mut job = Job::from_settings(samples, released, &self.settings);
        job.capture_error = error;
        if self.prefer_raw {
            job.choice = Choice::Raw;
        }
        job.extra_timings = vec![
            ("mic_open".into(), opened_ms),
            (
                "recording".into(),
                released.duration_since(pressed).as_secs_f64() * 1000.0,
            ),
        ];
        let _ = self.jobs.send(WorkerMsg::Job(Box::new(job)));
    }

    /// Level meter while recording, and a device that fails mid-dictation ends it (keeping
    /// what was captured).
    fn watch_recording(&mut self) {
        let Some(rec) = &self.recording else {
            return;
        };
        match rec.mic.health() {
            Ok(()) => {
                let level = rec.mic.level();
                self.emit(SessionEvent::Level { level });
            }
            Err(e) => {
                let message = e.to_string();
                self.emit(SessionEvent::Problem {
                    message: message.clone(),
                });
                self.classifier.stopped_externally();
                self.stop_recording(Some(message));
            }
        }
    }
}
