//! `utter listen`: capture until the speaker stops (or Ctrl-C), then transcribe.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use utter::audio::{CaptureOptions, Microphone};
use utter::vad::{Endpoint, EndpointDetector, FRAME_SAMPLES};

use crate::cleanup::{self, CleanupSwitch};
use crate::journal::Journal;
use crate::report::Report;
use crate::{RecognitionArgs, engine};
use utter::cleanup::Choice;
use utter::history::Status;

#[derive(Args)]
pub struct ListenArgs {
    /// Input device name (or a unique part of it); default: the system's default input.
    #[arg(long, short)]
    device: Option<String>,
    /// A pause this long after speech ends the recording.
    #[arg(long, default_value_t = 2000)]
    end_silence_ms: u32,
    /// Stop if no speech has started after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    wait_s: f64,
    /// Never record longer than this many seconds.
    #[arg(long, default_value_t = 300.0)]
    max_s: f64,
    #[command(flatten)]
    recognition: RecognitionArgs,
    #[command(flatten)]
    cleanup: CleanupSwitch,
}

pub fn run(args: &ListenArgs) -> Result<ExitCode> {
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C handler")?;
    }
    let settings = cleanup::load_settings()?;
    let cleaner = cleanup::prepare(&settings, &args.cleanup)?;
    let mut loaded = engine::load(&args.recognition, &settings)?;
    let options = CaptureOptions {
        device: args.device.clone(),
        ..CaptureOptions::default()
    };
    let mic = Microphone::open(&options)?;
    eprintln!(
        "listening on {:?} — speak now (Ctrl-C to stop)",
        mic.device_name()
    );

    let live = mic.start_recording();
    let mut detector =
        EndpointDetector::new(loaded.transcriber.vad_params.clone(), args.end_silence_ms);
    let vad = loaded.transcriber.vad_mut();
    vad.reset();
    let mut frame_buf: Vec<f32> = Vec::with_capacity(FRAME_SAMPLES * 4);
    let mut heard = 0usize;
    let started = Instant::now();
    let mut device_error = None;
    loop {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        match live.recv_timeout(Duration::from_millis(100)) {
            Ok(block) => {
                heard += block.len();
                frame_buf.extend_from_slice(&block);
                let whole = frame_buf.len() / FRAME_SAMPLES * FRAME_SAMPLES;
                for frame in frame_buf[..whole].chunks_exact(FRAME_SAMPLES) {
                    detector.push(vad.speech_probability(frame)?);
                }
                frame_buf.drain(..whole);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if let Err(e) = mic.health() {
            device_error = Some(e);
            break;
        }
        let elapsed = started.elapsed().as_secs_f64();
        match detector.state() {
            Endpoint::Ended => break,
            Endpoint::Waiting if elapsed > args.wait_s => {
                eprintln!("no speech heard in {:.0} s", args.wait_s);
                break;
            }
            _ if elapsed > args.max_s => {
                eprintln!("stopping after the {:.0} s limit", args.max_s);
                break;
            }
            _ => {}
        }
    }
    let recording = mic.stop_recording();
    let device_name = mic.device_name().to_string();
    drop(mic);
    let device_error = device_error.or(recording.error);
    tracing::debug!(
        samples = recording.samples.len(),
        live_samples = heard,
        "recording finished"
    );

    // Keep the audio and a history entry before anything else can fail: nothing said is lost.
    let audio_path = save_recording(&recording.samples);
    let mut journal = Journal::open(settings.history.clone());
    journal.record(
        audio_path.as_deref(),
        recording.samples.len() as f64 / f64::from(utter::SAMPLE_RATE),
    );

    let start = Instant::now();
    let transcription = match loaded
        .transcriber
        .transcribe(&recording.samples, &loaded.options)
    {
        Ok(t) => t,
        Err(e) => {
            journal.finish(Status::Failed, Some(&e.to_string()));
            let saved = match &audio_path {
                Some(p) => format!("; the audio is saved in {}", p.display()),
                None => String::new(),
            };
            return Err(anyhow::Error::from(e).context(format!("transcription failed{saved}")));
        }
    };
    let model = loaded.transcriber.stt().model_name().to_string();
    journal.transcript(
        &transcription.text,
        &model,
        transcription.language.as_deref(),
    );
    let outcome = cleaner.as_ref().map(|c| {
        c.clean(
            &transcription.text,
            &loaded.options.vocabulary,
            Choice::Auto,
        )
    });
    if let Some(outcome) = &outcome {
        journal.cleanup(outcome);
    }
    let total = start.elapsed().as_secs_f64() * 1000.0;
    let mut stages = vec![
        ("vad", transcription.timings.vad_ms),
        ("stt", transcription.timings.stt_ms),
    ];
    if let Some(ms) = outcome.as_ref().and_then(|o| o.llm_ms) {
        stages.push(("llm", ms));
    }
    stages.push(("total", total));
    journal.timings(&stages);
    journal.finish(
        Status::Delivered,
        device_error.as_ref().map(|e| e.to_string()).as_deref(),
    );

    let audio_path_text = audio_path.as_ref().map(|p| p.display().to_string());
    let mut report = Report::new(&transcription, &model, loaded.load_ms, total);
    report.device = Some(&device_name);
    report.audio_path = audio_path_text;
    report.history_id = journal.id();
    if let Some(outcome) = &outcome {
        report = report.with_cleanup(outcome);
    }
    report.print(args.recognition.json);

    if let Some(e) = device_error {
        eprintln!("error: {e} (the audio captured before that was transcribed above)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `<data dir>/recordings/<unix ms>.wav`, or `None` (with a warning) when it cannot be written.
fn save_recording(samples: &[f32]) -> Option<std::path::PathBuf> {
    let dir = match utter::paths::recordings_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("warning: could not save the recording: {e}");
            return None;
        }
    };
    let path = dir.join(format!("{}.wav", utter::history::now_ms()));
    match utter::audio::wav::write_wav_16k(&path, samples) {
        Ok(()) => Some(path),
        Err(e) => {
            eprintln!("warning: could not save the recording: {e}");
            None
        }
    }
}
