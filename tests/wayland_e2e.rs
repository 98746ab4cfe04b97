//! End to end in a real Wayland compositor: headless sway (as an unprivileged user), its own
//! key bindings running `utter-desktop --press/--release/--toggle/--cancel` exactly as the
//! README tells users to set them up, a virtual microphone playing real speech, and the text
//! arriving in a native Wayland terminal (foot) through the virtual-keyboard protocol.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::desktop_app::{App, Launch, desktop_bin};
use common::portal::{Asked, ShortcutsPortal};
use common::sway::{FootTarget, Sway};
use common::virtual_mic::VirtualMic;
use common::{BECKETT, JFK, load_clip, models_dir};

/// The recording indicator's background (#111827, in layer_indicator.rs).
const INDICATOR_BACKGROUND: [u8; 3] = [0x11, 0x18, 0x27];

/// The sway lines from the README, with this build's binary.
fn bindings() -> String {
    let bin = desktop_bin();
    let bin = bin.display();
    format!(
        "bindsym --no-repeat Ctrl+Mod1+space exec {bin} --press\n\
         bindsym --release Ctrl+Mod1+space exec {bin} --release\n\
         bindsym --no-repeat Ctrl+Mod1+t exec {bin} --toggle\n\
         bindsym --no-repeat Ctrl+Mod1+c exec {bin} --cancel\n"
    )
}

struct Desktop {
    sway: Sway,
    mic: VirtualMic,
}

impl Desktop {
    fn start() -> Desktop {
        let sway = Sway::start(&bindings());
        let mic = VirtualMic::start_as(Some(sway.account));
        Desktop { sway, mic }
    }

    fn app(&self, settings_toml: &str, args: &[&str]) -> App {
        self.app_with_env(settings_toml, args, &[])
    }

    fn app_with_env(&self, settings_toml: &str, args: &[&str], env: &[(&str, String)]) -> App {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let dir = self.sway.user_dir("app");
        let cmd = self.sway.command(desktop_bin().to_str().unwrap());
        let launch = Launch {
            model: models_dir().join("ggml-tiny.en-q8_0.bin"),
            settings_toml,
            args,
            env: &env,
            owner: Some(self.sway.account),
        };
        App::launch(cmd, &self.mic, &dir, launch)
    }

    /// Hold Ctrl+Alt+Space on a virtual keyboard while the microphone plays `samples`: sway's
    /// press and release bindings fire as for a real keyboard.
    fn push_to_talk(&self, app: &mut App, samples: &[f32]) {
        self.push_to_talk_noting(app, samples, || {});
    }

    /// The same, running `before_release` just before the key comes up.
    fn push_to_talk_noting(&self, app: &mut App, samples: &[f32], before_release: impl FnOnce()) {
        // wtype holds the chord for a fixed time, long enough for the clip and the wait.
        let hold_ms = samples.len() as u64 * 1000 / 16_000 + 3000;
        let hold = std::cell::RefCell::new(None);
        let press = || {
            let child = self
                .sway
                .command("wtype")
                .args(["-M", "ctrl", "-M", "alt", "-P", "space", "-s"])
                .arg(hold_ms.to_string())
                .args(["-p", "space", "-m", "alt", "-m", "ctrl"])
                .stdout(Stdio::null())
                .spawn()
                .expect("wtype runs");
            *hold.borrow_mut() = Some(child);
        };
        let release = || {
            before_release();
            if let Some(mut child) = hold.borrow_mut().take() {
                let _ = child.wait();
            }
        };
        app.dictate(&self.mic, samples, press, release);
    }

    fn chord(&self, key: &str) {
        self.sway.run(
            "wtype",
            &[
                "-M", "ctrl", "-M", "alt", "-k", key, "-m", "alt", "-m", "ctrl",
            ],
        );
    }
}

/// How much of the middle of the recording indicator's place shows its background.
fn indicator_share(shot: &common::sway::Screenshot) -> f64 {
    let (w, h) = (shot.width, shot.height);
    // 260 × 44, 48 px above the bottom edge, centred: its middle, clear of round corners.
    shot.share_of((w / 2 - 100, h - 48 - 34, 200, 24), INDICATOR_BACKGROUND)
}

fn assert_close(reference: &str, typed: &str, bound: f64, app: &App) {
    let wer = utter::eval::word_error_rate(reference, typed);
    assert!(wer <= bound, "WER {wer:.2}: {typed:?}\n{}", app.log_text());
}

