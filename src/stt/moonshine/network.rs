//! Moonshine's two graphs — an encoder over raw 16 kHz audio and a merged decoder with a KV
//! cache (`use_cache_branch`) — loaded once and kept warm. Every size comes from the graphs:
//! layers (count of `past_key_values.N.*`), heads and head size (their shapes), hidden size
//! (the encoder's output), vocabulary (the logits).

use std::path::{Path, PathBuf};

use ort::session::{Session, SessionInputValue};
use ort::value::{DynValue, Tensor, ValueType};

/// Sizes read from the graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub layers: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub hidden: usize,
    pub vocab: usize,
}

/// What feeds one decoder input, in the graph's input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecoderInput {
    Ids,
    Hidden,
    EncoderMask,
    /// `past_key_values.{layer}.decoder.{key=0,value=1}`
    SelfKv(usize),
    /// `past_key_values.{layer}.encoder.{key=0,value=1}`
    CrossKv(usize),
    UseCache,
}

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

fn shape_of(ty: &ValueType) -> Option<Vec<i64>> {
    match ty {
        ValueType::Tensor { shape, .. } => Some(shape.to_vec()),
        _ => None,
    }
}

fn fixed(shape: &[i64], axis: usize) -> Option<usize> {
    shape
        .get(axis)
        .and_then(|&d| usize::try_from(d).ok())
        .filter(|&d| d > 0)
}

