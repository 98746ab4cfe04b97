//! Clean-up settings: which OpenAI-compatible endpoint, which model, how long to wait.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Known OpenAI-compatible providers. `Custom` takes any base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    #[default]
    Ollama,
    LmStudio,
    LlamaCpp,
    OpenAi,
    Groq,
    Cerebras,
    OpenRouter,
    Gemini,
    Custom,
}

impl Provider {
    pub const ALL: [Provider; 9] = [
        Provider::Ollama,
        Provider::LmStudio,
        Provider::LlamaCpp,
        Provider::OpenAi,
        Provider::Groq,
        Provider::Cerebras,
        Provider::OpenRouter,
        Provider::Gemini,
        Provider::Custom,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Provider::Ollama => "ollama",
            Provider::LmStudio => "lm_studio",
            Provider::LlamaCpp => "llama_cpp",
            Provider::OpenAi => "open_ai",
            Provider::Groq => "groq",
            Provider::Cerebras => "cerebras",
            Provider::OpenRouter => "open_router",
            Provider::Gemini => "gemini",
            Provider::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Ollama => "Ollama (local)",
            Provider::LmStudio => "LM Studio (local)",
            Provider::LlamaCpp => "llama.cpp server (local)",
            Provider::OpenAi => "OpenAI",
            Provider::Groq => "Groq",
            Provider::Cerebras => "Cerebras",
            Provider::OpenRouter => "OpenRouter",
            Provider::Gemini => "Google Gemini",
            Provider::Custom => "Custom endpoint",
        }
    }

    pub fn from_id(id: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The preset base URL (empty for `Custom`).
    pub fn base_url(self) -> &'static str {
        match self {
            Provider::Ollama => "http://127.0.0.1:11434/v1",
            Provider::LmStudio => "http://127.0.0.1:1234/v1",
            Provider::LlamaCpp => "http://127.0.0.1:8080/v1",
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Groq => "https://api.groq.com/openai/v1",
            Provider::Cerebras => "https://api.cerebras.ai/v1",
            Provider::OpenRouter => "https://openrouter.ai/api/v1",
            Provider::Gemini => "https://generativelanguage.googleapis.com/v1beta/openai",
            Provider::Custom => "",
        }
    }

    /// Whether the provider runs on this machine (no key needed, nothing leaves the computer).
    pub fn is_local(self) -> bool {
        matches!(
            self,
            Provider::Ollama | Provider::LmStudio | Provider::LlamaCpp
        )
    }

    /// Request fields that turn reasoning ("thinking") off, where the provider has such a
    /// switch that is harmless for models without reasoning. Clean-up needs no reasoning, and
    /// thinking tokens would eat the time box.
    pub fn no_thinking_fields(self) -> serde_json::Value {
        match self {
            Provider::Ollama | Provider::Gemini => {
                serde_json::json!({ "reasoning_effort": "none" })
            }
            Provider::LlamaCpp => serde_json::json!({
                "chat_template_kwargs": { "enable_thinking": false },
                "reasoning_format": "none"
            }),
            Provider::OpenRouter => serde_json::json!({ "reasoning": { "enabled": false } }),
            _ => serde_json::json!({}),
        }
    }
}

/// A named clean-up prompt the user can edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedPrompt {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanupSettings {
    pub enabled: bool,
    pub provider: Provider,
    /// Used when `provider` is `Custom`, or to point a preset elsewhere (e.g. another host).
    pub base_url: Option<String>,
    pub model: String,
    pub timeout_ms: u64,
    /// Utterances with fewer words skip the LLM: there is little to clean and latency matters.
    pub min_words: usize,
    pub stream: bool,
    pub temperature: f32,
    /// Name of the prompt in `prompts` to use; the built-in default when none matches.
    pub prompt: String,
    pub prompts: Vec<NamedPrompt>,
    /// Tell the LLM which application the text goes to (its name only, never what the window
    /// shows), so it can match the style usual there.
    pub app_context: bool,
}

