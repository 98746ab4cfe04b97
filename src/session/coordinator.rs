//! The session thread: hotkey input → commands (through the [`PressClassifier`]), the
//! microphone, and handing audio to the pipeline worker; after a hands-free dictation ends by
//! itself, the follow-on that goes on listening.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::journal::{Journal, Saved};
use super::recording::{Recording, Started, Timing, forward_live, pass_on};
use super::turn_listener::TurnMsg;
use super::worker::WorkerMsg;
use super::{Input, Job, SessionEvent, State};
use crate::audio::{CaptureOptions, CaptureSource};
use crate::cleanup::Choice;
use crate::hotkey::{Command, Mode, PressClassifier};
use crate::settings::{Settings, Strategy};
use crate::target::Target;
use crate::turn::{EndParams, EndedBy, TurnEnd};

/// How often the level meter updates and captured audio is passed on while recording.
const LEVEL_INTERVAL: Duration = Duration::from_millis(50);
/// The audio before a follow-on its VAD hears it after (3 s).
const HEARD_BEFORE: usize = 3 * crate::SAMPLE_RATE as usize;
/// How long after its window an empty follow-on that gets no more audio is closed.
const FOLLOW_ON_SLACK: Duration = Duration::from_secs(1);

pub(super) struct Coordinator<F: Fn(SessionEvent)> {
    settings: Settings,
    source: Box<dyn CaptureSource>,
    classifier: PressClassifier,
    jobs: Sender<WorkerMsg>,
    turns: Sender<TurnMsg>,
    /// Numbers hands-free recordings, so a late "finished" for an earlier one is ignored.
    recordings: u64,
    events: F,
    recording: Option<Recording>,
    prefer_raw: bool,
    paused: bool,
    /// Raised when the key comes up while the user is still speaking: the worker then gives
    /// up decodes that cannot be the final text.
    released: crate::stt::StopFlag,
    journal: Journal,
    /// Look at which application has the focus when a dictation starts (when the text is
    /// typed there, not when it is only printed or measured).
    find_targets: bool,
    /// Dictations handed to the worker and not yet done.
    in_flight: usize,
}

impl<F: Fn(SessionEvent)> Coordinator<F> {
    pub(super) fn new(
        settings: Settings,
        source: Box<dyn CaptureSource>,
        jobs: Sender<WorkerMsg>,
        turns: Sender<TurnMsg>,
        events: F,
        released: crate::stt::StopFlag,
        journal: Journal,
    ) -> Self {
        Coordinator {
            source,
            classifier: PressClassifier::new(settings.mode),
            settings,
            jobs,
            turns,
            recordings: 0,
            events,
            recording: None,
            prefer_raw: false,
            paused: false,
            released,
            journal,
            find_targets: false,
            in_flight: 0,
        }
    }

    pub(super) fn finding_targets(mut self, find: bool) -> Self {
        self.find_targets = find;
        self
    }

    fn emit(&self, event: SessionEvent) {
        (self.events)(event);
    }

    pub(super) fn run(mut self, inbox: Receiver<Input>) {
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
        if self.recording.as_ref().is_some_and(Recording::nothing_said) {
            self.discard("nothing more was said");
        }
        if let Some(rec) = self.recording.take() {
            // Shutting down mid-dictation: still transcribe and keep what was said.
            let mut rec = rec;
            let samples = rec.mic.stop_recording().samples;
            forward_live(&self.jobs, &self.turns, &mut rec);
            let saved = self.journal.finish(&mut rec.written, &samples);
            let end = rec.hands_free.map(|_| interrupted());
            self.submit(samples, rec.started(), saved, None, end);
        }
    }

