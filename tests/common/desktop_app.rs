//! The real `utter-desktop` binary, started for a test in an X or Wayland session, and read
//! through its log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::virtual_mic::VirtualMic;

pub fn desktop_bin() -> PathBuf {
    let path = super::utter_bin().with_file_name("utter-desktop");
    assert!(
        path.exists(),
        "{} is missing: build it first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// How to start the app: the model, the settings file's text, extra arguments and variables.
pub struct Launch<'a> {
    pub model: PathBuf,
    pub settings_toml: &'a str,
    pub args: &'a [&'a str],
    pub env: &'a [(&'a str, &'a str)],
    /// The account the app runs as, which must own its files (None: this process's).
    pub owner: Option<super::sway::Account>,
}

/// A runtime dir of the test's own, so parallel apps never share a control socket.
pub fn runtime_dir(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let runtime = dir.join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    runtime
}

pub struct App {
    pub child: Child,
    log: PathBuf,
    pub data: PathBuf,
    pub config: PathBuf,
}

impl App {
    /// Start `cmd` (the desktop binary, prepared for its session) with config and data under
    /// `dir`, and wait until it is ready to dictate.
    pub fn launch(mut cmd: Command, mic: &VirtualMic, dir: &Path, launch: Launch) -> App {
        let config = dir.join("config");
        let data = dir.join("data");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(config.join("settings.toml"), launch.settings_toml).unwrap();
        if let Some(owner) = launch.owner {
            owner.own(dir);
        }
        let log = dir.join("app.log");
        cmd.arg("--model")
            .arg(&launch.model)
            .args(launch.args)
            .env("UTTER_CONFIG_DIR", &config)
            .env("UTTER_DATA_DIR", &data)
            .env("UTTER_MODELS_DIR", super::models_dir())
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("UTTER_LOG", "info,utter=debug")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("UTTER_LLM_BASE_URL")
            .envs(launch.env.iter().copied())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("app.stdout")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap());
        // Unless the launch says otherwise (a packaged app finds its own library).
        let ort_given = launch.env.iter().any(|(k, _)| *k == "ORT_DYLIB_PATH");
        if let Ok(ort) = std::env::var("ORT_DYLIB_PATH")
            && !ort_given
        {
            cmd.env("ORT_DYLIB_PATH", ort);
        }
        mic.connect(&mut cmd);
        let child = cmd.spawn().expect("utter-desktop starts");
        let mut app = App {
            child,
            log,
            data,
            config,
        };
        app.wait_log("ready", Duration::from_secs(60));
        app
    }

    /// The app on the X server `x`, with `model` and a settings file of `settings_toml`.
    pub fn on_x(
        x: &super::xserver::XServer,
        mic: &VirtualMic,
        dir: &Path,
        model: PathBuf,
        settings_toml: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> App {
        let mut cmd = x.command(desktop_bin().to_str().unwrap());
        cmd.env("XDG_RUNTIME_DIR", runtime_dir(dir));
        let launch = Launch {
            model,
            settings_toml,
            args,
            env,
            owner: None,
        };
        App::launch(cmd, mic, dir, launch)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn wait_log(&mut self, needle: &str, timeout: Duration) {
        self.wait_log_count(needle, 1, timeout);
    }

    /// Wait until `needle` appears `count` times in the app's log.
    pub fn wait_log_count(&mut self, needle: &str, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.log_text();
            if text.matches(needle).count() >= count {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("utter-desktop exited ({status}) waiting for {needle:?}:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the app log after {timeout:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One dictation: `start` it, wait until it records (anew: earlier recordings in the log
    /// do not count), play `samples` on the microphone, leave a moment of silence as a speaker
    /// does before letting go, `stop` it, and wait until it is done.
    pub fn dictate(
        &mut self,
        mic: &VirtualMic,
        samples: &[f32],
        start: impl FnOnce(),
        stop: impl FnOnce(),
    ) {
        let log = self.log_text();
        let recordings = log.matches("state: recording").count();
        let dictations = log.matches("dictation:").count();
        start();
        self.wait_log_count("state: recording", recordings + 1, Duration::from_secs(10));
        mic.play(samples);
        self.wait_played(mic, Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(400));
        stop();
        self.wait_log_count("dictation:", dictations + 1, Duration::from_secs(60));
    }

    /// Wait until `mic` has played everything queued; a failure shows this app's log too.
    pub fn wait_played(&self, mic: &VirtualMic, timeout: Duration) {
        mic.wait_played_or_explain(timeout, || format!("the app's log:\n{}", self.log_text()));
    }

    /// The texts the recording indicator was sent so far, in order.
    pub fn indicator_texts(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter_map(|line| {
                line.split_once("indicator text: ")
                    .map(|(_, t)| t.to_string())
            })
            .collect()
    }

    /// The last dictation in the history.
    pub fn last_dictation(&self) -> utter::history::Entry {
        let history = utter::history::History::open(&self.data.join("history.sqlite3")).unwrap();
        history.last_with_text().unwrap().expect("a history entry")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
