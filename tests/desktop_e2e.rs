//! End to end, with real parts: the real `utter-desktop` binary on an X server (Xvfb), a
//! virtual microphone playing real speech, the hotkey held with xdotool, and the text arriving
//! in another application's window.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::desktop_app::{App, desktop_bin, runtime_dir};
use common::llm_server::{LlmServer, Reply};
use common::virtual_mic::VirtualMic;
use common::xserver::{EntryTarget, TerminalTarget, XServer};
use common::{JFK, load_clip, models_dir};

fn whisper_tiny() -> PathBuf {
    models_dir().join("ggml-tiny.en-q8_0.bin")
}

/// Start the app on the X server with a settings file written from `settings_toml`.
fn start(x: &XServer, mic: &VirtualMic, dir: &Path, settings_toml: &str) -> App {
    start_with(x, mic, dir, settings_toml, &[], &[])
}

fn start_with(
    x: &XServer,
    mic: &VirtualMic,
    dir: &Path,
    settings_toml: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> App {
    App::on_x(x, mic, dir, whisper_tiny(), settings_toml, args, env)
}

/// An X server, a virtual microphone, an xterm running `cat` with the focus, and the app.
struct Desk {
    app: App,
    target: TerminalTarget,
    mic: VirtualMic,
    x: XServer,
    dir: tempfile::TempDir,
}

impl Desk {
    fn open(settings_toml: &str) -> Desk {
        Desk::open_with(whisper_tiny(), settings_toml, &[])
    }

    fn open_with(model: PathBuf, settings_toml: &str, env: &[(&str, &str)]) -> Desk {
        let x = XServer::start();
        let mic = VirtualMic::start();
        let dir = tempfile::tempdir().unwrap();
        let target = TerminalTarget::open(&x, dir.path());
        let app = App::on_x(&x, &mic, dir.path(), model, settings_toml, &[], env);
        x.focus(&target.window);
        Desk {
            app,
            target,
            mic,
            x,
            dir,
        }
    }
}

const HOTKEY: &str = "ctrl+alt+space";

/// Press `keys` as a person would: not within the auto-repeat window of the last release
/// (the app rightly takes a release and press that close for a key held down).
fn key_down(x: &XServer, keys: &str) {
    std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
    x.xdotool(&["keydown", keys]);
}

/// Hold the hotkey while the microphone plays `samples`, then release it.
fn dictate(x: &XServer, mic: &VirtualMic, app: &mut App, samples: &[f32]) {
    let press = || key_down(x, HOTKEY);
    let release = || {
        x.xdotool(&["keyup", HOTKEY]);
    };
    app.dictate(mic, samples, press, release);
}

#[test]
fn holding_the_hotkey_types_the_speech_into_the_focused_terminal() {
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir: _dir,
    } = Desk::open("[output]\nmethod = \"type\"\n");
    dictate(&x, &mic, &mut app, &load_clip("jfk.wav"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(JFK, &typed);
    assert!(wer <= 0.15, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
    // A terminal: the built-in terminal profile adds no trailing space.
    assert!(typed.ends_with(".\n"), "no trailing space: {typed:?}");

    // The dictation is in the history with its stage timings.
    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let entry = history.last_with_text().unwrap().expect("a history entry");
    assert_eq!(entry.status, utter::history::Status::Delivered);
    for stage in ["stt", "vad", "output", "release_to_text"] {
        assert!(
            entry.timings.contains_key(stage),
            "{stage}: {:?}",
            entry.timings
        );
    }
    let audio = entry.audio_path.unwrap();
    assert!(audio.exists());
    // Voices and words are private: the data folder and what is in it are owner-only.
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&app.data), 0o700);
    assert_eq!(mode(&audio), 0o600);
    assert_eq!(mode(&app.data.join("history.sqlite3")), 0o600);
    for log in std::fs::read_dir(app.data.join("logs")).unwrap().flatten() {
        assert_eq!(mode(&log.path()), 0o600, "{}", log.path().display());
    }
}

#[test]
fn moonshine_dictates_and_the_indicator_follows_the_voice_while_the_key_is_held() {
    let model = models_dir().join("moonshine-base-en");
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir: _dir,
    } = Desk::open_with(model, "[output]\nmethod = \"type\"\n", &[]);

    x.xdotool(&["keydown", HOTKEY]);
    app.wait_log("state: recording", Duration::from_secs(10));
    mic.play(&load_clip("jfk.wav"));
    app.wait_played(&mic, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(400));
    // Before the key comes up, the indicator has already shown the words, growing.
    let held = app.indicator_texts();
    assert!(held.len() >= 3, "indicator texts while held: {held:?}");
    let grew = held.windows(2).filter(|w| w[1].len() > w[0].len()).count();
    assert!(grew >= 2, "the indicator's text grows: {held:?}");
    let last = held.last().unwrap();
    assert!(
        utter::eval::word_error_rate(JFK, last) <= 0.3,
        "nearly all words before release: {last:?}"
    );
    x.xdotool(&["keyup", HOTKEY]);
    app.wait_log("dictation:", Duration::from_secs(60));

    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(JFK, &typed);
    assert!(wer <= 0.15, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let entry = history.last_with_text().unwrap().expect("a history entry");
    assert_eq!(entry.status, utter::history::Status::Delivered);
    assert!(
        entry
            .model
            .as_deref()
            .unwrap_or_default()
            .contains("moonshine"),
        "{:?}",
        entry.model
    );
}

#[test]
fn paste_mode_delivers_the_speech_and_restores_the_clipboard() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    x.set_clipboard("what the user had copied");
    let entry = EntryTarget::open(&x);
    let mut app = start(&x, &mic, dir.path(), "[output]\nmethod = \"paste\"\n");
    x.focus(&entry.window);
    dictate(&x, &mic, &mut app, &load_clip("jfk.wav"));
    assert_eq!(x.clipboard(), "what the user had copied");
    let pasted = entry.submit(&x);
    let wer = utter::eval::word_error_rate(JFK, &pasted);
    assert!(wer <= 0.15, "WER {wer:.2}: {pasted:?}\n{}", app.log_text());
}

