//! The active window in Hyprland, through its request socket (`j/activewindow`).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::Target;

fn socket() -> Option<PathBuf> {
    let signature = std::env::var_os("HYPRLAND_INSTANCE_SIGNATURE")?;
    // Newer Hyprland keeps it under the runtime dir, older under /tmp.
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("hypr"));
    [runtime, Some(PathBuf::from("/tmp/hypr"))]
        .into_iter()
        .flatten()
        .map(|dir| dir.join(&signature).join(".socket.sock"))
        .find(|p| p.exists())
}

pub fn focused() -> Option<Target> {
    let mut stream = UnixStream::connect(socket()?).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(b"j/activewindow").ok()?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).ok()?;
    active_window(&serde_json::from_slice(&reply).ok()?)
}

pub(super) fn active_window(window: &Value) -> Option<Target> {
    let app = window["class"]
        .as_str()
        .filter(|c| !c.is_empty())
        .or_else(|| window["initialClass"].as_str())?;
    Some(Target {
        app: app.to_string(),
        instance: None,
        title: window["title"].as_str().unwrap_or_default().to_string(),
        window: window["address"].as_str().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_active_window_reply_gives_class_title_and_address() {
        let reply = serde_json::json!({"address": "0x55d0", "class": "kitty", "title": "vim", "initialClass": "kitty"});
        let t = active_window(&reply).unwrap();
        assert_eq!(
            (t.app.as_str(), t.title.as_str(), t.window.as_str()),
            ("kitty", "vim", "0x55d0")
        );
        assert!(active_window(&serde_json::json!({})).is_none());
    }
}
