//! Text delivery into a native Wayland window (foot in headless sway): typed through the
//! virtual keyboard exactly, pasted through the Wayland clipboard with the previous one restored.

mod common;

use std::time::{Duration, Instant};

use common::sway::{FootTarget, Sway};
use common::utter_bin;

/// Accents, a dash, CJK and an emoji: none of them on the user's keyboard layout.
const TEXT: &str = "Hello, wörld — café naïve 東京 😀 123!";

fn utter_type(sway: &Sway, args: &[&str]) {
    common::succeed(
        sway.command(utter_bin().to_str().unwrap())
            .arg("type")
            .args(args),
    );
}

#[test]
fn typing_enters_unicode_text_exactly_every_time() {
    let sway = Sway::start("");
    let target = FootTarget::open(&sway);
    // Each run is a fresh connection: the first key must never be lost.
    for i in 0..5 {
        utter_type(&sway, &["--no-trailing-space", &format!("{i} {TEXT}\n")]);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while target.text().lines().count() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let expected: String = (0..5).map(|i| format!("{i} {TEXT}\n")).collect();
    assert_eq!(target.text(), expected);
}

#[test]
fn pasting_delivers_the_text_and_the_previous_clipboard_outlives_the_command() {
    let sway = Sway::start("");
    let target = FootTarget::open(&sway);
    let mut copier = sway
        .command("wl-copy")
        .args(["--foreground", "the user's own clipboard"])
        .spawn()
        .expect("wl-copy runs");
    sway.wait_clipboard("the user's own clipboard", Duration::from_secs(10));
    utter_type(&sway, &["--paste", "--paste-keys", "ctrl-shift-v", TEXT]);
    // utter has exited: its helper serves the restored clipboard.
    assert_eq!(
        sway.clipboard().as_deref(),
        Some("the user's own clipboard")
    );
    let typed = target.wait_for_line(&sway, Duration::from_secs(10));
    assert_eq!(typed, format!("{TEXT} \n"), "with the trailing space");
    let _ = copier.kill();
    let _ = copier.wait();
}
