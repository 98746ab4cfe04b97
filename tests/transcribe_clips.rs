//! Real speech through real models: word error rate bounds on the shared clips.

mod common;

use common::{BECKETT, JFK, load_clip, transcriber};
use utter::eval::word_error_rate;
use utter::stt::Language;
use utter::transcriber::TranscribeOptions;

fn options(language: &str) -> TranscribeOptions {
    TranscribeOptions {
        language: Language::parse(language),
        ..TranscribeOptions::default()
    }
}

#[test]
fn tiny_en_transcribes_jfk() {
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let out = t.transcribe(&load_clip("jfk.wav"), &options("en")).unwrap();
    let wer = word_error_rate(JFK, &out.text);
    assert!(wer <= 0.10, "WER {wer:.2}: {:?}", out.text);
    let beckett = t
        .transcribe(&load_clip("beckett.wav"), &options("en"))
        .unwrap();
    let wer = word_error_rate(BECKETT, &beckett.text);
    assert!(wer <= 0.40, "WER {wer:.2}: {:?}", beckett.text);
}

#[test]
fn base_transcribes_with_auto_and_explicit_language() {
    let mut t = transcriber("ggml-base-q8_0.bin");
    let jfk = load_clip("jfk.wav");
    for language in ["auto", "en"] {
        let out = t.transcribe(&jfk, &options(language)).unwrap();
        let wer = word_error_rate(JFK, &out.text);
        assert!(wer <= 0.10, "{language}: WER {wer:.2}: {:?}", out.text);
        assert_eq!(out.language.as_deref(), Some("en"), "{language}");
    }
    let out = t
        .transcribe(&load_clip("beckett.wav"), &options("auto"))
        .unwrap();
    let wer = word_error_rate(BECKETT, &out.text);
    assert!(wer <= 0.30, "WER {wer:.2}: {:?}", out.text);
}

#[test]
fn a_dictation_longer_than_30_seconds_comes_out_whole() {
    let jfk = load_clip("jfk.wav");
    let beckett = load_clip("beckett.wav");
    let pause = vec![0.0f32; 16_000 * 3 / 2];
    let mut long = Vec::new();
    let mut reference = String::new();
    for (clip, text) in [
        (&jfk, JFK),
        (&beckett, BECKETT),
        (&jfk, JFK),
        (&beckett, BECKETT),
    ] {
        long.extend_from_slice(clip);
        long.extend_from_slice(&pause);
        reference.push_str(text);
        reference.push(' ');
    }
    assert!(
        long.len() > 16_000 * 40,
        "the test clip must exceed Whisper's 30 s window"
    );
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let out = t.transcribe(&long, &options("en")).unwrap();
    let wer = word_error_rate(&reference, &out.text);
    assert!(wer <= 0.20, "WER {wer:.2}: {:?}", out.text);
    // The end of the dictation is there, not just the first window.
    let tail = &out.text.to_lowercase()[out.text.len() / 2..];
    assert!(tail.contains("fail better"), "{:?}", out.text);
    assert!(out.audio_s > 40.0);
}

#[test]
fn whisper_gives_up_a_decode_when_asked_to_stop() {
    use utter::stt::{SpeechToText, StopFlag, SttError, SttRequest, WhisperEngine};
    let mut engine =
        WhisperEngine::load(&common::models_dir().join("ggml-tiny.en-q8_0.bin"), "t", 1).unwrap();
    let jfk = load_clip("jfk.wav");
    // An unset flag changes nothing.
    let quiet = SttRequest {
        stop: Some(StopFlag::default()),
        ..SttRequest::default()
    };
    let out = engine.transcribe(&jfk, &quiet).unwrap();
    assert!(word_error_rate(JFK, &out.text) <= 0.10, "{:?}", out.text);
    // Set while it runs: it stops instead of finishing.
    let flag = StopFlag::default();
    let setter = flag.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        setter.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let request = SttRequest {
        stop: Some(flag),
        ..SttRequest::default()
    };
    let err = engine.transcribe(&jfk, &request).unwrap_err();
    assert!(matches!(err, SttError::Stopped), "{err}");
    // And the engine is fine afterwards.
    let out = engine.transcribe(&jfk, &SttRequest::default()).unwrap();
    assert!(word_error_rate(JFK, &out.text) <= 0.10, "{:?}", out.text);
}
