//! Where the session's audio comes from: the system's microphones, or a simulated one that
//! plays recorded speech at real-time pace (benchmarks and tests drive the same session code).

use std::sync::mpsc::Receiver;

use super::{CaptureError, CaptureOptions, Microphone, Recording};

/// An open input the session records from.
pub trait CaptureStream {
    /// Start a recording; the receiver gets every 16 kHz block of it as it arrives.
    fn start_recording(&self) -> Receiver<Vec<f32>>;
    /// Stop and return the whole recording.
    fn stop_recording(&self) -> Recording;
    /// `Err` when the device failed or stopped delivering audio.
    fn health(&self) -> Result<(), CaptureError>;
    /// Input level 0..1 for meters.
    fn level(&self) -> f32;
    fn device_name(&self) -> &str;
}

/// Opens inputs by the settings' device choice.
pub trait CaptureSource: Send {
    fn open(&self, options: &CaptureOptions) -> Result<Box<dyn CaptureStream>, CaptureError>;
}

/// The system's microphones (cpal).
pub struct SystemMicrophones;

impl CaptureSource for SystemMicrophones {
    fn open(&self, options: &CaptureOptions) -> Result<Box<dyn CaptureStream>, CaptureError> {
        Ok(Box::new(Microphone::open(options)?))
    }
}

impl CaptureStream for Microphone {
    fn start_recording(&self) -> Receiver<Vec<f32>> {
        Microphone::start_recording(self)
    }
    fn stop_recording(&self) -> Recording {
        Microphone::stop_recording(self)
    }
    fn health(&self) -> Result<(), CaptureError> {
        Microphone::health(self)
    }
    fn level(&self) -> f32 {
        Microphone::level(self)
    }
    fn device_name(&self) -> &str {
        Microphone::device_name(self)
    }
}
