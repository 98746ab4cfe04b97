//! `utter bench --handsfree`, where each rule ends a dictation: the dictation is fed to the
//! end-of-turn watcher in blocks, decoded as the session's worker decodes while listening, and
//! heard going on by a simulated listener that stops early decodes the way the session's does.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use utter::streaming::{Partial, ResumeWatch, StreamStats, StreamingTranscription};
use utter::transcriber::{TranscribeOptions, Transcriber};
use utter::turn::{EndParams, TurnEnd, TurnWatcher};
use utter::vad::FRAME_SAMPLES;

use super::handsfree::SR;

/// Decodes while listening, as the session's worker does, for rules that read the transcript.
pub(super) struct Reader<'a> {
    pub transcriber: &'a mut Transcriber,
    pub options: TranscribeOptions,
}

pub(super) const BLOCK: usize = SR / 10;

/// How a fed dictation ended: at which sample, how, and the last transcript the watcher read.
pub(super) struct Watched {
    pub ended_at: usize,
    pub end: TurnEnd,
    pub heard: String,
    /// The decoding done while listening (rules that read the transcript).
    pub stats: Option<StreamStats>,
}

/// What the session's listener hears of a recording: after each VAD frame, where the latest
/// talking ended (what it reports to the [`ResumeWatch`]).
pub(super) struct Talk(Vec<usize>);

impl Talk {
    pub fn hear(watcher: &mut TurnWatcher, audio: &[f32]) -> Result<Talk> {
        // Only the VAD matters here: nothing ends the recording before its last frame.
        const HOUR_MS: u32 = 3_600_000;
        watcher.restart(EndParams {
            semantic: false,
            read_transcript: false,
            end_silence_ms: HOUR_MS,
            wait_for_speech_ms: HOUR_MS,
            max_ms: HOUR_MS,
            ..EndParams::DEFAULT
        });
        let mut through = Vec::with_capacity(audio.len() / FRAME_SAMPLES);
        for frame in audio.chunks_exact(FRAME_SAMPLES) {
            watcher.push(frame)?;
            through.push(watcher.talked_through());
        }
        Ok(Talk(through))
    }

    /// Where the latest talking in the first `heard` samples ended (after the recording: the
    /// last, as silence follows it).
    fn through(&self, heard: usize) -> usize {
        match heard / FRAME_SAMPLES {
            0 => 0,
            frames => self
                .0
                .get(frames - 1)
                .or(self.0.last())
                .copied()
                .unwrap_or(0),
        }
    }
}

/// Feed `audio` and silence in 100 ms blocks; where and how it ended. With a reader, each
/// block is also decoded as the session does while listening, and its transcript reaches the
/// watcher when that decode would have finished (the decoder runs beside the listener and
/// queues blocks while busy); meanwhile the listener hears the recording go on (`talk`) by
/// the wall clock and stops an early decode once the speaker talks past it.
pub(super) fn watch(
    watcher: &mut TurnWatcher,
    params: EndParams,
    audio: &[f32],
    talk: &Talk,
    reader: Option<&mut Reader>,
) -> Result<Watched> {
    watcher.restart(params);
    // Silence long enough for any rule to end it (no speech heard: the wait for speech).
    let tail_ms = params.wait_for_speech_ms.max(params.end_silence_ms) + 1000;
    let mut fed = audio.to_vec();
    fed.extend(std::iter::repeat_n(0.0, tail_ms as usize * SR / 1000));
    let resume = ResumeWatch::default();
    let mut stream = reader.filter(|_| params.read_transcript).map(|r| {
        let stream = StreamingTranscription::new(r.transcriber, r.options.clone());
        (
            stream.listening(params.listening_decodes(), resume.clone()),
            r,
        )
    });
    // Seconds of audio time: when the decoder is free, and transcripts not yet delivered.
    let mut decoder_free_at = 0.0f64;
    let mut in_flight: VecDeque<(f64, Partial)> = VecDeque::new();
    let mut heard = String::new();
    for (i, block) in fed.chunks(BLOCK).enumerate() {
        let fed_so_far = (i + 1) * BLOCK;
        let now = fed_so_far as f64 / SR as f64;
        if let Some((stream, reader)) = stream.as_mut() {
            let starts_at = decoder_free_at.max(now);
            let took = push_heard(stream, reader.transcriber, block, &resume, talk, starts_at);
            decoder_free_at = starts_at + took;
            in_flight.push_back((decoder_free_at, stream.partial()));
        }
        let stats = || stream.as_ref().map(|(s, _)| s.stats().clone());
        if let Some(end) = watcher.push(block)? {
            return Ok(Watched {
                ended_at: fed_so_far,
                end,
                heard,
                stats: stats(),
            });
        }
        while in_flight.front().is_some_and(|(at, _)| *at <= now) {
            let Some((_, partial)) = in_flight.pop_front() else {
                break;
            };
            heard = partial.text.clone();
            if let Some(end) = watcher.transcript(&partial) {
                return Ok(Watched {
                    ended_at: fed_so_far,
                    end,
                    heard,
                    stats: stats(),
                });
            }
        }
    }
    bail!("a dictation never ended")
}

/// Push `block` to the stream, which takes it up at `starts_at` (audio seconds); while the
/// push runs, the listener hears the audio that arrives meanwhile and reports talking past a
/// pause, as the session's listener thread does. Returns the push's seconds.
fn push_heard(
    stream: &mut StreamingTranscription,
    transcriber: &mut Transcriber,
    block: &[f32],
    resume: &ResumeWatch,
    talk: &Talk,
    starts_at: f64,
) -> f64 {
    let begun = Instant::now();
    let heard_by = |elapsed: Duration| ((starts_at + elapsed.as_secs_f64()) * SR as f64) as usize;
    resume.heard_speech_through(talk.through(heard_by(Duration::ZERO)));
    let pushing = AtomicBool::new(true);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while pushing.load(SeqCst) {
                resume.heard_speech_through(talk.through(heard_by(begun.elapsed())));
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        stream.push(transcriber, block);
        pushing.store(false, SeqCst);
    });
    begun.elapsed().as_secs_f64()
}
