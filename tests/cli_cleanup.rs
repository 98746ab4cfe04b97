//! Clean-up through the `utter` binary: `utter cleanup`, `transcribe` with clean-up, fallbacks,
//! and API keys kept in a real keyring (never in the settings file).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::keyring_session::KeyringSession;
use common::llm_server::{LlmServer, Reply};
use common::{JFK, clip, models_dir, utter_bin};

const RAW: &str = "um so I think we should uh meet on Tuesday at 3 no 4 pm";
const CLEAN: &str = "I think we should meet on Tuesday at 4 pm.";

/// `utter` with its own config and data dirs and no LLM settings from the caller's environment.
fn utter_cmd(config: &Path) -> Command {
    let mut cmd = Command::new(utter_bin());
    cmd.env("UTTER_CONFIG_DIR", config.join("config"))
        .env("UTTER_DATA_DIR", config.join("data"))
        .env("UTTER_MODELS_DIR", models_dir())
        // No session bus unless a test provides one: keyring calls fail fast and clearly.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .env_remove("DISPLAY");
    for var in [
        "UTTER_LLM_BASE_URL",
        "UTTER_LLM_MODEL",
        "UTTER_LLM_API_KEY",
        "UTTER_LLM_TIMEOUT_MS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn with_server(cmd: &mut Command, server: &LlmServer) {
    cmd.env("UTTER_LLM_BASE_URL", &server.url)
        .env("UTTER_LLM_MODEL", "test-model");
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("utter starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "utter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn cleanup_command_prints_cleaned_text_and_json() {
    let server = LlmServer::always(Reply::text(CLEAN));
    let dir = tempfile::tempdir().unwrap();

    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    let out = cmd.args(["cleanup", RAW]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), CLEAN);

    // From standard input, as JSON.
    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    let v = json(&run_with_stdin(cmd.args(["cleanup", "--json"]), RAW));
    assert_eq!(v["text"], CLEAN);
    assert_eq!(v["raw"], RAW);
    assert_eq!(v["cleaned"], CLEAN);
    assert_eq!(v["used"], "cleaned");
    assert_eq!(v["reason"], "cleaned");
    assert!(v["llm_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(server.chat_requests().len(), 2);
}

#[test]
fn cleanup_command_falls_back_to_the_raw_text_and_says_why() {
    let server = LlmServer::always(Reply::Raw {
        status: 503,
        body: r#"{"error":{"message":"model is loading"}}"#.into(),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    let out = cmd.args(["cleanup", "--json", RAW]).output().unwrap();
    let v = json(&out);
    assert_eq!(v["text"], RAW);
    assert_eq!(v["used"], "raw");
    assert_eq!(v["reason"], "http_error");
    assert!(v["cleaned"].is_null());
    assert!(String::from_utf8_lossy(&out.stderr).contains("model is loading"));
}

#[test]
fn transcribe_with_cleanup_reports_both_texts_and_the_llm_time() {
    let cleaned = "And so, my fellow Americans: ask not what your country can do for you; ask \
                   what you can do for your country.";
    let server = LlmServer::always(Reply::text(cleaned));
    let dir = tempfile::tempdir().unwrap();
    let jfk = clip("jfk.wav");

    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    let v = json(
        &cmd.args(["transcribe", "--json", "-m", "tiny.en-q8_0"])
            .arg(&jfk)
            .output()
            .unwrap(),
    );
    assert_eq!(v["text"], cleaned);
    assert_eq!(v["used"], "cleaned");
    let raw = v["raw"].as_str().unwrap();
    assert!(utter::eval::word_error_rate(JFK, raw) <= 0.1, "{raw}");
    assert!(v["timings_ms"]["llm"].as_f64().unwrap() > 0.0);
    // The transcript went to the LLM as data.
    let sent = server.chat_requests()[0].message("user");
    assert!(sent.contains(raw), "{sent}");

    // --raw skips the LLM even though the environment turns clean-up on.
    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    let v = json(
        &cmd.args(["transcribe", "--json", "--raw", "-m", "tiny.en-q8_0"])
            .arg(&jfk)
            .output()
            .unwrap(),
    );
    assert!(v.get("used").is_none(), "{v}");
    assert_eq!(server.chat_requests().len(), 1);
}

#[test]
fn cleanup_without_a_server_configured_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = utter_cmd(dir.path())
        .args(["transcribe", "--cleanup"])
        .arg(clip("jfk.wav"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("UTTER_LLM_BASE_URL"), "{err}");
}

#[test]
fn without_a_keyring_the_error_says_so_and_the_environment_variable_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with_stdin(
        utter_cmd(dir.path()).args(["llm", "key", "set", "--provider", "groq"]),
        "gsk-secret",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no keyring service") && err.contains("UTTER_LLM_API_KEY"),
        "{err}"
    );

    let server = LlmServer::always(Reply::text(CLEAN));
    let mut cmd = utter_cmd(dir.path());
    with_server(&mut cmd, &server);
    cmd.env("UTTER_LLM_API_KEY", "sk-from-env");
    json(&cmd.args(["cleanup", "--json", RAW]).output().unwrap());
    assert_eq!(
        server.chat_requests()[0].header("authorization"),
        Some("Bearer sk-from-env")
    );
}

#[test]
fn api_keys_go_to_the_keyring_and_never_into_the_settings_file() {
    let keyring = KeyringSession::start();
    let server = LlmServer::always(Reply::text(CLEAN));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    let settings_path = config.join("settings.toml");
    // Groq as the provider, pointed at our server.
    let mut settings = utter::settings::Settings::default();
    settings.cleanup.enabled = true;
    settings.cleanup.provider = utter::cleanup::Provider::Groq;
    settings.cleanup.base_url = Some(server.url.clone());
    settings.cleanup.model = "test-model".into();
    let file = utter::settings::SettingsFile::at(&settings_path);
    file.save(&settings).unwrap();

    let secret = "gsk-live-0123456789abcdef";
    let mut cmd = utter_cmd(dir.path());
    keyring.connect(&mut cmd);
    let out = run_with_stdin(cmd.args(["llm", "key", "set"]), secret);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));

    let mut cmd = utter_cmd(dir.path());
    keyring.connect(&mut cmd);
    let status = cmd.args(["llm", "key", "status"]).output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("stored in the keyring"), "{status}");
    assert!(!status.contains(secret));

    // Settings saved again after the key: the file still holds no trace of it.
    let reloaded = file.load().unwrap().settings;
    file.save(&reloaded).unwrap();
    let text = std::fs::read_to_string(&settings_path).unwrap();
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("gsk-"), "{text}");
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "key written to {}",
            entry.display()
        );
    }

    // The key from the keyring is what the server receives.
    let mut cmd = utter_cmd(dir.path());
    keyring.connect(&mut cmd);
    let v = json(&cmd.args(["cleanup", "--json", RAW]).output().unwrap());
    assert_eq!(v["used"], "cleaned");
    let auth = server.chat_requests()[0]
        .header("authorization")
        .map(str::to_string);
    assert_eq!(auth, Some(format!("Bearer {secret}")));

    let mut cmd = utter_cmd(dir.path());
    keyring.connect(&mut cmd);
    assert!(
        cmd.args(["llm", "key", "delete"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let mut cmd = utter_cmd(dir.path());
    keyring.connect(&mut cmd);
    let status = cmd.args(["llm", "key", "status"]).output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("no key"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