#[test]
fn silence_and_a_cancelled_dictation_type_nothing() {
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir: _dir,
    } = Desk::open("");

    // Two seconds of silence held down.
    dictate(&x, &mic, &mut app, &vec![0.0; 32_000]);

    // Speech, then Esc before the key is released.
    key_down(&x, HOTKEY);
    app.wait_log_count("state: recording", 2, Duration::from_secs(10));
    let speech = load_clip("jfk.wav");
    mic.play(&speech[..16_000 * 3]);
    app.wait_played(&mic, Duration::from_secs(20));
    x.xdotool(&["key", "Escape"]);
    app.wait_log("cancelled", Duration::from_secs(10));
    x.xdotool(&["keyup", HOTKEY]);

    // Then a real dictation, to prove the app still works and nothing came before it.
    dictate(&x, &mic, &mut app, &load_clip("beckett.wav"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(common::BECKETT, &typed);
    assert!(
        wer <= 0.3,
        "only the last dictation may arrive: {typed:?}\n{}",
        app.log_text()
    );
}

#[test]
fn corrupt_settings_and_history_start_with_defaults_and_a_new_history_keeping_both_aside() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let target = TerminalTarget::open(&x, dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let garbage = b"SQLite format 3? no: a disk error wrote this".repeat(200);
    std::fs::write(data.join("history.sqlite3"), &garbage).unwrap();
    let mut app = start(&x, &mic, dir.path(), "hotkey = [this is not toml\n");
    let log = app.log_text();
    assert!(log.contains("could not be read"), "{log}");
    let config = dir.path().join("config");
    let aside = |folder: &Path, prefix: &str| -> Vec<PathBuf> {
        std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(prefix) && !name.ends_with("-wal") && !name.ends_with("-shm")
            })
            .collect()
    };
    let backups = aside(&config, "settings.toml.corrupt-");
    assert_eq!(backups.len(), 1, "{backups:?}");
    let kept = std::fs::read_to_string(&backups[0]).unwrap();
    assert_eq!(kept, "hotkey = [this is not toml\n");
    assert!(
        log.contains("hold Ctrl+Alt+Space to dictate"),
        "defaults in force:\n{log}"
    );
    // The history too: kept aside as it was, said so, and dictation goes on with a new one.
    let histories = aside(&data, "history.sqlite3.corrupt-");
    assert_eq!(histories.len(), 1, "{histories:?}");
    assert_eq!(std::fs::read(&histories[0]).unwrap(), garbage);
    assert!(
        log.contains("the dictation history could not be read"),
        "{log}"
    );
    x.focus(&target.window);
    dictate(&x, &mic, &mut app, &load_clip("jfk.wav"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    assert!(
        utter::eval::word_error_rate(JFK, &typed) <= 0.15,
        "{typed:?}"
    );
    assert_eq!(
        app.last_dictation().status,
        utter::history::Status::Delivered
    );
}

#[test]
fn a_second_instance_opens_the_first_ones_settings_and_exits() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let mut app = start(&x, &mic, dir.path(), "");
    let out = x
        .command(desktop_bin().to_str().unwrap())
        .env("UTTER_CONFIG_DIR", dir.path().join("config"))
        .env("UTTER_DATA_DIR", &app.data)
        .env("XDG_RUNTIME_DIR", runtime_dir(dir.path()))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already running"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        app.child.try_wait().unwrap().is_none(),
        "the first one still runs"
    );
    // Its settings window is what the user sees (xdotool --sync waits for it).
    x.window_named("Utter — Settings");
}

