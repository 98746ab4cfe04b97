//! The model catalog (`models/catalog.toml`, compiled into the binary).

use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../../models/catalog.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    Whisper,
    SileroVad,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelEntry {
    pub name: String,
    pub engine: Engine,
    pub file: String,
    pub url: String,
    pub size: u64,
    pub sha256: String,
    pub languages: String,
    pub description: String,
    #[serde(default)]
    pub default: bool,
}

impl ModelEntry {
    /// Where to download the file: `UTTER_MODEL_MIRROR/<file>` when a mirror is set (still
    /// verified against the catalog's size and SHA-256), else the upstream URL.
    pub fn download_url(&self) -> String {
        match std::env::var("UTTER_MODEL_MIRROR") {
            Ok(mirror) if !mirror.trim().is_empty() => {
                format!("{}/{}", mirror.trim().trim_end_matches('/'), self.file)
            }
            _ => self.url.clone(),
        }
    }

    pub fn is_english_only(&self) -> bool {
        self.languages == "en"
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the model catalog is malformed: {0}")]
    Parse(String),
    #[error("unknown model {name:?}; known models: {known}")]
    Unknown { name: String, known: String },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

impl Catalog {
    pub fn builtin() -> Self {
        // The built-in catalog is checked by a unit test, so this cannot fail in a release.
        Self::parse(BUILTIN).unwrap_or(Catalog { models: Vec::new() })
    }

    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        toml::from_str(text).map_err(|e| CatalogError::Parse(e.to_string()))
    }

    pub fn get(&self, name: &str) -> Result<&ModelEntry, CatalogError> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| CatalogError::Unknown {
                name: name.to_string(),
                known: self
                    .models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn whisper_models(&self) -> impl Iterator<Item = &ModelEntry> {
        self.models.iter().filter(|m| m.engine == Engine::Whisper)
    }

    pub fn default_whisper(&self) -> Option<&ModelEntry> {
        self.whisper_models().find(|m| m.default)
    }

    pub fn vad(&self) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.engine == Engine::SileroVad)
    }

    /// The entry whose file name is `file`, if any.
    pub fn by_file(&self, file: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.file == file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_complete_and_well_formed() {
        let catalog = Catalog::parse(BUILTIN).expect("catalog parses");
        for required in [
            "tiny",
            "tiny.en",
            "base",
            "base.en",
            "small",
            "small.en",
            "medium",
            "large-v3-turbo",
            "tiny.en-q8_0",
            "base-q8_0",
            "large-v3-turbo-q5_0",
            "silero-vad",
        ] {
            catalog
                .get(required)
                .unwrap_or_else(|_| panic!("{required} missing"));
        }
        let mut names = std::collections::HashSet::new();
        for m in &catalog.models {
            assert!(names.insert(&m.name), "duplicate {}", m.name);
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(
                m.sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{}",
                m.name
            );
            assert!(
                m.url.starts_with("https://") && m.url.ends_with(&m.file),
                "{}",
                m.name
            );
            assert!(m.size > 1_000_000, "{}", m.name);
            assert!(
                m.languages == "en" || m.languages == "multilingual",
                "{}",
                m.name
            );
            if m.engine == Engine::Whisper {
                assert_eq!(m.is_english_only(), m.name.contains(".en"), "{}", m.name);
            }
        }
        assert_eq!(catalog.whisper_models().filter(|m| m.default).count(), 1);
        assert!(catalog.vad().is_some());
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = Catalog::builtin().get("huge").unwrap_err().to_string();
        assert!(
            err.contains("unknown model \"huge\"") && err.contains("base.en"),
            "{err}"
        );
    }
}
