//! Optional LLM clean-up between speech-to-text and output: time-boxed, guarded, and always
//! falling back to the raw transcript.

pub mod client;
pub mod config;
pub mod guard;
pub mod prompt;
mod provenance;
pub mod setup;
pub mod words;

use std::time::Instant;

use serde::Serialize;

pub use client::{ChatRequest, LlmClient, LlmError};
pub use config::{CleanupSettings, ConfigError, NamedPrompt, Provider};
pub use guard::{Guard, GuardLimits, Rejection};

/// Which text a dictation ended up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Used {
    Cleaned,
    Raw,
}

/// The user's choice for one dictation (e.g. a second hotkey held, or `--raw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// Clean when enabled and the utterance is long enough.
    #[default]
    Auto,
    /// Clean even a short utterance.
    Clean,
    /// Keep the transcript as it is.
    Raw,
    /// Clean-up is off for this dictation (a profile switched it off).
    Off,
    /// Clean-up is on for this dictation (a profile switched it on), as [`Choice::Auto`].
    On,
}

/// What the clean-up may know about one dictation besides its words.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    /// The prompt (by name) to use instead of the configured one.
    pub prompt: Option<&'a str>,
    /// The application the text goes to; told to the LLM only when `app_context` is on.
    pub app: Option<&'a str>,
}

/// The result of the clean-up stage: the text to output and why it is that text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupOutcome {
    pub raw: String,
    /// What the LLM returned (after removing thinking blocks), even when it was rejected.
    pub cleaned: Option<String>,
    pub used: Used,
    /// `cleaned`, or why the raw text was used: `disabled`, `raw_requested`, `too_short`,
    /// `empty_input`, an [`LlmError`] code or a [`Rejection`] code.
    pub reason: String,
    /// A human-readable explanation of a fallback.
    pub detail: Option<String>,
    pub llm_ms: Option<f64>,
    /// The chat request sent to the LLM, when one was sent (kept in the history as the
    /// dictation's trace; never logged).
    pub request: Option<serde_json::Value>,
}

impl CleanupOutcome {
    pub fn text(&self) -> &str {
        match (self.used, &self.cleaned) {
            (Used::Cleaned, Some(cleaned)) => cleaned,
            _ => &self.raw,
        }
    }

    fn raw(raw: &str, reason: &str, detail: Option<String>, llm_ms: Option<f64>) -> Self {
        CleanupOutcome {
            raw: raw.to_string(),
            cleaned: None,
            used: Used::Raw,
            reason: reason.to_string(),
            detail,
            llm_ms,
            request: None,
        }
    }

    /// What `utter history show` gives for this clean-up: the request, the reply and the verdict.
    pub fn trace(&self) -> Option<serde_json::Value> {
        let request = self.request.clone()?;
        Some(serde_json::json!({
            "request": request,
            "reply": self.cleaned,
            "used": matches!(self.used, Used::Cleaned),
            "reason": self.reason,
            "detail": self.detail,
            "llm_ms": self.llm_ms,
        }))
    }
}

/// The clean-up stage. Built once from settings and reused: it holds the warm HTTP client.
pub struct Cleaner {
    settings: CleanupSettings,
    client: Option<LlmClient>,
    guard: Guard,
    /// Ready only for the applications whose profile switches clean-up on.
    only_when_asked: bool,
}

impl Cleaner {
    /// A cleaner for these settings. When clean-up is disabled no client is built and every
    /// call returns the raw text.
    pub fn new(
        settings: CleanupSettings,
        api_key: Option<String>,
    ) -> Result<Cleaner, CleanupSetupError> {
        let client = if settings.enabled {
            settings.validate()?;
            Some(LlmClient::new(
                settings.provider,
                &settings.effective_base_url(),
                api_key,
            )?)
        } else {
            None
        };
        Ok(Cleaner {
            settings,
            client,
            guard: Guard::default(),
            only_when_asked: false,
        })
    }

