//! Recordings without speech give no text, and never reach the recogniser.

mod common;

use common::transcriber;
use utter::transcriber::TranscribeOptions;

const SR: usize = 16_000;

/// Deterministic white noise in [-amp, amp].
fn noise(n: usize, amp: f32, mut seed: u64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

/// Door-knock-like clicks: three 15 ms decaying bursts 250 ms apart.
fn knocks() -> Vec<f32> {
    let mut out = vec![0.0f32; 3 * SR];
    let burst = noise(SR * 15 / 1000, 0.9, 7);
    for k in 0..3 {
        let start = SR + k * SR / 4;
        for (i, s) in burst.iter().enumerate() {
            out[start + i] = s * (-(i as f32) / 60.0).exp();
        }
    }
    out
}

#[test]
fn silence_noise_and_clicks_give_empty_text() {
    let mut t = transcriber("ggml-base-q8_0.bin");
    let cases = [
        ("digital silence", vec![0.0f32; 3 * SR]),
        ("white noise", noise(3 * SR, 0.1, 42)),
        ("faint noise", noise(5 * SR, 0.005, 9)),
        ("door knocks", knocks()),
    ];
    for (name, audio) in cases {
        let out = t.transcribe(&audio, &TranscribeOptions::default()).unwrap();
        assert_eq!(out.text, "", "{name} produced text");
        assert_eq!(out.speech_s, 0.0, "{name} was taken for speech");
        assert_eq!(out.timings.stt_ms, 0.0, "{name} reached the recogniser");
    }
}

#[test]
fn speech_surrounded_by_long_silence_is_trimmed() {
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let mut audio = vec![0.0f32; 10 * SR];
    audio.extend(common::load_clip("jfk.wav"));
    audio.extend(vec![0.0f32; 10 * SR]);
    let out = t.transcribe(&audio, &TranscribeOptions::default()).unwrap();
    assert!(
        out.speech_s < 12.0 && out.speech_s > 7.0,
        "speech {}",
        out.speech_s
    );
    assert!(
        utter::eval::word_error_rate(common::JFK, &out.text) <= 0.1,
        "{:?}",
        out.text
    );
}
