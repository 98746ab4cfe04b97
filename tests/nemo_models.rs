//! The NeMo transducer engine (Parakeet TDT, Nemotron streaming) on generated ONNX models in
//! the sherpa-onnx layout whose joiner emits a scripted token sequence, the log-mel front end
//! against a numpy reference, bad model directories, and — when real models are present —
//! real speech.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{BECKETT, JFK, load_clip};
use utter::eval::word_error_rate;
use utter::stt::nemo::LogMel;
use utter::stt::{Language, NemoEngine, SpeechToText, SttError, SttRequest};

/// Generates the fixtures once per test binary (Python `onnx` + `numpy`; the test setup
/// installs them into `.cache/pyfixtures`).
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nemo-fixtures");
        let mut cmd = Command::new("python3");
        cmd.arg(root.join("tests/fixtures/nemo/make_fixtures.py"))
            .arg(&out);
        let local = root.join(".cache/pyfixtures");
        if local.is_dir() {
            cmd.env("PYTHONPATH", local);
        }
        let status = cmd.status().expect("python3 runs");
        assert!(
            status.success(),
            "fixture generation failed (run scripts/install-deps.sh --test)"
        );
        out
    })
}

fn expected(model: &str) -> (String, f64) {
    let text = std::fs::read_to_string(fixtures().join("expected.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    (
        json[model]["text"].as_str().unwrap().to_string(),
        json[model]["seconds"].as_f64().unwrap(),
    )
}

/// Some audio of the given length: the fixture encoders only count frames.
fn audio(seconds: f64) -> Vec<f32> {
    (0..(seconds * 16_000.0) as usize)
        .map(|i| (i as f32 * 0.031).sin() * 0.2)
        .collect()
}

fn english() -> SttRequest {
    SttRequest {
        language: Language::parse("en"),
        ..SttRequest::default()
    }
}

#[test]
fn parakeet_tdt_decodes_exactly_the_scripted_tokens() {
    let (text, seconds) = expected("parakeet");
    let mut engine = NemoEngine::load(&fixtures().join("parakeet"), "parakeet-fixture", 2).unwrap();
    assert_eq!(engine.engine(), "parakeet");
    assert!(!engine.is_multilingual());
    let out = engine.transcribe(&audio(seconds), &english()).unwrap();
    // Skipped frames hold "wrong" tokens: the text is right only if every duration was
    // honoured, including several tokens on one frame (duration 0).
    assert_eq!(out.text, text);
    assert_eq!(out.language.as_deref(), Some("en"));
    // The engine is reusable: a second utterance decodes from a fresh state.
    assert_eq!(
        engine.transcribe(&audio(seconds), &english()).unwrap().text,
        text
    );
}

#[test]
fn english_models_refuse_other_languages_and_translation() {
    let mut engine = NemoEngine::load(&fixtures().join("parakeet"), "parakeet-fixture", 1).unwrap();
    let german = SttRequest {
        language: Language::parse("de"),
        ..SttRequest::default()
    };
    let err = engine.transcribe(&audio(1.0), &german).unwrap_err();
    assert!(matches!(err, SttError::EnglishOnly { .. }), "{err}");
    let translate = SttRequest {
        translate: true,
        ..SttRequest::default()
    };
    assert!(engine.transcribe(&audio(1.0), &translate).is_err());
}

#[test]
fn nemotron_streams_the_same_text_whatever_the_chunking() {
    let (text, seconds) = expected("nemotron");
    let samples = audio(seconds);
    let mut engine = NemoEngine::load(&fixtures().join("nemotron"), "nemotron-fixture", 2).unwrap();
    assert_eq!(engine.engine(), "nemotron");
    let whole = engine.transcribe(&samples, &english()).unwrap();
    assert_eq!(whole.text, text);

    for piece in [160usize, 777, 1600, 4000, 16_000] {
        let mut stream = engine.start_stream().unwrap();
        for chunk in samples.chunks(piece) {
            engine.accept(&mut stream, chunk).unwrap();
        }
        assert_eq!(
            engine.finish_stream(&mut stream).unwrap(),
            text,
            "{piece}-sample pieces"
        );
    }

    // Text while the user is still speaking: after half the audio, the first words are there
    // and they are the start of the final text.
    let mut stream = engine.start_stream().unwrap();
    engine
        .accept(&mut stream, &samples[..samples.len() / 2])
        .unwrap();
    let partial = engine.partial_text(&stream);
    assert!(partial.starts_with("hello world"), "partial {partial:?}");
    assert!(
        text.starts_with(&partial) && partial.len() < text.len(),
        "partial {partial:?}"
    );
    engine
        .accept(&mut stream, &samples[samples.len() / 2..])
        .unwrap();
    assert_eq!(engine.finish_stream(&mut stream).unwrap(), text);
}

#[test]
fn offline_models_cannot_stream() {
    let mut engine = NemoEngine::load(&fixtures().join("parakeet"), "p", 1).unwrap();
    assert!(engine.start_stream().is_err());
}

fn reference_rows(json: &serde_json::Value, key: &str) -> Vec<Vec<f64>> {
    json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn log_mel_features_match_an_independent_numpy_reference() {
    let text = std::fs::read_to_string(fixtures().join("features.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let signal: Vec<f32> = json["signal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    for n_mels in [80usize, 128] {
        let mut features = LogMel::new(n_mels).compute(&signal);
        for (key, normalized) in [("log_mel", false), ("per_feature", true)] {
            if normalized {
                features.normalize_per_feature();
            }
            let reference = reference_rows(&json, &format!("{key}_{n_mels}"));
            assert_eq!(features.frames(), reference.len(), "{key} {n_mels}: frames");
            let mut worst = 0.0f64;
            for (t, row) in reference.iter().enumerate() {
                for (m, &want) in row.iter().enumerate() {
                    let have = f64::from(features.data[t * n_mels + m]);
                    worst = worst.max((have - want).abs());
                }
            }
            assert!(worst < 2e-3, "{key} {n_mels}: largest difference {worst}");
        }
    }
}

fn load_error(dir: &str) -> String {
    match NemoEngine::load(&fixtures().join(dir), dir, 1) {
        Ok(_) => panic!("{dir} loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_model_directories_say_what_is_wrong() {
    let err = load_error("broken-missing-joiner");
    assert!(
        err.contains("joiner.int8.onnx") && err.contains("missing"),
        "{err}"
    );
    let err = load_error("broken-no-vocab-size");
    assert!(err.contains("\"vocab_size\""), "{err}");
    let err = load_error("broken-feat-dim");
    assert!(
        err.contains("feat_dim 128") && err.contains("takes 80"),
        "{err}"
    );
    let err = load_error("broken-tokens");
    assert!(
        err.contains("tokens.txt") && err.contains("vocab_size"),
        "{err}"
    );
    let err = load_error("broken-cache-shape");
    assert!(err.contains("cache_last_time"), "{err}");
    let err = load_error("does-not-exist");
    assert!(err.contains("not found"), "{err}");
    // A file that is not an ONNX model.
    let dir = tempfile::tempdir().unwrap();
    for part in ["encoder", "decoder", "joiner"] {
        std::fs::write(dir.path().join(format!("{part}.int8.onnx")), b"not onnx").unwrap();
    }
    std::fs::write(dir.path().join("tokens.txt"), "<blk> 0\n").unwrap();
    let Err(err) = NemoEngine::load(dir.path(), "garbage", 1) else {
        panic!("garbage loaded")
    };
    let err = err.to_string();
    assert!(
        err.contains("encoder.int8.onnx") && err.contains("ONNX"),
        "{err}"
    );
}

/// Real downloaded models (`utter models download parakeet-tdt-0.6b-v2` etc.), when the
/// environment points at them; the weights are too large for CI.
fn real_model_wer(var: &str) {
    let Some(dir) = std::env::var_os(var) else {
        eprintln!("{var} not set: skipping the real-model check");
        return;
    };
    let mut engine = NemoEngine::load(Path::new(&dir), "real", 2).unwrap();
    for (clip, reference, bound) in [("jfk.wav", JFK, 0.10), ("beckett.wav", BECKETT, 0.25)] {
        let out = engine.transcribe(&load_clip(clip), &english()).unwrap();
        let wer = word_error_rate(reference, &out.text);
        assert!(wer <= bound, "{clip}: WER {wer:.2}: {:?}", out.text);
    }
}

#[test]
fn real_parakeet_transcribes_the_shared_clips() {
    real_model_wer("UTTER_TEST_PARAKEET_DIR");
}

#[test]
fn real_nemotron_transcribes_the_shared_clips() {
    real_model_wer("UTTER_TEST_NEMOTRON_DIR");
}

/// A `.tar.bz2` of a fixture model folder, laid out as sherpa-onnx publishes it.
fn archive_of(dir: &Path, top: &str) -> Vec<u8> {
    let encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    let mut tar = tar::Builder::new(encoder);
    tar.append_dir_all(top, dir).unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

/// Serves `body` for any path on 127.0.0.1; returns the base URL.
fn serve(body: Vec<u8>, requests: usize) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a free port");
    let url = format!("http://{}", server.server_addr());
    std::thread::spawn(move || {
        for request in server.incoming_requests().take(requests) {
            let _ = request.respond(tiny_http::Response::from_data(body.clone()));
        }
    });
    url
}

fn utter(models: &Path, args: &[&str]) -> std::process::Output {
    Command::new(common::utter_bin())
        .args(args)
        .env("UTTER_MODELS_DIR", models)
        .output()
        .unwrap()
}

/// `utter models download NAME` fetching from `mirror` (as `UTTER_MODEL_MIRROR`).
fn download_from(models: &Path, name: &str, mirror: &str) -> std::process::Output {
    Command::new(common::utter_bin())
        .args(["models", "download", name])
        .env("UTTER_MODELS_DIR", models)
        .env("UTTER_MODEL_MIRROR", mirror)
        .output()
        .unwrap()
}

#[test]
fn the_cli_downloads_extracts_and_transcribes_with_a_parakeet_archive() {
    let (text, _) = expected("parakeet");
    let models = tempfile::tempdir().unwrap();
    std::fs::copy(
        common::models_dir().join("silero_vad.onnx"),
        models.path().join("silero_vad.onnx"),
    )
    .unwrap();
    let top = "sherpa-onnx-nemo-parakeet-tdt-0.6b-v2-int8";
    let mirror = serve(archive_of(&fixtures().join("parakeet"), top), 1);
    let out = download_from(models.path(), "parakeet-tdt-0.6b-v2", &mirror);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = models.path().join(top);
    assert!(installed.join("encoder.int8.onnx").is_file());
    assert!(
        !models.path().join(format!("{top}.tar.bz2")).exists(),
        "the archive is removed once extracted"
    );
    let list =
        String::from_utf8_lossy(&utter(models.path(), &["models", "list"]).stdout).into_owned();
    let line = list
        .lines()
        .find(|l| l.starts_with("parakeet-tdt-0.6b-v2 "))
        .unwrap();
    assert!(line.contains("installed"), "{line}");

    // Dictation through the CLI with the downloaded model: the VAD passes the speech of the
    // clip to the (scripted) transducer.
    let clip = common::clip("jfk.wav");
    let out = utter(
        models.path(),
        &[
            "transcribe",
            "--model",
            "parakeet-tdt-0.6b-v2",
            clip.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), text);

    let out = utter(models.path(), &["models", "delete", "parakeet-tdt-0.6b-v2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!installed.exists());
}

#[test]
fn an_archive_without_a_model_layout_installs_nothing() {
    let models = tempfile::tempdir().unwrap();
    let junk = tempfile::tempdir().unwrap();
    std::fs::write(junk.path().join("README"), "not a model").unwrap();
    let mirror = serve(archive_of(junk.path(), "sherpa-onnx-nemotron"), 1);
    let out = download_from(models.path(), "nemotron-streaming-en-0.6b", &mirror);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not hold a model folder") && err.contains("missing"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(models.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn holding_the_key_with_nemotron_shows_the_text_while_speaking() {
    use std::time::{Duration, Instant};
    use utter::session::{Input, SessionEvent};

    let (text, seconds) = expected("nemotron");
    let vad = utter::vad::SileroVad::load(&common::models_dir().join("silero_vad.onnx")).unwrap();
    let engine = NemoEngine::load(&fixtures().join("nemotron"), "nemotron-fixture", 2).unwrap();
    let sink = common::Collect::default();
    let transcriber = utter::transcriber::Transcriber::new(vad, Box::new(engine));
    let (session, mic, played, received) = common::english_session(transcriber, sink.clone());
    mic.queue(audio(seconds));
    session.send(Input::Press(Instant::now()));
    played
        .recv_timeout(Duration::from_secs(30))
        .expect("audio played");
    // Text shown while the key is still held.
    let mut partials = Vec::new();
    while let Ok(event) = received.try_recv() {
        if let SessionEvent::Partial { text } = event {
            partials.push(text);
        }
    }
    session.send(Input::Release(Instant::now()));
    let report = loop {
        match received
            .recv_timeout(Duration::from_secs(30))
            .expect("dictation finished")
        {
            SessionEvent::Finished { report } => break report,
            SessionEvent::Partial { text } => partials.push(text),
            _ => {}
        }
    };
    assert!(
        partials
            .iter()
            .any(|p| p.starts_with("hello world") && p.len() < text.len()),
        "no early text while holding: {partials:?}"
    );
    for p in &partials {
        assert!(
            text.starts_with(p.as_str()),
            "{p:?} is not the start of {text:?}"
        );
    }
    assert_eq!(report.text, text);
    assert_eq!(sink.0.lock().unwrap().concat().trim(), text);
    let while_recording = report
        .timings
        .iter()
        .find(|(k, _)| k == "stt_while_recording")
        .map(|(_, v)| *v);
    assert!(
        while_recording.is_some_and(|ms| ms > 0.0),
        "{:?}",
        report.timings
    );
}
