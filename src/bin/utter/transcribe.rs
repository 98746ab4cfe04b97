//! `utter transcribe FILE...`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use crate::cleanup::{self, CleanupSwitch};
use crate::report::Report;
use crate::{RecognitionArgs, engine};
use utter::cleanup::Choice;

#[derive(Args)]
pub struct TranscribeArgs {
    /// Audio files: WAV, FLAC or MP3, any sample rate and channel count.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    recognition: RecognitionArgs,
    #[command(flatten)]
    cleanup: CleanupSwitch,
}

pub fn run(args: &TranscribeArgs) -> Result<ExitCode> {
    let settings = cleanup::load_settings()?;
    // Set up clean-up first: a configuration error should stop us before any long work.
    let cleaner = cleanup::prepare(&settings, &args.cleanup)?;
    let mut loaded = engine::load(&args.recognition, &settings)?;
    let model = loaded.transcriber.stt().model_name().to_string();
    let mut load_ms = loaded.load_ms;
    let mut failed = false;
    for file in &args.files {
        let start = Instant::now();
        // Decoding errors name the file themselves; others get its name here.
        let result = utter::audio::load_mono_16k(file)
            .map_err(anyhow::Error::from)
            .and_then(|samples| {
                loaded
                    .transcriber
                    .transcribe(&samples, &loaded.options)
                    .with_context(|| file.display().to_string())
            });
        match result {
            Ok(transcription) => {
                let outcome = cleaner.as_ref().map(|c| {
                    c.clean(
                        &transcription.text,
                        &loaded.options.vocabulary,
                        Choice::Auto,
                    )
                });
                let total = load_ms + start.elapsed().as_secs_f64() * 1000.0;
                let name = file.display().to_string();
                let mut report = Report::new(&transcription, &model, load_ms, total);
                report.file = Some(&name);
                if let Some(outcome) = &outcome {
                    report = report.with_cleanup(outcome);
                }
                report.print(args.recognition.json);
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                failed = true;
            }
        }
        // The model is loaded once; later files do not pay for it.
        load_ms = 0.0;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
