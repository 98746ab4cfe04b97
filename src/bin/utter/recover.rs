//! `utter history recover`: transcribe the dictations a killed Utter left behind, through the
//! session as the desktop app does at start. Their text goes to the history; nothing is typed.

use std::process::ExitCode;
use std::sync::mpsc::channel;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use utter::history::History;
use utter::output::NoOutput;
use utter::session::{Input, Pipeline, Recovered, Session, SessionEvent, loader};

use crate::cleanup;

#[derive(Args)]
pub struct RecoverArgs {
    /// Model name from `utter models list`, or a path (default: the one in the settings).
    #[arg(long, short)]
    model: Option<String>,
    /// One JSON object per recovered dictation.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &RecoverArgs) -> Result<ExitCode> {
    let mut settings = cleanup::load_settings()?;
    if args.model.is_some() {
        settings.model.clone_from(&args.model);
    }
    let history = History::open_default()?;
    if let Some(warning) = history.set_aside_warning() {
        eprintln!("warning: {warning}");
    }
    let mut warnings = Vec::new();
    let pipeline = Pipeline {
        transcriber: Some(loader::load_transcriber(&settings)?),
        cleaner: loader::load_cleaner(&settings, &mut warnings),
        output: Box::new(NoOutput),
        history: Some(history),
        recordings_dir: utter::paths::recordings_dir().ok(),
    };
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    let (tx, events) = channel();
    let session = Session::start(settings, pipeline, move |event| {
        if let SessionEvent::Recovered { dictations } = event {
            let _ = tx.send(dictations);
        }
    });
    session.send(Input::Recover);
    // Each dictation is at most as long as a dictation can be; a generous bound.
    let recovered = events
        .recv_timeout(Duration::from_secs(3600))
        .context("recovery did not finish")?;
    drop(session);
    report(&recovered, args.json)?;
    if recovered.iter().any(|r| r.error.is_some()) {
        bail!("some interrupted dictations could not be recovered (see above)");
    }
    Ok(ExitCode::SUCCESS)
}

fn report(recovered: &[Recovered], json: bool) -> Result<()> {
    if recovered.is_empty() && !json {
        eprintln!("no interrupted dictations");
    }
    for r in recovered {
        if json {
            println!("{}", serde_json::to_string(r)?);
            continue;
        }
        match (&r.text, &r.error) {
            (Some(text), _) => println!("{:>5}  recovered  {text}", r.id),
            (None, Some(error)) => println!("{:>5}  not recovered: {error}", r.id),
            (None, None) => {}
        }
    }
    Ok(())
}
