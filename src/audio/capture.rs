//! Microphone capture.
//!
//! The cpal callback only converts samples to `f32` and copies them into a lock-free ring
//! (no allocation, no lock), then wakes a worker thread. The worker downmixes and resamples
//! to 16 kHz, keeps a short pre-roll while idle so the first word is not cut, and collects
//! the recording. A device error or a device that stops delivering audio is reported by
//! [`Microphone::health`]; what was captured before that is kept.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use super::devices::{StreamFormat, device_name, find_input_device};
use super::resample::ToMono16k;
use crate::SAMPLE_RATE;

/// How long a running stream may go without a callback before it counts as lost.
const STALL_AFTER: Duration = Duration::from_secs(2);
/// How long a stream may take to deliver its first audio: a Bluetooth headset switching to
/// its microphone profile, or a busy machine starting the sound server's stream, takes seconds.
const FIRST_AUDIO_WITHIN: Duration = Duration::from_secs(6);
/// Ring capacity in seconds of device audio: generous, the worker drains it every few ms.
const RING_SECONDS: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no default microphone: the audio system reports no input device (is one plugged in?)")]
    NoDefaultDevice,
    #[error("microphone {requested:?} not found; available inputs: {}", list_or_none(.available))]
    DeviceNotFound {
        requested: String,
        available: Vec<String>,
    },
    #[error("the audio system is not available: {0}")]
    Host(String),
    #[error("cannot open microphone {device:?}: {reason}")]
    Open { device: String, reason: String },
    #[error("microphone {device:?} failed: {reason}")]
    DeviceFailed { device: String, reason: String },
    #[error("microphone {device:?} stopped delivering audio (unplugged or suspended?)")]
    DeviceStalled { device: String },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// Device name (exact or a unique substring); `None` for the system default.
    pub device: Option<String>,
    /// Audio kept from before [`Microphone::start_recording`].
    pub preroll: Duration,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        Self {
            device: None,
            preroll: Duration::from_millis(300),
        }
    }
}

/// The result of one recording: 16 kHz mono samples, plus the device error that ended it, if any.
#[derive(Debug)]
pub struct Recording {
    pub samples: Vec<f32>,
    pub error: Option<CaptureError>,
}

#[derive(Default)]
struct RecordState {
    active: bool,
    stop_requested: bool,
    samples: Vec<f32>,
    preroll: VecDeque<f32>,
    live: Option<Sender<Vec<f32>>>,
}