#[test]
fn trigger_commands_drive_the_running_app_on_x11_too() {
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir,
    } = Desk::open("");
    let trigger = |flag: &str| {
        let out = x
            .command(desktop_bin().to_str().unwrap())
            .arg(flag)
            .env("XDG_RUNTIME_DIR", runtime_dir(dir.path()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let jfk = load_clip("jfk.wav");
    app.dictate(&mic, &jfk, || trigger("--toggle"), || trigger("--toggle"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(JFK, &typed);
    assert!(wer <= 0.15, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
}

#[test]
fn hands_free_a_tap_then_speech_is_typed_when_the_speaker_stops() {
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir: _dir,
    } = Desk::open("mode = \"hands_free\"\n[output]\nmethod = \"type\"\n");
    // One tap; after the speech nobody touches a key.
    let tap = || {
        std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
        x.xdotool(&["key", HOTKEY]);
    };
    app.dictate(&mic, &common::jfk_sentence(), tap, || {});
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(JFK, &typed);
    assert!(wer <= 0.15, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
    let log = app.log_text();
    assert!(log.contains("listening hands-free"), "{log}");
    assert!(log.contains("hands-free dictation ended by Turn"), "{log}");
}

/// Hands-free with a 0.6 s silence rule: one tap, then `paused` (speech with a pause in
/// mid-sentence, ended there); waits for the dictation, its follow-on and the window after it
/// closing with nothing said. The desk and the line typed into the xterm.
fn dictate_cut_at_a_pause(paused: &[f32]) -> (Desk, String) {
    let mut desk = Desk::open(
        "mode = \"hands_free\"\n[output]\nmethod = \"type\"\n\
         [hands_free]\nuntil = \"silence\"\nend_silence_ms = 600\n",
    );
    let x = &desk.x;
    let tap = || {
        std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
        x.xdotool(&["key", HOTKEY]);
    };
    desk.app.dictate(&desk.mic, paused, tap, || {});
    desk.app
        .wait_log_count("dictation:", 2, Duration::from_secs(60));
    desk.app
        .wait_log("nothing more was said", Duration::from_secs(30));
    let typed = desk.target.wait_for_line(&desk.x, Duration::from_secs(10));
    (desk, typed)
}

/// Hands-free with a short silence rule, and a speaker who pauses 1.2 s in mid-sentence: the
/// dictation ends at the pause and is typed; the speech that resumes goes on in a follow-on,
/// typed right after it on the same line. Then the window closes with nothing said.
#[test]
fn hands_free_speech_resumed_after_the_end_is_typed_right_after_it() {
    let (desk, typed) = dictate_cut_at_a_pause(&common::quilter_paused_after_middle(1.2));
    let app = &desk.app;
    let wer = utter::eval::word_error_rate(common::QUILTER, &typed);
    assert!(wer <= 0.25, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
    let log = app.log_text();
    assert_eq!(
        log.matches("hands-free dictation ended by Silence").count(),
        2,
        "{log}"
    );
    // The indicator said so after each: the window after the follow-on closed empty.
    assert_eq!(log.matches("listening for more").count(), 2, "{log}");
    // Two dictations in the history, each with its audio; the empty window left nothing.
    let history =
        utter::history::History::open(&app.data.join("history.sqlite3")).expect("history");
    let entries = history.search("", 10).unwrap();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert!(
        entries
            .iter()
            .all(|e| e.audio_path.as_ref().is_some_and(|p| p.exists()))
    );
    let recordings = std::fs::read_dir(app.data.join("recordings"))
        .unwrap()
        .count();
    assert_eq!(recordings, 2, "no file left by the empty window");
}

/// "I have a thousand thoughts — [1.2 s] — about that thing": the silence rule ends the
/// dictation at the pause and it is typed with the full stop the recogniser closed it with.
/// The speaker goes on; heard in context the seam is no sentence end, so the full stop (and
/// the space after it) is erased in the window and the follow-on goes on with the sentence.
#[test]
fn hands_free_a_sentence_cut_at_a_pause_is_typed_whole_across_the_seam() {
    let paused = common::with_room_tone("en_spont_thoughts", 1.6, 1.2);
    let (desk, typed) = dictate_cut_at_a_pause(&paused);
    let app = &desk.app;
    let log = app.log_text();
    assert_eq!(
        typed.trim_end(),
        "I have a thousand thoughts about that thing.",
        "{log}"
    );
    // The first part was typed with its full stop, then that was taken back.
    let history =
        utter::history::History::open(&app.data.join("history.sqlite3")).expect("history");
    let entries = history.search("", 10).unwrap();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let texts: Vec<&str> = entries.iter().filter_map(|e| e.text()).collect();
    assert!(texts.contains(&"I have a thousand thoughts."), "{texts:?}");
}

#[test]
fn dictation_is_never_typed_into_utters_own_settings_window() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let mut app = start_with(&x, &mic, dir.path(), "", &["--settings"], &[]);
    let settings_window = x.window_named("Utter — Settings");
    x.focus(&settings_window);
    dictate(&x, &mic, &mut app, &load_clip("jfk.wav"));
    let log = app.log_text();
    assert!(log.contains("Utter's own"), "{log}");
    // The words are not lost: they are in the history.
    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let entry = history
        .last_with_text()
        .unwrap()
        .expect("kept in the history");
    let text = entry.text().unwrap_or_default();
    assert!(utter::eval::word_error_rate(JFK, text) <= 0.15, "{text}");
}

#[test]
fn the_llm_cleans_dictations_and_shift_keeps_the_raw_text() {
    const CLEANED: &str = "And so, my fellow Americans: ask not what your country can do for \
                           you — ask what you can do for your country.";
    let server = LlmServer::always(Reply::text(CLEANED));
    let env = [
        ("UTTER_LLM_BASE_URL", server.url.as_str()),
        ("UTTER_LLM_MODEL", "test-model"),
    ];
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir: _dir,
    } = Desk::open_with(whisper_tiny(), "", &env);
    dictate(&x, &mic, &mut app, &load_clip("jfk.wav"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    assert_eq!(typed, format!("{CLEANED}\n"), "{}", app.log_text());
    assert_eq!(server.chat_requests().len(), 1);

    // Shift held as well: this dictation skips the LLM.
    key_down(&x, "ctrl+alt+shift+space");
    app.wait_log_count("state: recording", 2, Duration::from_secs(10));
    mic.play(&load_clip("jfk.wav"));
    app.wait_played(&mic, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(400));
    x.xdotool(&["keyup", "ctrl+alt+shift+space"]);
    app.wait_log_count("dictation:", 2, Duration::from_secs(60));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let second = typed.lines().nth(1).unwrap_or_default();
    assert!(
        utter::eval::word_error_rate(JFK, second) <= 0.15,
        "{second}"
    );
    assert_ne!(second.trim(), CLEANED);
    assert_eq!(
        server.chat_requests().len(),
        1,
        "no LLM call for the raw dictation"
    );

    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let entries = history.search("", 10).unwrap();
    assert_eq!(entries[0].cleanup_reason.as_deref(), Some("raw_requested"));
    assert_eq!(entries[1].cleanup_reason.as_deref(), Some("cleaned"));
    assert!(entries[1].timings.contains_key("llm"));
}

#[test]
fn a_dictation_killed_with_the_app_is_recovered_at_the_next_start_and_not_typed() {
    let Desk {
        x,
        mic,
        target,
        mut app,
        dir,
    } = Desk::open("");
    // The key is held and "And so my fellow Americans, ask not …" is being said when the app
    // is killed outright.
    key_down(&x, HOTKEY);
    app.wait_log("state: recording", Duration::from_secs(10));
    mic.play(&load_clip("jfk.wav")[..16_000 * 6]);
    app.wait_played(&mic, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    app.child.kill().unwrap();
    app.child.wait().unwrap();
    x.xdotool(&["keyup", HOTKEY]);
    drop(app);

    let mut app = start(&x, &mic, dir.path(), "");
    app.wait_log(
        "Utter was stopped during a dictation",
        Duration::from_secs(90),
    );
    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let entry = history.search("", 10).unwrap().remove(0);
    assert_eq!(entry.status, utter::history::Status::Recovered, "{entry:?}");
    let text = entry.text().unwrap_or_default().to_lowercase();
    assert!(text.contains("fellow americans"), "{text}");
    assert!(entry.audio_s > 4.0, "the audio up to the kill: {entry:?}");
    // Its words stay out of the log, even at debug level.
    assert!(!app.log_text().to_lowercase().contains("fellow americans"));

    // Offered in the history and the tray, never typed: the next dictation is the only text
    // that arrives in the terminal.
    dictate(&x, &mic, &mut app, &load_clip("beckett.wav"));
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    let wer = utter::eval::word_error_rate(common::BECKETT, &typed);
    assert!(wer <= 0.3, "{typed:?}\n{}", app.log_text());
}