#[test]
fn push_to_talk_through_sway_bindings_types_into_a_native_wayland_window() {
    let desktop = Desktop::start();
    let target = FootTarget::open(&desktop.sway);
    let mut app = desktop.app("[output]\nmethod = \"type\"\n", &[]);
    // The log says which trigger and output paths are in use, and why.
    let log = app.log_text();
    assert!(log.contains("control socket:"), "{log}");
    // No session bus here, so no portal: the compositor's bindings, and the user is told so.
    app.wait_log(
        "trigger: your compositor's key bindings",
        Duration::from_secs(10),
    );
    for said in [
        "session: Wayland; trigger: the desktop's GlobalShortcuts portal where it has one",
        "no D-Bus session bus, so no desktop portal",
        "typing: the Wayland virtual keyboard",
        "pasting: the Wayland clipboard (data-control)",
    ] {
        assert!(log.contains(said), "{said:?} not in\n{log}");
    }

    assert!(
        log.contains("recording indicator: a layer-shell overlay"),
        "{log}"
    );

    // While the key is held the indicator shows (its dark blue over the terminal, bottom
    // centre) without taking the keyboard: the words still arrive in foot.
    let shots = std::cell::RefCell::new(Vec::new());
    let during = || shots.borrow_mut().push(desktop.sway.screenshot());
    desktop.push_to_talk_noting(&mut app, &load_clip("jfk.wav"), during);
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    assert_close(JFK, &typed, 0.15, &app);
    assert!(typed.ends_with(" \n"), "trailing space: {typed:?}");
    let after = desktop.sway.screenshot();
    let during = shots
        .borrow_mut()
        .pop()
        .expect("a screenshot while recording");
    assert!(
        indicator_share(&during) > 0.5,
        "indicator seen: {}",
        indicator_share(&during)
    );
    assert!(
        indicator_share(&after) < 0.01,
        "indicator gone: {}",
        indicator_share(&after)
    );
    assert!(
        app.log_text()
            .contains("typing through the Wayland virtual keyboard"),
        "{}",
        app.log_text()
    );
    let entry = app.last_dictation();
    assert_eq!(entry.status, utter::history::Status::Delivered);
    // sway's IPC named the window in front: foot, with its app id, for profiles to match.
    assert_eq!(
        entry.target_app.as_deref(),
        Some("utter-target"),
        "{entry:?}"
    );
    assert!(app.log_text().contains("dictating into utter-target"));

    // A second dictation, other characters: the same keyboard with a new keymap.
    desktop.push_to_talk(&mut app, &load_clip("beckett.wav"));
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    let second = typed.lines().nth(1).unwrap_or_default();
    assert_close(BECKETT, second, 0.3, &app);
}

#[test]
fn paste_mode_pastes_and_restores_the_previous_wayland_clipboard() {
    let desktop = Desktop::start();
    let target = FootTarget::open(&desktop.sway);
    // What the user had copied, served by wl-copy until someone else takes the clipboard.
    let mut copier = desktop
        .sway
        .command("wl-copy")
        .args(["--foreground", "what the user had copied"])
        .spawn()
        .expect("wl-copy runs");
    desktop
        .sway
        .wait_clipboard("what the user had copied", Duration::from_secs(10));
    // foot pastes with Ctrl+Shift+V, like most terminals.
    let settings = "[output]\nmethod = \"paste\"\npaste_keys = \"ctrl_shift_v\"\n";
    let mut app = desktop.app(settings, &[]);
    desktop.push_to_talk(&mut app, &load_clip("jfk.wav"));
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    assert_close(JFK, &typed, 0.15, &app);
    assert_eq!(
        desktop.sway.clipboard().as_deref(),
        Some("what the user had copied"),
        "{}",
        app.log_text()
    );
    let _ = copier.kill();
    let _ = copier.wait();
}

#[test]
fn toggle_cancel_and_silence_through_sway_bindings_typing_with_wtype() {
    let desktop = Desktop::start();
    let target = FootTarget::open(&desktop.sway);
    // A portal without GlobalShortcuts, as wlroots desktops have: the app falls back to the
    // compositor's bindings and says why.
    let portal = ShortcutsPortal::start_without_shortcuts(&desktop.sway);
    // The user's choice of typing tool (the fallback where there is no virtual keyboard).
    let settings = "[output]\nwayland_typing = \"wtype\"\n";
    let mut app = desktop.app_with_env(settings, &[], &portal.env());
    app.wait_log(
        "trigger: your compositor's key bindings running utter-desktop --press/--release (or \
         --toggle): this desktop's xdg-desktop-portal offers no GlobalShortcuts",
        Duration::from_secs(20),
    );

    // Two seconds of silence, held: nothing is typed.
    desktop.push_to_talk(&mut app, &vec![0.0; 32_000]);

    // Toggle on, speak, cancel: dropped.
    desktop.chord("t");
    app.wait_log_count("state: recording", 2, Duration::from_secs(10));
    let speech = load_clip("jfk.wav");
    desktop.mic.play(&speech[..16_000 * 3]);
    desktop.mic.wait_played(Duration::from_secs(20));
    desktop.chord("c");
    app.wait_log("cancelled", Duration::from_secs(10));

    // Toggle on, speak, toggle off: this one arrives, and only this one.
    desktop.chord("t");
    app.wait_log_count("state: recording", 3, Duration::from_secs(10));
    desktop.mic.play(&load_clip("beckett.wav"));
    desktop.mic.wait_played(Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(400));
    desktop.chord("t");
    app.wait_log_count("dictation:", 2, Duration::from_secs(60));
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    assert_close(BECKETT, &typed, 0.3, &app);
    assert!(
        app.log_text().contains("typing through wtype"),
        "{}",
        app.log_text()
    );
}

