//! Device-rate, multi-channel audio is converted to 16 kHz mono without changing pitch or words.

mod common;

use std::f32::consts::TAU;
use std::process::Command;

use utter::audio::to_mono_16k;

/// Frequency of a (mono, 16 kHz) tone from its zero crossings.
fn frequency(samples: &[f32]) -> f64 {
    let body = &samples[1600..samples.len() - 1600];
    let crossings = body
        .windows(2)
        .filter(|w| w[0] <= 0.0 && w[1] > 0.0)
        .count();
    crossings as f64 * 16_000.0 / body.len() as f64
}

fn stereo_tone(rate: u32, hz: f32, seconds: f32) -> Vec<f32> {
    let n = (rate as f32 * seconds) as usize;
    (0..n)
        .flat_map(|i| {
            let s = (TAU * hz * i as f32 / rate as f32).sin() * 0.5;
            [s, s]
        })
        .collect()
}

#[test]
fn tones_keep_their_frequency_at_44_1_and_48_khz() {
    for rate in [44_100u32, 48_000] {
        for hz in [440.0f32, 1000.0, 3000.0] {
            let out = to_mono_16k(&stereo_tone(rate, hz, 2.0), rate, 2).unwrap();
            assert_eq!(out.len(), 32_000, "{rate} Hz input");
            let measured = frequency(&out);
            assert!(
                (measured - f64::from(hz)).abs() < 2.0,
                "{rate}: {hz} Hz came out as {measured:.1} Hz"
            );
            let peak = out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
            assert!((peak - 0.5).abs() < 0.02, "amplitude {peak}");
        }
    }
}

#[test]
fn speech_at_device_rates_keeps_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = common::transcriber("ggml-tiny.en-q8_0.bin");
    for rate in ["44100", "48000"] {
        let path = dir.path().join(format!("jfk-{rate}.wav"));
        // sox makes the device-format file independently of our own resampler.
        let status = Command::new("sox")
            .arg(common::clip("jfk.wav"))
            .args(["-r", rate, "-c", "2", "-b", "16"])
            .arg(&path)
            .status()
            .expect("sox runs (installed by scripts/install-deps.sh --test)");
        assert!(status.success());
        let samples = utter::audio::load_mono_16k(&path).unwrap();
        assert!(
            (samples.len() as i64 - 176_000).abs() < 200,
            "{rate}: {} samples",
            samples.len()
        );
        let out = t.transcribe(&samples, &Default::default()).unwrap();
        let wer = utter::eval::word_error_rate(common::JFK, &out.text);
        assert!(wer <= 0.10, "{rate}: WER {wer:.2}: {:?}", out.text);
    }
}
