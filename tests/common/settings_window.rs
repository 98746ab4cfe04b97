//! The settings window under WebDriver: its title, its sections, where its screenshots go.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const TITLE: &str = "Utter — Settings";

pub const SECTIONS: [&str; 8] = [
    "dictation",
    "models",
    "words",
    "output",
    "apps",
    "cleanup",
    "history",
    "about",
];

/// Wait until the previous app instance has exited (it holds the single-instance lock).
pub fn wait_for_exit(data: &Path) {
    let lock = data.join("utter-desktop.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let file = std::fs::File::open(&lock).expect("lock file");
        if file.try_lock().is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "the app did not exit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Where the screenshots of the window go (`scripts/screenshots.sh` copies them into
/// docs/screenshots for the README).
pub fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// Show one section of the window, as a user picks it in the sidebar.
pub fn open_section(session: &super::webdriver::Session<'_>, name: &str) {
    session.click(&format!("#nav-{name}"));
    session.find(&format!("#section-{name}:not([hidden])"));
}

/// The settings-window app's environment under WebDriver: the X display, its own config and
/// data folders, the shared models, and WebKitGTK quiet and software-rendered.
pub fn window_env(cmd: &mut std::process::Command, display: &str, config: &Path, data: &Path) {
    cmd.env("DISPLAY", display)
        .env("UTTER_CONFIG_DIR", config)
        .env("UTTER_DATA_DIR", data)
        .env("UTTER_MODELS_DIR", super::models_dir())
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("NO_AT_BRIDGE", "1");
}

/// Wait for the app's log to say `needle`.
pub fn wait_log(log: &Path, needle: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(Instant::now() < deadline, "the log never said {needle:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
