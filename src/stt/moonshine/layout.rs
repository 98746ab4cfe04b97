//! Reading a Moonshine encoder and merged decoder's shapes: which inputs they take, in which
//! order, and every size (layers, heads, head size, hidden size, vocabulary) — checked, with a
//! reason when a graph is not what a Moonshine model has.

use ort::session::Session;
use ort::value::ValueType;

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
pub(super) enum DecoderInput {
    Ids,
    Hidden,
    EncoderMask,
    /// `past_key_values.{layer}.decoder.{key=0,value=1}`
    SelfKv(usize),
    /// `past_key_values.{layer}.encoder.{key=0,value=1}`
    CrossKv(usize),
    UseCache,
}

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

/// Inputs `input_values` [batch, samples] (+ optional `attention_mask`); output
/// [batch, frames, hidden]. Returns whether it wants the mask, and the hidden size.
pub(super) fn check_encoder(session: &Session) -> Result<(bool, usize), String> {
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

pub(super) fn check_decoder(session: &Session, hidden: usize) -> Result<DecoderLayout, String> {
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

pub(super) struct DecoderLayout {
    pub inputs: Vec<DecoderInput>,
    pub logits_output: usize,
    pub self_outputs: Vec<usize>,
    pub cross_outputs: Vec<usize>,
    pub dims: Dims,
}
