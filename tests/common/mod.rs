//! Shared helpers for integration tests: real models and clips from ../shared.
#![allow(dead_code)]

use std::path::PathBuf;

use utter::stt::WhisperEngine;
use utter::transcriber::Transcriber;
use utter::vad::SileroVad;

pub const JFK: &str = "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";
pub const BECKETT: &str = "Ever tried. Ever failed. No matter. Try again. Fail again. Fail better.";

pub fn shared_dir() -> PathBuf {
    std::env::var_os("UTTER_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

pub fn models_dir() -> PathBuf {
    shared_dir().join("models")
}

pub fn clip(name: &str) -> PathBuf {
    shared_dir().join("audio").join(name)
}

pub fn load_clip(name: &str) -> Vec<f32> {
    utter::audio::load_mono_16k(&clip(name)).expect("clip decodes")
}

/// VAD + Whisper. One thread per engine: the test harness runs tests side by side on a 2-core
/// machine, and more threads than cores makes ggml's and ONNX Runtime's spinning workers crawl
/// (the streaming tests took 110 s with two threads each, 18 s with one).
pub fn transcriber(model_file: &str) -> Transcriber {
    let vad = SileroVad::load(&models_dir().join("silero_vad.onnx")).expect("VAD loads");
    let stt =
        WhisperEngine::load(&models_dir().join(model_file), model_file, 1).expect("model loads");
    Transcriber::new(vad, Box::new(stt))
}

/// VAD + Moonshine from `../shared/models/<folder>` (moonshine-tiny-en: ONNX + tokenizer.json;
/// moonshine-base-en: `.ort` + tokenizer.bin).
pub fn moonshine_transcriber(folder: &str) -> Transcriber {
    let vad = SileroVad::load(&models_dir().join("silero_vad.onnx")).expect("VAD loads");
    let stt = utter::stt::MoonshineEngine::load(&models_dir().join(folder), folder, 1)
        .expect("Moonshine loads");
    Transcriber::new(vad, Box::new(stt))
}

/// An output that keeps what would have been typed.
#[derive(Clone, Default)]
pub struct Collect(pub std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl utter::output::TextSink for Collect {
    fn deliver(
        &mut self,
        _: &utter::output::OutputSettings,
        text: &str,
    ) -> Result<utter::output::Delivered, utter::output::OutputError> {
        self.0.lock().unwrap().push(text.to_string());
        Ok(utter::output::Delivered::default())
    }

    /// As a target would: the full stop goes from what was typed last, if that is `said`.
    fn take_back_full_stop(
        &mut self,
        _: &utter::output::OutputSettings,
        _: &str,
        said: &str,
    ) -> Result<(), utter::output::OutputError> {
        let mut typed = self.0.lock().unwrap();
        let last = typed.last_mut();
        match last.and_then(|last| Some((utter::output::before_full_stop(last, said)?, last))) {
            Some((kept, last)) => {
                last.truncate(kept);
                Ok(())
            }
            None => Err(utter::output::OutputError::NotErased(format!(
                "{said:?} is not what was typed last: {typed:?}"
            ))),
        }
    }
}

/// Recognition options for English speech.
pub fn english() -> utter::transcriber::TranscribeOptions {
    utter::transcriber::TranscribeOptions {
        language: utter::stt::Language::parse("en"),
        ..Default::default()
    }
}

/// Dictation-length utterances built from the English eval corpus: `count` of each length.
pub fn eval_utterances(lengths: &[(f64, usize)]) -> Vec<utter::eval::corpus::Utterance> {
    let clips =
        utter::eval::corpus::load_clips(&shared_dir().join("eval"), "en").expect("eval corpus");
    lengths
        .iter()
        .flat_map(|&(seconds, count)| utter::eval::corpus::build_utterances(&clips, seconds, count))
        .collect()
}

/// One English utterance streamed in blocks of `block` samples, as the capture thread would
/// deliver it: the text and what the stream did.
pub fn stream(
    t: &mut Transcriber,
    samples: &[f32],
    block: usize,
) -> (String, utter::streaming::StreamStats) {
    let mut s = utter::streaming::StreamingTranscription::new(t, english());
    for chunk in samples.chunks(block) {
        s.push(t, chunk);
    }
    let (out, stats) = s.finish(t, samples).expect("stream finishes");
    (out.text, stats)
}

/// Word error rates over `utterances`, decoded whole (batch) and streamed in 20 ms blocks:
/// (batch, streaming, each stream's stats).
pub fn batch_and_streaming_wer(
    t: &mut Transcriber,
    utterances: &[utter::eval::corpus::Utterance],
) -> (f64, f64, Vec<utter::streaming::StreamStats>) {
    let (mut batch, mut streamed, mut stats) = (Vec::new(), Vec::new(), Vec::new());
    for u in utterances {
        let b = t.transcribe(&u.samples, &english()).unwrap().text;
        let (s, st) = stream(t, &u.samples, 320);
        eprintln!(
            "{:.1} s, {} commits, {} refreshes\n  batch:  {b}\n  stream: {s}",
            u.seconds(),
            st.committed_segments,
            st.refreshes
        );
        batch.push((u.reference.clone(), b));
        streamed.push((u.reference.clone(), s));
        stats.push(st);
    }
    let wer = utter::eval::corpus_word_error_rate;
    let (wb, ws) = (wer(&batch), wer(&streamed));
    eprintln!(
        "WER batch {:.2} %, streaming {:.2} %",
        wb * 100.0,
        ws * 100.0
    );
    (wb, ws, stats)
}

/// jfk.wav as one sentence: "And so, my fellow Americans, ask not what your country can do
/// for you, ask what you can do for your country." Its 1 s pause after "Americans" (2.2–3.2 s)
/// is taken out — "And so, my fellow Americans." is a sentence the model rightly hears as
/// finished — which leaves the natural 0.8 s pause after "ask not" (4.44–5.26 s of the clip)
/// and a short one after "for you," (7.88–8.18 s).
pub fn jfk_sentence() -> Vec<f32> {
    let clip = load_clip("jfk.wav");
    let sr = utter::SAMPLE_RATE as f64;
    let at = |s: f64| (s * sr) as usize;
    let mut out = clip[..at(2.22)].to_vec();
    out.extend_from_slice(&clip[at(3.22)..]);
    out
}

pub const QUILTER: &str =
    "Mr. Quilter is the apostle of the middle classes and we are glad to welcome his gospel.";

/// The eval clip of [`QUILTER`] with `pause_s` of silence inserted after "middle" (2.64 s),
/// mid-sentence: "Mr. Quilter is the apostle of the middle — classes and we are glad…".
pub fn quilter_paused_after_middle(pause_s: f64) -> Vec<f32> {
    let clip = shared_dir().join("eval/audio/en_librispeech_quilter.wav");
    let audio = utter::audio::load_mono_16k(&clip).expect("clip decodes");
    with_pause(&audio, 2.64, pause_s)
}

/// The eval clip `name` with `pause_s` of its own room tone inserted at `at_s`.
pub fn with_room_tone(name: &str, at_s: f64, pause_s: f64) -> Vec<f32> {
    let sr = utter::SAMPLE_RATE as f64;
    let clip = shared_dir().join(format!("eval/audio/{name}.wav"));
    let audio = utter::audio::load_mono_16k(&clip).expect("clip decodes");
    let at = (at_s * sr) as usize;
    let mut paused = audio[..at].to_vec();
    paused.extend(utter::audio::simulated::room_tone(
        &audio,
        (pause_s * sr) as usize,
    ));
    paused.extend_from_slice(&audio[at..]);
    paused
}

/// `audio` with `extra_s` of digital silence inserted at `at_s`.
pub fn with_pause(audio: &[f32], at_s: f64, extra_s: f64) -> Vec<f32> {
    let sr = utter::SAMPLE_RATE as f64;
    let at = (at_s * sr) as usize;
    let mut out = audio[..at].to_vec();
    out.extend(std::iter::repeat_n(0.0, (extra_s * sr) as usize));
    out.extend_from_slice(&audio[at..]);
    out
}

/// A session as the app runs it, English, recording from a simulated microphone, typing into
/// `sink`: the session, the microphone, when it finished playing, and the session's events.
pub fn english_session(
    transcriber: Transcriber,
    sink: Collect,
) -> (
    utter::session::Session,
    utter::audio::SimulatedMicrophone,
    std::sync::mpsc::Receiver<std::time::Instant>,
    std::sync::mpsc::Receiver<utter::session::SessionEvent>,
) {
    let settings = utter::settings::Settings {
        language: "en".into(),
        ..utter::settings::Settings::default()
    };
    session_with(transcriber, sink, settings)
}

/// [`english_session`] with these settings.
pub fn session_with(
    transcriber: Transcriber,
    sink: Collect,
    settings: utter::settings::Settings,
) -> (
    utter::session::Session,
    utter::audio::SimulatedMicrophone,
    std::sync::mpsc::Receiver<std::time::Instant>,
    std::sync::mpsc::Receiver<utter::session::SessionEvent>,
) {
    session_cleaning_with(transcriber, sink, settings, None)
}

/// [`session_with`], the dictations cleaned up by `cleaner`.
pub fn session_cleaning_with(
    transcriber: Transcriber,
    sink: Collect,
    settings: utter::settings::Settings,
    cleaner: Option<utter::cleanup::Cleaner>,
) -> (
    utter::session::Session,
    utter::audio::SimulatedMicrophone,
    std::sync::mpsc::Receiver<std::time::Instant>,
    std::sync::mpsc::Receiver<utter::session::SessionEvent>,
) {
    let pipeline = utter::session::Pipeline {
        transcriber: Some(transcriber),
        cleaner,
        output: Box::new(sink),
        history: None,
        recordings_dir: None,
    };
    let (mic, played) = utter::audio::SimulatedMicrophone::new();
    let (events, received) = std::sync::mpsc::channel();
    let session = utter::session::Session::start_with_source(
        settings,
        pipeline,
        Box::new(mic.clone()),
        move |e| {
            let _ = events.send(e);
        },
    );
    (session, mic, played, received)
}

/// Run `cmd` to completion; panics with its stderr unless it succeeds.
pub fn succeed(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{:?} does not run: {e}", cmd.get_program()));
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn utter_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_utter"))
}

pub mod desktop_app;
pub mod portal;
pub mod sway;
pub mod tmpfs;
pub mod virtual_mic;

pub mod llm_server;

pub mod keyring_session;

pub mod xserver;

pub mod webdriver;

pub mod model_mirror;

pub mod settings_window;
