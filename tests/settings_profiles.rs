//! The settings window's Apps section through WebDriver: a profile made from the application
//! the last dictation went to, changed field by field and saved at once; a refused profile says
//! why; the built-in terminal profile is described; spoken commands can be switched off.

mod common;

use common::desktop_app::desktop_bin;
use common::models_dir;
use common::settings_window::{TITLE, open_section, window_env};
use common::webdriver::Driver;
use common::xserver::XServer;
use utter::settings::Settings;

#[test]
fn a_profile_for_the_last_app_is_made_and_edited_in_the_window() {
    let x = XServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&data).unwrap();
    // The last dictation went into a chat application.
    let history = utter::history::History::open(&data.join("history.sqlite3")).unwrap();
    let id = history.record(None, 1.0).unwrap();
    history
        .set_transcript(id, "see you soon", "m", None)
        .unwrap();
    let chat = utter::target::Target {
        app: "Element".into(),
        title: "Team room".into(),
        window: "42".into(),
        ..Default::default()
    };
    history.set_target(id, &chat, None).unwrap();

    let driver = Driver::start(|cmd| window_env(cmd, &x.display, &config, &data));
    let model = models_dir().join("ggml-tiny.en-q8_0.bin");
    let args = ["--settings", "--model", model.to_str().unwrap()];
    let session = driver.open(&desktop_bin(), &args, TITLE);
    session.find("body[data-ready='true']");
    open_section(&session, "apps");
    let builtin = session.wait_text("#builtin-profiles", |t| !t.is_empty());
    assert!(
        builtin.contains("terminal: xterm") && builtin.contains("never Enter"),
        "{builtin}"
    );

    let on_disk = || -> Settings {
        toml::from_str(&std::fs::read_to_string(config.join("settings.toml")).unwrap_or_default())
            .unwrap()
    };
    // "Use for the app I'm in now": a profile for the application of the last dictation.
    session.click("#profile-from-last");
    session.find("#profile-0-name");
    assert_eq!(session.property("#profile-0-name", "value"), "Element");
    assert_eq!(session.property("#profile-0-apps", "value"), "Element");
    // A chat sends with Enter and wants no trailing space.
    session.type_into("#profile-0-press-enter", "Yes");
    session.type_into("#profile-0-trailing-space", "No");
    session.find("body[data-saved='true']");
    let saved = on_disk();
    assert_eq!(saved.profiles.len(), 1, "{:?}", saved.profiles);
    let p = &saved.profiles[0];
    assert_eq!(
        (p.name.as_str(), p.apps.as_slice()),
        ("Element", &["Element".to_string()][..])
    );
    assert_eq!(
        (p.press_enter, p.trailing_space, p.cleanup),
        (Some(true), Some(false), None)
    );

    // A new profile is refused until it has a name and something to match, and says so.
    session.click("#add-profile");
    let refused = session.wait_text("#profiles-error", |t| !t.is_empty());
    assert!(refused.contains("profile 2 needs a name"), "{refused}");
    assert_eq!(on_disk().profiles.len(), 1, "not applied");
    session.type_into("#profile-1-name", "mail");
    session.type_into("#profile-1-title", "*Gmail*");
    session.type_into("#profile-1-cleanup", "Yes");
    session.find("body[data-saved='true']");
    let saved = on_disk();
    assert_eq!(saved.profiles.len(), 2, "{:?}", saved.profiles);
    assert_eq!(saved.profiles[1].title.as_deref(), Some("*Gmail*"));
    assert_eq!(saved.profiles[1].cleanup, Some(true));

    // Removed, it is gone from the file; spoken commands off for everything.
    session.click("#profiles .profile[data-index='0'] .p-remove");
    session.find("body[data-saved='true']");
    session.click("#spoken-commands");
    session.find("body[data-saved='true']");
    let saved = on_disk();
    let names: Vec<&str> = saved.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mail"]);
    assert!(!saved.spoken_commands);
    session.close();
}
