//! A private X server (Xvfb) on a free display, and target windows to deliver text into.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct XServer {
    pub display: String,
    child: Child,
}

impl XServer {
    /// Xvfb picks a free display itself (`-displayfd`), so parallel tests never collide.
    pub fn start() -> XServer {
        XServer::start_sized("1280x800")
    }

    /// A screen of `size` pixels ("1920x1080").
    pub fn start_sized(size: &str) -> XServer {
        use std::io::{BufRead, BufReader};
        let screen = format!("{size}x24");
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts (apt install xvfb)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("Xvfb reports its display");
        let n: u32 = line.trim().parse().expect("a display number");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "Xvfb :{n} has no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        XServer {
            display: format!(":{n}"),
            child,
        }
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.display);
        cmd
    }

    /// Run xdotool and return its stdout.
    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = self
            .command("xdotool")
            .args(args)
            .output()
            .expect("xdotool runs (apt install xdotool)");
        assert!(
            out.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The window whose title is `title`, once it exists.
    pub fn window_named(&self, title: &str) -> String {
        let out = self.xdotool(&["search", "--sync", "--onlyvisible", "--name", title]);
        out.lines().next().expect("a window").to_string()
    }

    /// A PNG of `window` as it is on the screen now, written to `path` (ImageMagick's
    /// import: WebKit's own WebDriver screenshot hangs under Xvfb).
    pub fn screenshot(&self, window: &str, path: &std::path::Path) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let out = self
            .command("import")
            .args(["-window", window, "-define", "png:exclude-chunks=date,time"])
            .arg(path)
            .output()
            .expect("import runs (apt install imagemagick)");
        assert!(
            out.status.success(),
            "import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn focus(&self, window: &str) {
        self.xdotool(&["windowfocus", "--sync", window]);
    }

    pub fn clipboard(&self) -> String {
        let out = self
            .command("xclip")
            .args(["-selection", "clipboard", "-o"])
            .output()
            .expect("xclip runs (apt install xclip)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Put text on the clipboard (xclip keeps serving it in the background).
    pub fn set_clipboard(&self, text: &str) {
        use std::io::Write;
        let mut child = self
            .command("xclip")
            .args(["-selection", "clipboard", "-i"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.clipboard() != text {
            assert!(Instant::now() < deadline, "clipboard never held {text:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for XServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A terminal running `cat > file`: whatever is typed into it ends up in the file.
pub struct TerminalTarget {
    child: Child,
    pub window: String,
    pub file: PathBuf,
}

impl TerminalTarget {
    pub fn open(x: &XServer, dir: &Path) -> TerminalTarget {
        TerminalTarget::open_named(x, dir, "typed")
    }

    /// Titled `utter-<name>-<pid>`, writing to `<name>.txt`: several terminals side by side.
    pub fn open_named(x: &XServer, dir: &Path, name: &str) -> TerminalTarget {
        let file = dir.join(format!("{name}.txt"));
        let title = format!("utter-{name}-{}", std::process::id());
        let child = x
            .command("xterm")
            .args(["-T", &title, "-geometry", "100x20+0+0", "-e", "sh", "-c"])
            .arg(format!("stty -echo; cat > '{}'", file.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xterm starts (apt install xterm)");
        let window = x.window_named(&title);
        x.focus(&window);
        TerminalTarget {
            child,
            window,
            file,
        }
    }

    /// What has arrived so far (cat writes each line as it is entered).
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.file).unwrap_or_default()
    }

    /// End the line and wait until cat has written it (or give up after `timeout`); returns
    /// everything written so far.
    pub fn wait_for_line(&self, x: &XServer, timeout: Duration) -> String {
        let lines_before = self.text().matches('\n').count();
        // End the line so cat writes it out.
        x.xdotool(&["key", "--window", &self.window, "Return"]);
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.text();
            if text.matches('\n').count() > lines_before || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for TerminalTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 16 kHz speech synthesised by espeak-ng (a US voice): for command phrases in tests. Check
/// that the recogniser hears it before relying on it (../shared/audio/README.md).
pub fn espeak(phrase: &str, words_per_minute: u32) -> Vec<f32> {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("phrase.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", &words_per_minute.to_string(), "-w"])
        .arg(&wav)
        .arg(phrase)
        .status()
        .expect("espeak-ng runs (apt install espeak-ng)");
    assert!(status.success());
    utter::audio::load_mono_16k(&wav).unwrap()
}

/// Clips one after another with `pause_s` of silence between them.
pub fn joined(parts: &[&[f32]], pause_s: f32) -> Vec<f32> {
    let gap = vec![0.0; (pause_s * 16_000.0) as usize];
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.extend(&gap);
        }
        out.extend(part.iter());
    }
    out
}

/// A GTK entry (zenity): pastes with Ctrl+V and prints its content when Return is pressed.
pub struct EntryTarget {
    child: Child,
    pub window: String,
}

impl EntryTarget {
    pub fn open(x: &XServer) -> EntryTarget {
        EntryTarget::open_named(x, "entry")
    }

    /// Titled `utter-<name>-<pid>`: several entries side by side.
    pub fn open_named(x: &XServer, name: &str) -> EntryTarget {
        let title = format!("utter-{name}-{}", std::process::id());
        let child = x
            .command("zenity")
            .args(["--entry", "--title", &title, "--text", "dictate here"])
            .env("GTK_A11Y", "none")
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("zenity starts (apt install zenity)");
        let window = x.window_named(&title);
        x.focus(&window);
        EntryTarget { child, window }
    }

    /// Press Return and read what the entry held.
    pub fn submit(mut self, x: &XServer) -> String {
        x.xdotool(&["key", "--window", &self.window, "Return"]);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            assert!(Instant::now() < deadline, "zenity did not close");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut out = String::new();
        use std::io::Read;
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        out.trim_end_matches('\n').to_string()
    }
}

impl Drop for EntryTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
