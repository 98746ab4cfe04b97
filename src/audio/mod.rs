//! Audio in: microphone capture, file decoding, conversion to 16 kHz mono, WAV out.

pub mod capture;
pub mod decode;
pub mod devices;
pub mod mel;
pub mod resample;
pub mod simulated;
pub mod source;
pub mod wav;

pub use capture::{CaptureError, CaptureOptions, Microphone, Recording};
pub use decode::{DecodeError, load_mono_16k};
pub use resample::{ResampleError, ToMono16k, to_mono_16k};
pub use simulated::SimulatedMicrophone;
pub use source::{CaptureSource, CaptureStream, SystemMicrophones};

/// Seconds of audio in `n` samples at 16 kHz.
pub fn seconds(n: usize) -> f64 {
    n as f64 / f64::from(crate::SAMPLE_RATE)
}
