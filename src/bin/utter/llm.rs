//! `utter llm ...`: the clean-up LLM's models, a connection test, and its API key.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use utter::cleanup::{LlmClient, Provider};
use utter::secrets::{ApiKeys, KeySource};

use crate::cleanup::load_settings;

#[derive(Subcommand)]
pub enum LlmCommand {
    /// List the models the configured server offers.
    Models(ProviderArg),
    /// Measure a round trip to the configured server and check the chosen model is offered.
    Test(ProviderArg),
    /// Store, remove or check the API key in the OS keyring.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Store the API key read from standard input (never from the command line).
    Set(ProviderArg),
    /// Remove the stored API key.
    Delete(ProviderArg),
    /// Say whether a key is available and where it comes from (the key is never shown).
    Status(ProviderArg),
}

#[derive(Args)]
pub struct ProviderArg {
    /// Provider id (ollama, lm_studio, llama_cpp, open_ai, groq, cerebras, open_router, gemini,
    /// custom); default: the one in the settings.
    #[arg(long)]
    provider: Option<String>,
}

fn provider_of(arg: &ProviderArg, configured: Provider) -> Result<Provider> {
    match &arg.provider {
        None => Ok(configured),
        Some(id) => Provider::from_id(id).with_context(|| {
            let ids: Vec<&str> = Provider::ALL.iter().map(|p| p.id()).collect();
            format!("unknown provider {id:?}; known: {}", ids.join(", "))
        }),
    }
}

pub fn run(cmd: LlmCommand) -> Result<ExitCode> {
    let settings = load_settings()?;
    let mut cleanup = settings.cleanup.clone();
    cleanup.apply_process_env()?;
    let keys = ApiKeys::default();
    match cmd {
        LlmCommand::Models(arg) => {
            let client = client(&cleanup, &arg, &keys)?;
            for model in client.list_models(Duration::from_secs(10))? {
                println!("{model}");
            }
        }
        LlmCommand::Test(arg) => {
            let client = client(&cleanup, &arg, &keys)?;
            let (rtt, count) = client
                .ping(Duration::from_secs(10))
                .with_context(|| format!("testing {}", client.base_url()))?;
            println!(
                "reached {} in {} ms ({count} models offered)",
                client.base_url(),
                rtt.as_millis()
            );
            if !cleanup.model.is_empty() {
                let models = client.list_models(Duration::from_secs(10))?;
                if !models.contains(&cleanup.model) {
                    eprintln!(
                        "warning: the chosen model {:?} is not among them",
                        cleanup.model
                    );
                }
            }
        }
        LlmCommand::Key(KeyCommand::Set(arg)) => {
            let provider = provider_of(&arg, cleanup.provider)?;
            let mut key = String::new();
            std::io::stdin()
                .read_to_string(&mut key)
                .context("reading the key from standard input")?;
            keys.set(provider, &key)?;
            println!("API key for {} stored in the keyring", provider.label());
        }
        LlmCommand::Key(KeyCommand::Delete(arg)) => {
            let provider = provider_of(&arg, cleanup.provider)?;
            keys.delete(provider)?;
            println!("API key for {} removed", provider.label());
        }
        LlmCommand::Key(KeyCommand::Status(arg)) => {
            let provider = provider_of(&arg, cleanup.provider)?;
            match keys.get(provider)? {
                Some((_, KeySource::Environment)) => {
                    println!("{}: key from UTTER_LLM_API_KEY", provider.label())
                }
                Some((_, KeySource::Keyring)) => {
                    println!("{}: key stored in the keyring", provider.label())
                }
                None => println!("{}: no key", provider.label()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn client(
    cleanup: &utter::cleanup::CleanupSettings,
    arg: &ProviderArg,
    keys: &ApiKeys,
) -> Result<LlmClient> {
    let provider = provider_of(arg, cleanup.provider)?;
    let url = if arg.provider.is_some() {
        provider.base_url().to_string()
    } else {
        cleanup.effective_base_url()
    };
    if url.is_empty() {
        bail!("no clean-up server configured: choose a provider or set UTTER_LLM_BASE_URL");
    }
    let key = match keys.get(provider) {
        Ok(found) => found.map(|(key, _)| key),
        Err(e) => {
            tracing::debug!("no API key: {e}");
            None
        }
    };
    Ok(LlmClient::new(provider, &url, key)?)
}