    /// Clean only dictations whose choice is [`Choice::Clean`] or [`Choice::On`] (clean-up is
    /// off in general, on in some profile).
    pub fn off_unless_asked(mut self) -> Cleaner {
        self.only_when_asked = true;
        self
    }

    pub fn is_enabled(&self) -> bool {
        self.client.is_some()
    }

    pub fn settings(&self) -> &CleanupSettings {
        &self.settings
    }

    pub fn client(&self) -> Option<&LlmClient> {
        self.client.as_ref()
    }

    /// Clean `raw`, or explain why not. Never takes longer than the configured time box (plus
    /// the guard's microseconds) and never fails: every problem falls back to `raw`.
    pub fn clean(&self, raw: &str, vocabulary: &[String], choice: Choice) -> CleanupOutcome {
        self.clean_in(raw, vocabulary, choice, &Context::default())
    }

    /// As [`clean`](Self::clean), with a profile's prompt and the target application.
    pub fn clean_in(
        &self,
        raw: &str,
        vocabulary: &[String],
        choice: Choice,
        context: &Context<'_>,
    ) -> CleanupOutcome {
        let asked = matches!(choice, Choice::On | Choice::Clean);
        let off = choice == Choice::Off || (self.only_when_asked && !asked);
        let Some(client) = self.client.as_ref().filter(|_| !off) else {
            return CleanupOutcome::raw(raw, "disabled", None, None);
        };
        if choice == Choice::Raw {
            return CleanupOutcome::raw(raw, "raw_requested", None, None);
        }
        let words = words::tokenize(raw).len();
        if words == 0 {
            return CleanupOutcome::raw(raw, "empty_input", None, None);
        }
        if matches!(choice, Choice::Auto | Choice::On) && words < self.settings.min_words {
            return CleanupOutcome::raw(
                raw,
                "too_short",
                Some(format!(
                    "{words} words, fewer than the {} that are worth an LLM call",
                    self.settings.min_words
                )),
                None,
            );
        }
        let start = Instant::now();
        let deadline = start + self.settings.timeout();
        let chosen = context.prompt.unwrap_or(&self.settings.prompt);
        let mut instructions = prompt::instructions(chosen, &self.settings.prompts).to_string();
        if let Some(app) = context.app.filter(|_| self.settings.app_context) {
            instructions.push_str(&prompt::app_note(app));
        }
        let request = ChatRequest {
            model: self.settings.model.clone(),
            messages: prompt::build_messages(&instructions, raw, vocabulary),
            temperature: self.settings.temperature,
            // Room for the text and some change, not for an essay.
            max_tokens: (raw.len() as u32 / 2).max(64) + 64,
            stream: self.settings.stream,
        };
        let reply = client.chat(&request, deadline);
        let llm_ms = Some(start.elapsed().as_secs_f64() * 1000.0);
        let sent = serde_json::to_value(&request).ok();
        let reply = match reply {
            Ok(reply) => prompt::strip_thinking(&reply),
            Err(e) => {
                tracing::warn!("clean-up failed, using the raw transcript: {e}");
                let mut outcome = CleanupOutcome::raw(raw, e.code(), Some(e.to_string()), llm_ms);
                outcome.request = sent;
                return outcome;
            }
        };
        match self.guard.check(raw, &reply, vocabulary) {
            Ok(()) => CleanupOutcome {
                raw: raw.to_string(),
                cleaned: Some(reply),
                used: Used::Cleaned,
                reason: "cleaned".into(),
                detail: None,
                llm_ms,
                request: sent,
            },
            Err(rejection) => {
                tracing::warn!("clean-up rejected, using the raw transcript: {rejection}");
                let mut outcome =
                    CleanupOutcome::raw(raw, rejection.code(), Some(rejection.to_string()), llm_ms);
                outcome.cleaned = Some(reply);
                outcome.request = sent;
                outcome
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CleanupSetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Client(#[from] LlmError),
}
