//! The speech model can be unloaded after an idle time; the next dictation loads it again
//! while recording and still gets its words.

mod common;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use common::{JFK, load_clip, models_dir};
use utter::audio::SimulatedMicrophone;
use utter::eval::word_error_rate;
use utter::session::{Input, Session, SessionEvent};
use utter::settings::Settings;

#[test]
fn an_idle_model_is_unloaded_and_reloaded_for_the_next_dictation() {
    // SAFETY: set before any other thread of this test binary exists (one test in this file).
    unsafe { std::env::set_var("UTTER_MODELS_DIR", models_dir()) };
    let data = tempfile::tempdir().unwrap();
    // SAFETY: as above.
    unsafe { std::env::set_var("UTTER_DATA_DIR", data.path()) };
    let mut settings = Settings {
        language: "en".into(),
        model: Some("tiny.en-q8_0".into()),
        ..Settings::default()
    };
    settings.speed.unload_after_idle_minutes = 0.02; // 1.2 s
    let mut warnings = Vec::new();
    let pipeline = utter::session::loader::load_pipeline_without_models(&settings, &mut warnings);
    let (mic, played) = SimulatedMicrophone::new();
    mic.queue(load_clip("jfk.wav"));
    let (tx, events) = channel();
    let session = Session::start_with_source(settings, pipeline, Box::new(mic), move |e| {
        if matches!(
            e,
            SessionEvent::ModelLoaded { .. } | SessionEvent::Finished { .. }
        ) {
            let _ = tx.send(e);
        }
    });
    let next = || events.recv_timeout(Duration::from_secs(30)).expect("event");
    assert!(matches!(
        next(),
        SessionEvent::ModelLoaded { loaded: true, .. }
    ));
    let idle_from = Instant::now();
    assert!(matches!(
        next(),
        SessionEvent::ModelLoaded {
            loaded: false,
            problem: None
        }
    ));
    assert!(idle_from.elapsed() >= Duration::from_millis(1000));

    session.send(Input::Press(Instant::now()));
    assert!(
        matches!(next(), SessionEvent::ModelLoaded { loaded: true, .. }),
        "loaded again at the key press"
    );
    played.recv_timeout(Duration::from_secs(30)).unwrap();
    session.send(Input::Release(Instant::now()));
    let SessionEvent::Finished { report } = next() else {
        panic!("expected the dictation to finish")
    };
    let wer = word_error_rate(JFK, &report.text);
    assert!(wer <= 0.1, "WER {wer}: {}", report.text);
}
