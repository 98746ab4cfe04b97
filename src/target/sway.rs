//! The focused window in sway (and i3-compatible compositors), through the IPC socket:
//! `GET_TREE`, then the node marked focused.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::Value;

use super::Target;

const MAGIC: &[u8] = b"i3-ipc";
const GET_TREE: u32 = 4;

pub fn focused() -> Option<Target> {
    let path = std::env::var_os("SWAYSOCK").or_else(|| std::env::var_os("I3SOCK"))?;
    let tree = request(&path, GET_TREE).ok()?;
    focused_in(&tree)
}

fn request(path: &std::ffi::OsStr, kind: u32) -> std::io::Result<Value> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut message = MAGIC.to_vec();
    message.extend(0u32.to_ne_bytes());
    message.extend(kind.to_ne_bytes());
    stream.write_all(&message)?;
    let mut header = [0u8; 14];
    stream.read_exact(&mut header)?;
    let len = u32::from_ne_bytes([header[6], header[7], header[8], header[9]]) as usize;
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload)?;
    serde_json::from_slice(&payload).map_err(std::io::Error::other)
}

/// The focused leaf of a sway tree.
pub(super) fn focused_in(node: &Value) -> Option<Target> {
    if node["focused"] == true && node["type"] != "workspace" && node["type"] != "output" {
        let app = node["app_id"]
            .as_str()
            .or_else(|| node["window_properties"]["class"].as_str())?;
        return Some(Target {
            app: app.to_string(),
            instance: node["window_properties"]["instance"]
                .as_str()
                .map(str::to_string),
            title: node["name"].as_str().unwrap_or_default().to_string(),
            window: node["id"].to_string(),
        });
    }
    ["nodes", "floating_nodes"]
        .iter()
        .flat_map(|key| node[*key].as_array().into_iter().flatten())
        .find_map(focused_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_focused_window_is_found_at_any_depth_native_or_xwayland() {
        let tree = serde_json::json!({"type": "root", "focused": false, "nodes": [
            {"type": "output", "focused": false, "nodes": [
                {"type": "workspace", "focused": false, "nodes": [
                    {"type": "con", "id": 7, "focused": false, "app_id": "firefox", "name": "Mail"},
                    {"type": "con", "id": 9, "focused": false, "nodes": [
                        {"type": "con", "id": 12, "focused": true, "app_id": "foot", "name": "~/src"}
                    ]}
                ], "floating_nodes": []}
            ]}
        ]});
        let target = focused_in(&tree).unwrap();
        assert_eq!(
            (
                target.app.as_str(),
                target.title.as_str(),
                target.window.as_str()
            ),
            ("foot", "~/src", "12")
        );
        let xwayland = serde_json::json!({"type": "root", "nodes": [], "floating_nodes": [
            {"type": "floating_con", "id": 3, "focused": true, "app_id": null, "name": "xterm",
             "window_properties": {"class": "XTerm", "instance": "xterm"}}
        ]});
        let target = focused_in(&xwayland).unwrap();
        assert_eq!(target.app, "XTerm");
        assert_eq!(target.instance.as_deref(), Some("xterm"));
        let nothing = serde_json::json!({"type": "root", "focused": true, "nodes": []});
        assert!(focused_in(&nothing).is_none());
    }
}
