//! API keys live in the OS keyring (Secret Service on Linux), never in the settings file or
//! the logs. `UTTER_LLM_API_KEY` overrides the keyring for one run, and is the way out on
//! machines without a keyring service.

use crate::cleanup::Provider;

pub const API_KEY_ENV: &str = "UTTER_LLM_API_KEY";
const SERVICE: &str = "utter";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no keyring service is available to store the API key ({0}). Start one (for example \
         gnome-keyring or KeePassXC with Secret Service enabled), or set {API_KEY_ENV} in the \
         environment instead"
    )]
    NoKeyring(String),
    #[error("the keyring refused the API key: {0}")]
    Keyring(String),
    #[error("the API key is empty")]
    EmptyKey,
}

/// Where a key came from, so the UI can say so (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    Keyring,
}

/// API keys per provider, in the keyring under service "utter".
#[derive(Debug, Clone)]
pub struct ApiKeys {
    service: String,
}

impl Default for ApiKeys {
    fn default() -> Self {
        ApiKeys {
            service: SERVICE.to_string(),
        }
    }
}

fn account(provider: Provider) -> String {
    format!("llm-api-key:{}", provider.id())
}

fn classify(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            SecretError::NoKeyring(inner.to_string())
        }
        other => SecretError::Keyring(other.to_string()),
    }
}

impl ApiKeys {
    /// A store under another service name (tests use their own, to stay apart from real keys).
    pub fn with_service(service: &str) -> ApiKeys {
        ApiKeys {
            service: service.to_string(),
        }
    }

    fn entry(&self, provider: Provider) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, &account(provider)).map_err(classify)
    }

    /// The key for `provider`: the environment first, then the keyring. `Ok(None)` when there is
    /// none (local providers need none).
    pub fn get(&self, provider: Provider) -> Result<Option<(String, KeySource)>, SecretError> {
        if let Ok(key) = std::env::var(API_KEY_ENV)
            && !key.trim().is_empty()
        {
            return Ok(Some((key.trim().to_string(), KeySource::Environment)));
        }
        match self.entry(provider)?.get_password() {
            Ok(key) => Ok(Some((key, KeySource::Keyring))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    pub fn set(&self, provider: Provider, key: &str) -> Result<(), SecretError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(SecretError::EmptyKey);
        }
        self.entry(provider)?.set_password(key).map_err(classify)
    }

    /// Remove the stored key; removing a key that is not there is fine.
    pub fn delete(&self, provider: Provider) -> Result<(), SecretError> {
        match self.entry(provider)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}
