//! Smart Turn v3 (Daily / Pipecat) through ONNX Runtime: from the last 8 s of audio, the
//! probability that the speaker has finished their turn.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorRef, ValueType};

use super::features::{self, FRAMES, N_MELS};
use crate::onnx_runtime::{self, OrtSetupError};

const INPUT: &str = "input_features";

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Runtime(#[from] OrtSetupError),
    #[error("end-of-turn model {path} not found")]
    Missing { path: PathBuf },
    #[error(
        "cannot load end-of-turn model {path}: {reason} (is it Smart Turn v3? re-download it \
         with `utter models download smart-turn-v3.2`)"
    )]
    Load { path: PathBuf, reason: String },
    #[error("end-of-turn inference failed: {0}")]
    Inference(String),
}

pub struct SmartTurn {
    session: Session,
}

impl SmartTurn {
    /// `threads`: ONNX Runtime's intra-op threads (one call is ~25–50 ms on two).
    pub fn load(path: &Path, threads: usize) -> Result<SmartTurn, TurnError> {
        if !path.is_file() {
            return Err(TurnError::Missing {
                path: path.to_path_buf(),
            });
        }
        let env = onnx_runtime::environment()?;
        let load_err = |reason: String| TurnError::Load {
            path: path.to_path_buf(),
            reason,
        };
        let session = Session::builder(env)
            .and_then(|b| b.with_intra_threads(threads.max(1)).map_err(Into::into))
            .and_then(|mut b| b.commit_from_file(path))
            .map_err(|e| load_err(e.to_string()))?;
        // The front end makes 80 × 800 (8 s); the graph must take exactly that.
        let input = session
            .inputs()
            .iter()
            .find(|i| i.name() == INPUT)
            .ok_or_else(|| load_err(format!("no input named {INPUT:?}")))?;
        let shape = match input.dtype() {
            ValueType::Tensor { shape, .. } => shape.to_vec(),
            _ => Vec::new(),
        };
        let fits = shape.len() == 3
            && shape[1] == N_MELS as i64
            && (shape[2] == FRAMES as i64 || shape[2] < 0);
        if !fits {
            return Err(load_err(format!(
                "its input is {shape:?}, expected [batch, {N_MELS}, {FRAMES}]"
            )));
        }
        if session.outputs().is_empty() {
            return Err(load_err("the graph has no output".into()));
        }
        Ok(SmartTurn { session })
    }

    /// P(the speaker has finished) for the audio so far (16 kHz mono; the last 8 s count).
    pub fn probability(&mut self, audio: &[f32]) -> Result<f32, TurnError> {
        let input = features::log_mel(audio);
        let infer = |e: ort::Error| TurnError::Inference(e.to_string());
        let tensor = TensorRef::from_array_view(([1usize, N_MELS, FRAMES], input.as_slice()))
            .map_err(infer)?;
        let outputs = self
            .session
            .run(ort::inputs! {INPUT => tensor})
            .map_err(infer)?;
        let (_, values) = outputs[0].try_extract_tensor::<f32>().map_err(infer)?;
        // The graph ends in a sigmoid: its output is already a probability.
        values
            .first()
            .copied()
            .ok_or_else(|| TurnError::Inference("the model returned nothing".into()))
    }
}
