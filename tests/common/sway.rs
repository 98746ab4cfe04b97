//! A real Wayland session for tests: headless sway (it refuses to run as root, so it runs as an
//! unprivileged user made here), `foot` as a native Wayland window to type into, and `wtype` as
//! the keyboard that presses the compositor's key bindings.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The unprivileged account the Wayland session runs as.
pub const USER: &str = "utter-wayland";

#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub uid: u32,
    pub gid: u32,
}

fn id(flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, USER]).output().ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// The test account, created on first use (tests run as root, as in CI).
pub fn account() -> Account {
    if id("-u").is_none() {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ])
            .status()
            .expect("useradd runs");
        // 9: created meanwhile by a parallel test.
        assert!(
            status.success() || status.code() == Some(9),
            "useradd {USER}: {status}"
        );
    }
    Account {
        uid: id("-u").expect("the test user exists"),
        gid: id("-g").expect("the test user has a group"),
    }
}

impl Account {
    /// Let the account reach `path` (the build's binaries, the shared models): a checkout
    /// under a private home (/root) has ancestors others cannot pass through. Grants passage
    /// (o+x) on those directories only, never reading their listings.
    pub fn reach(&self, path: &Path) {
        for dir in path.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(dir) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                eprintln!("letting {USER} pass through {} (o+x)", dir.display());
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o001))
                    .unwrap();
            }
        }
    }

    /// A private directory owned by this account.
    pub fn private_dir(&self, prefix: &str) -> TempDir {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        self.own(dir.path());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        dir
    }

    /// Give `path` and everything below it to this account.
    pub fn own(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid)).unwrap();
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                self.own(&entry.unwrap().path());
            }
        }
    }

    /// `program`, to be run as this account with only the environment given.
    pub fn command(&self, program: &str, home: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.uid(self.uid)
            .gid(self.gid)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", home)
            .env("LANG", "C.UTF-8");
        cmd
    }
}

pub struct Sway {
    pub account: Account,
    /// Home, runtime dir (XDG_RUNTIME_DIR) and logs of the session.
    dir: TempDir,
    child: Child,
}

impl Sway {
    /// Start sway with `config` (key bindings) added to a minimal configuration.
    pub fn start(config: &str) -> Sway {
        let account = account();
        account.reach(&super::utter_bin());
        account.reach(&super::models_dir().join("silero_vad.onnx"));
        if let Some(ort) = std::env::var_os("ORT_DYLIB_PATH") {
            account.reach(Path::new(&ort));
        }
        let dir = account.private_dir("utter-sway");
        let cfg = dir.path().join("sway.cfg");
        std::fs::write(&cfg, format!("xwayland disable\n{config}\n")).unwrap();
        let log = std::fs::File::create(dir.path().join("sway.log")).unwrap();
        account.own(dir.path());
        let mut cmd = account.command("sway", dir.path());
        let child = cmd
            .arg("-c")
            .arg(&cfg)
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sway starts (apt install sway)");
        let mut sway = Sway {
            account,
            dir,
            child,
        };
        let socket = sway.runtime_dir().join("wayland-1");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            if let Ok(Some(status)) = sway.child.try_wait() {
                panic!("sway exited ({status}):\n{}", sway.log());
            }
            assert!(
                Instant::now() < deadline,
                "sway made no socket:\n{}",
                sway.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sway
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sway.log")).unwrap_or_default()
    }

    /// `program` as a client of this session, as the session's user.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = self.account.command(program, self.dir.path());
        cmd.env("XDG_RUNTIME_DIR", self.dir.path())
            .env("WAYLAND_DISPLAY", "wayland-1")
            .env("XDG_SESSION_TYPE", "wayland");
        if let Some(ipc) = self.ipc_socket() {
            cmd.env("SWAYSOCK", ipc);
        }
        cmd
    }

