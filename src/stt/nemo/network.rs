//! The three ONNX graphs of a NeMo transducer (encoder, prediction network, joiner), loaded
//! once and kept warm, with their inputs and outputs checked against the metadata.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ort::session::{Session, SessionInputValue};
use ort::value::{Tensor, ValueType};

use super::spec::{self, Kind, Spec};
use super::vocab::Vocabulary;

/// The files of a model directory in the sherpa-onnx layout.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub encoder: PathBuf,
    pub decoder: PathBuf,
    pub joiner: PathBuf,
    pub tokens: PathBuf,
}

impl ModelFiles {
    /// `encoder.int8.onnx` (or `encoder.onnx`), the same for decoder and joiner, `tokens.txt`.
    pub fn locate(dir: &Path) -> Result<Self, String> {
        if !dir.is_dir() {
            return Err("not a directory".into());
        }
        let part = |name: &str| -> Result<PathBuf, String> {
            let int8 = dir.join(format!("{name}.int8.onnx"));
            let plain = dir.join(format!("{name}.onnx"));
            if int8.is_file() {
                Ok(int8)
            } else if plain.is_file() {
                Ok(plain)
            } else {
                Err(format!("{name}.int8.onnx (or {name}.onnx) is missing"))
            }
        };
        let tokens = dir.join("tokens.txt");
        if !tokens.is_file() {
            return Err("tokens.txt is missing".into());
        }
        Ok(Self {
            encoder: part("encoder")?,
            decoder: part("decoder")?,
            joiner: part("joiner")?,
            tokens,
        })
    }

    /// Whether `path` looks like a NeMo transducer directory (rather than a Whisper file).
    pub fn looks_like(path: &Path) -> bool {
        path.is_dir()
            && (path.join("encoder.int8.onnx").is_file() || path.join("encoder.onnx").is_file())
    }
}

/// Prediction-network output and LSTM state after the last emitted token.
#[derive(Debug, Clone)]
pub struct PredictorState {
    pub output: Vec<f32>,
    pub lstm: [Vec<f32>; 2],
}

/// Encoder caches of a streaming model, carried from one chunk to the next.
#[derive(Debug, Clone)]
pub struct EncoderCaches {
    pub channel: Vec<f32>,
    pub time: Vec<f32>,
    pub channel_len: i64,
}

/// Encoder output: `dim` values per frame, frame-major.
#[derive(Debug, Clone, Default)]
pub struct EncoderFrames {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl EncoderFrames {
    pub fn len(&self) -> usize {
        self.data.len() / self.dim.max(1)
    }

