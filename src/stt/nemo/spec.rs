//! Hyper-parameters of a NeMo transducer, read from the encoder's ONNX metadata
//! (`metadata_props`, as written by sherpa-onnx's export scripts) and checked against the
//! graphs' own input/output shapes.

use std::collections::HashMap;

/// How the encoder runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Whole utterance at once (Parakeet). `durations` is empty for plain RNN-T, else the
    /// TDT duration of each duration output (in encoder frames).
    Offline { durations: Vec<usize> },
    /// Cache-aware streaming (Nemotron): windows of `window` feature frames every `shift`.
    Streaming(StreamingShape),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamingShape {
    pub window: usize,
    pub shift: usize,
    /// `cache_last_channel`: [1, dim1, dim2, dim3]
    pub channel_cache: [usize; 3],
    /// `cache_last_time`: [1, dim1, dim2, dim3]
    pub time_cache: [usize; 3],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalize {
    None,
    PerFeature,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Output classes including the blank (NeMo's `vocab_size` + 1).
    pub vocab_size: usize,
    pub feat_dim: usize,
    pub normalize: Normalize,
    pub pred_rnn_layers: usize,
    pub pred_hidden: usize,
    pub subsampling: usize,
    pub kind: Kind,
    /// Languages the model transcribes, when the metadata says ("en", or a list).
    pub languages: Option<String>,
}

impl Spec {
    pub fn blank(&self) -> usize {
        self.vocab_size - 1
    }

    pub fn is_streaming(&self) -> bool {
        matches!(self.kind, Kind::Streaming(_))
    }
}

struct Meta<'a>(&'a HashMap<String, String>);

impl Meta<'_> {
    fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim())
    }

    fn number(&self, key: &str) -> Result<usize, String> {
        let value = self
            .text(key)
            .ok_or_else(|| format!("the encoder's metadata has no {key:?}"))?;
        value
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("metadata {key:?} is {value:?}, expected a positive integer"))
    }
}

/// Read the spec from the encoder metadata. `joiner_width` is the joiner's output size
/// (vocabulary + blank + TDT durations); `encoder_feat_dim` the encoder's feature input size
/// if the graph fixes it.
pub fn read(
    metadata: &HashMap<String, String>,
    joiner_width: Option<usize>,
    encoder_feat_dim: Option<usize>,
) -> Result<Spec, String> {
    let meta = Meta(metadata);
    let vocab_size = meta.number("vocab_size")? + 1;
    let feat_dim = match meta.text("feat_dim") {
        Some(_) => meta.number("feat_dim")?,
        None => encoder_feat_dim
            .ok_or("the encoder's metadata has no \"feat_dim\" and its input size is not fixed")?,
    };
    if let Some(graph) = encoder_feat_dim
        && graph != feat_dim
    {
        return Err(format!(
            "metadata says feat_dim {feat_dim} but the encoder takes {graph} features per frame"
        ));
    }
    let normalize = match meta.text("normalize_type").unwrap_or("") {
        "" | "NA" => Normalize::None,
        "per_feature" => Normalize::PerFeature,
        other => return Err(format!("unsupported normalize_type {other:?}")),
    };
    let streaming = meta.text("window_size").is_some() || meta.text("chunk_shift").is_some();
    let kind = if streaming {
        let dims = |prefix: &str| -> Result<[usize; 3], String> {
            Ok([
                meta.number(&format!("{prefix}_dim1"))?,
                meta.number(&format!("{prefix}_dim2"))?,
                meta.number(&format!("{prefix}_dim3"))?,
            ])
        };
        let window = meta.number("window_size")?;
        let shift = meta.number("chunk_shift")?;
        if shift > window {
            return Err(format!(
                "chunk_shift {shift} is larger than window_size {window}"
            ));
        }
        Kind::Streaming(StreamingShape {
            window,
            shift,
            channel_cache: dims("cache_last_channel")?,
            time_cache: dims("cache_last_time")?,
        })
    } else {
        Kind::Offline {
            durations: tdt_durations(&meta, vocab_size, joiner_width)?,
        }
    };
    if let (Kind::Streaming(_), Some(width)) = (&kind, joiner_width)
        && width != vocab_size
    {
        return Err(format!(
            "the joiner has {width} outputs but the vocabulary has {vocab_size} tokens"
        ));
    }
    Ok(Spec {
        vocab_size,
        feat_dim,
        normalize,
        pred_rnn_layers: meta.number("pred_rnn_layers")?,
        pred_hidden: meta.number("pred_hidden")?,
        subsampling: match meta.text("subsampling_factor") {
            Some(_) => meta.number("subsampling_factor")?,
            None => 8,
        },
        kind,
        languages: meta.text("language").map(str::to_string),
    })
}

