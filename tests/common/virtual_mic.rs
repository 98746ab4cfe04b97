//! A real microphone for tests: a private PulseAudio daemon with a pipe source that we feed with
//! PCM in real time. Clients reach it through `PULSE_SERVER`, so ALSA's pulse plugin (and cpal on
//! top of it) capture from it exactly as from a hardware device.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

const CHUNK_SAMPLES: usize = 320; // 20 ms at 16 kHz
const CHUNK: Duration = Duration::from_millis(20);

pub struct VirtualMic {
    dir: TempDir,
    daemon: Child,
    queue: Sender<Vec<i16>>,
    playing: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
    feeder: Option<JoinHandle<()>>,
}

impl VirtualMic {
    /// Start the daemon and begin feeding silence: a pipe source that nobody writes to delivers
    /// no data at all, which a capture stack rightly reports as a stalled device.
    pub fn start() -> VirtualMic {
        VirtualMic::start_as(None)
    }

    /// The daemon run as `account` (a desktop session's user), so that user's programs can
    /// reach it.
    pub fn start_as(account: Option<super::sway::Account>) -> VirtualMic {
        let dir = match account {
            Some(account) => account.private_dir("utter-mic"),
            None => tempfile::Builder::new()
                .prefix("utter-mic")
                .tempdir()
                .expect("temp dir"),
        };
        let socket = dir.path().join("native");
        let fifo = dir.path().join("mic");
        let log = std::fs::File::create(dir.path().join("pulse.log")).expect("log file");
        let mut daemon = Command::new("pulseaudio");
        if let Some(account) = account {
            use std::os::unix::process::CommandExt;
            daemon.uid(account.uid).gid(account.gid);
        }
        let daemon = daemon
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--use-pid-file=no",
                "--system=false",
                "--log-target=stderr",
                "--log-level=info",
            ])
            .arg("-L")
            .arg(format!(
                "module-native-protocol-unix socket={} auth-anonymous=1",
                socket.display()
            ))
            .arg("-L")
            .arg(format!(
                "module-pipe-source source_name=utter_test_mic file={} format=s16le rate=16000 channels=1",
                fifo.display()
            ))
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("PULSE_SERVER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("pulseaudio starts (apt install pulseaudio)");

        let (queue, pending) = channel();
        let playing = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut mic = VirtualMic {
            dir,
            daemon,
            queue,
            playing: Arc::clone(&playing),
            stop: Arc::clone(&stop),
            feeder: None,
        };
        mic.wait_for(&socket);
        mic.wait_for(&fifo);
        // pulse opens its end read-write, so this open cannot block waiting for a reader.
        let pipe = OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("open the mic FIFO");
        mic.feeder = Some(std::thread::spawn(move || {
            feed(pipe, pending, playing, stop)
        }));
        mic
    }

    fn wait_for(&mut self, path: &Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !path.exists() {
            if let Ok(Some(status)) = self.daemon.try_wait() {
                panic!("pulseaudio exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "pulseaudio did not create {} in time:\n{}",
                path.display(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pulse.log")).unwrap_or_default()
    }

    pub fn server(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("native")
    }

    /// Point a client process at this daemon.
    pub fn connect(&self, cmd: &mut Command) {
        cmd.env("PULSE_SERVER", self.server());
    }

    /// Queue 16 kHz mono audio; it is written in real time after what is already queued.
    pub fn play(&self, samples: &[f32]) {
        let pcm: Vec<i16> = samples
            .iter()
            .map(|s| (s.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)
            .collect();
        *self.playing.lock().unwrap() += pcm.len();
        self.queue.send(pcm).expect("feeder is running");
    }

    /// Block until everything queued has been written.
    pub fn wait_played(&self, timeout: Duration) {
        self.wait_played_or_explain(timeout, String::new);
    }

    /// As `wait_played`; a failure also shows `context` (the log of the app that should have
    /// been recording) and the end of the daemon's log, where a stopped capture shows.
    pub fn wait_played_or_explain(&self, timeout: Duration, context: impl FnOnce() -> String) {
        let deadline = Instant::now() + timeout;
        while *self.playing.lock().unwrap() > 0 {
            if Instant::now() >= deadline {
                let log = self.log();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(60)..].join("\n");
                panic!(
                    "the clip did not finish playing: {} samples left; the feeder {}; \
                     {}\n--- the end of pulseaudio's log:\n{tail}",
                    *self.playing.lock().unwrap(),
                    match &self.feeder {
                        Some(f) if f.is_finished() => "has stopped",
                        Some(_) => "is blocked writing (nobody records from the source)",
                        None => "never started",
                    },
                    context(),
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pactl(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("pactl");
        self.connect(&mut cmd);
        cmd.args(args)
            .env("HOME", self.dir.path())
            .output()
            .expect("pactl runs")
    }

    /// Pull the plug: remove the source while a client may be recording from it.
    pub fn unplug(&self) {
        let out = self.pactl(&["unload-module", "module-pipe-source"]);
        assert!(
            out.status.success(),
            "unload failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for VirtualMic {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
        if let Some(feeder) = self.feeder.take() {
            let _ = feeder.join();
        }
    }
}

/// Write 20 ms chunks on a real-time clock: queued audio if any, silence otherwise.
fn feed(
    mut pipe: std::fs::File,
    pending: Receiver<Vec<i16>>,
    playing: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
) {
    let mut current: Vec<i16> = Vec::new();
    let mut pos = 0;
    let mut bytes = Vec::with_capacity(CHUNK_SAMPLES * 2);
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if pos >= current.len() {
            match pending.try_recv() {
                Ok(samples) => {
                    current = samples;
                    pos = 0;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => return,
            }
        }
        bytes.clear();
        let take = (current.len() - pos).min(CHUNK_SAMPLES);
        for s in &current[pos..pos + take] {
            bytes.extend_from_slice(&s.to_le_bytes());
        }
        bytes.resize(CHUNK_SAMPLES * 2, 0);
        pos += take;
        if take > 0 {
            let mut left = playing.lock().unwrap();
            *left = left.saturating_sub(take);
        }
        if pipe.write_all(&bytes).is_err() {
            // The source is gone (unplugged); nothing more to feed.
            *playing.lock().unwrap() = 0;
            return;
        }
        next += CHUNK;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}