/// `past_key_values.3.decoder.key` → (3, self-attention, key=0).
fn parse_past(name: &str, prefix: &str) -> Option<(usize, bool, usize)> {
    let rest = name.strip_prefix(prefix)?;
    let mut parts = rest.split('.');
    let layer = parts.next()?.parse().ok()?;
    let is_self = match parts.next()? {
        "decoder" => true,
        "encoder" => false,
        _ => return None,
    };
    let kv = match parts.next()? {
        "key" => 0,
        "value" => 1,
        _ => return None,
    };
    parts.next().is_none().then_some((layer, is_self, kv))
}

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
            Self::check_encoder(&encoder_session).map_err(at(encoder))?;
        let layout = Self::check_decoder(&decoder_session, hidden).map_err(at(decoder))?;
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

    /// Inputs `input_values` [batch, samples] (+ optional `attention_mask`); output
    /// [batch, frames, hidden]. Returns whether it wants the mask, and the hidden size.
    fn check_encoder(session: &Session) -> Result<(bool, usize), String> {
        let inputs: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        let mut takes_mask = false;
        for input in session.inputs() {
            match input.name() {
                "input_values" => {
                    let rank = shape_of(input.dtype()).map_or(0, |s| s.len());
                    if rank != 2 {
                        return Err(format!(
                            "its input input_values has rank {rank}; Moonshine's encoder takes raw audio [batch, samples]"
                        ));
                    }
                }
                "attention_mask" => takes_mask = true,
                other => {
                    return Err(format!(
                        "has an input {other:?} a Moonshine encoder does not have (inputs: {inputs:?})"
                    ));
                }
            }
        }
        if !inputs.contains(&"input_values") {
            return Err(format!(
                "is not a Moonshine encoder: it has no input_values input (inputs: {inputs:?})"
            ));
        }
        let output = session.outputs().first().ok_or("has no outputs")?;
        let shape = shape_of(output.dtype()).unwrap_or_default();
        let hidden = (shape.len() == 3)
            .then(|| fixed(&shape, 2))
            .flatten()
            .ok_or_else(|| {
                format!(
                    "its output {} has shape {shape:?}; expected [batch, frames, hidden size]",
                    output.name()
                )
            })?;
        Ok((takes_mask, hidden))
    }

    fn check_decoder(session: &Session, hidden: usize) -> Result<DecoderLayout, String> {
        let mut inputs = Vec::new();
        let mut past: Vec<(usize, bool, usize, Vec<i64>)> = Vec::new();
        for input in session.inputs() {
            let kind = match input.name() {
                "input_ids" => DecoderInput::Ids,
                "encoder_hidden_states" => {
                    let shape = shape_of(input.dtype()).unwrap_or_default();
                    if let Some(have) = fixed(&shape, 2)
                        && have != hidden
                    {
                        return Err(format!(
                            "takes encoder states of size {have}, but the encoder gives {hidden}: the two files are not from the same model"
                        ));
                    }
                    DecoderInput::Hidden
                }
                "encoder_attention_mask" => DecoderInput::EncoderMask,
                "use_cache_branch" => DecoderInput::UseCache,
                name => {
                    let Some((layer, is_self, kv)) = parse_past(name, "past_key_values.") else {
                        return Err(format!(
                            "has an input {name:?} that a Moonshine merged decoder does not have"
                        ));
                    };
                    past.push((
                        layer,
                        is_self,
                        kv,
                        shape_of(input.dtype()).unwrap_or_default(),
                    ));
                    let slot = 2 * layer + kv;
                    if is_self {
                        DecoderInput::SelfKv(slot)
                    } else {
                        DecoderInput::CrossKv(slot)
                    }
                }
            };
            inputs.push(kind);
        }
        for needed in [
            DecoderInput::Ids,
            DecoderInput::Hidden,
            DecoderInput::UseCache,
        ] {
            if !inputs.contains(&needed) {
                return Err(format!(
                    "is not a merged Moonshine decoder with a KV cache: it lacks the {} input",
                    match needed {
                        DecoderInput::Ids => "input_ids",
                        DecoderInput::Hidden => "encoder_hidden_states",
                        _ => "use_cache_branch",
                    }
                ));
            }
        }
        let layers = past.iter().map(|p| p.0 + 1).max().unwrap_or(0);
        if layers == 0 || past.len() != 4 * layers {
            return Err(format!(
                "has {} past_key_values inputs; a decoder with {layers} layers needs {} (key and value, self and cross attention, per layer)",
                past.len(),
                4 * layers
            ));
        }
        let first = &past[0].3;
        let (heads, head_dim) = match (fixed(first, 1), fixed(first, 3), first.len()) {
            (Some(h), Some(d), 4) => (h, d),
            _ => {
                return Err(format!(
                    "its past_key_values have shape {first:?}; expected [batch, heads, length, head size] with fixed heads and head size"
                ));
            }
        };
        if let Some(p) = past.iter().find(|p| {
            p.3.len() != 4 || fixed(&p.3, 1) != Some(heads) || fixed(&p.3, 3) != Some(head_dim)
        }) {
            return Err(format!(
                "its past_key_values of layer {} have shape {:?}, unlike layer 0's {first:?}",
                p.0, p.3
            ));
        }

        let mut logits_output = None;
        let mut self_outputs = vec![usize::MAX; 2 * layers];
        let mut cross_outputs = vec![usize::MAX; 2 * layers];
        let mut vocab = None;
        for (index, output) in session.outputs().iter().enumerate() {
            if output.name() == "logits" {
                let shape = shape_of(output.dtype()).unwrap_or_default();
                vocab = (shape.len() == 3).then(|| fixed(&shape, 2)).flatten();
                logits_output = Some(index);
            } else if let Some((layer, is_self, kv)) = parse_past(output.name(), "present.")
                && layer < layers
            {
                let slots = if is_self {
                    &mut self_outputs
                } else {
                    &mut cross_outputs
                };
                slots[2 * layer + kv] = index;
            }
        }
        let logits_output = logits_output.ok_or("has no logits output")?;
        let vocab = vocab.ok_or("its logits output has no fixed vocabulary size")?;
        if self_outputs
            .iter()
            .chain(&cross_outputs)
            .any(|&i| i == usize::MAX)
        {
            return Err(format!(
                "does not return a present.* key/value for each of its {layers} layers"
            ));
        }
        Ok(DecoderLayout {
            inputs,
            logits_output,
            self_outputs,
            cross_outputs,
            dims: Dims {
                layers,
                heads,
                head_dim,
                hidden,
                vocab,
            },
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

struct DecoderLayout {
    inputs: Vec<DecoderInput>,
    logits_output: usize,
    self_outputs: Vec<usize>,
    cross_outputs: Vec<usize>,
    dims: Dims,
}

/// The most likely token at one position, and the most likely one that is not `except`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Best {
    pub token: u32,
    pub other_than_end: u32,
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
    Best {
        token: best.0 as u32,
        other_than_end: other.0 as u32,
    }
}
