//! Building the clean-up stage from the user's settings, the environment and the keyring.

use super::{Cleaner, CleanupSettings, CleanupSetupError};
use crate::secrets::{ApiKeys, SecretError};

/// A cleaner plus what the user should be told about how it was set up.
pub struct Prepared {
    pub cleaner: Cleaner,
    pub warnings: Vec<String>,
}

/// Settings, then `UTTER_LLM_*` from the environment, then `force_on` (e.g. `--cleanup`).
/// The API key comes from `UTTER_LLM_API_KEY` or the keyring; a missing keyring is only a
/// warning, because local servers need no key.
pub fn prepare(
    mut settings: CleanupSettings,
    keys: &ApiKeys,
    force_on: bool,
) -> Result<Prepared, CleanupSetupError> {
    settings.apply_process_env()?;
    if force_on {
        settings.enabled = true;
    }
    let mut warnings = Vec::new();
    let key = if settings.enabled {
        match keys.get(settings.provider) {
            Ok(found) => found.map(|(key, _)| key),
            Err(e @ SecretError::NoKeyring(_)) if !settings.provider.is_local() => {
                warnings.push(e.to_string());
                None
            }
            Err(e) => {
                tracing::debug!("no API key from the keyring: {e}");
                None
            }
        }
    } else {
        None
    };
    if settings.enabled && key.is_none() && !settings.provider.is_local() {
        let custom = settings.provider == super::Provider::Custom;
        if !custom {
            warnings.push(format!(
                "no API key stored for {}: store one with `utter llm key set` or set \
                 UTTER_LLM_API_KEY",
                settings.provider.label()
            ));
        }
    }
    Ok(Prepared {
        cleaner: Cleaner::new(settings, key)?,
        warnings,
    })
}