    pub fn frame(&self, t: usize) -> &[f32] {
        &self.data[t * self.dim..(t + 1) * self.dim]
    }
}

pub struct Networks {
    encoder: Session,
    decoder: Session,
    joiner: Session,
    encoder_inputs: Vec<String>,
    decoder_inputs: Vec<String>,
    joiner_inputs: Vec<String>,
    pub spec: Spec,
    pub vocabulary: Vocabulary,
}

type RunError = String;

fn names(session: &Session) -> Vec<String> {
    session
        .inputs()
        .iter()
        .map(|i| i.name().to_string())
        .collect()
}

fn input_shape(session: &Session, index: usize) -> Option<Vec<i64>> {
    match session.inputs().get(index)?.dtype() {
        ValueType::Tensor { shape, .. } => Some(shape.to_vec()),
        _ => None,
    }
}

fn output_shape(session: &Session, index: usize) -> Option<Vec<i64>> {
    match session.outputs().get(index)?.dtype() {
        ValueType::Tensor { shape, .. } => Some(shape.to_vec()),
        _ => None,
    }
}

/// A dimension the graph fixes (dynamic ones are -1 or absent).
fn fixed(shape: &Option<Vec<i64>>, axis: usize) -> Option<usize> {
    shape
        .as_ref()
        .and_then(|s| s.get(axis))
        .and_then(|&d| usize::try_from(d).ok())
        .filter(|&d| d > 0)
}

/// Compare the graph's fixed dimensions of `what` with what the metadata says.
fn check_dims(
    what: &str,
    graph: &Option<Vec<i64>>,
    axes: &[usize],
    expected: &[usize],
) -> Result<(), String> {
    let Some(shape) = graph else {
        return Ok(());
    };
    for (&axis, &want) in axes.iter().zip(expected) {
        if let Some(have) = fixed(graph, axis)
            && have != want
        {
            return Err(format!(
                "{what} has shape {shape:?} in the graph but the metadata implies {want} at axis {axis}"
            ));
        }
    }
    Ok(())
}

fn check_input_count(
    part: &str,
    session: &Session,
    want: usize,
    meaning: &str,
) -> Result<(), String> {
    let have = names(session);
    if have.len() != want {
        return Err(format!(
            "the {part} has {} inputs {have:?}; expected {want} ({meaning})",
            have.len()
        ));
    }
    Ok(())
}

impl Networks {
    pub fn load(files: &ModelFiles, threads: usize) -> Result<Self, (PathBuf, String)> {
        let env = crate::onnx_runtime::environment()
            .map_err(|e| (files.encoder.clone(), e.to_string()))?;
        let open = |path: &Path| -> Result<Session, (PathBuf, String)> {
            Session::builder(env)
                .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
                .and_then(|mut b| b.commit_from_file(path))
                .map_err(|e| (path.to_path_buf(), format!("not a usable ONNX model: {e}")))
        };
        let encoder = open(&files.encoder)?;
        let decoder = open(&files.decoder)?;
        let joiner = open(&files.joiner)?;

        let metadata: HashMap<String, String> = {
            let meta = encoder.metadata().map_err(|e| {
                (
                    files.encoder.clone(),
                    format!("cannot read its metadata: {e}"),
                )
            })?;
            let keys = meta.custom_keys().unwrap_or_default();
            keys.into_iter()
                .filter_map(|k| meta.custom(&k).map(|v| (k, v)))
                .collect()
        };
        let joiner_width = output_shape(&joiner, 0).and_then(|s| {
            s.last()
                .and_then(|&d| usize::try_from(d).ok())
                .filter(|&d| d > 0)
        });
        let encoder_features = input_shape(&encoder, 0);
        let spec = spec::read(&metadata, joiner_width, fixed(&encoder_features, 1))
            .map_err(at(&files.encoder))?;

        match &spec.kind {
            Kind::Offline { .. } => check_input_count(
                "encoder",
                &encoder,
                2,
                "features and their length, for an offline model",
            )
            .map_err(at(&files.encoder))?,
            Kind::Streaming(shape) => {
                check_input_count(
                    "encoder",
                    &encoder,
                    5,
                    "features, length, cache_last_channel, cache_last_time, cache_last_channel_len, for a streaming model",
                )
                .map_err(at(&files.encoder))?;
                let channel = input_shape(&encoder, 2);
                check_dims(
                    "cache_last_channel",
                    &channel,
                    &[1, 2, 3],
                    &shape.channel_cache,
                )
                .map_err(at(&files.encoder))?;
                let time = input_shape(&encoder, 3);
                check_dims("cache_last_time", &time, &[1, 2, 3], &shape.time_cache)
                    .map_err(at(&files.encoder))?;
            }
        }
        check_input_count(
            "decoder",
            &decoder,
            4,
            "targets, target length, two LSTM states",
        )
        .map_err(at(&files.decoder))?;
        for state in [2, 3] {
            check_dims(
                "the decoder's LSTM state",
                &input_shape(&decoder, state),
                &[0, 2],
                &[spec.pred_rnn_layers, spec.pred_hidden],
            )
            .map_err(at(&files.decoder))?;
        }
        check_input_count("joiner", &joiner, 2, "encoder output, decoder output")
            .map_err(at(&files.joiner))?;

        let vocabulary = Vocabulary::load(&files.tokens).map_err(at(&files.tokens))?;
        if vocabulary.len() != spec.vocab_size {
            return Err((
                files.tokens.clone(),
                format!(
                    "has {} tokens but the model's metadata says vocab_size {} (+1 blank = {})",
                    vocabulary.len(),
                    spec.vocab_size - 1,
                    spec.vocab_size
                ),
            ));
        }
        Ok(Self {
            encoder_inputs: names(&encoder),
            decoder_inputs: names(&decoder),
            joiner_inputs: names(&joiner),
            encoder,
            decoder,
            joiner,
            spec,
            vocabulary,
        })
    }

