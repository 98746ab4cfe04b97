//! Moonshine's two graphs — an encoder over raw 16 kHz audio and a merged decoder with a KV
//! cache (`use_cache_branch`) — loaded once and kept warm. Every size comes from the graphs:
//! layers (count of `past_key_values.N.*`), heads and head size (their shapes), hidden size
//! (the encoder's output), vocabulary (the logits).

use std::path::{Path, PathBuf};

use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, ValueType};

pub use super::layout::Dims;
use super::layout::{self, DecoderInput};

/// The decoder's key/value cache after some tokens.
pub struct KvCache {
    /// Self-attention keys/values, `2 * layers` tensors `[1, heads, len, head_dim]`.
    self_kv: Vec<DynValue>,
    /// Cross-attention keys/values over the encoder frames; computed once per audio.
    cross_kv: Vec<DynValue>,
    pub len: usize,
}

/// The encoder's output for one piece of audio.
pub struct Encoded {
    hidden: DynValue,
    mask: Option<DynValue>,
    pub frames: usize,
}

pub struct Networks {
    encoder: Session,
    decoder: Session,
    encoder_takes_mask: bool,
    decoder_inputs: Vec<DecoderInput>,
    /// Output index of `logits` and of each `present.*` tensor, in cache order.
    logits_output: usize,
    self_outputs: Vec<usize>,
    cross_outputs: Vec<usize>,
    pub dims: Dims,
    // Reused between steps rather than rebuilt.
    empty_past: DynValue,
    use_cache: [DynValue; 2],
    step_ids: Tensor<i64>,
}

type Located = (PathBuf, String);

fn err(what: &str) -> impl Fn(ort::Error) -> String + '_ {
    move |e| format!("the {what} failed: {e}")
}

impl Networks {
    pub fn load(encoder: &Path, decoder: &Path, threads: usize) -> Result<Self, Located> {
        let at = |path: &Path| {
            let path = path.to_path_buf();
            move |reason: String| (path.clone(), reason)
        };
        let encoder_session =
            super::prepare::open_session(encoder, threads).map_err(at(encoder))?;
        let decoder_session =
            super::prepare::open_session(decoder, threads).map_err(at(decoder))?;

        let (encoder_takes_mask, hidden) =
            layout::check_encoder(&encoder_session).map_err(at(encoder))?;
        let layout = layout::check_decoder(&decoder_session, hidden).map_err(at(decoder))?;
        let dims = layout.dims;
        let empty_past = Tensor::<f32>::from_array(([1, dims.heads, 0, dims.head_dim], Vec::new()))
            .map(Into::into)
            .map_err(|e| {
                (
                    decoder.to_path_buf(),
                    format!("cannot build its inputs: {e}"),
                )
            })?;
        let flag = |v: bool| -> Result<DynValue, Located> {
            Tensor::<bool>::from_array(([1usize], vec![v]))
                .map(Into::into)
                .map_err(|e| {
                    (
                        decoder.to_path_buf(),
                        format!("cannot build its inputs: {e}"),
                    )
                })
        };
        let step_ids = Tensor::<i64>::from_array(([1usize, 1], vec![0i64])).map_err(|e| {
            (
                decoder.to_path_buf(),
                format!("cannot build its inputs: {e}"),
            )
        })?;
        Ok(Self {
            encoder: encoder_session,
            decoder: decoder_session,
            encoder_takes_mask,
            decoder_inputs: layout.inputs,
            logits_output: layout.logits_output,
            self_outputs: layout.self_outputs,
            cross_outputs: layout.cross_outputs,
            dims,
            empty_past,
            use_cache: [flag(false)?, flag(true)?],
            step_ids,
        })
    }

    /// Run the encoder over 16 kHz mono audio.
    pub fn encode(&mut self, audio: &[f32]) -> Result<Encoded, String> {
        let n = audio.len();
        let values: DynValue = Tensor::from_array(([1usize, n], audio.to_vec()))
            .map_err(err("encoder input"))?
            .into();
        let mask: Option<DynValue> = if self.encoder_takes_mask {
            Some(
                Tensor::from_array(([1usize, n], vec![1i64; n]))
                    .map_err(err("encoder input"))?
                    .into(),
            )
        } else {
            None
        };
        let mut inputs: Vec<SessionInputValue> = Vec::with_capacity(2);
        for input in self.encoder.inputs() {
            inputs.push(match input.name() {
                "attention_mask" => mask.as_ref().map(SessionInputValue::from).ok_or("mask")?,
                _ => SessionInputValue::from(&values),
            });
        }
        let outputs = self
            .encoder
            .run(inputs.as_slice())
            .map_err(err("encoder"))?;
        let hidden = outputs
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .ok_or("the encoder returned nothing")?;
        let frames = match hidden.dtype() {
            ValueType::Tensor { shape, .. } => shape.get(1).copied().unwrap_or(0).max(0) as usize,
            _ => 0,
        };
        let mask = if self.decoder_inputs.contains(&DecoderInput::EncoderMask) {
            Some(
                Tensor::from_array(([1usize, frames], vec![1i64; frames]))
                    .map_err(err("decoder input"))?
                    .into(),
            )
        } else {
            None
        };
        Ok(Encoded {
            hidden,
            mask,
            frames,
        })
    }

