//! Typed settings in `<config dir>/settings.toml`: loaded once, saved atomically. A file that
//! cannot be parsed is kept as a backup and replaced by defaults, with a warning to show.
//! Secrets are never stored here (see [`crate::secrets`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cleanup::CleanupSettings;
use crate::history::Retention;
use crate::hotkey::Mode;
use crate::output::OutputSettings;

pub const DEFAULT_HOTKEY: &str = "Ctrl+Alt+Space";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The dictation key, e.g. "Ctrl+Alt+Space" or "F9".
    pub hotkey: String,
    pub mode: Mode,
    /// Input device name (or a unique part of it); `None` for the system default.
    pub microphone: Option<String>,
    /// Model name from the catalog or a path; `None` for the default model.
    pub model: Option<String>,
    /// "auto" or a language code.
    pub language: String,
    pub translate: bool,
    /// Names and terms: they prime the recogniser and are given to the clean-up LLM.
    pub vocabulary: Vec<String>,
    /// Fixed rewrites applied to every transcript (e.g. "utter" → "Utter").
    pub replacements: Vec<Replacement>,
    pub output: OutputSettings,
    pub start_at_login: bool,
    pub cleanup: CleanupSettings,
    pub history: Retention,
    pub speed: SpeedSettings,
    pub hands_free: HandsFreeSettings,
    /// Speech detection: thresholds and durations (the defaults suit most microphones).
    pub vad: crate::vad::VadParams,
    /// "new line", "period", "scratch that", … (see [`crate::spoken_commands`]).
    pub spoken_commands: bool,
    /// Per-application profiles, the first that matches wins (see [`crate::profiles`]).
    pub profiles: Vec<crate::profiles::Profile>,
}

/// What ends a hands-free dictation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Until {
    /// The end-of-turn model hears that you have finished (or the silence limit is reached).
    #[default]
    Turn,
    /// A pause of `end_silence_ms`.
    Silence,
}

/// When a hands-free dictation ends (see [`crate::turn`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandsFreeSettings {
    /// What ends a dictation: when you have finished speaking, or only a long enough pause.
    pub until: Until,
    /// After a pause this long (ms), ask the end-of-turn model whether you have finished.
    pub pause_ms: u32,
    /// How sure it must be (0–1) that you have finished.
    pub finished_above: f32,
    /// ...and the words so far must read as a finished sentence (when decoding while
    /// listening: the streaming strategy).
    pub read_transcript: bool,
    /// ...and the recogniser must be this sure (0–1) of the full stop (or "!", "?") that ends
    /// them: it gives a stop it is unsure of to a speaker who paused in mid-sentence.
    pub full_stop_above: f32,
    /// A pause this long (ms) ends the dictation whatever the model says.
    pub end_silence_ms: u32,
    /// A pause the model thought likely finished (above this, 0–1)...
    pub likely_finished_above: f32,
    /// ...ends after this long (ms; at most `end_silence_ms`).
    pub likely_end_silence_ms: u32,
    /// The longest dictation (seconds).
    pub max_seconds: f64,
    /// Give up when nothing is said for this long after the tap (seconds).
    pub wait_for_speech_seconds: f64,
    /// After a dictation ends by itself, keep listening this long (ms): speech then continues
    /// it in a follow-on dictation typed right after (0: the microphone closes at the end).
    pub follow_on_ms: u32,
    /// Decode the words so far after a pause this long (ms), before the end-of-turn model is
    /// asked, so their transcript is ready when it answers; given up if you go on (0: decode
    /// at `pause_ms`).
    pub early_decode_ms: u32,
}

impl Default for HandsFreeSettings {
    fn default() -> Self {
        let d = crate::turn::EndParams::DEFAULT;
        HandsFreeSettings {
            until: Until::Turn,
            pause_ms: d.pause_ms,
            finished_above: d.finished_above,
            read_transcript: d.read_transcript,
            full_stop_above: d.full_stop_above,
            end_silence_ms: d.end_silence_ms,
            likely_finished_above: d.likely_finished_above,
            likely_end_silence_ms: d.likely_end_silence_ms,
            max_seconds: f64::from(d.max_ms) / 1000.0,
            wait_for_speech_seconds: f64::from(d.wait_for_speech_ms) / 1000.0,
            follow_on_ms: d.follow_on_ms,
            early_decode_ms: d.early_decode_ms,
        }
    }
}

impl HandsFreeSettings {
    pub fn end_params(&self) -> crate::turn::EndParams {
        let ms = |s: f64| (s.max(0.0) * 1000.0).min(f64::from(u32::MAX)) as u32;
        crate::turn::EndParams {
            semantic: self.until == Until::Turn,
            pause_ms: self.pause_ms,
            finished_above: self.finished_above.clamp(0.0, 1.0),
            end_silence_ms: self.end_silence_ms.max(self.pause_ms),
            likely_finished_above: self.likely_finished_above.clamp(0.0, 1.0),
            likely_end_silence_ms: self.likely_end_silence_ms.max(self.pause_ms),
            max_ms: ms(self.max_seconds).max(1000),
            wait_for_speech_ms: ms(self.wait_for_speech_seconds).max(1000),
            // The session turns it off when nothing is decoded while listening (batch).
            read_transcript: self.read_transcript,
            full_stop_above: self.full_stop_above.clamp(0.0, 1.0),
            follow_on_ms: self.follow_on_ms,
            early_decode_ms: self.early_decode_ms,
        }
    }
}

