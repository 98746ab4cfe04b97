//! Golden sets: recordings with what was really said in them. From the history (the
//! dictations the user corrected or confirmed) or from a folder with a `manifest.tsv` (columns
//! named in its first line; at least `file`, `language` and `reference` — the layout of
//! `../shared/eval`), and written back out as such a folder to share or keep in a repository.

use std::path::{Path, PathBuf};

use crate::history::History;

#[derive(Debug, Clone)]
pub struct GoldenItem {
    /// Its name in the set (the WAV file's name).
    pub file: String,
    /// A language code, or "auto".
    pub language: String,
    /// What was said; empty for a recording without speech.
    pub reference: String,
    pub samples: Vec<f32>,
    /// Where it came from (a history id, or the manifest's source column).
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct GoldenSet {
    pub name: String,
    pub items: Vec<GoldenItem>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error(
        "{0} has no manifest.tsv (a first line naming at least the columns file, language and reference)"
    )]
    NoManifest(PathBuf),
    #[error("{path}: the manifest has no {column:?} column")]
    MissingColumn { path: PathBuf, column: &'static str },
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error(
        "the golden set is empty: correct a dictation (`utter history correct ID \"what I said\"`) \
         or confirm one (`utter history confirm ID`) first"
    )]
    EmptyHistory,
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
}

const MANIFEST_COLUMNS: [&str; 7] = [
    "file",
    "language",
    "seconds",
    "source",
    "license",
    "reference",
    "kind",
];

impl GoldenSet {
    /// The dictations corrected or confirmed in the history that still have their audio.
    pub fn from_history(history: &History) -> Result<GoldenSet, SetError> {
        let mut items = Vec::new();
        for entry in history.golden()? {
            let Some(path) = entry.audio_path.clone() else {
                continue;
            };
            let samples = crate::audio::load_mono_16k(&path).map_err(|e| SetError::Read {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            items.push(GoldenItem {
                file: format!("dictation-{}.wav", entry.id),
                language: entry.language.clone().unwrap_or_else(|| "auto".into()),
                reference: entry.reference.clone().unwrap_or_default(),
                samples,
                source: format!("utter history #{}", entry.id),
            });
        }
        if items.is_empty() {
            return Err(SetError::EmptyHistory);
        }
        Ok(GoldenSet {
            name: "history".into(),
            items,
        })
    }

    /// A folder with `manifest.tsv` and the WAV files (beside it or in `audio/`). Rows whose
    /// `kind` says the reference is disputed (`real-unconfirmed`) are left out.
    pub fn from_dir(dir: &Path) -> Result<GoldenSet, SetError> {
        let manifest = dir.join("manifest.tsv");
        let text = std::fs::read_to_string(&manifest)
            .map_err(|_| SetError::NoManifest(dir.to_path_buf()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let column = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or(SetError::MissingColumn {
                    path: manifest.clone(),
                    column: name,
                })
        };
        let (file_at, language_at, reference_at) =
            (column("file")?, column("language")?, column("reference")?);
        let (kind_at, source_at) = (column("kind").ok(), column("source").ok());
        let mut items = Vec::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let cols: Vec<&str> = line.split('\t').collect();
            let cell = |at: usize| cols.get(at).copied().unwrap_or_default().trim();
            if kind_at.is_some_and(|k| cell(k) == "real-unconfirmed") {
                continue;
            }
            let file = cell(file_at);
            let path = [dir.join("audio").join(file), dir.join(file)]
                .into_iter()
                .find(|p| p.is_file())
                .ok_or_else(|| SetError::Read {
                    path: dir.join(file),
                    reason: "listed in the manifest but missing".into(),
                })?;
            let samples = crate::audio::load_mono_16k(&path).map_err(|e| SetError::Read {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            items.push(GoldenItem {
                file: file.to_string(),
                language: cell(language_at).to_string(),
                reference: cell(reference_at).to_string(),
                samples,
                source: source_at.map(cell).unwrap_or_default().to_string(),
            });
        }
        let name = dir
            .file_name()
            .map_or("set".into(), |n| n.to_string_lossy().into_owned());
        Ok(GoldenSet { name, items })
    }

    /// Write the set as a folder `from_dir` (and `../shared/eval`'s readers) can read: WAV files
    /// in `audio/` and `manifest.tsv`.
    pub fn export(&self, dir: &Path) -> Result<(), SetError> {
        let write_err = |path: &Path, reason: String| SetError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let audio = dir.join("audio");
        std::fs::create_dir_all(&audio).map_err(|e| write_err(&audio, e.to_string()))?;
        let mut manifest = MANIFEST_COLUMNS.join("\t") + "\n";
        for item in &self.items {
            let path = audio.join(&item.file);
            crate::audio::wav::write_wav_16k(&path, &item.samples)
                .map_err(|e| write_err(&path, e.to_string()))?;
            let row = [
                item.file.as_str(),
                item.language.as_str(),
                &format!("{:.2}", crate::audio::seconds(item.samples.len())),
                &one_line(&item.source),
                "the speaker's own recording",
                &one_line(&item.reference),
                "real",
            ];
            manifest.push_str(&row.join("\t"));
            manifest.push('\n');
        }
        let path = dir.join("manifest.tsv");
        std::fs::write(&path, manifest).map_err(|e| write_err(&path, e.to_string()))
    }
}

/// A manifest cell: tabs and line breaks would break the table.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_written_out_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let set = GoldenSet {
            name: "mine".into(),
            items: vec![
                GoldenItem {
                    file: "dictation-1.wav".into(),
                    language: "en".into(),
                    reference: "Deploy it\tto Kubernetes.\nNow.".into(),
                    samples: tone.clone(),
                    source: "utter history #1".into(),
                },
                GoldenItem {
                    file: "dictation-2.wav".into(),
                    language: "auto".into(),
                    reference: String::new(),
                    samples: vec![0.0; 8_000],
                    source: "utter history #2".into(),
                },
            ],
        };
        let out = dir.path().join("golden");
        set.export(&out).unwrap();
        let back = GoldenSet::from_dir(&out).unwrap();
        assert_eq!(back.name, "golden");
        assert_eq!(back.items.len(), 2);
        assert_eq!(back.items[0].reference, "Deploy it to Kubernetes. Now.");
        assert_eq!(back.items[1].reference, "");
        assert_eq!(back.items[1].language, "auto");
        assert_eq!(back.items[0].samples.len(), tone.len());
        let worst = back.items[0]
            .samples
            .iter()
            .zip(&tone)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-3, "16-bit round trip: {worst}");
    }

    #[test]
    fn a_manifest_needs_its_columns_and_its_files() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            GoldenSet::from_dir(dir.path()),
            Err(SetError::NoManifest(_))
        ));
        std::fs::write(dir.path().join("manifest.tsv"), "file\ttext\na.wav\thi\n").unwrap();
        let e = GoldenSet::from_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("\"language\""), "{e}");
        std::fs::write(
            dir.path().join("manifest.tsv"),
            "reference\tlanguage\tfile\nhello\ten\tgone.wav\n",
        )
        .unwrap();
        let e = GoldenSet::from_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("gone.wav") && e.contains("missing"), "{e}");
    }
}
