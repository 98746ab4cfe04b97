//! The dictation pipeline without a desktop: a failed output loses nothing (the text and audio
//! are in the history, ready to copy), and a past dictation can be transcribed again.

mod common;

use std::time::{Duration, Instant};

use common::{JFK, load_clip, transcriber};
use utter::audio::SimulatedMicrophone;
use utter::eval::word_error_rate;
use utter::history::{History, Status};
use utter::output::{Delivered, OutputError, OutputSettings, TextSink};
use utter::session::DictationReport;
use utter::session::{Job, Pipeline};
use utter::settings::Strategy;
use utter::settings::{Replacement, Settings};

/// An output whose target has gone away (window closed, display lost).
struct GoneTarget;

impl TextSink for GoneTarget {
    fn deliver(&mut self, _: &OutputSettings, _: &str) -> Result<Delivered, OutputError> {
        Err(OutputError::NoDisplay("the display went away".into()))
    }
}

fn pipeline(dir: &std::path::Path) -> Pipeline {
    std::fs::create_dir_all(dir.join("recordings")).unwrap();
    Pipeline {
        transcriber: Some(transcriber("ggml-tiny.en-q8_0.bin")),
        cleaner: None,
        output: Box::new(GoneTarget),
        history: Some(History::open(&dir.join("history.sqlite3")).unwrap()),
        recordings_dir: Some(dir.join("recordings")),
    }
}

#[test]
fn a_failed_output_keeps_the_text_and_audio_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut pipeline = pipeline(dir.path());
    let settings = Settings {
        language: "en".into(),
        replacements: vec![Replacement {
            from: "fellow Americans".into(),
            to: "fellow citizens".into(),
        }],
        ..Settings::default()
    };
    let job = Job::from_settings(load_clip("jfk.wav"), Instant::now(), &settings);
    let report = pipeline.run(job, None);
    assert!(!report.delivered);
    let error = report.error.clone().expect("the failure is reported");
    assert!(error.contains("in the history"), "{error}");
    assert!(
        report.text.contains("fellow citizens"),
        "replacements applied: {}",
        report.text
    );

    let history = History::open(&dir.path().join("history.sqlite3")).unwrap();
    let entry = history.last_with_text().unwrap().expect("entry with text");
    assert_eq!(Some(entry.id), report.history_id);
    assert_eq!(entry.status, Status::Failed);
    assert_eq!(entry.final_text.as_deref(), Some(report.text.as_str()));
    assert!(entry.audio_path.as_ref().unwrap().exists());
    // Which settings it ran with, for telling configurations apart later.
    assert_eq!(entry.settings_hash, Some(settings.short_hash()));
    assert_ne!(settings.short_hash(), Settings::default().short_hash());
    let timed: Vec<&str> = report.timings.iter().map(|(k, _)| k.as_str()).collect();
    for stage in ["save", "vad", "stt", "release_to_text"] {
        assert!(timed.contains(&stage), "{stage} in {timed:?}");
    }

    // Transcribed again from the kept audio, with other settings.
    let plain = Job::from_settings(Vec::new(), Instant::now(), &Settings::default());
    let again = pipeline.retranscribe(entry.id, &plain).unwrap();
    assert!(utter::eval::word_error_rate(JFK, &again) <= 0.1, "{again}");
    let updated = history.get(entry.id).unwrap();
    assert_eq!(updated.raw_text.as_deref(), Some(again.as_str()));
}

#[test]
fn silence_reaches_no_output_and_is_still_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut pipeline = pipeline(dir.path());
    let job = Job::from_settings(vec![0.0; 32_000], Instant::now(), &Settings::default());
    let report = pipeline.run(job, None);
    assert_eq!(report.text, "");
    assert!(report.error.is_none(), "nothing to deliver is not an error");
    let history = History::open(&dir.path().join("history.sqlite3")).unwrap();
    let entry = history.get(report.history_id.unwrap()).unwrap();
    assert_eq!(entry.status, Status::Delivered);
    assert_eq!(entry.raw_text.as_deref(), Some(""));
}

