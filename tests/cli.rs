//! The `utter` binary: JSON output, inputs of several formats, clear errors on bad input.

mod common;

use std::process::{Command, Output};

use common::{JFK, clip, models_dir, utter_bin};

fn utter(args: &[&str], models: &std::path::Path, data: &std::path::Path) -> Output {
    Command::new(utter_bin())
        .args(args)
        .env("UTTER_MODELS_DIR", models)
        .env("UTTER_DATA_DIR", data)
        .output()
        .expect("utter runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run `utter`, require a failing exit status, and return what it said on stderr.
fn utter_fails(args: &[&str], models: &std::path::Path, data: &std::path::Path) -> String {
    let out = utter(args, models, data);
    assert!(!out.status.success(), "expected failure: {args:?}");
    stderr(&out)
}

#[test]
fn transcribe_json_reports_text_language_and_timings() {
    let data = tempfile::tempdir().unwrap();
    let flac = data.path().join("jfk.flac");
    assert!(
        Command::new("sox")
            .arg(clip("jfk.wav"))
            .arg(&flac)
            .status()
            .unwrap()
            .success()
    );
    let mp3 = data.path().join("jfk.mp3");
    let lame = Command::new("lame")
        .args(["--quiet", "-b", "64"])
        .arg(clip("jfk.wav"))
        .arg(&mp3)
        .status()
        .expect("lame runs (apt install lame)");
    assert!(lame.success());
    let jfk = clip("jfk.wav");
    let out = utter(
        &[
            "transcribe",
            "--json",
            "--model",
            "tiny.en-q8_0",
            jfk.to_str().unwrap(),
            flac.to_str().unwrap(),
            mp3.to_str().unwrap(),
        ],
        &models_dir(),
        data.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(utter::eval::word_error_rate(JFK, text) <= 0.1, "{text}");
        assert_eq!(v["language"], "en");
        // MP3 adds encoder delay and padding of a few tens of milliseconds.
        assert!(
            (v["audio_s"].as_f64().unwrap() - 11.0).abs() < 0.15,
            "{line}"
        );
        for key in ["load", "vad", "stt", "total"] {
            assert!(
                v["timings_ms"][key].as_f64().is_some(),
                "timings_ms.{key} missing: {line}"
            );
        }
        assert!(v["timings_ms"]["stt"].as_f64().unwrap() > 0.0);
        assert!(v["file"].as_str().is_some());
    }
}

#[test]
fn a_corrupt_model_is_a_clear_error() {
    let models = tempfile::tempdir().unwrap();
    std::fs::copy(
        models_dir().join("silero_vad.onnx"),
        models.path().join("silero_vad.onnx"),
    )
    .unwrap();
    // Right header, garbage body: a truncated or damaged download.
    let mut bytes = b"lmgg".to_vec();
    bytes.extend((0..100_000u32).map(|i| (i * 7919 % 251) as u8));
    let broken = models.path().join("ggml-base-q8_0.bin");
    std::fs::write(&broken, &bytes).unwrap();
    let err = utter_fails(
        &["transcribe", clip("jfk.wav").to_str().unwrap()],
        models.path(),
        models.path(),
    );
    assert!(
        err.contains("ggml-base-q8_0.bin") && err.contains("corrupt"),
        "{err}"
    );

    // A real model cut off half-way: a download interrupted and renamed by hand.
    let real = std::fs::read(models_dir().join("ggml-tiny.en-q8_0.bin")).unwrap();
    std::fs::write(&broken, &real[..real.len() / 2]).unwrap();
    let err = utter_fails(
        &["transcribe", clip("jfk.wav").to_str().unwrap()],
        models.path(),
        models.path(),
    );
    assert!(
        err.contains("ggml-base-q8_0.bin") && err.contains("corrupt"),
        "{err}"
    );

    // Not a model at all (an HTML error page saved as the model).
    std::fs::write(&broken, b"<html>Not Found</html>").unwrap();
    let err = utter_fails(
        &["transcribe", clip("jfk.wav").to_str().unwrap()],
        models.path(),
        models.path(),
    );
    assert!(err.contains("not a whisper.cpp ggml model"), "{err}");
}

#[test]
fn missing_models_and_unknown_names_say_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let jfk = clip("jfk.wav");
    let jfk = jfk.to_str().unwrap();
    let err = utter_fails(&["transcribe", jfk], empty.path(), empty.path());
    assert!(err.contains("utter models download"), "{err}");

    let err = utter_fails(
        &["transcribe", "-m", "huge-v9", jfk],
        &models_dir(),
        empty.path(),
    );
    assert!(err.contains("unknown model \"huge-v9\""), "{err}");

    let err = utter_fails(
        &["transcribe", "-m", "small.en", jfk],
        &models_dir(),
        empty.path(),
    );
    assert!(err.contains("not downloaded"), "{err}");
}

#[test]
fn bad_audio_files_each_get_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("notes.wav");
    std::fs::write(&bogus, b"this is not audio").unwrap();
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let folder = dir.path().join("takes");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.path().join("missing.wav");
    let files = [&bogus, &empty, &folder, &missing];
    let mut args = vec!["transcribe", "-m", "tiny.en-q8_0"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let err = utter_fails(&args, &models_dir(), dir.path());
    // (The test's folder doubles as the data folder, which Utter makes owner-only and says so.)
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("they are owner-only now"))
        .collect();
    let want = [
        "is not a WAV, FLAC or MP3 file",
        "is empty (0 bytes)",
        "is a folder, not an audio file",
        "does not exist",
    ];
    assert_eq!(
        lines.len(),
        files.len(),
        "one line per file, nothing else:\n{err}"
    );
    for ((line, file), what) in lines.iter().zip(files).zip(want) {
        let name = file.to_str().unwrap();
        assert!(line.starts_with("error: "), "{line}");
        assert_eq!(line.matches(name).count(), 1, "named once: {line}");
        assert!(line.contains(what), "{what:?} in {line}");
    }
}

