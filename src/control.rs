//! Driving the running desktop app from outside: `utter-desktop --press` (and `--release`,
//! `--toggle`, `--cancel`) send one word over a local socket. This is how a Wayland compositor's
//! own key bindings (sway `bindsym`, Hyprland `bind`/`bindr`, GNOME and KDE custom shortcuts)
//! reach the session where an X11 key grab cannot.
//!
//! The socket lives in `$XDG_RUNTIME_DIR/utter/` (private to the user by definition), else in
//! the data dir, and is made owner-only. One line in, one line out: `press` → `ok`.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A client that says nothing for this long is dropped, so one stuck client blocks no one.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest line a client may send.
const MAX_LINE: u64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// The dictation key went down.
    Press,
    /// The dictation key came up.
    Release,
    /// Start a dictation, or stop the one being recorded (for shortcuts that cannot see a release).
    Toggle,
    /// Drop the dictation being recorded.
    Cancel,
    /// Open the settings window (a second `utter-desktop` started without a command).
    ShowSettings,
}

impl Command {
    pub const ALL: [Command; 5] = [
        Command::Press,
        Command::Release,
        Command::Toggle,
        Command::Cancel,
        Command::ShowSettings,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Command::Press => "press",
            Command::Release => "release",
            Command::Toggle => "toggle",
            Command::Cancel => "cancel",
            Command::ShowSettings => "settings",
        }
    }

    pub fn parse(word: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.word() == word.trim())
    }
}

/// How to bind the dictation key on one kind of desktop.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyBindingSetup {
    pub desktop: &'static str,
    /// Where the lines go.
    pub place: &'static str,
    pub lines: Vec<String>,
    /// Whether the desktop reports the key's release (push-to-talk) or only taps (toggle).
    pub push_to_talk: bool,
}

/// The set-up lines for each desktop, running `program` (the README shows them for
/// `utter-desktop`; the settings window for this very binary).
pub fn key_binding_setups(program: &str) -> Vec<KeyBindingSetup> {
    let gnome_key = "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/utter/";
    let gnome_schema =
        format!("org.gnome.settings-daemon.plugins.media-keys.custom-keybinding:{gnome_key}");
    vec![
        KeyBindingSetup {
            desktop: "sway / i3",
            place: "~/.config/sway/config",
            lines: vec![
                format!("bindsym --no-repeat Ctrl+Mod1+space exec {program} --press"),
                format!("bindsym --release Ctrl+Mod1+space exec {program} --release"),
                format!("bindsym --no-repeat Ctrl+Mod1+c exec {program} --cancel"),
            ],
            push_to_talk: true,
        },
        KeyBindingSetup {
            desktop: "Hyprland",
            place: "~/.config/hypr/hyprland.conf",
            lines: vec![
                format!("bind = CTRL ALT, space, exec, {program} --press"),
                format!("bindr = CTRL ALT, space, exec, {program} --release"),
            ],
            push_to_talk: true,
        },
        KeyBindingSetup {
            desktop: "GNOME",
            place: "a terminal (or Settings → Keyboard → Custom Shortcuts)",
            lines: vec![
                format!(
                    "gsettings set org.gnome.settings-daemon.plugins.media-keys custom-keybindings \"['{gnome_key}']\""
                ),
                format!("gsettings set {gnome_schema} name 'Utter'"),
                format!("gsettings set {gnome_schema} command '{program} --toggle'"),
                format!("gsettings set {gnome_schema} binding '<Control><Alt>space'"),
            ],
            push_to_talk: false,
        },
        KeyBindingSetup {
            desktop: "KDE Plasma",
            place: "System Settings → Keyboard → Shortcuts → Add New → Command or Script",
            lines: vec![format!("{program} --toggle")],
            push_to_talk: false,
        },
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "Utter is not running (nothing listens on {0}); start utter-desktop first, e.g. from your session's autostart"
    )]
    NotRunning(PathBuf),
    #[error("the control socket {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("Utter refused {command:?}: {reason}")]
    Refused { command: String, reason: String },
    #[error("another Utter already listens on {0}")]
    InUse(PathBuf),
    #[error(transparent)]
    NoHome(#[from] crate::paths::NoHomeDir),
}