/// When to decode: while the key is held (fast) or only after it is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Decode at each pause while recording; on release only the rest is left.
    #[default]
    Streaming,
    /// Decode the whole recording after the release.
    Batch,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SpeedSettings {
    pub strategy: Strategy,
    pub audio_context: crate::stt::AudioContext,
    /// Free the speech model's memory after this many idle minutes (0 = keep it loaded).
    /// It is loaded again on the next key press, while recording.
    pub unload_after_idle_minutes: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            hotkey: DEFAULT_HOTKEY.to_string(),
            mode: Mode::PushToTalk,
            microphone: None,
            model: None,
            language: "auto".to_string(),
            translate: false,
            vocabulary: Vec::new(),
            replacements: Vec::new(),
            output: OutputSettings::default(),
            start_at_login: false,
            cleanup: CleanupSettings::default(),
            history: Retention::default(),
            speed: SpeedSettings::default(),
            hands_free: HandsFreeSettings::default(),
            vad: crate::vad::VadParams::default(),
            spoken_commands: true,
            profiles: Vec::new(),
        }
    }
}

impl Settings {
    /// 12 hex digits of the SHA-256 of these settings as TOML: dictations that ran with the same
    /// settings share it.
    pub fn short_hash(&self) -> String {
        use sha2::Digest;
        let text = toml::to_string(self).unwrap_or_default();
        let digest = sha2::Sha256::digest(text.as_bytes());
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }
}

/// A whole-word, case-insensitive rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub from: String,
    pub to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot save the settings to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the settings: {0}")]
    Encode(#[from] toml::ser::Error),
    #[error(transparent)]
    NoHome(#[from] crate::paths::NoHomeDir),
}

/// Settings as loaded, plus a warning for the user when the file had to be replaced.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub warning: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    /// `<config dir>/settings.toml` (`UTTER_CONFIG_DIR` or `$XDG_CONFIG_HOME/utter`).
    pub fn default_location() -> Result<SettingsFile, SettingsError> {
        Ok(SettingsFile::at(
            crate::paths::config_dir()?.join("settings.toml"),
        ))
    }

    pub fn at(path: impl Into<PathBuf>) -> SettingsFile {
        SettingsFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Defaults when there is no file yet. A file that does not parse is renamed to
    /// `settings.toml.corrupt-<unix time>` and defaults are used, with a warning.
    pub fn load(&self) -> Result<Loaded, SettingsError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    settings: Settings::default(),
                    warning: None,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return self.replace_corrupt("it is not UTF-8 text".into());
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        match toml::from_str::<Settings>(&text) {
            Ok(settings) => Ok(Loaded {
                settings,
                warning: None,
            }),
            Err(e) => self.replace_corrupt(e.message().to_string()),
        }
    }

    fn replace_corrupt(&self, problem: String) -> Result<Loaded, SettingsError> {
        let backup = crate::paths::corrupt_copy_of(&self.path);
        std::fs::rename(&self.path, &backup).map_err(|source| SettingsError::Write {
            path: backup.clone(),
            source,
        })?;
        let warning = format!(
            "the settings file {} could not be read ({problem}); it was kept as {} and the \
             default settings are used",
            self.path.display(),
            backup.display()
        );
        tracing::warn!("{warning}");
        Ok(Loaded {
            settings: Settings::default(),
            warning: Some(warning),
        })
    }

    /// Write to a temporary file beside the target, flush it to disk, then rename: a crash or a
    /// full disk never leaves a half-written settings file.
    pub fn save(&self, settings: &Settings) -> Result<(), SettingsError> {
        let text = toml::to_string_pretty(settings)?;
        crate::paths::write_atomically(&self.path, text.as_bytes()).map_err(|source| {
            SettingsError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cleanup::Provider;

    #[test]
    fn round_trip_and_missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::at(dir.path().join("sub/settings.toml"));
        let loaded = file.load().unwrap();
        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.warning.is_none());

        let mut s = Settings {
            vocabulary: vec!["Kubernetes".into()],
            ..Settings::default()
        };
        s.cleanup.enabled = true;
        s.cleanup.provider = Provider::Groq;
        s.cleanup.model = "llama-3.1-8b-instant".into();
        file.save(&s).unwrap();
        assert_eq!(file.load().unwrap().settings, s);
    }

    #[test]
    fn a_corrupt_file_is_backed_up_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "vocabulary = [\"unterminated\n[cleanup\n").unwrap();
        let loaded = SettingsFile::at(&path).load().unwrap();
        assert_eq!(loaded.settings, Settings::default());
        let warning = loaded.warning.unwrap();
        assert!(warning.contains("could not be read"), "{warning}");
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("settings.toml.corrupt-"))
            .collect();
        assert_eq!(backups.len(), 1);
        let kept = std::fs::read_to_string(dir.path().join(&backups[0])).unwrap();
        assert!(kept.contains("unterminated"));
    }

    #[test]
    fn wrong_types_count_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        std::fs::write(&path, "[cleanup]\ntimeout_ms = \"fast\"\n").unwrap();
        let loaded = SettingsFile::at(&path).load().unwrap();
        assert!(loaded.warning.is_some());
        assert!(!path.exists());
    }
}
