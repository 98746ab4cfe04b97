//! Smart Turn v3.2 with the real model: the Rust Whisper front end against an independent
//! numpy reference (tests/fixtures/smart_turn/make_fixture.py), and the model's verdicts
//! against onnxruntime's in Python on the same audio.

mod common;

use std::path::PathBuf;

use common::{clip, models_dir};
use utter::turn::{SmartTurn, features};

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    clip: String,
    start: usize,
    end: usize,
    stride: usize,
    values: Vec<f32>,
    sum: f64,
    probability: f32,
}

fn cases() -> Vec<Case> {
    #[derive(serde::Deserialize)]
    struct Reference {
        cases: Vec<Case>,
    }
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smart_turn/reference.json");
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str::<Reference>(&text).unwrap().cases
}

fn audio(case: &Case) -> Vec<f32> {
    let samples = utter::audio::load_mono_16k(&clip(&case.clip)).unwrap();
    samples[case.start..case.end].to_vec()
}

#[test]
fn whisper_log_mel_matches_the_numpy_reference() {
    for case in cases() {
        let have = features::log_mel(&audio(&case));
        assert_eq!(
            have.len(),
            features::N_MELS * features::FRAMES,
            "{}",
            case.name
        );
        for (k, want) in case.values.iter().enumerate() {
            let got = have[k * case.stride];
            assert!(
                (got - want).abs() < 1e-4,
                "{}: value {} is {got}, the reference {want}",
                case.name,
                k * case.stride
            );
        }
        let sum: f64 = have.iter().map(|v| f64::from(*v)).sum();
        assert!(
            (sum - case.sum).abs() < 1e-5 * case.sum.abs(),
            "{}: sum {sum} vs {}",
            case.name,
            case.sum
        );
    }
}

#[test]
fn the_model_judges_finished_and_unfinished_speech_as_the_reference_does() {
    let mut model = SmartTurn::load(&models_dir().join("smart-turn-v3.2-cpu.onnx"), 1).unwrap();
    for case in cases() {
        let p = model.probability(&audio(&case)).unwrap();
        assert!(
            (p - case.probability).abs() < 2e-3,
            "{}: P(finished) {p}, the reference {}",
            case.name,
            case.probability
        );
    }
    // Whole sentences are finished; the start of one, or a cut in mid-phrase, is not.
    let verdicts: Vec<(String, bool)> = cases()
        .iter()
        .map(|c| (c.name.clone(), model.probability(&audio(c)).unwrap() > 0.5))
        .collect();
    let want = [
        ("jfk_whole", true),
        ("jfk_first_2s", false),
        ("jfk_mid_phrase", false),
        ("beckett_whole", true),
    ];
    let want: Vec<(String, bool)> = want.iter().map(|(n, f)| (n.to_string(), *f)).collect();
    assert_eq!(verdicts, want);
}

#[test]
fn a_model_that_is_not_smart_turn_is_refused_clearly() {
    let err = SmartTurn::load(&models_dir().join("silero_vad.onnx"), 1)
        .err()
        .expect("the VAD model is not an end-of-turn model");
    let text = err.to_string();
    assert!(text.contains("is it Smart Turn v3?"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("smart-turn.onnx");
    std::fs::write(&corrupt, b"not a model").unwrap();
    let text = SmartTurn::load(&corrupt, 1).err().unwrap().to_string();
    assert!(text.contains("cannot load end-of-turn model"), "{text}");
}
