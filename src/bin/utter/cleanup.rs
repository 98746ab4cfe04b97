//! Clean-up on the command line: `utter cleanup TEXT`, and `--cleanup`/`--raw` for
//! `transcribe` and `listen`.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use utter::cleanup::{Choice, Cleaner, CleanupOutcome, setup};
use utter::secrets::ApiKeys;
use utter::settings::{Settings, SettingsFile};

/// Clean-up switches for commands that transcribe.
#[derive(Args, Clone, Default)]
pub struct CleanupSwitch {
    /// Clean the transcript up with the configured LLM (also on when settings enable it or
    /// UTTER_LLM_BASE_URL is set).
    #[arg(long, conflicts_with = "raw")]
    pub cleanup: bool,
    /// Keep the raw transcript even when clean-up is enabled.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Args)]
pub struct CleanupArgs {
    /// The text to clean; read from standard input when absent.
    text: Option<String>,
    /// Extra vocabulary for the LLM (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    vocabulary: Vec<String>,
    /// Print JSON: text, raw, cleaned, used, reason, detail, llm_ms.
    #[arg(long)]
    json: bool,
}

/// The user's settings; a corrupt file is replaced by defaults with a warning on stderr.
pub fn load_settings() -> Result<Settings> {
    let loaded = SettingsFile::default_location()?.load()?;
    if let Some(warning) = loaded.warning {
        eprintln!("warning: {warning}");
    }
    Ok(loaded.settings)
}

/// The clean-up stage as configured, or `None` when it is off for this run.
pub fn prepare(settings: &Settings, switch: &CleanupSwitch) -> Result<Option<Cleaner>> {
    if switch.raw {
        return Ok(None);
    }
    let prepared = setup::prepare(
        settings.cleanup.clone(),
        &ApiKeys::default(),
        switch.cleanup,
    )
    .context("clean-up is not configured (set it up in the settings, or set UTTER_LLM_BASE_URL and UTTER_LLM_MODEL)")?;
    for warning in &prepared.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(prepared.cleaner.is_enabled().then_some(prepared.cleaner))
}

/// The clean-up part of a JSON report.
#[derive(Serialize)]
pub struct CleanupReport<'a> {
    pub raw: &'a str,
    pub cleaned: Option<&'a str>,
    pub used: utter::cleanup::Used,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
    pub llm_ms: Option<f64>,
}

impl<'a> From<&'a CleanupOutcome> for CleanupReport<'a> {
    fn from(o: &'a CleanupOutcome) -> Self {
        CleanupReport {
            raw: &o.raw,
            cleaned: o.cleaned.as_deref(),
            used: o.used,
            reason: &o.reason,
            detail: o.detail.as_deref(),
            llm_ms: o.llm_ms.map(|ms| (ms * 100.0).round() / 100.0),
        }
    }
}

#[derive(Serialize)]
struct CommandReport<'a> {
    text: &'a str,
    #[serde(flatten)]
    cleanup: CleanupReport<'a>,
}

pub fn run(args: &CleanupArgs) -> Result<ExitCode> {
    let text = crate::text_or_stdin(args.text.as_deref(), "clean")?;
    let text = text.trim();
    let settings = load_settings()?;
    let switch = CleanupSwitch {
        cleanup: true,
        raw: false,
    };
    let Some(cleaner) = prepare(&settings, &switch)? else {
        bail!("clean-up is off");
    };
    let mut vocabulary = settings.vocabulary.clone();
    vocabulary.extend(args.vocabulary.iter().map(|w| w.trim().to_string()));
    let outcome = cleaner.clean(text, &vocabulary, Choice::Clean);
    if let Some(detail) = &outcome.detail {
        eprintln!("note: using the text as it was: {detail}");
    }
    if args.json {
        let report = CommandReport {
            text: outcome.text(),
            cleanup: CleanupReport::from(&outcome),
        };
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", outcome.text());
    }
    Ok(ExitCode::SUCCESS)
}
