//! Moonshine with its real weights, both published layouts: the shared clips with a word
//! error rate bound, a dictation longer than a minute without invented text, silence, and
//! model folders that are broken in the ways people break them.

mod common;

use std::path::Path;

use common::{BECKETT, JFK, english, load_clip, models_dir, moonshine_transcriber, shared_dir};
use utter::eval::corpus::load_clips;
use utter::eval::{normalize, word_error_rate};
use utter::stt::{Language, MoonshineEngine, SpeechToText, SttError, SttRequest};

const LAYOUTS: [&str; 2] = ["moonshine-tiny-en", "moonshine-base-en"];

#[test]
fn both_layouts_read_their_sizes_from_the_graphs() {
    let tiny = MoonshineEngine::load(&models_dir().join(LAYOUTS[0]), "tiny", 1).unwrap();
    let base = MoonshineEngine::load(&models_dir().join(LAYOUTS[1]), "base", 1).unwrap();
    let (t, b) = (tiny.dims(), base.dims());
    assert_eq!((t.layers, t.heads, t.head_dim, t.hidden), (6, 8, 36, 288));
    assert_eq!((b.layers, b.heads, b.head_dim, b.hidden), (8, 8, 52, 416));
    assert_eq!((t.vocab, b.vocab), (32768, 32768));
    assert_eq!(tiny.tokenizer().len(), 32768);
    assert_eq!(base.tokenizer().len(), 32000);
}

#[test]
fn both_layouts_transcribe_the_shared_clips() {
    for folder in LAYOUTS {
        let mut t = moonshine_transcriber(folder);
        let jfk = t.transcribe(&load_clip("jfk.wav"), &english()).unwrap();
        let wer = word_error_rate(JFK, &jfk.text);
        assert!(wer <= 0.10, "{folder}: WER {wer:.2}: {:?}", jfk.text);
        assert_eq!(jfk.language.as_deref(), Some("en"));
        let beckett = t.transcribe(&load_clip("beckett.wav"), &english()).unwrap();
        let wer = word_error_rate(BECKETT, &beckett.text);
        assert!(wer <= 0.40, "{folder}: WER {wer:.2}: {:?}", beckett.text);
    }
}

#[test]
fn a_dictation_over_a_minute_comes_out_whole_without_invented_text() {
    let clips = load_clips(&shared_dir().join("eval"), "en").unwrap();
    let pause = vec![0.0f32; 16_000 * 7 / 10];
    let (mut audio, mut reference) = (Vec::new(), String::new());
    // Read speech, one clip after another with short pauses: it never stops for long.
    let read = |c: &&utter::eval::corpus::Clip| !c.path.to_string_lossy().contains("spont");
    for clip in clips.iter().filter(read) {
        audio.extend_from_slice(&clip.samples);
        audio.extend_from_slice(&pause);
        reference.push_str(&clip.reference);
        reference.push(' ');
    }
    audio.extend_from_slice(&load_clip("jfk.wav"));
    reference.push_str(JFK);
    assert!(audio.len() > 60 * 16_000, "{} s", audio.len() / 16_000);
    for folder in LAYOUTS {
        let mut t = moonshine_transcriber(folder);
        let out = t.transcribe(&audio, &english()).unwrap();
        let wer = word_error_rate(&reference, &out.text);
        assert!(wer <= 0.20, "{folder}: WER {wer:.2}: {:?}", out.text);
        // Nothing made up: not more words than were said, and it ends where the speech ends.
        let (said, heard) = (normalize(&reference).len(), normalize(&out.text).len());
        assert!(
            heard <= said + said / 20,
            "{folder}: {heard} words for {said}"
        );
        let tail = out.text.to_lowercase();
        assert!(
            tail.trim_end_matches('.').ends_with("for your country"),
            "{folder}: {tail:?}"
        );
    }
}

#[test]
fn silence_and_noise_give_nothing() {
    let mut t = moonshine_transcriber(LAYOUTS[0]);
    let silence = vec![0.0f32; 16_000 * 3];
    let mut seed = 7u32;
    let noise: Vec<f32> = (0..16_000 * 3)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.02 - 0.01
        })
        .collect();
    for audio in [silence, noise] {
        let out = t.transcribe(&audio, &english()).unwrap();
        assert_eq!(out.text, "");
        assert_eq!(out.timings.stt_ms, 0.0, "nothing reached Moonshine");
    }
}

#[test]
fn moonshine_is_english_only() {
    let mut engine = MoonshineEngine::load(&models_dir().join(LAYOUTS[0]), "tiny", 1).unwrap();
    let audio = load_clip("jfk.wav");
    for request in [
        SttRequest {
            language: Language::parse("de"),
            ..SttRequest::default()
        },
        SttRequest {
            translate: true,
            ..SttRequest::default()
        },
    ] {
        let err = engine.transcribe(&audio, &request).unwrap_err();
        assert!(matches!(err, SttError::EnglishOnly { .. }), "{err}");
    }
}

/// A copy of a shared model folder, for breaking.
fn copy_of(folder: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(models_dir().join(folder)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn load_error(dir: &Path) -> String {
    match MoonshineEngine::load(dir, "broken", 2) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_model_folders_are_refused_with_the_reason() {
    let missing = copy_of(LAYOUTS[0]);
    std::fs::remove_file(missing.path().join("tokenizer.json")).unwrap();
    let err = load_error(missing.path());
    assert!(
        err.contains("tokenizer.json (or tokenizer.bin) is missing"),
        "{err}"
    );

    // The voice-activity model put where the encoder belongs.
    let wrong_graph = copy_of(LAYOUTS[0]);
    std::fs::copy(
        models_dir().join("silero_vad.onnx"),
        wrong_graph.path().join("encoder_model.onnx"),
    )
    .unwrap();
    let err = load_error(wrong_graph.path());
    assert!(
        err.contains("encoder_model.onnx") && err.contains("input"),
        "{err}"
    );

    // Tiny's encoder with base's decoder: sizes that do not fit.
    let mixed = copy_of(LAYOUTS[1]);
    std::fs::remove_file(mixed.path().join("encoder_model.ort")).unwrap();
    std::fs::copy(
        models_dir().join(LAYOUTS[0]).join("encoder_model.onnx"),
        mixed.path().join("encoder_model.onnx"),
    )
    .unwrap();
    let err = load_error(mixed.path());
    assert!(
        err.contains("decoder_model_merged.ort") && err.contains("not from the same model"),
        "{err}"
    );

    let truncated = copy_of(LAYOUTS[0]);
    let decoder = truncated.path().join("decoder_model_merged.onnx");
    let bytes = std::fs::read(&decoder).unwrap();
    std::fs::write(&decoder, &bytes[..bytes.len() / 3]).unwrap();
    let err = load_error(truncated.path());
    assert!(err.contains("decoder_model_merged.onnx"), "{err}");

    let cut_tokenizer = copy_of(LAYOUTS[1]);
    let tokenizer = cut_tokenizer.path().join("tokenizer.bin");
    let bytes = std::fs::read(&tokenizer).unwrap();
    std::fs::write(&tokenizer, &bytes[..bytes.len() - 3]).unwrap();
    let err = load_error(cut_tokenizer.path());
    assert!(
        err.contains("tokenizer.bin") && err.contains("cut off"),
        "{err}"
    );

    let err = load_error(&models_dir().join("no-such-moonshine"));
    assert!(err.contains("not found"), "{err}");
}