    /// Run the offline encoder on `[feat_dim, frames]` features.
    pub fn encode(&mut self, features: Vec<f32>, frames: usize) -> Result<EncoderFrames, RunError> {
        let feat = self.spec.feat_dim;
        let inputs: Vec<(String, SessionInputValue)> = vec![
            (
                self.encoder_inputs[0].clone(),
                tensor([1, feat, frames], features)?,
            ),
            (
                self.encoder_inputs[1].clone(),
                tensor([1], vec![frames as i64])?,
            ),
        ];
        let outputs = self.encoder.run(inputs).map_err(run_err("encoder"))?;
        encoder_frames(&outputs)
    }

    /// Run one window of a streaming encoder, updating its caches.
    pub fn encode_chunk(
        &mut self,
        features: Vec<f32>,
        frames: usize,
        caches: &mut EncoderCaches,
    ) -> Result<EncoderFrames, RunError> {
        let Kind::Streaming(shape) = &self.spec.kind else {
            return Err("encode_chunk on an offline model".into());
        };
        let [c1, c2, c3] = shape.channel_cache;
        let [t1, t2, t3] = shape.time_cache;
        let feat = self.spec.feat_dim;
        let names = &self.encoder_inputs;
        let inputs: Vec<(String, SessionInputValue)> = vec![
            (names[0].clone(), tensor([1, feat, frames], features)?),
            (names[1].clone(), tensor([1], vec![frames as i64])?),
            (
                names[2].clone(),
                tensor([1, c1, c2, c3], std::mem::take(&mut caches.channel))?,
            ),
            (
                names[3].clone(),
                tensor([1, t1, t2, t3], std::mem::take(&mut caches.time))?,
            ),
            (names[4].clone(), tensor([1], vec![caches.channel_len])?),
        ];
        let outputs = self.encoder.run(inputs).map_err(run_err("encoder"))?;
        let extract = |i: usize| -> Result<Vec<f32>, RunError> {
            Ok(outputs[i]
                .try_extract_tensor::<f32>()
                .map_err(run_err("encoder"))?
                .1
                .to_vec())
        };
        caches.channel = extract(2)?;
        caches.time = extract(3)?;
        caches.channel_len = outputs[4]
            .try_extract_tensor::<i64>()
            .map_err(run_err("encoder"))?
            .1
            .first()
            .copied()
            .unwrap_or(0);
        if caches.channel.len() != c1 * c2 * c3 || caches.time.len() != t1 * t2 * t3 {
            return Err("the encoder returned caches of a different size than it takes".into());
        }
        encoder_frames(&outputs)
    }

    pub fn initial_caches(&self) -> EncoderCaches {
        match &self.spec.kind {
            Kind::Streaming(s) => EncoderCaches {
                channel: vec![0.0; s.channel_cache.iter().product()],
                time: vec![0.0; s.time_cache.iter().product()],
                channel_len: 0,
            },
            Kind::Offline { .. } => EncoderCaches {
                channel: Vec::new(),
                time: Vec::new(),
                channel_len: 0,
            },
        }
    }