/// TDT durations: from metadata `tdt_durations` ("0,1,2,3,4") when present, else one per extra
/// joiner output, 0, 1, 2, ... (what Parakeet TDT uses).
fn tdt_durations(
    meta: &Meta,
    vocab_size: usize,
    joiner_width: Option<usize>,
) -> Result<Vec<usize>, String> {
    let extra = match joiner_width {
        Some(width) if width < vocab_size => {
            return Err(format!(
                "the joiner has {width} outputs, fewer than the {vocab_size} tokens of the vocabulary"
            ));
        }
        Some(width) => Some(width - vocab_size),
        None => None,
    };
    let durations: Vec<usize> = match meta.text("tdt_durations") {
        Some(list) => list
            .split(',')
            .map(|d| d.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                format!("metadata \"tdt_durations\" is {list:?}, expected \"0,1,2,...\"")
            })?,
        None => (0..extra.unwrap_or(0)).collect(),
    };
    if let Some(extra) = extra
        && extra != durations.len()
    {
        return Err(format!(
            "the joiner has {extra} duration outputs but the metadata lists {} durations",
            durations.len()
        ));
    }
    if !durations.is_empty() && durations.iter().all(|&d| d == 0) {
        return Err("all TDT durations are 0: decoding would never advance".into());
    }
    Ok(durations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parakeet_meta() -> HashMap<String, String> {
        [
            ("vocab_size", "1024"),
            ("normalize_type", "per_feature"),
            ("pred_rnn_layers", "2"),
            ("pred_hidden", "640"),
            ("subsampling_factor", "8"),
            ("feat_dim", "128"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn parakeet_tdt_durations_come_from_the_joiner_width() {
        let spec = read(&parakeet_meta(), Some(1030), Some(128)).unwrap();
        assert_eq!(spec.vocab_size, 1025);
        assert_eq!(spec.blank(), 1024);
        assert_eq!(spec.normalize, Normalize::PerFeature);
        assert_eq!(
            spec.kind,
            Kind::Offline {
                durations: vec![0, 1, 2, 3, 4]
            }
        );
    }

    #[test]
    fn explicit_durations_must_match_the_joiner() {
        let mut meta = parakeet_meta();
        meta.insert("tdt_durations".into(), "0,2,4".into());
        let spec = read(&meta, Some(1028), None).unwrap();
        assert_eq!(
            spec.kind,
            Kind::Offline {
                durations: vec![0, 2, 4]
            }
        );
        let err = read(&meta, Some(1030), None).unwrap_err();
        assert!(err.contains("5 duration outputs"), "{err}");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let mut meta = parakeet_meta();
        meta.remove("pred_hidden");
        assert!(
            read(&meta, None, None)
                .unwrap_err()
                .contains("\"pred_hidden\"")
        );
        let mut meta = parakeet_meta();
        meta.insert("vocab_size".into(), "lots".into());
        assert!(
            read(&meta, None, None)
                .unwrap_err()
                .contains("\"vocab_size\" is \"lots\"")
        );
        let err = read(&parakeet_meta(), None, Some(80)).unwrap_err();
        assert!(
            err.contains("feat_dim 128") && err.contains("takes 80"),
            "{err}"
        );
    }

    #[test]
    fn streaming_models_read_their_cache_shapes() {
        let mut meta = parakeet_meta();
        for (k, v) in [
            ("window_size", "65"),
            ("chunk_shift", "56"),
            ("normalize_type", ""),
            ("cache_last_channel_dim1", "24"),
            ("cache_last_channel_dim2", "70"),
            ("cache_last_channel_dim3", "1024"),
            ("cache_last_time_dim1", "24"),
            ("cache_last_time_dim2", "1024"),
            ("cache_last_time_dim3", "8"),
        ] {
            meta.insert(k.into(), v.into());
        }
        let spec = read(&meta, Some(1025), Some(128)).unwrap();
        assert_eq!(spec.normalize, Normalize::None);
        let Kind::Streaming(shape) = spec.kind else {
            panic!("not streaming")
        };
        assert_eq!((shape.window, shape.shift), (65, 56));
        assert_eq!(shape.channel_cache, [24, 70, 1024]);
        assert_eq!(shape.time_cache, [24, 1024, 8]);
    }
}
