//! The golden set: dictations whose text the user corrected ("what I really said") or
//! confirmed ("this one was right"), kept with their audio as references for `utter eval`.
//! Words the user corrects again and again are proposed for the vocabulary.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::Serialize;

use super::{COLUMNS, Entry, History, HistoryError, entry_from_row, now_ms};
use crate::eval::align;

/// A word to add to the vocabulary: the recogniser missed it in this many corrected dictations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VocabularyProposal {
    /// As the user wrote it ("Kubernetes").
    pub word: String,
    pub dictations: usize,
}

/// A word missed in this many different dictations is proposed.
pub const PROPOSE_AFTER: usize = 2;

/// Words too common to be worth priming the recogniser with.
const TOO_COMMON: [&str; 24] = [
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
    "one", "our", "out", "has", "have", "his", "how", "its", "that", "this", "with",
];

impl History {
    /// Keep `reference` as what was really said in dictation `id` (empty: nothing was said); the
    /// dictation joins the golden set.
    pub fn correct(&self, id: i64, reference: &str) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET reference = ?2, golden_ms = COALESCE(golden_ms, ?3) \
             WHERE id = ?1",
            params![id, reference.trim(), now_ms()],
        );
        self.changed(id, rows)
    }

    /// "This one was right": its text (as typed) becomes its reference.
    pub fn confirm(&self, id: i64) -> Result<String, HistoryError> {
        let entry = self.get(id)?;
        let text = entry.text().unwrap_or_default().to_string();
        self.correct(id, &text)?;
        Ok(text)
    }

    /// Take a dictation out of the golden set (its reference is forgotten).
    pub fn unmark(&self, id: i64) -> Result<(), HistoryError> {
        let rows = self.conn.execute(
            "UPDATE dictations SET reference = NULL, golden_ms = NULL WHERE id = ?1",
            params![id],
        );
        self.changed(id, rows)
    }

    /// The golden dictations that still have their audio, oldest first.
    pub fn golden(&self) -> Result<Vec<Entry>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM dictations WHERE reference IS NOT NULL \
                 AND audio_path IS NOT NULL ORDER BY id"
            ))
            .map_err(|e| self.db(e))?;
        let rows = stmt.query_map([], entry_from_row).map_err(|e| self.db(e))?;
        let entries: Vec<Entry> = rows.collect::<Result<_, _>>().map_err(|e| self.db(e))?;
        Ok(entries
            .into_iter()
            .filter(|e| e.audio_path.as_ref().is_some_and(|p| p.is_file()))
            .collect())
    }

    /// Words the recogniser missed in at least [`PROPOSE_AFTER`] corrected dictations and that
    /// `vocabulary` does not have yet, most often missed first.
    pub fn vocabulary_proposals(
        &self,
        vocabulary: &[String],
    ) -> Result<Vec<VocabularyProposal>, HistoryError> {
        let mut missed: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for entry in self.golden()? {
            let (Some(reference), Some(raw)) = (&entry.reference, &entry.raw_text) else {
                continue;
            };
            let steps = align::align(reference, raw);
            let mut in_this: Vec<&str> = align::missed_words(&steps).collect();
            in_this.sort_unstable();
            in_this.dedup();
            for word in in_this {
                let slot = missed
                    .entry(word.to_string())
                    .or_insert_with(|| (as_written(reference, word), 0));
                slot.1 += 1;
            }
        }
        let known = |w: &str| vocabulary.iter().any(|v| v.eq_ignore_ascii_case(w));
        let mut proposals: Vec<VocabularyProposal> = missed
            .into_iter()
            .filter(|(word, (written, times))| {
                *times >= PROPOSE_AFTER
                    && word.chars().count() >= 3
                    && !TOO_COMMON.contains(&word.as_str())
                    && !known(written)
            })
            .map(|(_, (word, dictations))| VocabularyProposal { word, dictations })
            .collect();
        proposals.sort_by(|a, b| b.dictations.cmp(&a.dictations).then(a.word.cmp(&b.word)));
        Ok(proposals)
    }
}

/// `word` (normalised) as the user wrote it in `text`: "Kubernetes" rather than "kubernetes".
fn as_written(text: &str, word: &str) -> String {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .find(|w| w.eq_ignore_ascii_case(word))
        .unwrap_or(word)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictation(history: &History, dir: &std::path::Path, raw: &str) -> i64 {
        let wav = dir.join(format!("{}.wav", raw.len()));
        std::fs::write(&wav, b"RIFF").unwrap();
        let id = history.record(Some(&wav), 1.0).unwrap();
        history.set_transcript(id, raw, "m", None).unwrap();
        id
    }

    #[test]
    fn corrected_and_confirmed_dictations_make_the_golden_set() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
        let corrected = dictation(&history, dir.path(), "deploy it to cube and eighties");
        let confirmed = dictation(&history, dir.path(), "Good morning.");
        let other = dictation(&history, dir.path(), "not reviewed");
        history
            .correct(corrected, " Deploy it to Kubernetes. ")
            .unwrap();
        assert_eq!(history.confirm(confirmed).unwrap(), "Good morning.");
        let golden = history.golden().unwrap();
        let ids: Vec<i64> = golden.iter().map(|e| e.id).collect();
        assert_eq!(ids, [corrected, confirmed]);
        assert_eq!(
            golden[0].reference.as_deref(),
            Some("Deploy it to Kubernetes.")
        );
        assert!(golden[0].golden_ms.is_some());
        assert!(history.get(other).unwrap().reference.is_none());
        history.unmark(confirmed).unwrap();
        assert_eq!(history.golden().unwrap().len(), 1);
        assert!(matches!(
            history.correct(999, "x"),
            Err(HistoryError::NotFound(999))
        ));
    }

    #[test]
    fn a_word_corrected_in_two_dictations_is_proposed_once_and_not_when_known() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
        for (raw, reference) in [
            ("deploy to cube and eighties", "deploy to Kubernetes"),
            (
                "the cube and eighties cluster is down",
                "the Kubernetes cluster is down",
            ),
            ("restart the pod", "restart the pods"),
        ] {
            let id = dictation(&history, dir.path(), raw);
            history.correct(id, reference).unwrap();
        }
        let proposals = history.vocabulary_proposals(&[]).unwrap();
        assert_eq!(
            proposals,
            [VocabularyProposal {
                word: "Kubernetes".into(),
                dictations: 2
            }]
        );
        assert!(
            history
                .vocabulary_proposals(&["kubernetes".into()])
                .unwrap()
                .is_empty()
        );
    }
}
