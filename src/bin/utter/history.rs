//! `utter history ...`: past dictations.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use utter::history::{Entry, History};

#[derive(Subcommand)]
pub enum HistoryCommand {
    /// Newest first, optionally only those containing TEXT.
    List(ListArgs),
    /// One dictation in full, with its stage timings.
    Show { id: i64 },
    /// Print the text of the last dictation (for "copy last dictation").
    Last,
    /// Delete a dictation and its audio.
    Delete { id: i64 },
    /// Transcribe the dictations a killed or crashed Utter left behind (listed as
    /// "interrupted"); their text goes to the history, nothing is typed.
    Recover(crate::recover::RecoverArgs),
}

#[derive(Args)]
pub struct ListArgs {
    /// Only dictations whose text contains this (case-insensitive).
    #[arg(default_value = "")]
    query: String,
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,
    /// One JSON object per dictation.
    #[arg(long)]
    json: bool,
}

fn summary(e: &Entry) -> String {
    let text = e.text().unwrap_or("(no text)");
    let short: String = text.chars().take(70).collect();
    let more = if text.chars().count() > 70 { "…" } else { "" };
    format!(
        "{:>5}  {:<11}  {:>5.1} s  {short}{more}",
        e.id,
        format!("{:?}", e.status).to_lowercase(),
        e.audio_s
    )
}

pub fn run(cmd: HistoryCommand) -> Result<ExitCode> {
    if let HistoryCommand::Recover(args) = &cmd {
        return crate::recover::run(args);
    }
    let history = History::open_default()?;
    if let Some(warning) = history.set_aside_warning() {
        eprintln!("warning: {warning}");
    }
    match cmd {
        HistoryCommand::List(args) => {
            // Dictations whose process is gone show as interrupted until recovered.
            if let Err(e) = history.interrupted() {
                eprintln!("warning: cannot look for interrupted dictations: {e}");
            }
            for entry in history.search(&args.query, args.limit)? {
                if args.json {
                    println!("{}", serde_json::to_string(&entry)?);
                } else {
                    println!("{}", summary(&entry));
                }
            }
        }
        HistoryCommand::Show { id } => {
            println!("{}", serde_json::to_string_pretty(&history.get(id)?)?);
        }
        HistoryCommand::Last => match history.last_with_text()? {
            Some(entry) => println!("{}", entry.text().unwrap_or_default()),
            None => bail!("no dictation in the history yet"),
        },
        HistoryCommand::Delete { id } => {
            history.delete(id)?;
            println!("deleted dictation {id}");
        }
        HistoryCommand::Recover(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}
