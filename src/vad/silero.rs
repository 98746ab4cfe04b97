//! Silero VAD v5/v6 through ONNX Runtime.
//!
//! The model takes 512 new samples at 16 kHz plus the last 64 samples of the previous frame as
//! context, and carries a recurrent state between calls.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{Tensor, TensorRef};

use crate::onnx_runtime::{self, OrtSetupError};

/// New samples per VAD frame (32 ms at 16 kHz).
pub const FRAME_SAMPLES: usize = 512;
const CONTEXT_SAMPLES: usize = 64;
const STATE_LEN: usize = 2 * 128;

#[derive(Debug, thiserror::Error)]
pub enum VadError {
    #[error(transparent)]
    Runtime(#[from] OrtSetupError),
    #[error("VAD model {path} not found")]
    Missing { path: PathBuf },
    #[error(
        "cannot load VAD model {path}: {reason} (is it a Silero VAD ONNX file? re-download it with `utter models download silero-vad`)"
    )]
    Load { path: PathBuf, reason: String },
    #[error("VAD inference failed: {0}")]
    Inference(String),
}

pub struct SileroVad {
    session: Session,
    input: Vec<f32>,
    state: Vec<f32>,
}

impl SileroVad {
    pub fn load(path: &Path) -> Result<Self, VadError> {
        if !path.is_file() {
            return Err(VadError::Missing {
                path: path.to_path_buf(),
            });
        }
        let env = onnx_runtime::environment()?;
        let load_err = |reason: String| VadError::Load {
            path: path.to_path_buf(),
            reason,
        };
        // One thread: a frame is ~70 µs, more threads only add synchronisation cost.
        let session = Session::builder(env)
            .and_then(|b| b.with_intra_threads(1).map_err(Into::into))
            .and_then(|mut b| b.commit_from_file(path))
            .map_err(|e| load_err(e.to_string()))?;
        let names: Vec<&str> = session.inputs().iter().map(|i| i.name()).collect();
        for required in ["input", "state", "sr"] {
            if !names.contains(&required) {
                return Err(load_err(format!(
                    "model has no input named {required:?} (inputs: {names:?})"
                )));
            }
        }
        Ok(Self {
            session,
            input: vec![0.0; CONTEXT_SAMPLES + FRAME_SAMPLES],
            state: vec![0.0; STATE_LEN],
        })
    }

    /// Forget the recurrent state and context (start of a new recording).
    pub fn reset(&mut self) {
        self.input.fill(0.0);
        self.state.fill(0.0);
    }

    /// Probability (0–1) that this 512-sample frame is speech.
    pub fn speech_probability(&mut self, frame: &[f32]) -> Result<f32, VadError> {
        if frame.len() != FRAME_SAMPLES {
            return Err(VadError::Inference(format!(
                "frame has {} samples, expected {FRAME_SAMPLES}",
                frame.len()
            )));
        }
        // Slide: the last 64 samples become the context for this frame.
        self.input.copy_within(FRAME_SAMPLES.., 0);
        self.input[CONTEXT_SAMPLES..].copy_from_slice(frame);
        let infer = |e: ort::Error| VadError::Inference(e.to_string());
        let input = TensorRef::from_array_view((
            [1usize, CONTEXT_SAMPLES + FRAME_SAMPLES],
            self.input.as_slice(),
        ))
        .map_err(infer)?;
        let state =
            TensorRef::from_array_view(([2usize, 1, 128], self.state.as_slice())).map_err(infer)?;
        let sr = Tensor::from_array(([0usize; 0], vec![i64::from(crate::SAMPLE_RATE)]))
            .map_err(infer)?;
        let outputs = self
            .session
            .run(ort::inputs! {"input" => input, "state" => state, "sr" => sr})
            .map_err(infer)?;
        let (_, prob) = outputs["output"]
            .try_extract_tensor::<f32>()
            .map_err(infer)?;
        let (_, new_state) = outputs["stateN"]
            .try_extract_tensor::<f32>()
            .map_err(infer)?;
        let p = prob.first().copied().unwrap_or(0.0);
        if new_state.len() == STATE_LEN {
            self.state.copy_from_slice(new_state);
        }
        Ok(p)
    }
}
