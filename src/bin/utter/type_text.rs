//! `utter type TEXT`: deliver text into the focused application, as a dictation would be.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use utter::output::{Method, Output, OutputSettings, PasteKeys};

#[derive(Clone, Copy, ValueEnum)]
enum Keys {
    CtrlV,
    CtrlShiftV,
    ShiftInsert,
}

#[derive(Args)]
pub struct TypeArgs {
    /// The text; read from standard input when absent.
    text: Option<String>,
    /// Paste through the clipboard (restored afterwards) instead of typing.
    #[arg(long)]
    paste: bool,
    /// The keys that paste in the target (terminals use ctrl-shift-v).
    #[arg(long, value_enum, default_value = "ctrl-v")]
    paste_keys: Keys,
    /// Do not add a space after the text.
    #[arg(long)]
    no_trailing_space: bool,
}

pub fn run(args: &TypeArgs) -> Result<ExitCode> {
    let text = crate::text_or_stdin(args.text.as_deref(), "type")?;
    let settings = OutputSettings {
        method: if args.paste {
            Method::Paste
        } else {
            Method::Type
        },
        paste_keys: match args.paste_keys {
            Keys::CtrlV => PasteKeys::CtrlV,
            Keys::CtrlShiftV => PasteKeys::CtrlShiftV,
            Keys::ShiftInsert => PasteKeys::ShiftInsert,
        },
        trailing_space: !args.no_trailing_space,
        ..OutputSettings::default()
    };
    let delivered = Output::default().deliver(&settings, &text)?;
    if let Some(previous) = delivered.restored_clipboard {
        // Our process holds the restored clipboard; a helper keeps it after we exit.
        keep_clipboard_in_background(&previous)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn keep_clipboard_in_background(text: &str) -> Result<()> {
    use std::io::Write;
    let exe = std::env::current_exe().context("finding the utter binary")?;
    let mut child = std::process::Command::new(exe)
        .arg("keep-clipboard")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting the clipboard keeper")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    // Wait until it serves the text, so nobody sees an empty clipboard in between.
    std::thread::sleep(std::time::Duration::from_millis(100));
    Ok(())
}

/// Hidden helper: serve standard input as the clipboard until another program replaces it.
pub fn keep_clipboard() -> Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    utter::output::keep_clipboard(&text)?;
    Ok(ExitCode::SUCCESS)
}
