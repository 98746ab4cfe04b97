//! `utter models list|download|import|delete`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use utter::models::{DownloadOptions, Downloader, MeasuredHereFile, ModelStore};

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Show the catalog and what is installed.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a model (resumes an interrupted download; verifies the SHA-256 where the
    /// catalog pins one; extracts archived models and the files of multi-file models).
    Download {
        /// Model name(s) from `utter models list`.
        #[arg(required = true)]
        names: Vec<String>,
        /// Fetch from this URL instead of the catalog's (a mirror); the checksum is still verified.
        /// For multi-file models (Moonshine): the folder that holds their packages.
        #[arg(long)]
        url: Option<String>,
        /// Give up when no data arrives for this many seconds.
        #[arg(long, default_value_t = 30)]
        stall_timeout_s: u64,
    },
    /// Copy a model file you already have into the model folder.
    Import { file: PathBuf },
    /// Delete a downloaded model.
    Delete { name: String },
    /// Print the model folder.
    Dir,
    /// Measure an installed model on this machine: ~30 s of built-in English speech dictated
    /// through the session as the app runs it (key up → text, word error rate). The figures
    /// are kept and shown by `list` and the settings window.
    Measure {
        name: String,
        /// Decode while recording or after; default: the settings' choice.
        #[arg(long, value_enum)]
        strategy: Option<crate::StrategyArg>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: ModelsCommand) -> Result<ExitCode> {
    let store = ModelStore::open_default()?;
    match command {
        ModelsCommand::List { json } => list(&store, json),
        ModelsCommand::Download {
            names,
            url,
            stall_timeout_s,
        } => {
            if url.is_some() && names.len() > 1 {
                bail!("--url works with one model at a time");
            }
            let options = DownloadOptions {
                stall_timeout: std::time::Duration::from_secs(stall_timeout_s.max(1)),
                ..DownloadOptions::default()
            };
            let downloader = Downloader::new(options)?;
            for name in &names {
                download(&store, &downloader, name, url.as_deref())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Import { file } => {
            let model = store.import(&file)?;
            println!(
                "imported {} as {:?} ({})",
                file.display(),
                model.name,
                model.path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Delete { name } => {
            let path = store.delete(&name)?;
            println!("deleted {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Dir => {
            println!("{}", store.dir().display());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Measure {
            name,
            strategy,
            json,
        } => measure(&name, strategy, json),
    }
}

fn measure(name: &str, strategy: Option<crate::StrategyArg>, json: bool) -> Result<ExitCode> {
    let mut settings = crate::cleanup::load_settings()?;
    settings.model = Some(name.to_string());
    if let Some(strategy) = strategy {
        settings.speed.strategy = strategy.into();
    }
    let transcriber = utter::session::loader::load_transcriber(&settings)?;
    let bar = ProgressBar::new(0).with_message(format!("measuring {name}"));
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} clips") {
        bar.set_style(style);
    }
    let figures = utter::eval::measure_here::measure(transcriber, &settings, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let file = MeasuredHereFile::open_default().context("no home folder to keep figures in")?;
    file.store(name, figures.clone())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!(
            "{name} on this machine: text {} ms after release (p50; p95 {} ms), WER {:.1} % \
             ({} clips, {:.0} s of speech, {}, {} threads)",
            figures.release_to_text_ms,
            figures.release_to_text_p95_ms,
            figures.wer_percent,
            figures.clips,
            figures.speech_seconds,
            figures.strategy,
            figures.threads
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list(store: &ModelStore, json: bool) -> Result<ExitCode> {
    let mut models = store.list();
    if let Some(file) = MeasuredHereFile::open_default() {
        file.attach(&mut models);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&models)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("models in {}", store.dir().display());
    for m in &models {
        let state = match (m.installed, m.partial_bytes) {
            (true, _) => "installed".to_string(),
            (false, Some(bytes)) => format!("partial {}%", bytes * 100 / m.size.max(1)),
            (false, None) => String::new(),
        };
        let default = if m.default { " (default)" } else { "" };
        let here = m.measured_here.as_ref().map_or(String::new(), |f| {
            format!(
                " [here: text {} ms after release, WER {:.1} %]",
                f.release_to_text_ms, f.wer_percent
            )
        });
        println!(
            "{:<22} {:>9}  {:<12} {:<11} {}{}{}",
            m.name,
            human_size(m.size),
            m.languages,
            state,
            m.description,
            default,
            here
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn download(
    store: &ModelStore,
    downloader: &Downloader,
    name: &str,
    url: Option<&str>,
) -> Result<()> {
    let entry = store.catalog().get(name)?;
    let dest = store.path_of(entry);
    if store.is_installed(entry) {
        eprintln!("{name} is already installed at {}", dest.display());
        return Ok(());
    }
    let bar = ProgressBar::new(entry.size);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(name.to_string());
    let result = store.install(entry, downloader, url, &mut |p| {
        bar.set_length(p.total);
        bar.set_position(p.downloaded);
        if p.downloaded == p.total && entry.is_folder() {
            bar.set_message(format!("{name}: extracting"));
        }
    });
    bar.finish_and_clear();
    let dest = result.with_context(|| format!("downloading {name}"))?;
    println!("downloaded {name} to {}", dest.display());
    Ok(())
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let mb = bytes as f64 / MB;
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.0} MB")
    }
}
