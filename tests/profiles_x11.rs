//! Per-application profiles and spoken commands in the real app under Xvfb: the same dictation
//! goes into two terminals and a GTK entry, each shaped by its profile (one matched by its
//! title); a command spoken between real sentences (synthesised by espeak-ng, checked to be
//! heard) breaks the lines; "scratch that" takes back exactly the previous
//! dictation, and nothing when the user typed since.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::desktop_app::App;
use common::virtual_mic::VirtualMic;
use common::xserver::{EntryTarget, TerminalTarget, XServer, espeak, joined};
use common::{JFK, load_clip, models_dir};

const HOTKEY: &str = "ctrl+alt+space";
const HARVARD: &str = "The child almost hurt the small dog.";

fn moonshine_tiny() -> PathBuf {
    models_dir().join("moonshine-tiny-en")
}

fn harvard() -> Vec<f32> {
    load_clip("../eval/audio/en_harvard_spk1_snt1.wav")
}

/// Hold the hotkey while the microphone plays `samples` into the focused `window`.
fn dictate(x: &XServer, mic: &VirtualMic, app: &mut App, window: &str, samples: &[f32]) {
    x.focus(window);
    std::thread::sleep(utter::hotkey::AUTO_REPEAT_WINDOW * 2);
    app.dictate(
        mic,
        samples,
        || {
            x.xdotool(&["keydown", HOTKEY]);
        },
        || {
            x.xdotool(&["keyup", HOTKEY]);
        },
    );
}

/// Wait until `terminal`'s file holds a full line, without pressing anything.
fn wait_for_submitted(terminal: &TerminalTarget, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = terminal.text();
        if text.contains('\n') || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn history(app: &App) -> Vec<utter::history::Entry> {
    let history = utter::history::History::open(&app.data.join("history.sqlite3")).unwrap();
    let mut all = history.search("", 50).unwrap();
    all.reverse();
    all
}

/// What the recogniser heard in the last dictation.
fn last_heard(app: &App) -> String {
    history(app)
        .last()
        .and_then(|e| e.raw_text.clone())
        .unwrap_or_default()
}

/// In a fresh entry: `before`, then "scratch that" spoken. The synthetic phrase through the
/// virtual microphone is now and then heard as other words ("Straps at."), which proves
/// nothing either way, so such an attempt is made again in another fresh entry (at most
/// three times). Returns the entry in which the command was heard.
fn say_scratch_that_after(
    x: &XServer,
    mic: &VirtualMic,
    app: &mut App,
    name: &str,
    before: impl Fn(&mut App, &EntryTarget),
) -> EntryTarget {
    let scratch = espeak("scratch that", 140);
    for attempt in 1..=3 {
        let entry = EntryTarget::open_named(x, &format!("{name}{attempt}"));
        before(app, &entry);
        dictate(x, mic, app, &entry.window, &scratch);
        let raw = last_heard(app);
        if raw.to_lowercase().trim_end_matches(['.', '!']) == "scratch that" {
            return entry;
        }
        eprintln!("attempt {attempt}: \"scratch that\" heard as {raw:?}");
    }
    panic!("\"scratch that\" was never heard in three attempts");
}

#[test]
fn each_window_gets_the_dictation_its_profile_asks_for() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let notes = TerminalTarget::open_named(&x, dir.path(), "notes");
    let shell = TerminalTarget::open_named(&x, dir.path(), "shell");
    let entry = EntryTarget::open(&x);
    // Notes is an xterm too: its title picks its profile first.
    let settings = r#"
[[profiles]]
name = "notes"
apps = ["xterm"]
title = "*-notes-*"
trailing_space = true

[[profiles]]
name = "shell"
apps = ["xterm"]
press_enter = true
"#;
    let mut app = App::on_x(&x, &mic, dir.path(), moonshine_tiny(), settings, &[], &[]);
    let clip = harvard();

    // The shell's profile sends Enter: the line arrives without anyone pressing Return, and
    // with no space before it.
    dictate(&x, &mic, &mut app, &shell.window, &clip);
    let line = wait_for_submitted(&shell, Duration::from_secs(10));
    // (The last mark is the recogniser's: under load Moonshine tiny has ended it with ",".)
    let text_then = |text: &str, ending: &str| {
        text.strip_suffix(ending)
            .is_some_and(|body| body.ends_with(|c: char| !c.is_whitespace()))
    };
    assert!(
        text_then(&line, "\n"),
        "submitted, no trailing space: {line:?}\n{}",
        app.log_text()
    );
    assert!(
        utter::eval::word_error_rate(HARVARD, &line) <= 0.2,
        "{line:?}"
    );

    // The notes profile: no Enter (nothing arrives until Return is pressed here), a space.
    dictate(&x, &mic, &mut app, &notes.window, &clip);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(notes.text(), "", "no Enter was sent to the notes window");
    let line = notes.wait_for_line(&x, Duration::from_secs(10));
    assert!(text_then(&line, " \n"), "trailing space: {line:?}");

    // A GTK entry matches no profile: the plain settings (a trailing space).
    dictate(&x, &mic, &mut app, &entry.window, &clip);
    let typed = entry.submit(&x);
    assert!(text_then(&typed, " "), "{typed:?}");
    assert!(
        utter::eval::word_error_rate(HARVARD, &typed) <= 0.2,
        "{typed:?}"
    );

    // The history says where each went and which profile shaped it; the log names the
    // application and profile but never a window title.
    let entries = history(&app);
    let went: Vec<(Option<&str>, Option<&str>)> = entries
        .iter()
        .map(|e| (e.target_app.as_deref(), e.profile.as_deref()))
        .collect();
    assert_eq!(
        went,
        [
            (Some("XTerm"), Some("shell")),
            (Some("XTerm"), Some("notes")),
            (Some("Zenity"), None)
        ]
    );
    assert!(
        entries[1]
            .target_title
            .as_deref()
            .unwrap()
            .contains("-notes-")
    );
    let log = app.log_text();
    assert!(
        log.contains("dictating into XTerm (profile shell)"),
        "{log}"
    );
    assert!(
        !log.contains("-notes-"),
        "a window title in the log:\n{log}"
    );
}

