//! `utter listen`: one hands-free dictation through the session, as the desktop app runs it —
//! it starts at once and ends when you have finished speaking (or after a pause, the length
//! limit, or Ctrl-C); the text is printed instead of typed. Speech resumed soon after the end
//! continues it (a follow-on dictation, printed after it as it finishes).

use std::process::ExitCode;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use utter::audio::{CaptureOptions, Microphone};
use utter::history::{Entry, History};
use utter::hotkey::Mode;
use utter::output::NoOutput;
use utter::session::{DictationReport, Input, Pipeline, Session, SessionEvent, State};
use utter::settings::{Settings, Until};
use utter::turn::EndedBy;

use crate::cleanup::{self, CleanupSwitch};
use crate::{RecognitionArgs, engine};

#[derive(Args)]
pub struct ListenArgs {
    /// Input device name (or a unique part of it); default: the system's default input.
    #[arg(long, short)]
    device: Option<String>,
    /// What ends the recording: `turn`, when the end-of-turn model hears you have finished
    /// (or after --end-silence-ms at the latest), or `silence`, a pause of --end-silence-ms.
    #[arg(long, value_enum, default_value_t = UntilArg::Turn)]
    until: UntilArg,
    /// The pause that ends the recording (default: 2000 with `--until silence`, the hands-free
    /// setting — 3000 — with `--until turn`).
    #[arg(long)]
    end_silence_ms: Option<u32>,
    /// Stop if no speech has started after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    wait_s: f64,
    /// Never record longer than this many seconds.
    #[arg(long, default_value_t = 300.0)]
    max_s: f64,
    /// After the end, keep listening this long (ms) for more: speech then continues the
    /// dictation (0: one dictation; default: the hands-free setting — 1500).
    #[arg(long)]
    follow_on_ms: Option<u32>,
    /// Decode while recording (`streaming`, the text is ready sooner) or after (`batch`);
    /// default: the settings' choice.
    #[arg(long, value_enum)]
    strategy: Option<crate::StrategyArg>,
    #[command(flatten)]
    recognition: RecognitionArgs,
    #[command(flatten)]
    cleanup: CleanupSwitch,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum UntilArg {
    Turn,
    Silence,
}

pub fn run(args: &ListenArgs) -> Result<ExitCode> {
    let settings = listen_settings(args, cleanup::load_settings()?);
    let cleaner = cleanup::prepare(&settings, &args.cleanup)?;
    let loaded = engine::load(&args.recognition, &settings)?;
    let model = loaded.transcriber.stt().model_name().to_string();
    // Opened once here for a clear error and the device's name; the session opens it again.
    let device = Microphone::open(&CaptureOptions {
        device: args.device.clone(),
        ..CaptureOptions::default()
    })?
    .device_name()
    .to_string();
    let history = History::open_default()
        .map_err(|e| eprintln!("warning: history is off: {e}"))
        .ok();
    let pipeline = Pipeline {
        transcriber: Some(loaded.transcriber),
        cleaner,
        // The report prints the text; nothing is typed.
        output: Box::new(NoOutput),
        history,
        recordings_dir: utter::paths::recordings_dir().ok(),
    };

    let (events_tx, events) = channel();
    let session = Session::start(settings, pipeline, move |event| {
        let _ = events_tx.send(event);
    });
    let stop = session.sender();
    // Ctrl-C is the user's "stop": the dictation ends as interrupted and is still transcribed.
    ctrlc::set_handler(move || {
        let _ = stop.send(Input::Toggle);
    })
    .context("installing the Ctrl-C handler")?;
    session.send(Input::Toggle);
    let mut follow = Follow::default();
    let mut failed = false;
    let mut last_end = None;
    // Each dictation is printed as it finishes: a follow-on after it.
    while let Some(report) = follow.next_dictation(&events, &device)? {
        let entry = report.history_id.and_then(|id| {
            History::open_default()
                .and_then(|h| h.get(id))
                .map_err(|e| eprintln!("warning: {e}"))
                .ok()
        });
        let out = ListenReport::new(&report, entry.as_ref(), &device, &model, loaded.load_ms);
        print_dictation(&out, args.recognition.json)?;
        if let Some(error) = &report.error {
            let kept = match &out.audio_path {
                Some(path) => format!(" (the audio is saved in {path}; what was heard is above)"),
                None => String::new(),
            };
            eprintln!("error: {error}{kept}");
            failed = true;
        }
        last_end = report.ended_by;
    }
    drop(session);
    if !args.recognition.json {
        println!();
    }
    match last_end {
        Some(EndedBy::NoSpeech) => eprintln!("no speech heard in {:.0} s", args.wait_s),
        Some(EndedBy::Max) => eprintln!("stopped at the {:.0} s limit", args.max_s),
        _ => {}
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// JSON: a line for each dictation. Text: a follow-on goes on the same line, after a space.
fn print_dictation(out: &ListenReport, json: bool) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if json {
        writeln!(stdout, "{}", serde_json::to_string(out)?)?;
    } else {
        let space = if out.continues { " " } else { "" };
        write!(stdout, "{space}{}", out.text.trim_end())?;
    }
    stdout.flush()?;
    Ok(())
}

/// The user's settings, made hands-free with this command's options.
fn listen_settings(args: &ListenArgs, mut settings: Settings) -> Settings {
    let r = &args.recognition;
    settings.mode = Mode::HandsFree;
    settings.microphone = args.device.clone();
    settings.language = r.language.clone();
    settings.translate = r.translate;
    settings
        .vocabulary
        .extend(r.vocabulary.iter().map(|w| w.trim().to_string()));
    settings.vocabulary.retain(|w| !w.is_empty());
    settings.speed.audio_context = r.audio_ctx.into();
    if let Some(strategy) = args.strategy {
        settings.speed.strategy = strategy.into();
    }
    let hf = &mut settings.hands_free;
    hf.until = match args.until {
        UntilArg::Turn => Until::Turn,
        UntilArg::Silence => Until::Silence,
    };
    hf.end_silence_ms = args.end_silence_ms.unwrap_or(match args.until {
        UntilArg::Silence => 2000,
        UntilArg::Turn => hf.end_silence_ms,
    });
    hf.wait_for_speech_seconds = args.wait_s;
    hf.max_seconds = args.max_s;
    if let Some(ms) = args.follow_on_ms {
        hf.follow_on_ms = ms;
    }
    settings
}

/// Follows the session through a dictation and its follow-ons.
#[derive(Default)]
struct Follow {
    recording: bool,
    finished: usize,
    problems: Vec<String>,
}

impl Follow {
    /// The next finished dictation; `None` once the session is idle after the last one.
    fn next_dictation(
        &mut self,
        events: &Receiver<SessionEvent>,
        device: &str,
    ) -> Result<Option<DictationReport>> {
        loop {
            let event = events
                .recv_timeout(Duration::from_secs(600))
                .context("the session stopped answering")?;
            match event {
                SessionEvent::State {
                    state: State::Recording,
                } if !self.recording => {
                    self.recording = true;
                    eprintln!("listening on {device:?} — speak now (Ctrl-C to stop)");
                }
                SessionEvent::State { state: State::Idle } if self.finished > 0 => return Ok(None),
                // (The session says "idle" once as it starts; after a problem it means the
                // recording could not start.)
                SessionEvent::State { state: State::Idle }
                    if !self.recording && !self.problems.is_empty() =>
                {
                    bail!("the recording did not start: {}", self.problems.join("; "));
                }
                SessionEvent::Problem { message } => {
                    eprintln!("warning: {message}");
                    self.problems.push(message);
                }
                SessionEvent::Finished { report } => {
                    self.finished += 1;
                    return Ok(Some(*report));
                }
                _ => {}
            }
        }
    }
}

/// What `listen --json` prints.
#[derive(Serialize)]
struct ListenReport<'a> {
    device: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_id: Option<i64>,
    text: &'a str,
    raw: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cleaned: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    language: Option<&'a str>,
    model: &'a str,
    audio_s: f64,
    /// What ended the recording: turn, silence, max, interrupt or no_speech.
    ended_by: Option<EndedBy>,
    /// A follow-on: it continues the dictation printed before it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    continues: bool,
    /// From the last speech to the decision that the dictation had ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_wait_ms: Option<f64>,
    /// The session's stages (save, vad, stt, llm, release_to_text, ...) and the model load.
    timings_ms: std::collections::BTreeMap<String, f64>,
}

impl<'a> ListenReport<'a> {
    fn new(
        report: &'a DictationReport,
        entry: Option<&'a Entry>,
        device: &'a str,
        model: &'a str,
        load_ms: f64,
    ) -> ListenReport<'a> {
        let round = |ms: f64| (ms * 100.0).round() / 100.0;
        let mut timings_ms: std::collections::BTreeMap<String, f64> = report
            .timings
            .iter()
            .map(|(k, v)| (k.clone(), round(*v)))
            .collect();
        timings_ms.insert("load".into(), round(load_ms));
        ListenReport {
            device,
            audio_path: entry
                .and_then(|e| e.audio_path.as_ref())
                .map(|p| p.display().to_string()),
            history_id: report.history_id,
            text: &report.text,
            raw: &report.raw_text,
            cleaned: entry.and_then(|e| e.cleaned_text.as_deref()),
            used: entry.and_then(|e| e.text_used.as_deref()),
            reason: report.cleanup_reason.as_deref(),
            language: entry.and_then(|e| e.language.as_deref()),
            model,
            audio_s: entry.map_or(0.0, |e| round(e.audio_s)),
            ended_by: report.ended_by,
            continues: report.continues,
            end_wait_ms: timings_ms.get("end_wait").copied(),
            timings_ms,
        }
    }
}