/// Where the running app listens.
pub fn socket_path() -> Result<PathBuf, ControlError> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(|dir| PathBuf::from(dir).join("utter"));
    let dir = match runtime {
        Some(dir) => dir,
        None => crate::paths::data_dir()?,
    };
    Ok(dir.join("control.sock"))
}

/// Send one command to the running app and wait for its answer.
pub fn send(path: &Path, command: Command) -> Result<(), ControlError> {
    let io = |e| ControlError::Io(path.to_path_buf(), e);
    let mut stream = match UnixStream::connect(path) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(ControlError::NotRunning(path.to_path_buf()));
        }
        Err(e) => return Err(io(e)),
    };
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).map_err(io)?;
    writeln!(stream, "{}", command.word()).map_err(io)?;
    let mut answer = String::new();
    BufReader::new(stream.take(256))
        .read_line(&mut answer)
        .map_err(io)?;
    match answer.trim() {
        "ok" => Ok(()),
        other => Err(ControlError::Refused {
            command: command.word().to_string(),
            reason: other.trim_start_matches("error:").trim().to_string(),
        }),
    }
}

/// Listening for commands; the socket file is removed when this is dropped.
pub struct Server {
    path: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Listen on `path` and call `on_command` (on the listener's thread) for every command.
/// A socket file left by a process that died is replaced; a live one is an error.
pub fn serve(
    path: &Path,
    on_command: impl Fn(Command) + Send + 'static,
) -> Result<Server, ControlError> {
    let io = |e| ControlError::Io(path.to_path_buf(), e);
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(ControlError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = UnixListener::bind(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    std::thread::Builder::new()
        .name("utter-control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream, &on_command);
            }
        })
        .map_err(io)?;
    Ok(Server {
        path: path.to_path_buf(),
    })
}

fn answer(stream: UnixStream, on_command: &impl Fn(Command)) {
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let mut line = String::new();
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    if BufReader::new(stream.take(MAX_LINE))
        .read_line(&mut line)
        .is_err()
    {
        return;
    }
    let reply = match Command::parse(&line) {
        Some(command) => {
            on_command(command);
            "ok".to_string()
        }
        None => format!(
            "error: unknown command {:?} (known: {})",
            line.trim(),
            Command::ALL.map(Command::word).join(", ")
        ),
    };
    let _ = writeln!(writer, "{reply}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    #[test]
    fn commands_reach_the_server_in_order_and_unknown_words_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/utter/control.sock");
        let (tx, rx) = channel();
        let server = serve(&path, move |c| tx.send(c).unwrap()).unwrap();
        for command in Command::ALL {
            send(&path, command).unwrap();
            assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), command);
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "owner-only socket");
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);

        let mut raw = UnixStream::connect(&path).unwrap();
        writeln!(raw, "dance").unwrap();
        let mut reply = String::new();
        BufReader::new(raw).read_line(&mut reply).unwrap();
        assert!(
            reply.starts_with("error: unknown command \"dance\""),
            "{reply}"
        );
        assert!(rx.try_recv().is_err(), "nothing was done");

        // A second server on the same socket is refused while the first lives.
        assert!(matches!(serve(&path, |_| {}), Err(ControlError::InUse(_))));
        drop(server);
        assert!(!path.exists(), "the socket goes with the server");
    }

    #[test]
    fn the_readme_gives_the_same_key_binding_lines() {
        let readme = include_str!("../README.md");
        for setup in key_binding_setups("utter-desktop") {
            for line in setup.lines {
                assert!(readme.contains(&line), "README lacks {line:?}");
            }
        }
    }

    #[test]
    fn without_a_server_the_client_says_utter_is_not_running() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control.sock");
        let err = send(&path, Command::Press).unwrap_err();
        assert!(matches!(err, ControlError::NotRunning(_)), "{err}");
        assert!(err.to_string().contains("not running"), "{err}");
        // A stale socket file left by a crash is not a server either, and is replaced.
        drop(UnixListener::bind(&path).unwrap());
        assert!(matches!(
            send(&path, Command::Press),
            Err(ControlError::NotRunning(_))
        ));
        let (tx, rx) = channel();
        let _server = serve(&path, move |c| tx.send(c).unwrap()).unwrap();
        send(&path, Command::Toggle).unwrap();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            Command::Toggle
        );
    }
}
