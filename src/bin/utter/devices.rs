//! `utter devices`

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct DevicesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &DevicesArgs) -> Result<ExitCode> {
    let devices = utter::audio::devices::list_input_devices()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&devices)?);
        return Ok(ExitCode::SUCCESS);
    }
    if devices.is_empty() {
        println!("no input devices found");
        return Ok(ExitCode::SUCCESS);
    }
    for device in &devices {
        let marker = if device.is_default { "*" } else { " " };
        let format = device
            .default_format
            .as_ref()
            .map(|f| {
                format!(
                    "{} Hz, {} ch, {}",
                    f.sample_rate, f.channels, f.sample_format
                )
            })
            .unwrap_or_else(|| "format unknown".into());
        println!("{marker} {}  ({format})", device.name);
        for range in &device.formats {
            let rates = if range.min_rate == range.max_rate {
                format!("{} Hz", range.min_rate)
            } else {
                format!("{}–{} Hz", range.min_rate, range.max_rate)
            };
            println!(
                "      {} ch, {rates}, {}",
                range.channels, range.sample_format
            );
        }
    }
    println!("(* = default; pass a name or part of it to `utter listen --device`)");
    Ok(ExitCode::SUCCESS)
}