#[test]
fn the_desktops_global_shortcuts_portal_gives_push_to_talk() {
    let desktop = Desktop::start();
    let target = FootTarget::open(&desktop.sway);
    let portal = ShortcutsPortal::start(&desktop.sway);
    let mut app = desktop.app_with_env("[output]\nmethod = \"type\"\n", &[], &portal.env());
    // Utter proposes its hotkey (the default, Ctrl+Alt+Space) in the portal's spelling, and
    // the Shift variant that skips the LLM clean-up.
    let asked = portal.wait_bound(Duration::from_secs(20));
    let want = |id: &str, trigger: &str| Asked {
        id: id.into(),
        preferred_trigger: Some(trigger.into()),
    };
    assert_eq!(
        asked,
        [
            want("dictate", "CTRL+ALT+space"),
            want("dictate-raw", "SHIFT+CTRL+ALT+space")
        ]
    );
    app.wait_log(
        "trigger: the desktop's GlobalShortcuts portal: hold CTRL+ALT+space to talk",
        Duration::from_secs(10),
    );

    // The desktop reports the key going down and, after the speech, coming up.
    let press = || portal.press("dictate");
    let release = || portal.release("dictate");
    app.dictate(&desktop.mic, &load_clip("jfk.wav"), press, release);
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    assert_close(JFK, &typed, 0.15, &app);
    assert_eq!(
        app.last_dictation().status,
        utter::history::Status::Delivered
    );
}

/// Hands-free on Wayland: a tap through sway's binding starts it, the speaker pauses 1.2 s
/// mid-sentence, the silence rule ends the dictation there, and the rest of the sentence,
/// heard while the overlay says it is still listening, follows it into foot without a tap.
#[test]
fn hands_free_a_pause_mid_sentence_is_followed_on_in_a_native_wayland_window() {
    let desktop = Desktop::start();
    let target = FootTarget::open(&desktop.sway);
    let mut app = desktop.app(
        "mode = \"hands_free\"\n[output]\nmethod = \"type\"\n\
         [hands_free]\nuntil = \"silence\"\nend_silence_ms = 600\n",
        &[],
    );
    app.wait_log(
        "trigger: your compositor's key bindings",
        Duration::from_secs(10),
    );
    desktop.chord("t");
    app.wait_log("state: recording", Duration::from_secs(10));
    let mut speech = common::quilter_paused_after_middle(1.2);
    speech.extend(std::iter::repeat_n(0.0, 16_000 * 3));
    desktop.mic.play(&speech);
    app.wait_log("listening for more", Duration::from_secs(30));
    let listening = desktop.sway.screenshot();
    app.wait_played(&desktop.mic, Duration::from_secs(30));
    app.wait_log_count("dictation:", 2, Duration::from_secs(60));
    app.wait_log("nothing more was said", Duration::from_secs(30));
    let typed = target.wait_for_line(&desktop.sway, Duration::from_secs(10));
    eprintln!("typed in two dictations: {typed:?}");
    assert_close(common::QUILTER, &typed, 0.25, &app);
    let log = app.log_text();
    assert_eq!(
        log.matches("hands-free dictation ended by Silence").count(),
        2,
        "{log}"
    );
    // The overlay stayed up while it listened for more, and is gone once nothing more came.
    let after = desktop.sway.screenshot();
    assert!(indicator_share(&listening) > 0.5, "{log}");
    assert!(indicator_share(&after) < 0.01);
}

#[test]
fn dictation_never_goes_into_utters_own_window_on_wayland() {
    let desktop = Desktop::start();
    let _target = FootTarget::open(&desktop.sway);
    let mut app = desktop.app("", &["--settings"]);
    desktop
        .sway
        .wait_focused("Utter — Settings", Duration::from_secs(30));
    desktop.push_to_talk(&mut app, &load_clip("jfk.wav"));
    let log = app.log_text();
    assert!(log.contains("Utter's own"), "{log}");
    let entry = app.last_dictation();
    let text = entry.text().unwrap_or_default();
    assert!(utter::eval::word_error_rate(JFK, text) <= 0.15, "{text}");
}

#[test]
fn the_trigger_commands_need_a_running_utter() {
    let sway = Sway::start("");
    let out = sway
        .command(desktop_bin().to_str().unwrap())
        .arg("--press")
        .output()
        .unwrap();
    assert!(!out.status.success(), "no Utter runs: the command fails");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Utter is not running"), "{stderr}");
    assert!(
        stderr.contains(&*sway.runtime_dir().join("utter").to_string_lossy()),
        "names the socket: {stderr}"
    );
}
