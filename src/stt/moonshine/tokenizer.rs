//! Moonshine's vocabulary, from either published form: Hugging Face `tokenizer.json` (BPE with
//! byte fallback) or Moonshine's own `tokenizer.bin` (each token's bytes, length-prefixed).
//! Only decoding is needed: ids → bytes → UTF-8, "▁" marking a space.

use std::path::Path;

const WORD_START: &str = "▁";

#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Bytes of each id; empty for ids the file does not name.
    pieces: Vec<Vec<u8>>,
    /// Ids that are control tokens (`<s>`, `</s>`, `<unk>`, `<<ST_n>>`): never printed.
    special: Vec<bool>,
}

impl Tokenizer {
    /// Load `tokenizer.json` or `tokenizer.bin`, by extension.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Self::from_json(&bytes),
            _ => Self::from_bin(&bytes),
        }
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// `tokenizer.bin`: for each id in order, a length (one byte below 128, else two bytes
    /// `b0 - 128 + 128 * b1`) and that many bytes.
    pub fn from_bin(data: &[u8]) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let first = usize::from(data[pos]);
            pos += 1;
            let len = if first < 128 {
                first
            } else {
                let second = *data
                    .get(pos)
                    .ok_or("is cut off inside a token length (not a Moonshine tokenizer.bin?)")?;
                pos += 1;
                first - 128 + 128 * usize::from(second)
            };
            let piece = data.get(pos..pos + len).ok_or_else(|| {
                format!(
                    "is cut off inside token {} (not a Moonshine tokenizer.bin?)",
                    pieces.len()
                )
            })?;
            pieces.push(piece.to_vec());
            pos += len;
        }
        let special = pieces.iter().map(|p| is_control(p)).collect();
        let tokenizer = Self { pieces, special };
        tokenizer.check()?;
        Ok(tokenizer)
    }

    /// `tokenizer.json` (Hugging Face tokenizers): `model.vocab` and `added_tokens`; byte
    /// fallback tokens `<0xNN>` stand for the byte NN.
    pub fn from_json(data: &[u8]) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct File {
            model: Model,
            #[serde(default)]
            added_tokens: Vec<Added>,
        }
        #[derive(serde::Deserialize)]
        struct Model {
            vocab: std::collections::HashMap<String, usize>,
        }
        #[derive(serde::Deserialize)]
        struct Added {
            id: usize,
            content: String,
            #[serde(default)]
            special: bool,
        }
        let file: File = serde_json::from_slice(data)
            .map_err(|e| format!("is not a tokenizers JSON file with a vocabulary: {e}"))?;
        let size = file
            .model
            .vocab
            .values()
            .chain(file.added_tokens.iter().map(|a| &a.id))
            .max()
            .map_or(0, |m| m + 1);
        if size > 1_000_000 {
            return Err(format!("names token id {} (too large)", size - 1));
        }
        let mut pieces = vec![Vec::new(); size];
        let mut special = vec![false; size];
        for (token, &id) in &file.model.vocab {
            pieces[id] = match byte_fallback(token) {
                Some(b) => vec![b],
                None => token.as_bytes().to_vec(),
            };
            special[id] = is_control(token.as_bytes());
        }
        for added in &file.added_tokens {
            pieces[added.id] = added.content.as_bytes().to_vec();
            special[added.id] = added.special || is_control(added.content.as_bytes());
        }
        let tokenizer = Self { pieces, special };
        tokenizer.check()?;
        Ok(tokenizer)
    }

    fn check(&self) -> Result<(), String> {
        if self.pieces.len() < 3 {
            return Err("has fewer than 3 tokens".into());
        }
        if self.pieces[1] != b"<s>" || self.pieces[2] != b"</s>" {
            return Err(format!(
                "does not have Moonshine's start and end tokens (<s> = 1, </s> = 2); found {:?} and {:?}",
                String::from_utf8_lossy(&self.pieces[1]),
                String::from_utf8_lossy(&self.pieces[2])
            ));
        }
        Ok(())
    }

    /// Text of a token sequence; control tokens are dropped, bytes joined and decoded as
    /// UTF-8 (lossily: a cut-off character becomes U+FFFD), word starts become spaces.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            let id = id as usize;
            if id < self.pieces.len() && !self.special[id] {
                bytes.extend_from_slice(&self.pieces[id]);
            }
        }
        String::from_utf8_lossy(&bytes)
            .replace(WORD_START, " ")
            .trim()
            .to_string()
    }
}

fn byte_fallback(token: &str) -> Option<u8> {
    let hex = token.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2).then(|| u8::from_str_radix(hex, 16).ok())?
}

fn is_control(piece: &[u8]) -> bool {
    piece.len() > 2
        && piece.starts_with(b"<")
        && piece.ends_with(b">")
        && byte_fallback_bytes(piece).is_none()
}

fn byte_fallback_bytes(piece: &[u8]) -> Option<u8> {
    std::str::from_utf8(piece).ok().and_then(byte_fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(tokens: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for t in tokens {
            if t.len() < 128 {
                out.push(t.len() as u8);
            } else {
                out.push((t.len() % 128 + 128) as u8);
                out.push((t.len() / 128) as u8);
            }
            out.extend_from_slice(t);
        }
        out
    }

    #[test]
    fn bin_and_json_decode_alike() {
        let long = vec![b'x'; 200];
        let data = bin(&[
            b"<unk>",
            b"<s>",
            b"</s>",
            &[0xC3],
            &[0xA9],
            "▁caf".as_bytes(),
            ",".as_bytes(),
            &long,
        ]);
        let from_bin = Tokenizer::from_bin(&data).unwrap();
        assert_eq!(from_bin.len(), 8);
        assert_eq!(from_bin.decode(&[1, 5, 3, 4, 6, 2]), "café,");
        assert_eq!(from_bin.decode(&[7]).len(), 200);

        let json = r#"{"model":{"vocab":{"<unk>":0,"<s>":1,"</s>":2,"<0xC3>":3,"<0xA9>":4,"▁caf":5,",":6}},
            "added_tokens":[{"id":7,"content":"<<ST_0>>","special":true}]}"#;
        let from_json = Tokenizer::from_json(json.as_bytes()).unwrap();
        assert_eq!(from_json.decode(&[1, 5, 3, 4, 6, 7, 2]), "café,");
    }

    #[test]
    fn cut_off_or_foreign_files_are_refused() {
        let mut data = bin(&[b"<unk>", b"<s>", b"</s>", b"abc"]);
        data.truncate(data.len() - 1);
        assert!(Tokenizer::from_bin(&data).unwrap_err().contains("cut off"));
        let err = Tokenizer::from_bin(&bin(&[b"a", b"b", b"c"])).unwrap_err();
        assert!(err.contains("start and end tokens"), "{err}");
        let err = Tokenizer::from_json(b"{\"vocab\": 3}").unwrap_err();
        assert!(err.contains("tokenizers JSON"), "{err}");
    }
}
