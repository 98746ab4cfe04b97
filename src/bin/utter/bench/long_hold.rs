//! `utter bench --long-hold SECONDS`: one very long push-to-talk dictation through the
//! session, as the app records it (the file growing on disk, decoding while the key is held),
//! on a simulated microphone playing `--pace` times faster than real time. Memory is sampled
//! as it goes; bounded means it grows by about the audio itself (16 kHz f32: 3.84 MB a
//! minute, held by the recording and by the stream) and nothing more per second of audio.

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use utter::audio::SimulatedMicrophone;
use utter::eval::corpus::Clip;
use utter::history::History;
use utter::output::NoOutput;
use utter::session::{Input, Pipeline, Session, SessionEvent};
use utter::settings::Settings;
use utter::transcriber::Transcriber;

use super::measure::{current_rss_mb, strategy_name};
use super::report::round;

const SR: usize = utter::SAMPLE_RATE as usize;
/// The audio as the app holds it: f32 samples at 16 kHz, in MB per minute.
const AUDIO_MB_PER_MINUTE: f64 = (SR * 4 * 60) as f64 / 1_048_576.0;

#[derive(Serialize)]
pub struct LongHoldReport {
    pub model: String,
    pub strategy: &'static str,
    pub audio_s: f64,
    pub pace: f64,
    pub words: usize,
    pub wer: f64,
    pub rss_start_mb: f64,
    pub rss_peak_mb: f64,
    /// Growth of resident memory per minute of audio while the key was held: the median of
    /// the growth rates over eight stretches of the second half (the first holds the models'
    /// one-time growth to their working size; a leak shows in every stretch, a one-off
    /// allocation in one).
    pub rss_mb_per_audio_minute: f64,
    pub audio_mb_per_minute: f64,
    pub release_to_text_ms: f64,
    /// The length of the recording saved on disk.
    pub saved_audio_s: f64,
}

/// The corpus's clips one after another (half a second apart) until `seconds` are filled.
fn long_speech(clips: &[Clip], seconds: f64) -> (Vec<f32>, String) {
    let gap = vec![0.0f32; SR / 2];
    let mut samples = Vec::new();
    let mut reference = Vec::new();
    for clip in clips.iter().cycle() {
        if samples.len() as f64 >= seconds * SR as f64 {
            break;
        }
        samples.extend_from_slice(&clip.samples);
        samples.extend_from_slice(&gap);
        reference.push(clip.reference.clone());
    }
    (samples, reference.join(" "))
}

pub fn run(
    transcriber: Transcriber,
    settings: Settings,
    clips: &[Clip],
    seconds: f64,
    pace: f64,
) -> Result<LongHoldReport> {
    if clips.is_empty() || seconds <= 0.0 {
        bail!("--long-hold needs a length in seconds and a corpus");
    }
    let model = transcriber.stt().model_name().to_string();
    let (speech, reference) = long_speech(clips, seconds);
    let data = tempfile::tempdir().context("a folder for the recording")?;
    let pipeline = Pipeline {
        transcriber: Some(transcriber),
        cleaner: None,
        output: Box::new(NoOutput),
        history: Some(History::open(&data.path().join("history.sqlite3"))?),
        recordings_dir: Some(data.path().join("recordings")),
    };
    let (mic, played) = SimulatedMicrophone::with_pace(pace);
    let (tx, events) = channel();
    let strategy = strategy_name(settings.speed.strategy);
    let session = Session::start_with_source(settings, pipeline, Box::new(mic.clone()), move |e| {
        if let SessionEvent::Finished { report } = e {
            let _ = tx.send((Instant::now(), report));
        }
    });
    // Settle after loading, then hold the key for the whole speech.
    std::thread::sleep(Duration::from_millis(500));
    let rss_start_mb = current_rss_mb();
    let audio_s = utter::audio::seconds(speech.len());
    mic.queue(speech);
    let pressed = Instant::now();
    session.send(Input::Press(pressed));
    let mut samples = Vec::new();
    let released = loop {
        if let Ok(at) = played.recv_timeout(Duration::from_millis(250)) {
            break at;
        }
        let audio_min = pressed.elapsed().as_secs_f64() * pace / 60.0;
        samples.push((audio_min, current_rss_mb()));
        if audio_min * 60.0 > audio_s * 2.0 + 60.0 {
            bail!("the simulated microphone never finished");
        }
    };
    session.send(Input::Release(released));
    let (done, report) = events
        .recv_timeout(Duration::from_secs(3600))
        .context("the long dictation did not finish")?;
    let rss_peak_mb = samples.iter().map(|s| s.1).fold(current_rss_mb(), f64::max);
    drop(session);
    if let Some(error) = &report.error {
        bail!("the long dictation failed: {error}");
    }
    let history = History::open(&data.path().join("history.sqlite3"))?;
    let saved_audio_s = report
        .history_id
        .and_then(|id| history.get(id).ok())
        .and_then(|e| e.audio_path)
        .and_then(|p| hound::WavReader::open(p).ok())
        .map_or(0.0, |r| f64::from(r.duration()) / SR as f64);
    Ok(LongHoldReport {
        model,
        strategy,
        audio_s: round(audio_s),
        pace,
        words: report.text.split_whitespace().count(),
        wer: round(100.0 * utter::eval::word_error_rate(&reference, &report.text)),
        rss_start_mb: round(rss_start_mb),
        rss_peak_mb: round(rss_peak_mb),
        rss_mb_per_audio_minute: round(growth_rate(&samples[samples.len() / 2..], STRETCHES)),
        audio_mb_per_minute: round(AUDIO_MB_PER_MINUTE),
        release_to_text_ms: round(done.duration_since(released).as_secs_f64() * 1000.0),
        saved_audio_s: round(saved_audio_s),
    })
}

/// Stretches of the second half whose growth rates are compared.
const STRETCHES: usize = 8;

/// The median over `stretches` consecutive stretches of `points` of each stretch's
/// least-squares slope of y over x.
fn growth_rate(points: &[(f64, f64)], stretches: usize) -> f64 {
    let len = points.len() / stretches.max(1);
    if len < 2 {
        return slope(points);
    }
    let mut slopes: Vec<f64> = points
        .chunks_exact(len)
        .map(slope)
        .filter(|s| s.is_finite())
        .collect();
    slopes.sort_by(f64::total_cmp);
    match slopes.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => slopes[n / 2],
        n => (slopes[n / 2 - 1] + slopes[n / 2]) / 2.0,
    }
}

/// Least-squares slope of y over x.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    if den == 0.0 { f64::NAN } else { num / den }
}

#[cfg(test)]
mod tests {
    use super::growth_rate;

    #[test]
    fn a_one_off_allocation_moves_one_stretch_and_a_leak_every_one() {
        let steady = |x: f64| 7.0 * x;
        let points = |y: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
            (0..80)
                .map(|i| f64::from(i) / 40.0)
                .map(|x| (x, y(x)))
                .collect()
        };
        let rate = growth_rate(&points(&steady), 8);
        assert!((rate - 7.0).abs() < 1e-9, "{rate}");
        // 10 MB at once in the middle of the hold.
        let step = |x: f64| steady(x) + if x >= 1.1 { 10.0 } else { 0.0 };
        let rate = growth_rate(&points(&step), 8);
        assert!((rate - 7.0).abs() < 1e-9, "{rate}");
        // 5 MB more per minute, all along.
        let leak = |x: f64| 12.0 * x;
        let rate = growth_rate(&points(&leak), 8);
        assert!((rate - 12.0).abs() < 1e-9, "{rate}");
    }
}