impl Default for CleanupSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            provider: Provider::default(),
            base_url: None,
            model: String::new(),
            timeout_ms: 2000,
            min_words: 8,
            stream: false,
            temperature: 0.0,
            prompt: crate::cleanup::prompt::DEFAULT_PROMPT_NAME.to_string(),
            prompts: Vec::new(),
            app_context: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("the clean-up endpoint has no base URL: choose a provider or set one")]
    NoBaseUrl,
    #[error("the clean-up base URL {0:?} is not an http:// or https:// URL")]
    BadBaseUrl(String),
    #[error("no clean-up model chosen: pick one in settings or set UTTER_LLM_MODEL")]
    NoModel,
    #[error("the clean-up timeout must be between 100 ms and 60 s, not {0} ms")]
    BadTimeout(u64),
    #[error("{name} must be a number, not {value:?}")]
    BadNumber { name: &'static str, value: String },
}

impl CleanupSettings {
    pub fn effective_base_url(&self) -> String {
        let url = match &self.base_url {
            Some(url) if !url.trim().is_empty() => url.trim(),
            _ => self.provider.base_url(),
        };
        url.trim_end_matches('/').to_string()
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.effective_base_url();
        if url.is_empty() {
            return Err(ConfigError::NoBaseUrl);
        }
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::BadBaseUrl(url));
        }
        if self.model.trim().is_empty() {
            return Err(ConfigError::NoModel);
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            return Err(ConfigError::BadTimeout(self.timeout_ms));
        }
        Ok(())
    }

    /// Apply `UTTER_LLM_BASE_URL`, `UTTER_LLM_MODEL` and `UTTER_LLM_TIMEOUT_MS` from `env`.
    /// A base URL from the environment turns clean-up on for this run.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = get("UTTER_LLM_BASE_URL") {
            self.base_url = Some(url.trim().to_string());
            self.provider = Provider::Custom;
            self.enabled = true;
        }
        if let Some(model) = get("UTTER_LLM_MODEL") {
            self.model = model.trim().to_string();
        }
        if let Some(ms) = get("UTTER_LLM_TIMEOUT_MS") {
            self.timeout_ms = ms.trim().parse().map_err(|_| ConfigError::BadNumber {
                name: "UTTER_LLM_TIMEOUT_MS",
                value: ms,
            })?;
        }
        Ok(())
    }

    /// The process environment version of [`apply_env`](Self::apply_env).
    pub fn apply_process_env(&mut self) -> Result<(), ConfigError> {
        self.apply_env(|name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_distinct_http_urls_and_ids_round_trip() {
        for p in Provider::ALL {
            assert_eq!(Provider::from_id(p.id()), Some(p));
            if p != Provider::Custom {
                assert!(p.base_url().starts_with("http"), "{p:?}");
            }
        }
    }

    #[test]
    fn env_overrides_turn_cleanup_on_and_are_validated() {
        let mut s = CleanupSettings::default();
        assert!(!s.enabled);
        s.apply_env(|name| match name {
            "UTTER_LLM_BASE_URL" => Some("http://10.0.0.5:8000/v1/".into()),
            "UTTER_LLM_MODEL" => Some("qwen3:4b".into()),
            "UTTER_LLM_TIMEOUT_MS" => Some("1500".into()),
            _ => None,
        })
        .unwrap();
        assert!(s.enabled);
        assert_eq!(s.effective_base_url(), "http://10.0.0.5:8000/v1");
        assert_eq!(s.model, "qwen3:4b");
        assert_eq!(s.timeout_ms, 1500);
        s.validate().unwrap();

        let err = s
            .apply_env(|name| (name == "UTTER_LLM_TIMEOUT_MS").then(|| "soon".into()))
            .unwrap_err();
        assert!(err.to_string().contains("UTTER_LLM_TIMEOUT_MS"));
    }

    #[test]
    fn validation_names_the_problem() {
        let mut s = CleanupSettings {
            provider: Provider::Custom,
            ..Default::default()
        };
        assert_eq!(s.validate(), Err(ConfigError::NoBaseUrl));
        s.base_url = Some("localhost:11434".into());
        assert!(matches!(s.validate(), Err(ConfigError::BadBaseUrl(_))));
        s.base_url = Some("http://localhost:11434/v1".into());
        assert_eq!(s.validate(), Err(ConfigError::NoModel));
        s.model = "llama3.2".into();
        s.timeout_ms = 5;
        assert_eq!(s.validate(), Err(ConfigError::BadTimeout(5)));
    }
}