    fn handle(&mut self, input: Input) -> Option<Command> {
        let now = Instant::now();
        match input {
            Input::Press(_) | Input::Release(_) | Input::Toggle if self.paused => None,
            Input::Press(t) => self.classifier.press(t.min(now)),
            Input::Release(t) => self.classifier.release(t.min(now)),
            Input::Toggle => self.classifier.toggle(),
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
                self.in_flight = self.in_flight.saturating_sub(1);
                if self.in_flight == 0 {
                    self.classifier.finished();
                }
                for message in report.error.iter().chain(&report.warning) {
                    self.emit(SessionEvent::Problem {
                        message: message.clone(),
                    });
                }
                self.emit(SessionEvent::Finished { report });
                if self.recording.is_none() && self.in_flight == 0 {
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
            Input::Recover => {
                let job = Job::from_settings(Vec::new(), now, &self.settings);
                let _ = self.jobs.send(WorkerMsg::Recover(Box::new(job)));
                None
            }
            Input::Recovered(dictations) => {
                self.emit(SessionEvent::Recovered { dictations });
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
            Input::ModelReady(loaded, problem) => {
                self.emit(SessionEvent::ModelLoaded { loaded, problem });
                None
            }
            Input::Problem(message) => {
                self.emit(SessionEvent::Problem { message });
                None
            }
            Input::Partial(partial) => {
                let text = partial.text.clone();
                if let Some(rec) = self.recording.as_mut() {
                    if rec.hands_free.is_some() {
                        let _ = self.turns.send(TurnMsg::Transcript(partial));
                    }
                    // Sent again when only what it covers moved on.
                    if text == rec.partial_shown {
                        return None;
                    }
                    rec.partial_shown.clone_from(&text);
                }
                self.emit(SessionEvent::Partial { text });
                None
            }
            Input::TurnEnded(seq, end) => {
                if self.is_recording(seq) {
                    self.turn_ended(end);
                }
                None
            }
            Input::SpeechHeard(seq) => {
                if let Some(rec) = self
                    .recording
                    .as_mut()
                    .filter(|r| r.hands_free == Some(seq))
                {
                    rec.heard = true;
                }
                None
            }
            Input::Shutdown => None,
        }
    }

    fn execute(&mut self, command: Command) {
        match command {
            Command::Start => self.start_recording(),
            Command::Stop if self.recording.as_ref().is_some_and(Recording::nothing_said) => {
                self.close_empty_follow_on("stopped listening for more");
            }
            Command::Stop => self.stop_recording(None, None),
            Command::Cancel => self.discard("dictation cancelled"),
        }
    }

    /// Close a follow-on in which nothing was said: it leaves nothing behind, and the session
    /// is idle once the dictations before it are done.
    fn close_empty_follow_on(&mut self, why: &str) {
        match self.in_flight {
            0 => self.classifier.nothing_to_finish(),
            _ => self.classifier.stopped_externally(),
        }
        self.discard(why);
    }

    /// Drop the recording in progress, leaving nothing behind.
    fn discard(&mut self, why: &str) {
        tracing::info!("{why}");
        if let Some(rec) = self.recording.take() {
            let _ = rec.mic.stop_recording();
            self.journal.discard(rec.written);
            if rec.streaming {
                let _ = self.jobs.send(WorkerMsg::StreamCancel);
            }
            if rec.hands_free.is_some() {
                let _ = self.turns.send(TurnMsg::Stop);
            }
        }
        self.emit(SessionEvent::WantCancelKey { wanted: false });
        // Idle once the dictations before it are done (a follow-on's, typed meanwhile).
        let state = match self.in_flight {
            0 => State::Idle,
            _ => State::Transcribing,
        };
        self.emit(SessionEvent::State { state });
    }

    fn is_recording(&self, seq: u64) -> bool {
        self.recording
            .as_ref()
            .is_some_and(|rec| rec.hands_free == Some(seq))
    }

    /// A hands-free recording has ended by itself: transcribe it, and keep listening for a
    /// follow-on when the settings say so — a speaker cut off at a pause loses no words.
    fn turn_ended(&mut self, end: TurnEnd) {
        let follows = self.recording.as_ref().is_some_and(|rec| rec.follows);
        if follows && end.ended_by == EndedBy::NoSpeech {
            self.close_empty_follow_on("nothing more was said");
            return;
        }
        let follow_on_ms = self.settings.hands_free.end_params().follow_on_ms;
        let healthy = self
            .recording
            .as_ref()
            .is_some_and(|rec| rec.mic.health().is_ok());
        // Not after the length limit: it bounds a dictation nobody stops (a TV, a forgotten tap).
        let by_itself = matches!(end.ended_by, EndedBy::Turn | EndedBy::Silence);
        if follow_on_ms > 0 && healthy && by_itself {
            self.follow_on(end, follow_on_ms);
        } else {
            self.classifier.stopped_externally();
            self.stop_recording(None, Some(end));
        }
    }

    /// Hand the audio up to where the end was decided to the worker, and go on recording from
    /// there on the same open device (nothing between the two is lost) as a follow-on that
    /// ends by itself after `follow_on_ms` when nothing more is said.
    fn follow_on(&mut self, end: TurnEnd, follow_on_ms: u32) {
        let Some(mut rec) = self.recording.take() else {
            return;
        };
        let recording = rec.mic.stop_recording();
        let live = rec.mic.start_recording();
        forward_live(&self.jobs, &self.turns, &mut rec);
        let mut samples = recording.samples;
        // Heard after the decision (the listener runs a little behind the microphone): the
        // worker may have had some of it already, but it is the follow-on's to transcribe.
        let after_end = samples.split_off(end.at_sample.min(samples.len()));
        let saved = self.journal.finish(&mut rec.written, &samples);
        let heard_before = samples[samples.len().saturating_sub(HEARD_BEFORE)..].to_vec();
        self.submit(samples, rec.started(), saved, None, Some(end));
        // From here on the same recording is the follow-on, entered in the history after it.
        rec.written = self.journal.begin();
        let mut params = self.settings.hands_free.end_params();
        params.wait_for_speech_ms = follow_on_ms;
        rec.streaming = self.begin_stream(rec.target.as_ref(), &params);
        rec.hands_free = Some(self.begin_listening(params, rec.streaming, true));
        rec.live = live;
        rec.timing = Timing {
            pressed: Instant::now(),
            opened_ms: 0.0,
        };
        rec.voice = Default::default();
        rec.partial_shown.clear();
        rec.follows = true;
        rec.heard = false;
        rec.heard_before = heard_before;
        rec.last_audio = Instant::now();
        pass_on(&self.jobs, &self.turns, &mut rec, vec![after_end]);
        self.recording = Some(rec);
        self.emit(SessionEvent::FollowOn);
    }

    fn start_recording(&mut self) {
        let pressed = Instant::now();
        let target = if self.find_targets {
            crate::target::focused()
        } else {
            None
        };
        let options = CaptureOptions {
            device: self.settings.microphone.clone(),
            ..CaptureOptions::default()
        };
        // Told first, so the worker loads a model (if needed) while the microphone opens.
        let params = self.settings.hands_free.end_params();
        let streaming = self.begin_stream(target.as_ref(), &params);
        match self.source.open(&options) {
            Ok(mic) => {
                let hands_free = (self.settings.mode == Mode::HandsFree)
                    .then(|| self.begin_listening(params, streaming, false));
                let live = mic.start_recording();
                let written = self.journal.begin();
                let opened_ms = pressed.elapsed().as_secs_f64() * 1000.0;
                tracing::debug!(opened_ms, device = mic.device_name(), "recording");
                self.recording = Some(Recording {
                    mic,
                    live,
                    written,
                    streaming,
                    hands_free,
                    timing: Timing { pressed, opened_ms },
                    voice: Default::default(),
                    partial_shown: String::new(),
                    target: target.clone(),
                    follows: false,
                    heard: false,
                    heard_before: Vec::new(),
                    last_audio: Instant::now(),
                });
                self.emit(SessionEvent::State {
                    state: State::Recording,
                });
                if let Some(target) = target {
                    let profile = crate::profiles::profile_for(&self.settings.profiles, &target);
                    self.emit(SessionEvent::Target {
                        app: target.app,
                        profile: profile.map(|p| p.name),
                    });
                }
                if hands_free.is_some() {
                    self.emit(SessionEvent::HandsFree);
                }
                self.emit(SessionEvent::WantCancelKey { wanted: true });
            }
            Err(e) => {
                if streaming {
                    let _ = self.jobs.send(WorkerMsg::StreamCancel);
                }
                self.classifier.start_failed();
                self.emit(SessionEvent::Problem {
                    message: e.to_string(),
                });
                self.emit(SessionEvent::State { state: State::Idle });
            }
        }
    }

    /// Tell the worker a recording starts: decode while it goes (streaming; hands-free, at the
    /// pauses the end-of-turn model is asked about), or load the model meanwhile. Whether it
    /// streams.
    fn begin_stream(&self, target: Option<&Target>, params: &EndParams) -> bool {
        let streaming = self.settings.speed.strategy == Strategy::Streaming;
        self.released.store(false, Ordering::Relaxed);
        let prepare = if streaming {
            let job = Job::for_target(Vec::new(), Instant::now(), &self.settings, target);
            // Hands-free: the transcript is wanted when the end-of-turn model is asked.
            let hands_free = self.settings.mode == Mode::HandsFree;
            let listening = hands_free.then_some(params.listening_decodes());
            WorkerMsg::StreamStart(Box::new(job.options), listening)
        } else {
            WorkerMsg::Prepare
        };
        let _ = self.jobs.send(prepare);
        streaming
    }

    /// Tell the hands-free listener a recording starts (a follow-on: goes on from the end of
    /// the one before); the number its end is reported with.
    fn begin_listening(&mut self, params: EndParams, streaming: bool, follows: bool) -> u64 {
        self.recordings += 1;
        let params = EndParams {
            // Only a stream decodes while listening.
            read_transcript: params.read_transcript && streaming,
            ..params
        };
        let seq = self.recordings;
        let vad = self.settings.vad.clone();
        let _ = self.turns.send(TurnMsg::Start {
            seq,
            params,
            vad,
            follows,
        });
        seq
    }

    /// `end`: how a hands-free recording ended by itself (None: the user or the device).
    fn stop_recording(&mut self, device_error: Option<String>, end: Option<TurnEnd>) {
        let Some(mut rec) = self.recording.take() else {
            return;
        };
        let recording = rec.mic.stop_recording();
        forward_live(&self.jobs, &self.turns, &mut rec);
        let end = rec.hands_free.map(|_| {
            if end.is_none() {
                let _ = self.turns.send(TurnMsg::Stop);
            }
            end.unwrap_or_else(interrupted)
        });
        // Released mid-word: nothing decoding now can be the final text, so it is given up.
        // After a pause, the decode of that pause is kept: it is the text.
        self.released
            .store(rec.voice.speaking_at_end(), Ordering::Relaxed);
        let error = device_error.or(recording.error.map(|e| e.to_string()));
        let saved = self.journal.finish(&mut rec.written, &recording.samples);
        self.emit(SessionEvent::WantCancelKey { wanted: false });
        self.emit(SessionEvent::State {
            state: State::Transcribing,
        });
        self.submit(recording.samples, rec.started(), saved, error, end);
    }

    /// Send a recording's audio (`samples`) to be transcribed and delivered.
    fn submit(
        &mut self,
        samples: Vec<f32>,
        started: Started,
        saved: Saved,
        error: Option<String>,
        end: Option<TurnEnd>,
    ) {
        let Timing { pressed, opened_ms } = started.timing;
        let released = Instant::now();
        let mut job = Job::for_target(samples, released, &self.settings, started.target);
        job.output.continues = started.follows;
        job.heard_before = started.heard_before.to_vec();
        job.capture_error = error;
        job.saved = Some(saved);
        job.ended_by = end.map(|e| e.ended_by);
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
        self.in_flight += 1;
        if let Some(end) = end.filter(|e| e.ended_by != EndedBy::Interrupt) {
            job.extra_timings.push(("end_wait".into(), end.end_wait_ms));
        }
        let _ = self.jobs.send(WorkerMsg::Job(Box::new(job)));
    }

    /// Level meter while recording, and a device that fails mid-dictation ends it (keeping
    /// what was captured).
    fn watch_recording(&mut self) {
        let Some(rec) = self.recording.as_mut() else {
            return;
        };
        forward_live(&self.jobs, &self.turns, rec);
        // The listener closes an empty follow-on by the audio it hears (however late it runs on
        // a busy machine); a device that stops delivering without an error would keep it open,
        // and the microphone with it.
        let window = self.settings.hands_free.end_params().follow_on_ms;
        let late = Duration::from_millis(u64::from(window)) + FOLLOW_ON_SLACK;
        if rec.nothing_said() && rec.last_audio.elapsed() > late {
            self.close_empty_follow_on("nothing more was said (no audio came)");
            return;
        }
        let rec = &*rec;
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
                self.stop_recording(Some(message), None);
            }
        }
    }
}

/// A hands-free recording stopped by the user (a tap, the key, Ctrl-C, shutting down).
fn interrupted() -> TurnEnd {
    TurnEnd {
        ended_by: EndedBy::Interrupt,
        end_wait_ms: 0.0,
        at_sample: usize::MAX,
    }
}
