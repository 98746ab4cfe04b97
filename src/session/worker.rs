//! The pipeline thread: owns the warm models, decodes while recording (streaming), runs each
//! finished recording to the end, loads models at start and again after an idle unload.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use super::Job;
use super::pipeline::{DictationReport, Pipeline};
use super::{Input, loader};
use crate::settings::Settings;
use crate::streaming::{ListeningDecodes, ResumeWatch, StreamingTranscription};
use crate::transcriber::TranscribeOptions;

pub(super) enum WorkerMsg {
    /// A recording is starting (batch): make sure the model is loaded meanwhile.
    Prepare,
    /// A recording is starting and is decoded while it goes: at the engine's pauses, or as
    /// hands-free listening wants.
    StreamStart(Box<TranscribeOptions>, Option<ListeningDecodes>),
    Audio(Vec<f32>),
    StreamCancel,
    Job(Box<Job>),
    Settings(Box<Settings>),
    Retranscribe(i64, Box<Job>),
    /// Transcribe the dictations a killed process left behind (nothing is typed).
    Recover(Box<Job>),
}

/// Work on past dictations that waits while a stream uses the recogniser's VAD.
enum Deferred {
    Retranscribe(i64, Box<Job>),
    Recover(Box<Job>),
}

pub(super) struct Worker {
    pipeline: Pipeline,
    settings: Settings,
    done: Sender<Input>,
    stream: Option<StreamingTranscription>,
    /// Re-transcriptions asked for while streaming (they would disturb the stream's VAD).
    deferred: Vec<Deferred>,
    last_used: Instant,
    /// The text-so-far (and what it covers) last reported, so only changes are sent.
    partial_sent: crate::streaming::Partial,
    /// Set by the coordinator when the key comes up.
    released: crate::stt::StopFlag,
    /// The text of the last dictation run, which a follow-on continues.
    last_text: String,
    /// The hands-free listener says through it when the speaker goes on (early decodes stop).
    resume: ResumeWatch,
}

impl Worker {
    pub(super) fn new(
        pipeline: Pipeline,
        settings: Settings,
        done: Sender<Input>,
        released: crate::stt::StopFlag,
        resume: ResumeWatch,
    ) -> Self {
        Worker {
            pipeline,
            settings,
            done,
            stream: None,
            deferred: Vec::new(),
            last_used: Instant::now(),
            partial_sent: Default::default(),
            released,
            last_text: String::new(),
            resume,
        }
    }

