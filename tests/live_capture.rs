//! `utter listen` captures from a real (virtual) microphone through ALSA → PulseAudio → cpal.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use common::llm_server::{LlmServer, Reply};
use common::virtual_mic::VirtualMic;
use common::{JFK, jfk_sentence, load_clip, models_dir, utter_bin};

struct Listener {
    child: Child,
    stderr_lines: Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Listener {
    fn start(mic: &VirtualMic, data: &std::path::Path, extra: &[&str]) -> Listener {
        Listener::start_with(mic, data, extra, &[])
    }

    fn start_with(
        mic: &VirtualMic,
        data: &std::path::Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Listener {
        let whisper = models_dir().join("ggml-tiny.en-q8_0.bin");
        Listener::start_model(mic, data, &whisper, extra, env)
    }

    fn start_model(
        mic: &VirtualMic,
        data: &std::path::Path,
        model: &std::path::Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Listener {
        let mut cmd = Command::new(utter_bin());
        cmd.args(["listen", "--json", "--language", "en", "--wait-s", "20"])
            .arg("--model")
            .arg(model)
            .args(extra)
            .env("UTTER_MODELS_DIR", models_dir())
            .env("UTTER_DATA_DIR", data)
            .env("UTTER_CONFIG_DIR", data.join("config"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        mic.connect(&mut cmd);
        let mut child = cmd.spawn().expect("utter starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, stderr_lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Listener {
            child,
            stderr_lines,
            stderr_seen: Vec::new(),
        }
    }

    /// Wait until utter says it is capturing; speaking before that would be lost.
    fn wait_listening(&mut self, mic: &VirtualMic) {
        loop {
            match self.stderr_lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let ready = line.contains("listening on");
                    self.stderr_seen.push(line);
                    if ready {
                        return;
                    }
                }
                Err(_) => panic!(
                    "utter never started listening; stderr:\n{}\npulse:\n{}",
                    self.stderr_seen.join("\n"),
                    mic.log()
                ),
            }
        }
    }

    /// Play the JFK sentence; no Ctrl-C: the speaker finishing alone must stop the recording.
    /// Returns the JSON report, whose text must be right.
    fn hear_jfk(self, mic: &VirtualMic) -> serde_json::Value {
        mic.play(&jfk_sentence());
        let (ok, stdout, stderr) = self.finish(Duration::from_secs(90));
        assert!(ok, "utter listen failed:\n{stderr}");
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
        let text = report["text"].as_str().unwrap();
        let wer = utter::eval::word_error_rate(JFK, text);
        assert!(wer <= 0.15, "WER {wer:.2}: {text}");
        report
    }

    /// Wait for exit (killing it after `timeout`); returns (success, stdout, stderr).
    fn finish(mut self, timeout: Duration) -> (bool, String, String) {
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "utter listen did not finish in {timeout:?}; stderr:\n{}",
                    self.stderr_seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(2)) {
            self.stderr_seen.push(line);
        }
        (status.success(), stdout, self.stderr_seen.join("\n"))
    }
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn listen_ends_when_the_speaker_has_finished() {
    use std::os::unix::fs::PermissionsExt;
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    // A data folder an earlier version left readable by everyone, with an old recording.
    let old = data.path().join("recordings").join("old.wav");
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(&old, b"RIFF").unwrap();
    for (path, m) in [
        (data.path(), 0o755),
        (old.parent().unwrap(), 0o755),
        (&old, 0o644),
    ] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
    }
    let mut listener = Listener::start(&mic, data.path(), &[]);
    listener.wait_listening(&mic);
    let report = listener.hear_jfk(&mic);
    let text = report["text"].as_str().unwrap();
    assert!(report["device"].as_str().is_some(), "{report}");
    // Ended by the end-of-turn model, soon after the last word (its 0.8 s pause after "ask
    // not" in mid-sentence did not end it: the text is whole).
    assert_eq!(report["ended_by"], "turn", "{report}");
    // Before the 3 s silence limit (the wait includes decoding the last words).
    let end_wait = report["end_wait_ms"].as_f64().expect("end_wait_ms");
    assert!(end_wait < 3000.0, "{report}");
    // The recording was kept on disk and holds the whole clip.
    let saved = report["audio_path"].as_str().expect("audio_path");
    let audio = utter::audio::load_mono_16k(std::path::Path::new(saved)).unwrap();
    let seconds = audio.len() as f64 / 16_000.0;
    assert!(seconds > 10.0, "saved only {seconds:.1} s");
    // And it is in the history, with its text and stage timings.
    let history = utter::history::History::open(&data.path().join("history.sqlite3")).unwrap();
    let entry = history
        .get(report["history_id"].as_i64().expect("history_id"))
        .unwrap();
    assert_eq!(entry.status, utter::history::Status::Delivered);
    assert_eq!(entry.raw_text.as_deref(), Some(text));
    assert_eq!(
        entry.audio_path.as_deref(),
        Some(std::path::Path::new(saved))
    );
    assert!(entry.timings["stt"] > 0.0, "{:?}", entry.timings);
    // Everything there is owner-only now, old and new.
    assert_eq!(mode(data.path()), 0o700);
    for file in [
        old.clone(),
        std::path::PathBuf::from(saved),
        data.path().join("history.sqlite3"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&data.path().join("recordings")), 0o700);
}

#[test]
fn listen_until_silence_waits_for_the_pause_and_ctrl_c_interrupts() {
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    // The whole clip, with its 1 s pause after "Americans": a 2 s silence rule waits it out.
    let args = [
        "--until",
        "silence",
        "--end-silence-ms",
        "2000",
        "--strategy",
        "batch",
    ];
    let mut listener = Listener::start(&mic, data.path(), &args);
    listener.wait_listening(&mic);
    mic.play(&load_clip("jfk.wav"));
    let (ok, stdout, stderr) = listener.finish(Duration::from_secs(90));
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    assert_eq!(report["ended_by"], "silence", "{report}");
    let end_wait = report["end_wait_ms"].as_f64().unwrap();
    assert!((2000.0..2600.0).contains(&end_wait), "{report}");
    let wer = utter::eval::word_error_rate(JFK, report["text"].as_str().unwrap());
    assert!(wer <= 0.15, "{report}");

    // Ctrl-C mid-sentence: interrupted, and what was said is still transcribed.
    let mut listener = Listener::start(&mic, data.path(), &["--until", "silence"]);
    listener.wait_listening(&mic);
    mic.play(&load_clip("jfk.wav")[..16_000 * 2]);
    mic.wait_played(Duration::from_secs(20));
    let pid = listener.child.id().to_string();
    common::succeed(std::process::Command::new("kill").args(["-INT", &pid]));
    let (ok, stdout, stderr) = listener.finish(Duration::from_secs(60));
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    assert_eq!(report["ended_by"], "interrupt", "{report}");
    let text = report["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("fellow"), "{report}");
}

/// The JFK clip has a 1 s pause after "Americans": a 0.6 s silence rule ends the dictation
/// there; the speaker goes on within the follow-on window, so `listen` prints more lines
/// that continue the first, and together they hold the whole sentence. With `--follow-on-ms 0` the
/// rest is not heard.
#[test]
fn listen_prints_a_follow_on_when_the_speaker_goes_on_after_an_early_end() {
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    let listen = |follow_on_ms: &str| {
        let args = [
            "--until",
            "silence",
            "--end-silence-ms",
            "600",
            "--follow-on-ms",
            follow_on_ms,
        ];
        let mut listener = Listener::start(&mic, data.path(), &args);
        listener.wait_listening(&mic);
        mic.play(&load_clip("jfk.wav"));
        let (ok, stdout, stderr) = listener.finish(Duration::from_secs(90));
        assert!(ok, "{stderr}");
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).expect(line))
            .collect();
        lines
    };
    // It pauses after "ask not" too: a follow-on may itself be followed.
    let lines = listen("1500");
    assert!(lines.len() >= 2, "{lines:#?}");
    assert_eq!(lines[0]["ended_by"], "silence", "{lines:#?}");
    assert!(lines[0].get("continues").is_none(), "{lines:#?}");
    assert!(
        lines[1..].iter().all(|l| l["continues"] == true),
        "{lines:#?}"
    );
    let text = |line: &serde_json::Value| line["text"].as_str().unwrap().to_string();
    let whole: Vec<String> = lines.iter().map(text).collect();
    let whole = whole.join(" ");
    let wer = utter::eval::word_error_rate(JFK, &whole);
    assert!(wer <= 0.2, "WER {wer:.2}: {whole}");

    let lines = listen("0");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(!text(&lines[0]).contains("country"), "{lines:#?}");
}

#[test]
fn listen_dictates_with_moonshine() {
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    // By catalog name, found in UTTER_MODELS_DIR, as a user who downloaded it would.
    let model = std::path::Path::new("moonshine-tiny-en");
    let mut listener = Listener::start_model(&mic, data.path(), model, &[], &[]);
    listener.wait_listening(&mic);
    let report = listener.hear_jfk(&mic);
    assert!(
        report["model"]
            .as_str()
            .unwrap_or_default()
            .contains("moonshine"),
        "{report}"
    );
}

#[test]
fn an_unplugged_microphone_is_reported_and_the_audio_kept() {
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    // Only a long pause would end it, so only the unplug can end this recording.
    let args = ["--until", "silence", "--end-silence-ms", "8000"];
    let mut listener = Listener::start(&mic, data.path(), &args);
    listener.wait_listening(&mic);
    let speech = load_clip("jfk.wav");
    // About five seconds of speech, then the device disappears mid-sentence.
    mic.play(&speech[..16_000 * 5]);
    mic.wait_played(Duration::from_secs(20));
    mic.unplug();
    let (ok, stdout, stderr) = listener.finish(Duration::from_secs(90));
    assert!(!ok, "a vanished device must fail the command:\n{stdout}");
    assert!(
        stderr.contains("error:") && stderr.to_lowercase().contains("device"),
        "error should name the device problem:\n{stderr}"
    );
    // What was heard before the plug was pulled still comes out as text.
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    let saved = report["audio_path"].as_str().expect("audio_path");
    let audio =
        utter::audio::load_mono_16k(std::path::Path::new(saved)).expect("the recording was saved");
    assert!(
        audio.len() > 16_000 * 3,
        "only {} samples kept",
        audio.len()
    );
    let text = report["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("americans"), "{text}");
}

#[test]
fn a_rejected_cleanup_outputs_the_raw_text_and_the_history_says_why() {
    let server = LlmServer::always(Reply::text(
        "Sure! Here is the cleaned text: And so, my fellow Americans, ask not what your \
         country can do for you; ask what you can do for your country.",
    ));
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    let env = [
        ("UTTER_LLM_BASE_URL", server.url.as_str()),
        ("UTTER_LLM_MODEL", "test-model"),
    ];
    let mut listener = Listener::start_with(&mic, data.path(), &[], &env);
    listener.wait_listening(&mic);
    mic.play(&jfk_sentence());
    let (ok, stdout, stderr) = listener.finish(Duration::from_secs(90));
    assert!(ok, "utter listen failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    assert_eq!(report["used"], "raw");
    assert_eq!(report["reason"], "guard_preamble");
    assert_eq!(report["text"], report["raw"]);
    let history = utter::history::History::open(&data.path().join("history.sqlite3")).unwrap();
    let entry = history.get(report["history_id"].as_i64().unwrap()).unwrap();
    assert_eq!(entry.cleanup_reason.as_deref(), Some("guard_preamble"));
    assert_eq!(entry.text_used.as_deref(), Some("raw"));
    assert_eq!(entry.final_text, entry.raw_text);
    assert!(entry.cleaned_text.unwrap().starts_with("Sure!"));
    assert!(entry.timings.contains_key("llm"));
}

/// `utter` with the test's data folder, run to completion.
fn utter_in(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(utter_bin())
        .args(args)
        .env("UTTER_MODELS_DIR", models_dir())
        .env("UTTER_DATA_DIR", data)
        .env("UTTER_CONFIG_DIR", data.join("config"))
        .output()
        .expect("utter runs")
}

#[test]
fn a_listen_killed_mid_recording_is_interrupted_then_recovered_from_the_command_line() {
    let mic = VirtualMic::start();
    let data = tempfile::tempdir().unwrap();
    let args = ["--until", "silence", "--end-silence-ms", "8000"];
    let mut listener = Listener::start(&mic, data.path(), &args);
    listener.wait_listening(&mic);
    // "And so my fellow Americans, ask not …", then the process is killed outright.
    mic.play(&load_clip("jfk.wav")[..16_000 * 6]);
    mic.wait_played(Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    listener.child.kill().unwrap();
    listener.child.wait().unwrap();

    let list = utter_in(data.path(), &["history", "list", "--json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let entry: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(entry["status"], "interrupted", "{entry}");
    let wav = entry["audio_path"]
        .as_str()
        .expect("its recording")
        .to_string();

    let whisper = models_dir().join("ggml-tiny.en-q8_0.bin");
    let recover = utter_in(
        data.path(),
        &[
            "history",
            "recover",
            "--json",
            "--model",
            whisper.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&recover.stdout);
    assert!(
        recover.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&recover.stderr)
    );
    let recovered: serde_json::Value = serde_json::from_str(stdout.trim()).expect(&stdout);
    assert_eq!(recovered["id"], entry["id"]);
    let text = recovered["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("fellow americans"), "{text}");

    let list = utter_in(data.path(), &["history", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("recovered"), "{listed}");
    // The audio, cut short by the kill, reads as a WAV of what was heard.
    let audio = utter::audio::load_mono_16k(std::path::Path::new(&wav)).unwrap();
    assert!(audio.len() > 16_000 * 4, "{} samples", audio.len());
    // Nothing is left to recover.
    let again = utter_in(
        data.path(),
        &["history", "recover", "--model", whisper.to_str().unwrap()],
    );
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no interrupted dictations"));
}