    /// Feed `token` to the prediction network from `state`.
    pub fn predict(
        &mut self,
        token: usize,
        lstm: &[Vec<f32>; 2],
    ) -> Result<PredictorState, RunError> {
        let (layers, hidden) = (self.spec.pred_rnn_layers, self.spec.pred_hidden);
        let names = &self.decoder_inputs;
        let inputs: Vec<(String, SessionInputValue)> = vec![
            (names[0].clone(), tensor([1, 1], vec![token as i32])?),
            (names[1].clone(), tensor([1], vec![1i32])?),
            (
                names[2].clone(),
                tensor([layers, 1, hidden], lstm[0].clone())?,
            ),
            (
                names[3].clone(),
                tensor([layers, 1, hidden], lstm[1].clone())?,
            ),
        ];
        let outputs = self.decoder.run(inputs).map_err(run_err("decoder"))?;
        let take = |i: usize| -> Result<Vec<f32>, RunError> {
            Ok(outputs[i]
                .try_extract_tensor::<f32>()
                .map_err(run_err("decoder"))?
                .1
                .to_vec())
        };
        Ok(PredictorState {
            output: take(0)?,
            lstm: [take(2)?, take(3)?],
        })
    }

    /// The prediction network's state before any token (blank fed from zero LSTM states).
    pub fn initial_prediction(&mut self) -> Result<PredictorState, RunError> {
        let zeros = vec![0.0; self.spec.pred_rnn_layers * self.spec.pred_hidden];
        self.predict(self.spec.blank(), &[zeros.clone(), zeros])
    }

    /// Joiner logits for one encoder frame and the prediction-network output.
    pub fn joint(&mut self, frame: &[f32], prediction: &[f32]) -> Result<Vec<f32>, RunError> {
        let names = &self.joiner_inputs;
        let inputs: Vec<(String, SessionInputValue)> = vec![
            (
                names[0].clone(),
                tensor([1, frame.len(), 1], frame.to_vec())?,
            ),
            (
                names[1].clone(),
                tensor([1, prediction.len(), 1], prediction.to_vec())?,
            ),
        ];
        let outputs = self.joiner.run(inputs).map_err(run_err("joiner"))?;
        Ok(outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(run_err("joiner"))?
            .1
            .to_vec())
    }
}

fn at(path: &Path) -> impl Fn(String) -> (PathBuf, String) + '_ {
    move |reason| (path.to_path_buf(), reason)
}

fn run_err(part: &'static str) -> impl Fn(ort::Error) -> String {
    move |e| format!("the {part} failed: {e}")
}

fn tensor<
    T: ort::value::PrimitiveTensorElementType + std::fmt::Debug + Clone + 'static,
    const N: usize,
>(
    shape: [usize; N],
    data: Vec<T>,
) -> Result<SessionInputValue<'static>, RunError> {
    Tensor::from_array((shape, data))
        .map(Into::into)
        .map_err(|e| format!("cannot build an input tensor: {e}"))
}

/// The encoder's frames (output 0) limited to its reported length (output 1).
fn encoder_frames(outputs: &ort::session::SessionOutputs) -> Result<EncoderFrames, RunError> {
    let (shape, data) = outputs[0]
        .try_extract_tensor::<f32>()
        .map_err(run_err("encoder"))?;
    let valid = outputs[1]
        .try_extract_tensor::<i64>()
        .ok()
        .and_then(|(_, l)| l.first().copied());
    channels_first_to_frames(shape, data, valid)
}

/// `[1, dim, T]` encoder output to frame-major rows, keeping only the `valid` frames.
fn channels_first_to_frames(
    shape: &[i64],
    data: &[f32],
    valid: Option<i64>,
) -> Result<EncoderFrames, RunError> {
    let [_, dim, frames] = shape else {
        return Err(format!(
            "the encoder output has shape {shape:?}, expected [1, dim, frames]"
        ));
    };
    let (dim, frames) = (*dim as usize, *frames as usize);
    let keep = valid
        .and_then(|v| usize::try_from(v).ok())
        .map_or(frames, |v| v.min(frames));
    let rows = super::features::transpose(data, dim, frames);
    Ok(EncoderFrames {
        dim,
        data: rows[..keep * dim].to_vec(),
    })
}