    pub(super) fn run(mut self, inbox: Receiver<WorkerMsg>) {
        // Loading here, not before the session starts, lets the hotkey record meanwhile.
        self.ensure_loaded(true);
        loop {
            let msg = match self.unload_in() {
                Some(wait) => match inbox.recv_timeout(wait) {
                    Ok(msg) => msg,
                    Err(RecvTimeoutError::Timeout) => {
                        self.unload_if_idle();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match inbox.recv() {
                    Ok(msg) => msg,
                    Err(_) => return,
                },
            };
            if !self.handle(msg) {
                return;
            }
        }
    }

    /// Returns false when the session is gone.
    fn handle(&mut self, msg: WorkerMsg) -> bool {
        match msg {
            WorkerMsg::Prepare => {
                self.ensure_loaded(false);
                self.pipeline.output.prepare();
            }
            WorkerMsg::StreamStart(options, listening) => {
                self.ensure_loaded(false);
                self.pipeline.output.prepare();
                self.stream = self.pipeline.transcriber.as_mut().map(|t| {
                    let stream = StreamingTranscription::with_release_flag(
                        t,
                        *options,
                        Some(self.released.clone()),
                    );
                    match listening {
                        Some(decodes) => stream.listening(decodes, self.resume.clone()),
                        None => stream,
                    }
                });
                self.partial_sent = Default::default();
            }
            WorkerMsg::Audio(block) => {
                if let (Some(stream), Some(t)) =
                    (self.stream.as_mut(), self.pipeline.transcriber.as_mut())
                {
                    stream.push(t, &block);
                    let partial = stream.partial();
                    if partial != self.partial_sent {
                        self.partial_sent = partial.clone();
                        let _ = self.done.send(Input::Partial(partial));
                    }
                }
            }
            WorkerMsg::StreamCancel => {
                self.stream = None;
                return self.run_deferred();
            }
            WorkerMsg::Job(mut job) => {
                self.ensure_loaded(false);
                if job.output.continues {
                    job.said_before = std::mem::take(&mut self.last_text);
                }
                let stream = self.stream.take();
                let pipeline = &mut self.pipeline;
                // A panic in a stage must not take the app down with the dictation in it.
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pipeline.run(*job, stream)
                }))
                .unwrap_or_else(|_| {
                    DictationReport::failed("internal error while processing the dictation")
                });
                self.pipeline.store_timings(&report);
                self.last_text = report.text.clone();
                // The history keeps what the settings say, counting this dictation.
                self.pipeline.prune_history(&self.settings.history);
                self.last_used = Instant::now();
                if self.done.send(Input::Done(Box::new(report))).is_err() {
                    return false;
                }
                return self.run_deferred();
            }
            WorkerMsg::Settings(settings) => {
                if let Some(model) = super::reload(&mut self.pipeline, &settings) {
                    let _ = self.done.send(match model {
                        Ok(()) => Input::ModelReady(true, None),
                        Err(problem) => Input::ModelReady(false, Some(problem)),
                    });
                }
                self.settings = *settings;
            }
            WorkerMsg::Retranscribe(id, job) => return self.past(Deferred::Retranscribe(id, job)),
            WorkerMsg::Recover(job) => return self.past(Deferred::Recover(job)),
        }
        true
    }

    /// Work on past dictations: now, or after the dictation being recorded.
    fn past(&mut self, work: Deferred) -> bool {
        if self.stream.is_some() {
            self.deferred.push(work);
            return true;
        }
        match work {
            Deferred::Retranscribe(id, job) => self.retranscribe(id, &job),
            Deferred::Recover(job) => self.recover(&job),
        }
    }

    fn recover(&mut self, job: &Job) -> bool {
        self.ensure_loaded(false);
        let recovered = self.pipeline.recover(job);
        self.last_used = Instant::now();
        self.done.send(Input::Recovered(recovered)).is_ok()
    }

    fn retranscribe(&mut self, id: i64, job: &Job) -> bool {
        self.ensure_loaded(false);
        let result = self.pipeline.retranscribe(id, job);
        self.last_used = Instant::now();
        self.done.send(Input::Retranscribed(id, result)).is_ok()
    }

    fn run_deferred(&mut self) -> bool {
        for work in std::mem::take(&mut self.deferred) {
            if !self.past(work) {
                return false;
            }
        }
        true
    }

    /// Load the speech model when none is loaded. At start a failure is reported to the
    /// user; later the dictation itself reports it.
    fn ensure_loaded(&mut self, at_start: bool) {
        self.last_used = Instant::now();
        if self.pipeline.transcriber.is_some() {
            if at_start {
                let _ = self.done.send(Input::ModelReady(true, None));
            }
            return;
        }
        let started = Instant::now();
        match loader::load_transcriber(&self.settings) {
            Ok(t) => {
                tracing::info!(
                    load_ms = started.elapsed().as_millis() as u64,
                    "speech model ready"
                );
                self.pipeline.transcriber = Some(t);
                // Idle time counts from when the model is ready.
                self.last_used = Instant::now();
                let _ = self.done.send(Input::ModelReady(true, None));
            }
            Err(e) => {
                tracing::warn!("speech model not loaded: {e:#}");
                let _ = self
                    .done
                    .send(Input::ModelReady(false, Some(format!("{e:#}"))));
            }
        }
    }

    fn idle_limit(&self) -> Option<Duration> {
        let minutes = self.settings.speed.unload_after_idle_minutes;
        (minutes.is_finite() && minutes > 0.0).then(|| Duration::from_secs_f64(minutes * 60.0))
    }

    /// How long until the model should be unloaded (`None`: never, or nothing to unload).
    fn unload_in(&self) -> Option<Duration> {
        if self.pipeline.transcriber.is_none() || self.stream.is_some() {
            return None;
        }
        self.idle_limit()
            .map(|limit| limit.saturating_sub(self.last_used.elapsed()))
    }

    fn unload_if_idle(&mut self) {
        if let Some(limit) = self.idle_limit()
            && self.stream.is_none()
            && self.last_used.elapsed() >= limit
            && self.pipeline.transcriber.take().is_some()
        {
            tracing::info!(
                "speech model unloaded after {} min idle",
                limit.as_secs() / 60
            );
            let _ = self.done.send(Input::ModelReady(false, None));
        }
    }
}
