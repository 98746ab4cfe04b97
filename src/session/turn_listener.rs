//! The hands-free listener thread: hears each hands-free recording as it is captured (its own
//! VAD and Smart Turn, so neither the session thread nor the busy decoder waits on them) and
//! tells the session when the speaker has finished.

use std::sync::mpsc::{Receiver, Sender, channel};

use super::Input;
use crate::models::ModelStore;
use crate::streaming::ResumeWatch;
use crate::turn::{EndParams, SmartTurn, TurnWatcher};
use crate::vad::{SileroVad, VadParams};

pub(super) enum TurnMsg {
    /// A hands-free recording starts; its end is reported with `seq`. A follow-on goes on
    /// from where the recording before it ended (see [`TurnWatcher::go_on`]).
    Start {
        seq: u64,
        params: EndParams,
        vad: VadParams,
        follows: bool,
    },
    Audio(Vec<f32>),
    /// The transcript of the recording so far (decoded while listening).
    Transcript(crate::streaming::Partial),
    /// The recording ended some other way (a tap, Esc, a failed device).
    Stop,
}

/// Start the thread (it loads its models at the first hands-free recording).
pub(super) fn spawn(done: Sender<Input>, resume: ResumeWatch) -> Sender<TurnMsg> {
    let (tx, rx) = channel();
    let spawned = std::thread::Builder::new()
        .name("utter-turn".into())
        .spawn(move || {
            Listener {
                done,
                watcher: None,
                resume,
            }
            .run(rx)
        });
    if let Err(e) = spawned {
        tracing::error!("no hands-free listener: {e}");
    }
    tx
}

struct Listener {
    done: Sender<Input>,
    watcher: Option<TurnWatcher>,
    /// Told when the speaker goes on after a pause (the decoder may be busy with it).
    resume: ResumeWatch,
}

impl Listener {
    fn run(mut self, inbox: Receiver<TurnMsg>) {
        let mut active: Option<u64> = None;
        // Speech was heard in the active recording (and the session told).
        let mut heard = false;
        while let Ok(msg) = inbox.recv() {
            match msg {
                TurnMsg::Start {
                    seq,
                    params,
                    vad,
                    follows,
                } => {
                    active = self.ensure_loaded(&params, &vad).then_some(seq);
                    heard = false;
                    self.resume.new_recording();
                    if let Some(watcher) = self.watcher.as_mut() {
                        watcher.set_vad_params(vad);
                        match follows {
                            true => watcher.go_on(params),
                            false => watcher.restart(params),
                        }
                    }
                }
                TurnMsg::Audio(block) => {
                    let (Some(seq), Some(watcher)) = (active, self.watcher.as_mut()) else {
                        continue;
                    };
                    let pushed = watcher.push(&block);
                    if watcher.talked_through() > 0 {
                        self.resume.heard_speech_through(watcher.talked_through());
                    }
                    match pushed {
                        Ok(Some(end)) => {
                            active = None;
                            self.ended(seq, end);
                        }
                        Ok(None) if !heard && watcher.heard_speech() => {
                            heard = true;
                            let _ = self.done.send(Input::SpeechHeard(seq));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            active = None;
                            let _ = self.done.send(Input::Problem(format!(
                                "hands-free: {e}; tap again to stop the dictation"
                            )));
                        }
                    }
                }
                TurnMsg::Transcript(partial) => {
                    let (Some(seq), Some(watcher)) = (active, self.watcher.as_mut()) else {
                        continue;
                    };
                    if let Some(end) = watcher.transcript(&partial) {
                        active = None;
                        self.ended(seq, end);
                    }
                }
                TurnMsg::Stop => active = None,
            }
        }
    }

    fn ended(&self, seq: u64, end: crate::turn::TurnEnd) {
        tracing::info!(
            "hands-free dictation ended by {:?}, {:.0} ms after the last speech",
            end.ended_by,
            end.end_wait_ms
        );
        let _ = self.done.send(Input::TurnEnded(seq, end));
    }

    /// The VAD is needed; without Smart Turn, silence alone ends a dictation (and the user is
    /// told once). False when the dictation cannot end by itself.
    fn ensure_loaded(&mut self, params: &EndParams, vad_params: &VadParams) -> bool {
        // Loaded, unless the model is wanted and was missing before (it may be there now).
        let judges = self.watcher.as_ref().map(TurnWatcher::judges_turns);
        if judges.is_some_and(|judges| judges || !params.semantic) {
            return true;
        }
        let store = match ModelStore::open_default() {
            Ok(store) => store,
            Err(e) => return self.cannot(format!("{e}")),
        };
        let vad = match store
            .resolve_vad()
            .map_err(|e| e.to_string())
            .and_then(|path| SileroVad::load(&path).map_err(|e| e.to_string()))
        {
            Ok(vad) => vad,
            Err(e) => return self.cannot(e),
        };
        let model = match store
            .resolve_turn()
            .map_err(|e| e.to_string())
            .and_then(|path| SmartTurn::load(&path, 1).map_err(|e| e.to_string()))
        {
            Ok(model) => Some(model),
            Err(e) if params.semantic => {
                let _ = self.done.send(Input::Problem(format!(
                    "hands-free without the end-of-turn model ({e}): a {:.1} s pause ends \
                     each dictation — `utter models download smart-turn-v3.2` to add it",
                    f64::from(params.end_silence_ms) / 1000.0
                )));
                None
            }
            Err(_) => None,
        };
        self.watcher = Some(TurnWatcher::new(vad, model, *params, vad_params.clone()));
        true
    }

    fn cannot(&self, why: String) -> bool {
        let _ = self.done.send(Input::Problem(format!(
            "hands-free cannot hear when you stop ({why}); tap again to stop the dictation"
        )));
        false
    }
}
