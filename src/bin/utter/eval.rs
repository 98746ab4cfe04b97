//! `utter eval`: replay a golden set through one or more configurations and compare them;
//! `utter eval export DIR`: write the golden set out as a folder.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use utter::eval::config::EvalConfig;
use utter::eval::golden_set::GoldenSet;
use utter::eval::replay;
use utter::eval::report::{CHECKS, ConfigReport, EvalReport};
use utter::history::History;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    command: Option<EvalCommand>,
    /// The golden set: `history` (the dictations you corrected or confirmed) or a folder with a
    /// manifest.tsv (columns file, language, reference) and the WAV files.
    #[arg(long, default_value = "history")]
    set: String,
    /// A configuration: a settings fragment file (named after the file) or key=value pairs such
    /// as `model=tiny.en-q8_0,speed.strategy=batch`, on top of your settings. Repeat to compare:
    /// the first is the baseline. None: your settings as they are.
    #[arg(long = "config")]
    configs: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report with charts.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Exit with status 1 when a configuration's final WER is worse than the first one's by
    /// more than --threshold points (to guard a CI).
    #[arg(long)]
    fail_if_worse: bool,
    /// Percentage points of final WER allowed before --fail-if-worse fails.
    #[arg(long, default_value_t = 1.0)]
    threshold: f64,
    /// Play the recordings this many times faster than real time (1: as spoken).
    #[arg(long, default_value_t = 1.0)]
    pace: f64,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Write the golden set as WAV files + manifest.tsv into DIR.
    Export {
        dir: PathBuf,
        /// Which set to write (`history`, or another folder to copy).
        #[arg(long, default_value = "history")]
        set: String,
    },
}

fn load_set(name: &str) -> Result<GoldenSet> {
    if name == "history" {
        let history = History::open_default()?;
        Ok(GoldenSet::from_history(&history)?)
    } else {
        Ok(GoldenSet::from_dir(&PathBuf::from(name))?)
    }
}

pub fn run(args: &EvalArgs) -> Result<ExitCode> {
    if let Some(EvalCommand::Export { dir, set }) = &args.command {
        let golden = load_set(set)?;
        golden.export(dir)?;
        println!(
            "wrote {} recordings and manifest.tsv to {}",
            golden.items.len(),
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let golden = load_set(&args.set)?;
    let base = crate::cleanup::load_settings()?;
    let configs: Vec<EvalConfig> = if args.configs.is_empty() {
        vec![EvalConfig {
            name: "settings".into(),
            settings: base.clone(),
        }]
    } else {
        args.configs
            .iter()
            .map(|c| EvalConfig::parse(c, &base))
            .collect::<Result<_, _>>()?
    };
    let mut reports = Vec::new();
    for config in &configs {
        let bar = ProgressBar::new(golden.items.len() as u64)
            .with_message(format!("replaying with {}", config.name));
        if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}") {
            bar.set_style(style);
        }
        let mut warnings = Vec::new();
        let items = replay::replay(&golden, config, args.pace, &mut warnings, |done, _| {
            bar.set_position(done as u64)
        })?;
        bar.finish_and_clear();
        for w in warnings {
            eprintln!("warning: {}: {w}", config.name);
        }
        reports.push(ConfigReport::new(&config.name, items));
    }
    let report = EvalReport::new(&golden.name, reports);
    if let Some(path) = &args.html {
        std::fs::write(path, utter::eval::html::render(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    let worse = report.worse_than_baseline(args.threshold);
    if args.fail_if_worse && !worse.is_empty() {
        for line in worse {
            eprintln!("worse: {line}");
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn latency(c: &ConfigReport, stage: &str) -> String {
    c.latency_ms
        .get(stage)
        .map_or("-".into(), |q| format!("{:.0}/{:.0}", q.p50, q.p95))
}

fn print_table(report: &EvalReport) {
    let items = report.configs.first().map_or(0, |c| c.items.len());
    println!("golden set {:?}: {items} recordings", report.set);
    println!(
        "{:<28} {:>8} {:>9} {:>15} {:>13} {:>13}",
        "config", "WER raw", "WER final", "release→text", "stt", "llm"
    );
    for c in &report.configs {
        println!(
            "{:<28} {:>6.1} % {:>7.1} % {:>15} {:>13} {:>13}",
            c.name,
            c.wer_raw_percent,
            c.wer_final_percent,
            latency(c, "release_to_text"),
            latency(c, "stt"),
            latency(c, "llm")
        );
        let fired: Vec<String> = CHECKS
            .iter()
            .filter_map(|(name, _)| {
                c.checks
                    .get(*name)
                    .filter(|n| **n > 0)
                    .map(|n| format!("{name} {n}"))
            })
            .collect();
        if !fired.is_empty() {
            println!("    checks: {}", fired.join(", "));
        }
    }
    println!("(latency: p50/p95 ms)");
    for c in &report.comparisons {
        let list = |changes: &[utter::eval::report::ItemChange]| {
            let described: Vec<String> = changes.iter().map(|i| i.describe()).collect();
            described.join(", ")
        };
        println!(
            "{} vs {}: final WER {:+.1} points; better on {} ({}), worse on {} ({}), same on {}",
            c.candidate,
            c.baseline,
            c.wer_final_change_points,
            c.better.len(),
            list(&c.better),
            c.worse.len(),
            list(&c.worse),
            c.unchanged
        );
    }
}
