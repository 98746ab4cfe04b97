//! `utter`: the dictation engine on the command line.

mod bench;
mod cleanup;
mod devices;
mod engine;
mod eval;
mod history;
mod listen;
mod llm;
mod models;
mod recover;
mod report;
mod transcribe;
mod type_text;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "utter",
    version,
    about = "Local, private dictation: speech in, text out"
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug). Transcripts are only logged at debug.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transcribe audio files (WAV, FLAC, MP3).
    Transcribe(transcribe::TranscribeArgs),
    /// Record from the microphone until you stop speaking (or Ctrl-C), then print the text.
    Listen(listen::ListenArgs),
    /// List microphones and their formats.
    Devices(devices::DevicesArgs),
    /// List, download, import or delete models.
    #[command(subcommand)]
    Models(models::ModelsCommand),
    /// Past dictations: list, search, show, copy out, delete.
    #[command(subcommand)]
    History(history::HistoryCommand),
    /// Type (or paste) text into the focused application, as a dictation would be.
    Type(type_text::TypeArgs),
    /// Serve standard input as the clipboard until replaced (used by `type --paste`).
    #[command(hide = true)]
    KeepClipboard,
    /// Clean text up with the configured LLM (reads standard input when no text is given).
    Cleanup(cleanup::CleanupArgs),
    /// The clean-up LLM: list its models, test the connection, store the API key.
    #[command(subcommand)]
    Llm(llm::LlmCommand),
    /// Measure speed: release-to-text latency (batch vs streaming), STT real-time factor,
    /// VAD cost, model load time, memory and idle CPU.
    Bench(bench::BenchArgs),
    /// Replay a golden set (your corrected dictations, or a folder) through configurations and
    /// compare them: WER, latency per stage, yes/no checks; `eval export DIR` writes the set.
    Eval(eval::EvalArgs),
}

/// Options shared by the commands that recognise speech.
#[derive(Args, Clone)]
pub struct RecognitionArgs {
    /// Model name from `utter models list`, or a path to a ggml file.
    #[arg(long, short)]
    pub model: Option<String>,
    /// Spoken language: "auto" or a code such as "en", "de", "fr".
    #[arg(long, short, default_value = "auto")]
    pub language: String,
    /// Translate the speech to English (multilingual models).
    #[arg(long)]
    pub translate: bool,
    /// Words and names to prime the recogniser with (repeat or separate with commas).
    #[arg(long, value_delimiter = ',')]
    pub vocabulary: Vec<String>,
    /// Decoder threads (default: all cores, at most 8).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON instead of plain text.
    #[arg(long)]
    pub json: bool,
    /// Whisper's encoder window: scaled to the speech (fast) or always the full 30 s.
    #[arg(long, value_enum, default_value = "scaled")]
    pub audio_ctx: AudioCtxArg,
}

/// When to decode: while recording (streaming) or after it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StrategyArg {
    Streaming,
    Batch,
}

impl From<StrategyArg> for utter::settings::Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::Streaming => utter::settings::Strategy::Streaming,
            StrategyArg::Batch => utter::settings::Strategy::Batch,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum AudioCtxArg {
    Full,
    Scaled,
}

impl From<AudioCtxArg> for utter::stt::AudioContext {
    fn from(arg: AudioCtxArg) -> Self {
        match arg {
            AudioCtxArg::Full => utter::stt::AudioContext::Full,
            AudioCtxArg::Scaled => utter::stt::AudioContext::Scaled,
        }
    }
}

/// The text given on the command line, else all of standard input; an error when empty.
pub fn text_or_stdin(arg: Option<&str>, what: &str) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Read;
    let text = match arg {
        Some(text) => text.to_string(),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
            text
        }
    };
    if text.trim().is_empty() {
        anyhow::bail!("no text to {what}: pass it as an argument or on standard input");
    }
    Ok(text)
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    // The audio decoder logs what our own errors already say, in its words: not by default.
    let filter = tracing_subscriber::EnvFilter::try_from_env("UTTER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},symphonia=off")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before any file is written: recordings, history and settings are owner-only.
    let tightened = utter::privacy::make_private();
    init_logging(cli.verbose);
    utter::privacy::report(&tightened);
    utter::crash::install_panic_hook();
    let result = match cli.command {
        Command::Transcribe(args) => transcribe::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Listen(args) => listen::run(&args),
        Command::Devices(args) => devices::run(&args),
        Command::Models(cmd) => models::run(cmd),
        Command::Cleanup(args) => cleanup::run(&args),
        Command::Type(args) => type_text::run(&args),
        Command::KeepClipboard => type_text::keep_clipboard(),
        Command::History(cmd) => history::run(cmd),
        Command::Llm(cmd) => llm::run(cmd),
        Command::Eval(args) => eval::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