    /// sway's IPC socket (`sway-ipc.<uid>.<pid>.sock`), for swaymsg.
    fn ipc_socket(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.dir.path())
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("sway-ipc."))
            })
    }

    /// The session's clipboard text (None: empty, or no text in it).
    pub fn clipboard(&self) -> Option<String> {
        let out = self
            .command("wl-paste")
            .args(["--no-newline", "--type", "text/plain"])
            .output()
            .expect("wl-paste runs (apt install wl-clipboard)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Wait until the clipboard holds `text`.
    pub fn wait_clipboard(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.clipboard().as_deref() != Some(text) {
            assert!(
                Instant::now() < deadline,
                "the clipboard never held {text:?} (it holds {:?})",
                self.clipboard()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Run a client to completion; panics with its stderr if it fails.
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The app id and title of the focused window.
    pub fn focused_window(&self) -> Option<String> {
        let tree: serde_json::Value =
            serde_json::from_str(&self.run("swaymsg", &["-t", "get_tree", "-r"])).ok()?;
        fn find(node: &serde_json::Value) -> Option<String> {
            if node["focused"].as_bool() == Some(true) {
                let app_id = node["app_id"].as_str().unwrap_or_default();
                let title = node["name"].as_str().unwrap_or_default();
                return Some(format!("{app_id} {title}"));
            }
            for key in ["nodes", "floating_nodes"] {
                for child in node[key].as_array().into_iter().flatten() {
                    if let Some(found) = find(child) {
                        return Some(found);
                    }
                }
            }
            None
        }
        find(&tree)
    }

    /// Wait until the focused window's app id or title contains `needle`.
    pub fn wait_focused(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let focused = self.focused_window();
            if focused.as_deref().is_some_and(|f| f.contains(needle)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never had the focus (focused: {focused:?})\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What the output shows now, overlays included (grim, through wlr-screencopy).
    pub fn screenshot(&self) -> Screenshot {
        let out = self
            .command("grim")
            .args(["-t", "ppm", "-"])
            .output()
            .expect("grim runs (apt install grim)");
        assert!(
            out.status.success(),
            "grim: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Screenshot::from_ppm(&out.stdout)
    }

    /// A private directory the session's user can write to.
    pub fn user_dir(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        self.account.own(&dir);
        dir
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An RGB picture of the output.
pub struct Screenshot {
    pub width: usize,
    pub height: usize,
    rgb: Vec<u8>,
}

impl Screenshot {
    /// Binary PPM (P6, 8-bit), as grim writes it.
    fn from_ppm(data: &[u8]) -> Screenshot {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while data[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !data[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
        }
        assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"));
        let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let rgb = data[at + 1..].to_vec();
        assert_eq!(rgb.len(), width * height * 3, "a whole picture");
        Screenshot { width, height, rgb }
    }

    /// The share of pixels in the rectangle (x, y, width, height) that are exactly `color`.
    pub fn share_of(&self, (x, y, w, h): (usize, usize, usize, usize), color: [u8; 3]) -> f64 {
        let mut hits = 0;
        for row in y..y + h {
            for col in x..x + w {
                let at = (row * self.width + col) * 3;
                hits += usize::from(self.rgb[at..at + 3] == color);
            }
        }
        hits as f64 / (w * h) as f64
    }
}

/// A native Wayland terminal (foot) running `cat > file`.
pub struct FootTarget {
    child: Child,
    pub file: PathBuf,
}

impl FootTarget {
    pub fn open(sway: &Sway) -> FootTarget {
        let dir = sway.user_dir("foot");
        let file = dir.join("typed.txt");
        let child = sway
            .command("foot")
            .args(["--app-id", "utter-target", "sh", "-c"])
            .arg(format!("stty -echo; cat > '{}'", file.display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("foot.log")).unwrap())
            .spawn()
            .expect("foot starts (apt install foot)");
        sway.wait_focused("utter-target", Duration::from_secs(20));
        FootTarget { child, file }
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.file).unwrap_or_default()
    }

    /// End the line (Return through a virtual keyboard) and wait until cat has written it;
    /// returns everything written so far.
    pub fn wait_for_line(&self, sway: &Sway, timeout: Duration) -> String {
        let lines_before = self.text().matches('\n').count();
        let deadline = Instant::now() + timeout;
        loop {
            // A fresh wtype connection occasionally loses its first key: press again if so.
            sway.run("wtype", &["-k", "Return"]);
            let retry = Instant::now() + Duration::from_secs(1);
            while Instant::now() < retry {
                let text = self.text();
                if text.matches('\n').count() > lines_before || Instant::now() > deadline {
                    return text;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for FootTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
