//! Real speech clips with reference transcripts, and dictation-length utterances built from
//! them (clips joined by short pauses, as a person dictating several sentences would).

use std::path::{Path, PathBuf};

use crate::SAMPLE_RATE;

#[derive(Debug, Clone)]
pub struct Clip {
    pub path: PathBuf,
    pub language: String,
    pub reference: String,
    pub samples: Vec<f32>,
}

impl Clip {
    pub fn seconds(&self) -> f64 {
        crate::audio::seconds(self.samples.len())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error(
        "{0} has no manifest.tsv (columns: file, language, seconds, source, license, reference, kind)"
    )]
    NoManifest(PathBuf),
    #[error("{dir} has no {language:?} clips with human references")]
    Empty { dir: PathBuf, language: String },
}

/// Clips of one language from a corpus directory with a `manifest.tsv` (the layout of
/// `../shared/eval`): only rows whose reference is human (`kind` = `real`).
pub fn load_clips(dir: &Path, language: &str) -> Result<Vec<Clip>, CorpusError> {
    let manifest = dir.join("manifest.tsv");
    if !manifest.is_file() {
        return Err(CorpusError::NoManifest(dir.to_path_buf()));
    }
    let read_err = |path: &Path, reason: String| CorpusError::Read {
        path: path.to_path_buf(),
        reason,
    };
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| read_err(&manifest, e.to_string()))?;
    let mut clips = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, lang, _, _, _, reference, kind] = cols[..] else {
            continue;
        };
        if lang != language || kind != "real" {
            continue;
        }
        let path = [dir.join("audio").join(file), dir.join(file)]
            .into_iter()
            .find(|p| p.is_file())
            .ok_or_else(|| {
                read_err(&dir.join(file), "listed in the manifest but missing".into())
            })?;
        let samples =
            crate::audio::load_mono_16k(&path).map_err(|e| read_err(&path, e.to_string()))?;
        clips.push(Clip {
            path,
            language: lang.to_string(),
            reference: reference.to_string(),
            samples,
        });
    }
    if clips.is_empty() {
        return Err(CorpusError::Empty {
            dir: dir.to_path_buf(),
            language: language.to_string(),
        });
    }
    Ok(clips)
}

/// A dictation made of consecutive clips.
#[derive(Debug, Clone)]
pub struct Utterance {
    pub samples: Vec<f32>,
    pub reference: String,
}

impl Utterance {
    pub fn seconds(&self) -> f64 {
        crate::audio::seconds(self.samples.len())
    }
}

/// Pause put between joined clips.
pub const JOIN_PAUSE_MS: u32 = 600;

/// Up to `count` utterances of about `target_s` seconds (within 0.7–1.4×), each made of
/// consecutive clips with a [`JOIN_PAUSE_MS`] pause between them. Utterances start at clips
/// spread over the corpus so they are not all the same speakers.
pub fn build_utterances(clips: &[Clip], target_s: f64, count: usize) -> Vec<Utterance> {
    let pause = vec![0.0f32; (SAMPLE_RATE * JOIN_PAUSE_MS / 1000) as usize];
    let (low, high) = (target_s * 0.7, target_s * 1.4);
    let mut out = Vec::new();
    // Starts spread over the corpus first (different speakers), then the rest.
    let spread = (0..count.min(clips.len())).map(|i| i * clips.len() / count.max(1));
    let mut starts: Vec<usize> = spread.collect();
    starts.extend(
        (0..clips.len())
            .filter(|i| !starts.contains(i))
            .collect::<Vec<_>>(),
    );
    for first in starts {
        if out.len() >= count {
            break;
        }
        let mut samples = Vec::new();
        let mut reference = String::new();
        for clip in clips.iter().cycle().skip(first).take(clips.len()) {
            let next_len = samples.len() + pause.len() + clip.samples.len();
            if crate::audio::seconds(next_len) > high {
                break;
            }
            if !samples.is_empty() {
                samples.extend_from_slice(&pause);
                reference.push(' ');
            }
            samples.extend_from_slice(&clip.samples);
            reference.push_str(&clip.reference);
            if crate::audio::seconds(samples.len()) >= low {
                break;
            }
        }
        if crate::audio::seconds(samples.len()) >= low {
            out.push(Utterance { samples, reference });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(seconds: f64, text: &str) -> Clip {
        Clip {
            path: PathBuf::from(text),
            language: "en".into(),
            reference: text.into(),
            samples: vec![0.1; (seconds * f64::from(SAMPLE_RATE)) as usize],
        }
    }

    #[test]
    fn utterances_join_clips_to_the_target_length() {
        let clips = vec![
            clip(2.5, "a"),
            clip(3.0, "b"),
            clip(26.0, "c"),
            clip(2.0, "d"),
        ];
        let tens = build_utterances(&clips, 10.0, 4);
        assert!(!tens.is_empty());
        for u in &tens {
            assert!((7.0..=14.0).contains(&u.seconds()), "{}", u.seconds());
            assert!(!u.reference.contains('c'));
        }
        let thirties = build_utterances(&clips, 30.0, 2);
        assert!(thirties.iter().all(|u| u.reference.contains('c')));
        let twos = build_utterances(&clips, 2.0, 10);
        assert!(twos.iter().all(|u| !u.reference.contains(' ')));
    }
}
