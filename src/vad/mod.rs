//! Voice activity detection: Silero VAD probabilities turned into speech segments.

mod segmenter;
mod silero;

pub(crate) use segmenter::frames_for;
pub use segmenter::{
    Endpoint, EndpointDetector, Speech, VadParams, segments_from_probabilities,
    speech_from_probabilities,
};
pub use silero::{FRAME_SAMPLES, SileroVad, VadError};

/// Speech probability for every 512-sample frame of `samples` (the last partial frame is zero-padded).
pub fn frame_probabilities(vad: &mut SileroVad, samples: &[f32]) -> Result<Vec<f32>, VadError> {
    vad.reset();
    let mut probs = Vec::with_capacity(samples.len() / FRAME_SAMPLES + 1);
    let mut padded = [0.0f32; FRAME_SAMPLES];
    for frame in samples.chunks(FRAME_SAMPLES) {
        let p = if frame.len() == FRAME_SAMPLES {
            vad.speech_probability(frame)?
        } else {
            padded[..frame.len()].copy_from_slice(frame);
            padded[frame.len()..].fill(0.0);
            vad.speech_probability(&padded)?
        };
        probs.push(p);
    }
    Ok(probs)
}

/// The speech in a whole clip.
pub fn detect_speech(
    vad: &mut SileroVad,
    samples: &[f32],
    params: &VadParams,
) -> Result<Speech, VadError> {
    let probs = frame_probabilities(vad, samples)?;
    Ok(speech_from_probabilities(&probs, params, samples.len()))
}
