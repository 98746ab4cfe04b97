//! `tokens.txt`: one "piece id" per line, SentencePiece pieces with "▁" marking a word start,
//! and the transducer's blank "<blk>" as the last id.

use std::path::Path;

const WORD_START: char = '▁';

#[derive(Debug, Clone)]
pub struct Vocabulary {
    pieces: Vec<String>,
}

impl Vocabulary {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces: Vec<Option<String>> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // Split at the last space: a piece may itself be a space-like character.
            let (piece, id) = line
                .rsplit_once(' ')
                .ok_or_else(|| format!("line {} is not \"piece id\": {line:?}", n + 1))?;
            let id: usize = id
                .trim()
                .parse()
                .map_err(|_| format!("line {} has no numeric id: {line:?}", n + 1))?;
            if id >= pieces.len() {
                pieces.resize(id + 1, None);
            }
            pieces[id] = Some(piece.to_string());
        }
        let pieces = pieces
            .into_iter()
            .enumerate()
            .map(|(id, p)| p.ok_or_else(|| format!("id {id} is missing")))
            .collect::<Result<Vec<_>, _>>()?;
        match pieces.last() {
            Some(last) if last == "<blk>" => Ok(Self { pieces }),
            Some(last) => Err(format!(
                "the last token must be the blank \"<blk>\", found {last:?}"
            )),
            None => Err("the file is empty".into()),
        }
    }

    /// Number of ids including the blank.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Text of a token sequence: pieces joined, word starts become spaces; special tokens
    /// such as `<unk>` are dropped.
    pub fn decode(&self, ids: &[usize]) -> String {
        let mut text = String::new();
        for &id in ids {
            let Some(piece) = self.pieces.get(id) else {
                continue;
            };
            if piece.len() > 2 && piece.starts_with('<') && piece.ends_with('>') {
                continue;
            }
            text.push_str(&piece.replace(WORD_START, " "));
        }
        text.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_join_into_words() {
        let v = Vocabulary::parse("<unk> 0\n▁caf 1\né 2\n▁ok 3\n, 4\n<blk> 5\n").unwrap();
        assert_eq!(v.len(), 6);
        assert_eq!(v.decode(&[1, 2, 4, 3, 0]), "café, ok");
    }

    #[test]
    fn blank_must_be_last() {
        let err = Vocabulary::parse("<blk> 0\n▁a 1\n").unwrap_err();
        assert!(err.contains("last token"), "{err}");
        let err = Vocabulary::parse("▁a 0\n▁b 2\n<blk> 3\n").unwrap_err();
        assert!(err.contains("id 1 is missing"), "{err}");
    }
}
