//! The settings window, driven through WebDriver (tauri-driver + WebKitWebDriver) like a user:
//! change the output method and the vocabulary, save, restart the app, the values persist.

mod common;

use std::path::Path;
use std::time::Duration;

use common::desktop_app::desktop_bin;
use common::models_dir;
use common::settings_window::{
    SECTIONS, TITLE, open_section, screenshots_dir, wait_for_exit, window_env,
};
use common::virtual_mic::VirtualMic;
use common::webdriver::Driver;
use common::xserver::XServer;

#[test]
fn settings_changed_in_the_window_persist_across_a_restart() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let data = dir.path().join("data");
    let driver = Driver::start(|cmd| {
        window_env(cmd, &x.display, &config, &data);
        mic.connect(cmd);
    });
    let model = models_dir().join("ggml-tiny.en-q8_0.bin");
    let args = ["--settings", "--model", model.to_str().unwrap()];

    let session = driver.open(&desktop_bin(), &args, TITLE);
    session.find("body[data-ready='true']");
    // A light desktop (no dark theme set): the window is light too.
    let background = session.script("return getComputedStyle(document.body).backgroundColor");
    assert_eq!(background, "rgb(255, 255, 255)");
    // One section at a time, chosen in the sidebar; each is photographed for the README.
    let window = x.window_named(TITLE);
    for name in SECTIONS {
        open_section(&session, name);
        for other in SECTIONS.iter().filter(|o| **o != name) {
            session.find(&format!("#section-{other}[hidden]"));
        }
        let shot = screenshots_dir().join(format!("settings-{name}.png"));
        // Let the section paint before the picture is taken.
        std::thread::sleep(Duration::from_millis(300));
        x.screenshot(&window, &shot);
        assert!(
            std::fs::metadata(&shot).unwrap().len() > 5_000,
            "{}",
            shot.display()
        );
    }
    let path = session.wait_text("#settings-path", |t| t.contains("settings.toml"));
    assert!(path.contains(config.to_str().unwrap()), "{path}");
    // Diagnostics: the session, the model in use, ONNX Runtime and the files, and a copy of all
    // of it for a bug report.
    assert_eq!(session.text("#diag-session"), "X11");
    assert!(
        session.text("#diag-trigger").contains("X11"),
        "{}",
        session.text("#diag-trigger")
    );
    assert!(
        session.text("#diag-model").starts_with("tiny.en-q8_0"),
        "{}",
        session.text("#diag-model")
    );
    let onnx = session.text("#diag-onnx-runtime");
    assert!(Path::new(&onnx).is_file(), "{onnx}");
    let log = session.text("#diag-log-file");
    assert!(
        Path::new(&log).is_file() && log.starts_with(data.to_str().unwrap()),
        "{log}"
    );
    session.click("#copy-diagnostics");
    session.wait_text("#diagnostics-status", |t| t == "Copied.");
    let copied = x.clipboard();
    assert!(
        copied.contains("Session: X11") && copied.contains(&format!("Log file: {log}")),
        "{copied}"
    );
    // Try it here: with the window in front, a dictation held on the hotkey shows its text, its
    // timings and their timeline in the window (and is typed nowhere).
    open_section(&session, "dictation");
    x.focus(&window);
    std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
    x.xdotool(&["keydown", "ctrl+alt+space"]);
    session.wait_text("#session-state", |t| t == "recording");
    mic.play(&common::load_clip("jfk.wav"));
    mic.wait_played(Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(400));
    x.xdotool(&["keyup", "ctrl+alt+space"]);
    session.find("#try-text[data-final='true']");
    let tried = session.text("#try-text");
    let wer = utter::eval::word_error_rate(common::JFK, &tried);
    assert!(wer <= 0.15, "{tried}");
    let timings = session.text("#try-timings");
    assert!(timings.contains("release to text"), "{timings}");
    session.find("#try-timings .timeline .bar[data-stage='stt']");
    // A letter alone would be grabbed from all typing: refused next to the field, not saved.
    session.click("#hotkey");
    session.type_into("#hotkey", "a");
    let refused = session.wait_text("#hotkey-error", |t| !t.is_empty());
    assert!(
        refused.contains("taken from everything you type"),
        "{refused}"
    );
    session.find("#hotkey[aria-invalid='true']");
    session.find("body[data-saved='error']");
    let hotkey_on_disk = std::fs::read_to_string(config.join("settings.toml")).unwrap_or_default();
    assert!(
        !hotkey_on_disk.contains("hotkey = \"A\""),
        "{hotkey_on_disk}"
    );
    // A new hotkey, pressed into the field, is in use at once: F9 now starts a dictation.
    session.click("#hotkey");
    session.type_into("#hotkey", "\u{E039}");
    assert_eq!(session.property("#hotkey", "value"), "F9");
    session.find("body[data-saved='true']");
    std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
    x.xdotool(&["keydown", "F9"]);
    session.wait_text("#session-state", |t| t == "recording");
    x.xdotool(&["keyup", "F9"]);
    session.wait_text("#session-state", |t| t == "idle");
    // The keyboard moves through the sidebar: Down from the last entry comes round to the first.
    session.type_into("#nav-about", "\u{E015}");
    session.find("#section-dictation:not([hidden])");
    session.find("#nav-dictation[aria-current='page']");
    // The model list offers the NeMo transducers next to Whisper.
    let offered = session.script(
        "return Array.from(document.querySelectorAll('#model option')).map(o => o.value + ' ' + o.text)",
    );
    let offered: Vec<&str> = offered
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.as_str())
        .collect();
    for (value, engine) in [
        ("base-q8_0", "Whisper"),
        ("parakeet-tdt-0.6b-v2", "Parakeet"),
        ("nemotron-streaming-en-0.6b", "Nemotron"),
        ("moonshine-base-en", "Moonshine"),
        ("moonshine-tiny-en", "Moonshine"),
    ] {
        assert!(
            offered
                .iter()
                .any(|o| o.starts_with(&format!("{value} {value} — {engine}:"))),
            "{value} missing from {offered:?}"
        );
    }
    // Measured figures next to the models that have them, and a proposal per language.
    assert!(
        offered.iter().any(|o| o.starts_with("moonshine-base-en")
            && o.contains("WER")
            && o.contains("ms after release")),
        "{offered:?}"
    );
    open_section(&session, "models");
    // The language by name, as a user picks it from the list.
    session.type_into("#language", "German");
    assert_eq!(session.property("#language", "value"), "de");
    let advice = session.wait_text("#model-advice", |t| t.contains("\"de\""));
    assert!(advice.contains("base-q8_0"), "{advice}");
    // Type-ahead starts a new search after a second without keys, as for a person.
    std::thread::sleep(Duration::from_millis(1100));
    session.type_into("#language", "English");
    assert_eq!(session.property("#language", "value"), "en");
    let advice = session.wait_text("#model-advice", |t| t.contains("\"en\""));
    let catalog = utter::models::Catalog::builtin();
    let proposed = catalog.advice("en").unwrap();
    assert!(
        advice.contains(&proposed.model) && advice.contains('%'),
        "{advice}"
    );
    // An English-only model offers English only; back to the default model, all languages.
    session.type_into("#model", "tiny.en");
    session.wait_text("#language-note", |t| t.contains("English only"));
    let german_disabled =
        "return document.querySelector('#language option[value=\"de\"]').disabled";
    assert_eq!(session.script(german_disabled), true);
    std::thread::sleep(Duration::from_millis(1100));
    session.type_into("#model", "Default");
    session.wait_text("#language-note", |t| t.is_empty());
    assert_eq!(session.script(german_disabled), false);
    // The session's trigger and output paths, and each desktop's key-binding lines for this
    // very binary (hidden text counts: the lines sit in a closed <details> on X11).
    open_section(&session, "dictation");
    let paths = session.wait_text("#session-paths", |t| !t.is_empty());
    assert!(paths.starts_with("X11 session."), "{paths}");
    assert!(paths.contains("XTest"), "{paths}");
    let lines = session.script("return document.querySelector('#key-binding-list').textContent");
    let lines = lines.as_str().unwrap_or_default();
    let bin = desktop_bin();
    for line in [
        format!(
            "bindsym --release Ctrl+Mod1+space exec {} --release",
            bin.display()
        ),
        format!("bindr = CTRL ALT, space, exec, {} --release", bin.display()),
        format!("command '{} --toggle'", bin.display()),
    ] {
        assert!(lines.contains(&line), "{line:?} missing from {lines:?}");
    }
    open_section(&session, "output");
    assert_eq!(session.property("#output-method", "value"), "type");
    // Keyboard type-ahead on the <select>, as a user would pick "Paste through the clipboard".
    session.type_into("#output-method", "Paste");
    open_section(&session, "words");
    session.clear("#vocabulary");
    // U+E007 is the Enter key in WebDriver.
    session.type_into("#vocabulary", "Kubernetes\u{E007}Tauri");
    // Hands-free, ending after 2.5 s of silence at the latest.
    open_section(&session, "dictation");
    session.type_into("#mode", "Hands");
    session.script("document.querySelector('#hands-free').open = true; return true");
    session.clear("#hf-end-silence");
    session.type_into("#hf-end-silence", "2500");
    session.clear("#hf-full-stop-above");
    session.type_into("#hf-full-stop-above", "0.85");
    session.clear("#hf-likely-end");
    session.type_into("#hf-likely-end", "1200");
    session.script("document.querySelector('#hf-follow-on').scrollIntoView(); return true");
    session.clear("#hf-follow-on");
    session.type_into("#hf-follow-on", "0");
    // Smart Turn alone, without waiting for the transcript to read finished.
    assert_eq!(session.property("#hf-read-transcript", "checked"), true);
    session.click("#hf-read-transcript");
    // No save step: each change applies as it is made.
    session.find("body[data-saved='true']");
    session.wait_text("#status", |t| t == "Saved");
    let on_disk = || -> utter::settings::Settings {
        toml::from_str(&std::fs::read_to_string(config.join("settings.toml")).unwrap()).unwrap()
    };
    assert_eq!(on_disk().hands_free.end_silence_ms, 2500);
    assert_eq!(on_disk().hands_free.full_stop_above, 0.85);
    assert_eq!(on_disk().hands_free.likely_end_silence_ms, 1200);
    assert_eq!(
        on_disk().hands_free.follow_on_ms,
        0,
        "follow-ons turned off"
    );
    assert!(!on_disk().hands_free.read_transcript);

    // A value the app refuses shows its reason next to its field and is not applied.
    open_section(&session, "cleanup");
    session.clear("#cleanup-model");
    session.type_into("#cleanup-model", "qwen3:4b");
    session.clear("#cleanup-base-url");
    session.type_into("#cleanup-base-url", "localhost:11434");
    session.find("body[data-saved='true']");
    session.click("#cleanup-enabled");
    let error = session.wait_text("#cleanup-base-url-error", |t| !t.is_empty());
    assert!(error.contains("not an http"), "{error}");
    session.find("#cleanup-base-url[aria-invalid='true']");
    session.find("body[data-saved='error']");
    assert!(!on_disk().cleanup.enabled, "not applied");
    // A URL where nothing answers is applied (the server may start later) but said so.
    session.clear("#cleanup-base-url");
    session.type_into("#cleanup-base-url", "http://127.0.0.1:9/v1");
    session.find("body[data-saved='true']");
    session.find("#cleanup-base-url:not([aria-invalid])");
    let cleanup = on_disk().cleanup;
    assert!(
        cleanup.enabled && cleanup.model == "qwen3:4b",
        "{cleanup:?}"
    );
    assert_eq!(cleanup.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
    let unanswered = session.wait_text("#cleanup-base-url-warning", |t| !t.is_empty());
    assert!(unanswered.contains("does not answer"), "{unanswered}");
    // A server that answers: the warning goes.
    let llm = common::llm_server::LlmServer::always(common::llm_server::Reply::text("ok"));
    session.clear("#cleanup-base-url");
    session.type_into("#cleanup-base-url", &llm.url);
    session.wait_text("#cleanup-status", |t| t.starts_with("Reached in"));
    let gone = "return document.querySelector('#cleanup-base-url-warning') === null";
    assert_eq!(session.script(gone), true);
    assert_eq!(
        on_disk().cleanup.base_url.as_deref(),
        Some(llm.url.as_str())
    );
    open_section(&session, "dictation");

    // The microphone test hears the (virtual) microphone while speech plays.
    // The whole clip: whenever the device has opened, its 3 s window hears speech.
    session.click("#mic-test");
    mic.play(&common::load_clip("jfk.wav"));
    let heard = session.wait_text("#mic-status", |t| t.contains("works"));
    let peak: f32 = heard
        .rsplit("peak level ")
        .next()
        .and_then(|p| p.trim_end_matches(')').parse().ok())
        .expect("a peak level");
    assert!(peak > 0.01, "{heard}");
    session.close();
    wait_for_exit(&data);

    let saved = std::fs::read_to_string(config.join("settings.toml")).unwrap();
    let parsed: utter::settings::Settings = toml::from_str(&saved).unwrap();
    assert_eq!(parsed.output.method, utter::output::Method::Paste);
    assert_eq!(parsed.vocabulary, ["Kubernetes", "Tauri"]);
    assert_eq!(parsed.mode, utter::hotkey::Mode::HandsFree);
    assert_eq!(parsed.hands_free.end_silence_ms, 2500);
    assert!(!parsed.hands_free.read_transcript);
    // The --model override of this run is not written into the settings.
    assert_eq!(parsed.model, None);

    let session = driver.open(&desktop_bin(), &args, TITLE);
    session.find("body[data-ready='true']");
    assert_eq!(session.property("#output-method", "value"), "paste");
    assert_eq!(
        session.property("#vocabulary", "value"),
        "Kubernetes\nTauri"
    );
    session.close();
}
