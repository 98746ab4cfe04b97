//! `utter history ...`: past dictations.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use utter::history::{Entry, History};

#[derive(Subcommand)]
pub enum HistoryCommand {
    /// Newest first, optionally only those containing TEXT.
    List(ListArgs),
    /// One dictation in full: texts, every stage timing, the model, the settings hash and the
    /// clean-up request and reply.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Keep what you really said in a dictation: it joins the golden set `utter eval` replays
    /// (an empty TEXT: nothing was said). Words corrected again and again are proposed for
    /// the vocabulary.
    Correct { id: i64, text: String },
    /// "This one was right": its text as typed joins the golden set.
    Confirm { id: i64 },
    /// Take a dictation out of the golden set.
    Unmark { id: i64 },
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

/// `show` for a person: what was said, what was typed, where the time went.
fn describe(e: &Entry) -> String {
    let mut out = summary(e) + "\n";
    let mut line = |label: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push_str(&format!("  {label:<13} {v}\n"));
        }
    };
    line("model", e.model.as_deref());
    line("language", e.language.as_deref());
    line("heard", e.raw_text.as_deref());
    line("typed", e.final_text.as_deref());
    line("really said", e.reference.as_deref());
    line("clean-up", e.cleanup_reason.as_deref());
    line("error", e.error.as_deref());
    line("settings", e.settings_hash.as_deref());
    line(
        "audio",
        e.audio_path
            .as_ref()
            .map(|p| p.to_string_lossy())
            .as_deref(),
    );
    let timings: Vec<String> = e
        .timings
        .iter()
        .map(|(stage, ms)| format!("{stage} {ms:.0} ms"))
        .collect();
    line("timings", Some(&timings.join(", ")));
    out
}

/// Tell the user which words they keep correcting, once there are some.
fn propose_vocabulary(history: &History) -> Result<()> {
    let settings = crate::cleanup::load_settings()?;
    let proposals = history.vocabulary_proposals(&settings.vocabulary)?;
    if proposals.is_empty() {
        return Ok(());
    }
    let words: Vec<String> = proposals
        .iter()
        .map(|p| format!("{} ({} dictations)", p.word, p.dictations))
        .collect();
    println!(
        "words you keep correcting: {} — add them to the vocabulary (settings window → Words, \
         or vocabulary in settings.toml) so the recogniser expects them",
        words.join(", ")
    );
    Ok(())
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
        HistoryCommand::Show { id, json } => {
            let entry = history.get(id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&entry)?);
            } else {
                print!("{}", describe(&entry));
            }
        }
        HistoryCommand::Correct { id, text } => {
            history.correct(id, &text)?;
            println!("dictation {id} is in the golden set with your text");
            propose_vocabulary(&history)?;
        }
        HistoryCommand::Confirm { id } => {
            let text = history.confirm(id)?;
            println!("dictation {id} is in the golden set as it was: {text}");
        }
        HistoryCommand::Unmark { id } => {
            history.unmark(id)?;
            println!("dictation {id} is out of the golden set");
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
