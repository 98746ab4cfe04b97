//! A recording in progress: the open device, where its audio goes while it is captured, and
//! what its dictation needs to know of how it started.

use std::sync::mpsc::{Receiver, Sender};
use std::time::Instant;

use super::journal::Written;
use super::turn_listener::TurnMsg;
use super::worker::WorkerMsg;
use crate::audio::CaptureStream;
use crate::target::Target;

pub(super) struct Recording {
    pub(super) mic: Box<dyn CaptureStream>,
    /// Captured blocks, passed on while recording: to the file on disk, to the worker when
    /// it decodes as the audio comes (streaming), to the hands-free listener.
    pub(super) live: Receiver<Vec<f32>>,
    pub(super) written: Written,
    pub(super) streaming: bool,
    /// Ends by itself (hands-free), reported with this number.
    pub(super) hands_free: Option<u64>,
    pub(super) timing: Timing,
    /// Whether the user is speaking at the end of what was captured so far.
    pub(super) voice: super::voice::RecentVoice,
    /// The text so far last shown.
    pub(super) partial_shown: String,
    /// The application in front when it started.
    pub(super) target: Option<Target>,
    /// A hands-free follow-on: it continues the dictation that ended just before it.
    pub(super) follows: bool,
    /// The hands-free listener has heard speech in it.
    pub(super) heard: bool,
    /// A follow-on: the end of the audio before it (see [`crate::session::Job::heard_before`]).
    pub(super) heard_before: Vec<f32>,
    /// When audio last came from the device.
    pub(super) last_audio: Instant,
}

/// Pass captured audio on while recording — to the file on disk, to the worker when
/// streaming, to the hands-free listener — noting whether it ends in voice.
pub(super) fn forward_live(jobs: &Sender<WorkerMsg>, turns: &Sender<TurnMsg>, rec: &mut Recording) {
    let blocks: Vec<Vec<f32>> = rec.live.try_iter().collect();
    pass_on(jobs, turns, rec, blocks);
}

pub(super) fn pass_on(
    jobs: &Sender<WorkerMsg>,
    turns: &Sender<TurnMsg>,
    rec: &mut Recording,
    blocks: Vec<Vec<f32>>,
) {
    if blocks.iter().all(Vec::is_empty) {
        return;
    }
    rec.last_audio = Instant::now();
    // One write (and header update) for what arrived since the last tick.
    rec.written.append(&blocks.concat());
    for block in blocks {
        if rec.hands_free.is_some() {
            let _ = turns.send(TurnMsg::Audio(block.clone()));
        }
        if rec.streaming {
            rec.voice.push(&block);
            let _ = jobs.send(WorkerMsg::Audio(block));
        }
    }
}

/// What a recording's job needs of how it started.
#[derive(Clone, Copy)]
pub(super) struct Started<'a> {
    pub(super) timing: Timing,
    pub(super) target: Option<&'a Target>,
    pub(super) follows: bool,
    pub(super) heard_before: &'a [f32],
}

impl Recording {
    pub(super) fn started(&self) -> Started<'_> {
        Started {
            timing: self.timing,
            target: self.target.as_ref(),
            follows: self.follows,
            heard_before: &self.heard_before,
        }
    }

    /// A follow-on in which nothing has been said yet.
    pub(super) fn nothing_said(&self) -> bool {
        self.follows && !self.heard
    }
}

/// When a recording's key went down and how long the microphone took to open.
#[derive(Clone, Copy)]
pub(super) struct Timing {
    pub(super) pressed: Instant,
    pub(super) opened_ms: f64,
}
