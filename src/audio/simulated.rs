//! A microphone that plays queued recordings at real-time pace, in 20 ms blocks like a real
//! device: the benchmark measures the app's own session code, capture timing included.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::source::{CaptureSource, CaptureStream};
use super::{CaptureError, CaptureOptions, Recording};

const BLOCK: usize = crate::SAMPLE_RATE as usize / 50;

/// Hands each opened stream the next queued clip.
#[derive(Clone, Default)]
pub struct SimulatedMicrophone {
    queue: Arc<Mutex<VecDeque<Vec<f32>>>>,
    /// Told when a stream has played its whole clip (the moment to "release the key").
    played: Arc<Mutex<Option<Sender<Instant>>>>,
    /// Seconds of audio per second of time (1: real time).
    pace: f64,
}

impl SimulatedMicrophone {
    /// Returns the source and a receiver that gets the time each clip finished playing.
    pub fn new() -> (SimulatedMicrophone, Receiver<Instant>) {
        SimulatedMicrophone::with_pace(1.0)
    }

    /// Like [`new`](Self::new), playing `pace` times faster than real time (long holds in
    /// the benchmark and the tests).
    pub fn with_pace(pace: f64) -> (SimulatedMicrophone, Receiver<Instant>) {
        let (tx, rx) = channel();
        let mic = SimulatedMicrophone {
            queue: Arc::default(),
            played: Arc::new(Mutex::new(Some(tx))),
            pace: pace.max(0.01),
        };
        (mic, rx)
    }

    /// Queue the audio the next recording will hear.
    pub fn queue(&self, samples: Vec<f32>) {
        lock(&self.queue).push_back(samples);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl CaptureSource for SimulatedMicrophone {
    fn open(&self, _options: &CaptureOptions) -> Result<Box<dyn CaptureStream>, CaptureError> {
        let clip = lock(&self.queue).pop_front().unwrap_or_default();
        Ok(Box::new(SimulatedStream {
            clip: Arc::new(clip),
            pace: self.pace,
            recorded: Arc::default(),
            stop: Arc::default(),
            next_block: Arc::default(),
            feeder: Mutex::new(None),
            played: lock(&self.played).clone(),
        }))
    }
}

struct SimulatedStream {
    clip: Arc<Vec<f32>>,
    pace: f64,
    recorded: Arc<Mutex<Vec<f32>>>,
    stop: Arc<AtomicBool>,
    /// Where a recording started again on the same stream goes on (the clip plays once).
    next_block: Arc<AtomicUsize>,
    feeder: Mutex<Option<JoinHandle<()>>>,
    played: Option<Sender<Instant>>,
}

impl CaptureStream for SimulatedStream {
    fn start_recording(&self) -> Receiver<Vec<f32>> {
        let (tx, rx) = channel();
        let (clip, recorded, stop, next_block) = (
            Arc::clone(&self.clip),
            Arc::clone(&self.recorded),
            Arc::clone(&self.stop),
            Arc::clone(&self.next_block),
        );
        stop.store(false, Ordering::Relaxed);
        let first = next_block.load(Ordering::Relaxed);
        let played = self.played.clone().filter(|_| first * BLOCK < clip.len());
        let pace = self.pace;
        let handle = std::thread::spawn(move || {
            let start = Instant::now();
            for (i, block) in clip.chunks(BLOCK).enumerate().skip(first) {
                // Block i is "captured" once its last sample has been spoken.
                let due = start
                    + Duration::from_secs_f64(
                        crate::audio::seconds((i + 1 - first) * BLOCK) / pace,
                    );
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                lock(&recorded).extend_from_slice(block);
                next_block.store(i + 1, Ordering::Relaxed);
                let _ = tx.send(block.to_vec());
            }
            if let Some(played) = played {
                let _ = played.send(Instant::now());
            }
        });
        *lock(&self.feeder) = Some(handle);
        rx
    }

    fn stop_recording(&self) -> Recording {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = lock(&self.feeder).take() {
            let _ = handle.join();
        }
        Recording {
            samples: std::mem::take(&mut *lock(&self.recorded)),
            error: None,
        }
    }

    fn health(&self) -> Result<(), CaptureError> {
        Ok(())
    }

    fn level(&self) -> f32 {
        0.0
    }

    fn device_name(&self) -> &str {
        "simulated"
    }
}

/// `len` samples of the recording's own background (its quietest 100 ms, repeated): a
/// pause sounds like the room it was spoken in, not like digital silence.
pub fn room_tone(samples: &[f32], len: usize) -> Vec<f32> {
    let piece = crate::SAMPLE_RATE as usize / 10;
    if samples.len() < piece {
        return vec![0.0; len];
    }
    let energy = |start: usize| {
        samples[start..start + piece]
            .iter()
            .map(|s| s * s)
            .sum::<f32>()
    };
    let quietest = (0..=samples.len() - piece)
        .step_by(BLOCK)
        .min_by(|a, b| energy(*a).total_cmp(&energy(*b)))
        .unwrap_or(0);
    samples[quietest..quietest + piece]
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stopped and started again on the same stream (a hands-free follow-on), the clip goes on
    /// where it was: every sample is heard once, in order.
    #[test]
    fn a_recording_started_again_goes_on_where_the_last_one_stopped() {
        let (mic, _played) = SimulatedMicrophone::with_pace(20.0);
        let clip: Vec<f32> = (0..BLOCK * 40).map(|i| i as f32).collect();
        mic.queue(clip.clone());
        let stream = mic.open(&CaptureOptions::default()).unwrap();
        let first_live = stream.start_recording();
        let first_block = first_live.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(first_block[0], 0.0);
        let first = stream.stop_recording().samples;
        let second_live = stream.start_recording();
        let mut second: Vec<f32> = Vec::new();
        while let Ok(block) = second_live.recv_timeout(Duration::from_secs(5)) {
            second.extend(block);
        }
        assert!(!first.is_empty() && !second.is_empty());
        assert_eq!([first, second].concat(), clip);
    }
}