    /// Run the decoder over `ids` after `cache` (all positions at once when there is no cache
    /// yet: teacher forcing). Returns the most likely next token at every position of `ids`
    /// (and the most likely one other than the end token), and the cache extended by them.
    pub fn decode(
        &mut self,
        encoded: &Encoded,
        ids: &[u32],
        cache: Option<KvCache>,
    ) -> Result<(Vec<Best>, KvCache), String> {
        let many: Option<DynValue> = if ids.len() == 1 {
            // The one-token step reuses its input tensor.
            self.step_ids.extract_tensor_mut().1[0] = i64::from(ids[0]);
            None
        } else {
            let data: Vec<i64> = ids.iter().map(|&i| i64::from(i)).collect();
            Some(
                Tensor::from_array(([1usize, ids.len()], data))
                    .map_err(err("decoder input"))?
                    .into(),
            )
        };
        let cached = cache.is_some();
        let mut inputs: Vec<SessionInputValue> = Vec::with_capacity(self.decoder_inputs.len());
        for kind in &self.decoder_inputs {
            inputs.push(match (*kind, &cache) {
                (DecoderInput::Ids, _) => match &many {
                    Some(v) => SessionInputValue::from(v),
                    None => SessionInputValue::from(&self.step_ids),
                },
                (DecoderInput::Hidden, _) => SessionInputValue::from(&encoded.hidden),
                (DecoderInput::EncoderMask, _) => {
                    SessionInputValue::from(encoded.mask.as_ref().ok_or("no encoder mask")?)
                }
                (DecoderInput::UseCache, _) => {
                    SessionInputValue::from(&self.use_cache[usize::from(cached)])
                }
                (DecoderInput::SelfKv(slot), Some(c)) => SessionInputValue::from(&c.self_kv[slot]),
                (DecoderInput::CrossKv(slot), Some(c)) => {
                    SessionInputValue::from(&c.cross_kv[slot])
                }
                (_, None) => SessionInputValue::from(&self.empty_past),
            });
        }
        let outputs = self
            .decoder
            .run(inputs.as_slice())
            .map_err(err("decoder"))?;
        let (shape, logits) = outputs[self.logits_output]
            .try_extract_tensor::<f32>()
            .map_err(err("decoder output"))?;
        let vocab = self.dims.vocab;
        if logits.len() != ids.len() * vocab {
            return Err(format!(
                "the decoder returned logits of shape {shape:?} for {} tokens",
                ids.len()
            ));
        }
        let best: Vec<Best> = logits
            .chunks_exact(vocab)
            .map(|row| best_two(row, super::greedy::END))
            .collect();
        let mut values: Vec<Option<DynValue>> = outputs.into_iter().map(|(_, v)| Some(v)).collect();
        let mut take = |indices: &[usize]| -> Result<Vec<DynValue>, String> {
            indices
                .iter()
                .map(|&i| {
                    values
                        .get_mut(i)
                        .and_then(Option::take)
                        .ok_or_else(|| "a present.* output is missing".to_string())
                })
                .collect()
        };
        let self_kv = take(&self.self_outputs)?;
        let (len, cross_kv) = match cache {
            // With the cache on, the cross-attention values are the ones passed in.
            Some(c) => (c.len + ids.len(), c.cross_kv),
            None => (ids.len(), take(&self.cross_outputs)?),
        };
        Ok((
            best,
            KvCache {
                self_kv,
                cross_kv,
                len,
            },
        ))
    }
}

impl KvCache {
    /// Keep only the first `keep` positions (after a teacher-forced pass whose tail was wrong).
    pub fn truncate(&mut self, keep: usize) -> Result<(), String> {
        if keep >= self.len {
            return Ok(());
        }
        for value in &mut self.self_kv {
            let (shape, data) = value.try_extract_tensor::<f32>().map_err(err("cache"))?;
            let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
            let [batch, heads, len, head_dim] = dims[..] else {
                return Err(format!("a cache tensor has shape {shape:?}"));
            };
            let mut kept = Vec::with_capacity(batch * heads * keep * head_dim);
            for row in data.chunks_exact(len * head_dim) {
                kept.extend_from_slice(&row[..keep * head_dim]);
            }
            *value = Tensor::from_array(([batch, heads, keep, head_dim], kept))
                .map_err(err("cache"))?
                .into();
        }
        self.len = keep;
        Ok(())
    }
}

/// The most likely token at one position and the most likely one that is not `except`, with
/// the probabilities the model gave them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    pub token: u32,
    pub probability: f32,
    pub other_than_end: u32,
    pub other_probability: f32,
}

fn best_two(row: &[f32], except: u32) -> Best {
    let (mut best, mut other) = ((0usize, f32::NEG_INFINITY), (0usize, f32::NEG_INFINITY));
    for (i, &v) in row.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
        if i != except as usize && v > other.1 {
            other = (i, v);
        }
    }
    // Softmax, shifted by the largest logit so that nothing overflows.
    let total: f32 = row.iter().map(|&v| (v - best.1).exp()).sum();
    Best {
        token: best.0 as u32,
        probability: 1.0 / total,
        other_than_end: other.0 as u32,
        other_probability: (other.1 - best.1).exp() / total,
    }
}
