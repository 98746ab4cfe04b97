//! A configuration to replay a golden set with: the user's settings with a fragment on top — a
//! settings file (`tiny.toml`: its name is `tiny`) or `key=value` pairs on the command line
//! (`model=tiny.en-q8_0,speed.strategy=batch`: the text is its name).

use std::path::Path;

use crate::settings::Settings;

#[derive(Debug, Clone)]
pub struct EvalConfig {
    pub name: String,
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the configuration {name:?} is not a settings fragment: {reason}")]
    Invalid { name: String, reason: String },
}

impl EvalConfig {
    /// `arg` is a path to a TOML fragment, or `key=value` pairs separated by commas (values
    /// in TOML syntax; a bare word is taken as a string).
    pub fn parse(arg: &str, base: &Settings) -> Result<EvalConfig, ConfigError> {
        let path = Path::new(arg);
        let (name, fragment) = if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: arg.to_string(),
                source,
            })?;
            let name = path
                .file_stem()
                .map_or(arg.to_string(), |s| s.to_string_lossy().into_owned());
            (name, text)
        } else {
            (arg.to_string(), inline_fragment(arg))
        };
        let invalid = |reason: String| ConfigError::Invalid {
            name: name.clone(),
            reason,
        };
        let fragment: toml::Table = fragment.parse().map_err(|e| invalid(format!("{e}")))?;
        let mut merged = toml::Table::try_from(base).map_err(|e| invalid(e.to_string()))?;
        merge(&mut merged, fragment.clone());
        let settings: Settings = merged
            .try_into()
            .map_err(|e: toml::de::Error| invalid(e.message().to_string()))?;
        // A misspelt key would be ignored silently and the comparison would mean nothing.
        let understood = toml::Table::try_from(&settings).map_err(|e| invalid(e.to_string()))?;
        if let Some(key) = first_unknown(&fragment, &understood, "") {
            return Err(invalid(format!("there is no setting {key:?}")));
        }
        Ok(EvalConfig { name, settings })
    }
}

/// `a=1,b.c=word` → TOML lines; a value that is not TOML is quoted as a string.
fn inline_fragment(arg: &str) -> String {
    arg.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = value.trim();
            let is_toml = format!("v = {value}").parse::<toml::Table>().is_ok();
            let value = if is_toml {
                value.to_string()
            } else {
                toml::Value::String(value.to_string()).to_string()
            };
            format!("{} = {value}\n", key.trim())
        })
        .collect()
}

/// The first key of `fragment` (dotted) that `understood` does not have.
fn first_unknown(fragment: &toml::Table, understood: &toml::Table, prefix: &str) -> Option<String> {
    fragment.iter().find_map(|(key, value)| {
        let path = format!("{prefix}{key}");
        match (understood.get(key), value) {
            (None, _) => Some(path),
            (Some(toml::Value::Table(known)), toml::Value::Table(inner)) => {
                first_unknown(inner, known, &format!("{path}."))
            }
            _ => None,
        }
    })
}

/// Tables merge key by key; anything else in `top` replaces what `base` had.
fn merge(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(below)), toml::Value::Table(above)) => merge(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Strategy;

    #[test]
    fn inline_pairs_and_files_override_only_what_they_name() {
        let base = Settings {
            vocabulary: vec!["Utter".into()],
            ..Settings::default()
        };
        let c = EvalConfig::parse("model=tiny.en-q8_0,speed.strategy=batch", &base).unwrap();
        assert_eq!(c.name, "model=tiny.en-q8_0,speed.strategy=batch");
        assert_eq!(c.settings.model.as_deref(), Some("tiny.en-q8_0"));
        assert_eq!(c.settings.speed.strategy, Strategy::Batch);
        assert_eq!(c.settings.vocabulary, ["Utter"]);
        let c = EvalConfig::parse("vad.threshold=0.7", &base).unwrap();
        assert_eq!(c.settings.vad.threshold, 0.7);
        assert_eq!(c.settings.vad.min_speech_ms, base.vad.min_speech_ms);

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("llm-on.toml");
        std::fs::write(
            &file,
            "[cleanup]\nenabled = true\nmodel = \"qwen3:4b\"\nbase_url = \"http://127.0.0.1:9/v1\"\n",
        )
        .unwrap();
        let c = EvalConfig::parse(file.to_str().unwrap(), &base).unwrap();
        assert_eq!(c.name, "llm-on");
        assert!(c.settings.cleanup.enabled);
        assert_eq!(c.settings.cleanup.model, "qwen3:4b");
        assert_eq!(c.settings.cleanup.timeout_ms, base.cleanup.timeout_ms);
    }

    #[test]
    fn a_bad_fragment_is_refused_with_its_name() {
        let e = EvalConfig::parse("speed.strategy=sideways", &Settings::default()).unwrap_err();
        let message = e.to_string();
        assert!(message.contains("speed.strategy=sideways"), "{message}");
        assert!(EvalConfig::parse("a.toml.missing = [", &Settings::default()).is_err());
        let e = EvalConfig::parse("modle=tiny.en", &Settings::default()).unwrap_err();
        assert!(e.to_string().contains("no setting \"modle\""), "{e}");
        let e = EvalConfig::parse("speed.stratgy=batch", &Settings::default()).unwrap_err();
        assert!(e.to_string().contains("speed.stratgy"), "{e}");
    }
}