/// Hold the key while the simulated microphone plays `clip` in real time, release, and
/// return the finished dictation.
fn dictate(strategy: Strategy, clip: Vec<f32>) -> (DictationReport, Vec<String>) {
    use utter::session::{Input, Session, SessionEvent};
    let sink = common::Collect::default();
    let pipeline = Pipeline {
        transcriber: Some(transcriber("ggml-tiny.en-q8_0.bin")),
        cleaner: None,
        output: Box::new(sink.clone()),
        history: None,
        recordings_dir: None,
    };
    let mut settings = Settings {
        language: "en".into(),
        ..Settings::default()
    };
    settings.speed.strategy = strategy;
    let (mic, played) = SimulatedMicrophone::new();
    mic.queue(clip);
    let (events, finished) = std::sync::mpsc::channel();
    let session = Session::start_with_source(settings, pipeline, Box::new(mic), move |e| {
        if let SessionEvent::Finished { report } = e {
            let _ = events.send(report);
        }
    });
    session.send(Input::Press(Instant::now()));
    played
        .recv_timeout(Duration::from_secs(60))
        .expect("clip played");
    session.send(Input::Release(Instant::now()));
    let report = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("dictation finished");
    let typed = sink.0.lock().unwrap().clone();
    (*report, typed)
}

#[test]
fn streaming_and_batch_sessions_type_the_same_words() {
    let (streamed, typed) = dictate(Strategy::Streaming, load_clip("jfk.wav"));
    assert_eq!(typed, vec![streamed.text.clone()]);
    let wer = word_error_rate(JFK, &streamed.text);
    assert!(wer <= 0.1, "WER {wer}: {}", streamed.text);
    let stage = |r: &DictationReport, name: &str| {
        r.timings.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    };
    let while_recording = stage(&streamed, "stt_while_recording").expect("streamed");
    assert!(while_recording > 0.0, "decoded while the key was held");

    let (batch, _) = dictate(Strategy::Batch, load_clip("jfk.wav"));
    assert_eq!(stage(&batch, "stt_while_recording"), None);
    // Word-for-word equality is not guaranteed (the corpus test bounds the difference).
    let wer = word_error_rate(JFK, &batch.text);
    assert!(wer <= 0.1, "WER {wer}: {}", batch.text);
}

#[test]
fn the_session_keeps_only_as_many_dictations_as_the_settings_say() {
    use utter::session::{Input, Session, SessionEvent};
    let dir = tempfile::tempdir().unwrap();
    let mut pipeline = pipeline(dir.path());
    pipeline.output = Box::new(common::Collect::default());
    let mut settings = Settings {
        language: "en".into(),
        ..Settings::default()
    };
    settings.history.keep_last = Some(2);
    let (mic, played) = SimulatedMicrophone::new();
    let (events, finished) = std::sync::mpsc::channel();
    let session = Session::start_with_source(settings, pipeline, Box::new(mic.clone()), move |e| {
        if let SessionEvent::Finished { report } = e {
            let _ = events.send(report);
        }
    });
    let speech = load_clip("jfk.wav")[..16_000 * 3].to_vec();
    let mut ids = Vec::new();
    for _ in 0..3 {
        mic.queue(speech.clone());
        session.send(Input::Press(Instant::now()));
        played
            .recv_timeout(Duration::from_secs(60))
            .expect("clip played");
        session.send(Input::Release(Instant::now()));
        let report = finished.recv_timeout(Duration::from_secs(60)).unwrap();
        ids.push(report.history_id.expect("recorded"));
    }
    drop(session);
    let history = History::open(&dir.path().join("history.sqlite3")).unwrap();
    let kept: Vec<i64> = history
        .search("", 10)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        !kept.contains(&ids[0]),
        "the oldest is gone: {kept:?} of {ids:?}"
    );
    let recordings = std::fs::read_dir(dir.path().join("recordings"))
        .unwrap()
        .count();
    assert_eq!(recordings, 2, "its audio is deleted with it");
}
