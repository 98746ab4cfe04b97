//! Text delivery on a real X server: typed into a terminal, pasted into a GTK entry with the
//! previous clipboard restored.

mod common;

use std::time::Duration;

use common::utter_bin;
use common::xserver::{EntryTarget, TerminalTarget, XServer};

const TEXT: &str = "Hello, world. Café — naïve 123!";

fn utter_type(x: &XServer, args: &[&str]) {
    common::succeed(
        x.command(utter_bin().to_str().unwrap())
            .arg("type")
            .args(args),
    );
}

#[test]
fn typing_enters_unicode_text_exactly() {
    let x = XServer::start();
    let dir = tempfile::tempdir().unwrap();
    let target = TerminalTarget::open(&x, dir.path());
    utter_type(&x, &["--no-trailing-space", TEXT]);
    let typed = target.wait_for_line(&x, Duration::from_secs(10));
    assert_eq!(typed, format!("{TEXT}\n"));
}

#[test]
fn pasting_delivers_the_text_and_restores_the_clipboard() {
    let x = XServer::start();
    x.set_clipboard("the user's own clipboard");
    let entry = EntryTarget::open(&x);
    utter_type(&x, &["--paste", TEXT]);
    assert_eq!(x.clipboard(), "the user's own clipboard");
    let got = entry.submit(&x);
    assert_eq!(got, format!("{TEXT} "), "with the trailing space");
}