#[test]
fn spoken_commands_break_lines_and_scratch_that_takes_back_a_dictation() {
    let x = XServer::start();
    let mic = VirtualMic::start();
    let dir = tempfile::tempdir().unwrap();
    let terminal = TerminalTarget::open_named(&x, dir.path(), "term");
    // Decoded after the release, like `utter transcribe`, whose output the phrases were
    // checked against.
    let settings = "[speed]\nstrategy = \"batch\"\n";
    let mut app = App::on_x(&x, &mic, dir.path(), moonshine_tiny(), settings, &[], &[]);
    let (clip, jfk) = (harvard(), load_clip("jfk.wav"));

    // "new paragraph" between two real sentences: two line breaks (the terminal's own
    // profile sends no Enter, so the second sentence waits for Return).
    let speech = joined(&[&clip, &espeak("new paragraph", 110), &jfk], 0.8);
    dictate(&x, &mic, &mut app, &terminal.window, &speech);
    let raw = last_heard(&app);
    assert!(
        raw.to_lowercase().contains("new paragraph"),
        "the recogniser heard it: {raw:?}"
    );
    let typed = terminal.wait_for_line(&x, Duration::from_secs(10));
    let (first, rest) = typed
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("{typed:?}"));
    assert!(
        utter::eval::word_error_rate(HARVARD, first) <= 0.2,
        "{typed:?}"
    );
    assert!(utter::eval::word_error_rate(JFK, rest) <= 0.2, "{typed:?}");
    assert!(!typed.to_lowercase().contains("paragraph"), "{typed:?}");

    // "scratch that" takes back exactly the dictation before it.
    let entry = say_scratch_that_after(&x, &mic, &mut app, "scratch", |app, entry| {
        dictate(&x, &mic, app, &entry.window, &jfk);
    });
    dictate(&x, &mic, &mut app, &entry.window, &clip);
    let typed = entry.submit(&x);
    assert!(
        utter::eval::word_error_rate(HARVARD, &typed) <= 0.2,
        "only the last: {typed:?}"
    );
    assert!(!typed.to_lowercase().contains("americans"), "{typed:?}");

    // Typed something since: "scratch that" erases nothing, and says so.
    let entry = say_scratch_that_after(&x, &mic, &mut app, "kept", |app, entry| {
        dictate(&x, &mic, app, &entry.window, &clip);
        x.xdotool(&["type", "--window", &entry.window, "x"]);
    });
    app.wait_log_count(
        "nothing erased: you typed since",
        1,
        Duration::from_secs(10),
    );
    let typed = entry.submit(&x);
    assert!(
        typed.ends_with(". x"),
        "the dictation and the typed x stay: {typed:?}"
    );
}