#[test]
fn a_missing_microphone_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = utter_fails(
        &[
            "listen",
            "-m",
            "tiny.en-q8_0",
            "--device",
            "no-such-microphone-xyz",
        ],
        &models_dir(),
        dir.path(),
    );
    assert!(
        err.contains("no-such-microphone-xyz") && err.contains("not found"),
        "{err}"
    );
}

#[test]
fn an_english_only_model_refuses_other_languages() {
    let dir = tempfile::tempdir().unwrap();
    let err = utter_fails(
        &[
            "transcribe",
            "-m",
            "tiny.en-q8_0",
            "-l",
            "de",
            clip("jfk.wav").to_str().unwrap(),
        ],
        &models_dir(),
        dir.path(),
    );
    assert!(err.contains("English-only"), "{err}");
}

#[test]
fn models_measure_times_a_model_here_and_the_list_shows_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(utter_bin())
            .args(args)
            .env("UTTER_MODELS_DIR", models_dir())
            .env("UTTER_DATA_DIR", dir.path().join("data"))
            .env("UTTER_CONFIG_DIR", dir.path().join("config"))
            .output()
            .expect("utter runs")
    };
    let out = run(&[
        "models",
        "measure",
        "tiny.en-q8_0",
        "--strategy",
        "batch",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figures: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(figures["clips"], 5, "{figures}");
    assert_eq!(figures["strategy"], "batch", "{figures}");
    // Whisper tiny.en hears the built-in clips well; a release-to-text of 0 would mean no decode.
    let wer = figures["wer_percent"].as_f64().unwrap();
    assert!(wer < 15.0, "{figures}");
    assert!(
        figures["release_to_text_ms"].as_f64().unwrap() > 0.0,
        "{figures}"
    );
    assert!(
        figures["speech_seconds"].as_f64().unwrap() > 25.0,
        "{figures}"
    );

    let out = run(&["models", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tiny = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tiny.en-q8_0")
        .unwrap();
    assert_eq!(tiny["measured_here"], figures);
    let out = run(&["models", "list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("tiny.en-q8_0 "))
        .unwrap();
    assert!(line.contains("[here: text "), "{line}");

    let out = run(&["models", "measure", "small.en"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not downloaded"), "{}", stderr(&out));
}