struct Shared {
    state: Mutex<RecordState>,
    stopped: Condvar,
    shutdown: AtomicBool,
    error: Mutex<Option<String>>,
    started: Instant,
    last_callback_ms: AtomicU64,
    dropped_samples: AtomicU64,
    /// RMS of the latest block, as `f32` bits, for level meters.
    level: AtomicU32,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, RecordState> {
        // A panic elsewhere must not take the recording down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An open microphone stream.
pub struct Microphone {
    stream: cpal::Stream,
    worker: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    device: String,
    format: StreamFormat,
}

impl Microphone {
    /// Open the device at its native format and start streaming (pre-roll only, no recording yet).
    pub fn open(options: &CaptureOptions) -> Result<Self, CaptureError> {
        let device = find_input_device(options.device.as_deref())?;
        let name = device_name(&device);
        let open_err = |reason: String| CaptureError::Open {
            device: name.clone(),
            reason,
        };
        let config = device
            .default_input_config()
            .map_err(|e| open_err(e.to_string()))?;
        let format = StreamFormat {
            sample_rate: config.sample_rate(),
            channels: config.channels(),
            sample_format: config.sample_format().to_string(),
        };
        let converter = ToMono16k::new(format.sample_rate, format.channels)
            .map_err(|e| open_err(e.to_string()))?;
        let capacity = (format.sample_rate * u32::from(format.channels) * RING_SECONDS) as usize;
        let (producer, consumer) = rtrb::RingBuffer::<f32>::new(capacity);

        let shared = Arc::new(Shared {
            state: Mutex::new(RecordState::default()),
            stopped: Condvar::new(),
            shutdown: AtomicBool::new(false),
            error: Mutex::new(None),
            started: Instant::now(),
            last_callback_ms: AtomicU64::new(0),
            dropped_samples: AtomicU64::new(0),
            level: AtomicU32::new(0),
        });
        let preroll_samples = (options.preroll.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
        let worker = {
            let shared = Arc::clone(&shared);
            let channels = format.channels as usize;
            thread::Builder::new()
                .name("utter-capture".into())
                .spawn(move || run_worker(consumer, converter, channels, preroll_samples, &shared))
                .map_err(|e| open_err(e.to_string()))?
        };
        let waker = worker.thread().clone();
        let stream_config: cpal::StreamConfig = config.into();
        let stream = match config.sample_format() {
            SampleFormat::I8 => {
                build_stream::<i8>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::I16 => {
                build_stream::<i16>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::I32 => {
                build_stream::<i32>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::U8 => {
                build_stream::<u8>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::U16 => {
                build_stream::<u16>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::U32 => {
                build_stream::<u32>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::F32 => {
                build_stream::<f32>(&device, &stream_config, producer, &shared, waker)
            }
            SampleFormat::F64 => {
                build_stream::<f64>(&device, &stream_config, producer, &shared, waker)
            }
            other => Err(format!("unsupported sample format {other}")),
        };
        let stream = match stream {
            Ok(stream) => stream,
            Err(reason) => {
                stop_worker(&shared, worker);
                return Err(open_err(reason));
            }
        };
        if let Err(e) = stream.play() {
            stop_worker(&shared, worker);
            return Err(open_err(e.to_string()));
        }
        tracing::debug!(device = %name, ?format, "microphone open");
        Ok(Self {
            stream,
            worker: Some(worker),
            shared,
            device: name,
            format,
        })
    }

    pub fn device_name(&self) -> &str {
        &self.device
    }

    pub fn format(&self) -> &StreamFormat {
        &self.format
    }

    /// Start collecting: the pre-roll becomes the recording's beginning. The receiver gets
    /// every 16 kHz block of this recording (pre-roll first) for live processing.
    pub fn start_recording(&self) -> Receiver<Vec<f32>> {
        let (tx, rx) = mpsc::channel();
        let mut state = self.shared.state();
        let preroll: Vec<f32> = state.preroll.drain(..).collect();
        if !preroll.is_empty() {
            let _ = tx.send(preroll.clone());
        }
        state.samples = preroll;
        state.active = true;
        state.stop_requested = false;
        state.live = Some(tx);
        rx
    }

    /// Stop collecting and return the recording. Audio already delivered by the device is
    /// drained first so the last word is kept.
    pub fn stop_recording(&self) -> Recording {
        let mut state = self.shared.state();
        if state.active {
            state.stop_requested = true;
            if let Some(worker) = &self.worker {
                worker.thread().unpark();
            }
            let (guard, _) = self
                .shared
                .stopped
                .wait_timeout_while(state, Duration::from_millis(500), |s| s.active)
                .unwrap_or_else(|p| p.into_inner());
            state = guard;
        }
        state.active = false;
        state.stop_requested = false;
        state.live = None;
        Recording {
            samples: std::mem::take(&mut state.samples),
            error: self.health().err(),
        }
    }

    /// `Err` when the device reported an error or has stopped delivering audio.
    pub fn health(&self) -> Result<(), CaptureError> {
        if let Some(reason) = self
            .shared
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Err(CaptureError::DeviceFailed {
                device: self.device.clone(),
                reason,
            });
        }
        let last_ms = self.shared.last_callback_ms.load(Ordering::Relaxed);
        let last = (last_ms > 0).then(|| Duration::from_millis(last_ms));
        if stalled(self.shared.started.elapsed(), last) {
            return Err(CaptureError::DeviceStalled {
                device: self.device.clone(),
            });
        }
        Ok(())
    }

    /// Input level (RMS of the latest block, 0.0–1.0) for meters.
    pub fn level(&self) -> f32 {
        f32::from_bits(self.shared.level.load(Ordering::Relaxed))
    }

    /// Device samples lost because the worker fell behind (should stay 0).
    pub fn dropped_samples(&self) -> u64 {
        self.shared.dropped_samples.load(Ordering::Relaxed)
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        let _ = self.stream.pause();
        if let Some(worker) = self.worker.take() {
            stop_worker(&self.shared, worker);
        }
    }
}

/// Whether a stream open for `since_open`, whose last callback came at `last_callback` after
/// opening (`None`: none yet), has stopped delivering.
fn stalled(since_open: Duration, last_callback: Option<Duration>) -> bool {
    match last_callback {
        None => since_open > FIRST_AUDIO_WITHIN,
        Some(last) => since_open.saturating_sub(last) > STALL_AFTER,
    }
}

fn stop_worker(shared: &Shared, worker: JoinHandle<()>) {
    shared.shutdown.store(true, Ordering::Release);
    worker.thread().unpark();
    let _ = worker.join();
}

fn build_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut producer: rtrb::Producer<f32>,
    shared: &Arc<Shared>,
    waker: thread::Thread,
) -> Result<cpal::Stream, String>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    let data_shared = Arc::clone(shared);
    let error_shared = Arc::clone(shared);
    device
        .build_input_stream::<T, _, _>(
            *config,
            move |data: &[T], _| {
                // Real-time path: no allocation, no lock, no blocking.
                match producer.write_chunk_uninit(data.len()) {
                    Ok(chunk) => {
                        chunk.fill_from_iter(data.iter().map(|&s| f32::from_sample_(s)));
                    }
                    Err(_) => {
                        data_shared
                            .dropped_samples
                            .fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                }
                // 0 means "no audio yet", so a callback in the first millisecond counts as 1.
                let now = data_shared.started.elapsed().as_millis().max(1) as u64;
                data_shared.last_callback_ms.store(now, Ordering::Relaxed);
                waker.unpark();
            },
            move |err| {
                // A dead device can report the same error thousands of times a second:
                // keep and log only the first.
                let mut first = error_shared.error.lock().unwrap_or_else(|p| p.into_inner());
                if first.is_none() {
                    tracing::warn!("microphone error: {err}");
                    *first = Some(err.to_string());
                }
            },
            None,
        )
        .map_err(|e| e.to_string())
}

fn run_worker(
    mut consumer: rtrb::Consumer<f32>,
    mut converter: ToMono16k,
    channels: usize,
    preroll_samples: usize,
    shared: &Shared,
) {
    let mut scratch: Vec<f32> = Vec::with_capacity(consumer.buffer().capacity());
    let mut block: Vec<f32> = Vec::with_capacity(SAMPLE_RATE as usize);
    loop {
        // Woken by every callback; the timeout only bounds how late a stop or shutdown is seen.
        thread::park_timeout(Duration::from_millis(100));
        let available = consumer.slots() / channels * channels;
        scratch.clear();
        if let Ok(chunk) = consumer.read_chunk(available) {
            let (a, b) = chunk.as_slices();
            scratch.extend_from_slice(a);
            scratch.extend_from_slice(b);
            chunk.commit_all();
        }
        block.clear();
        if let Err(e) = converter.push(&scratch, &mut block) {
            *shared.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
        }
        if !block.is_empty() {
            let rms = (block.iter().map(|s| s * s).sum::<f32>() / block.len() as f32).sqrt();
            shared.level.store(rms.to_bits(), Ordering::Relaxed);
        }
        let mut state = shared.state();
        if state.active {
            state.samples.extend_from_slice(&block);
            if !block.is_empty()
                && let Some(live) = &state.live
            {
                let _ = live.send(block.clone());
            }
            if state.stop_requested {
                state.active = false;
                shared.stopped.notify_all();
            }
        } else if preroll_samples > 0 {
            state.preroll.extend(block.iter().copied());
            let excess = state.preroll.len().saturating_sub(preroll_samples);
            state.preroll.drain(..excess);
        }
        drop(state);
        if shared.shutdown.load(Ordering::Acquire) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_first_callback_is_waited_for_but_a_gap_after_audio_is_a_stall() {
        let s = Duration::from_secs;
        // Three seconds to the first audio (a Bluetooth profile switch): not lost.
        assert!(!stalled(s(3), None));
        assert!(stalled(FIRST_AUDIO_WITHIN + s(1), None));
        // Audio came, then nothing for three seconds: lost.
        assert!(!stalled(s(10), Some(s(9))));
        assert!(stalled(s(10), Some(s(7))));
    }
}
