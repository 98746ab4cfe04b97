//! `utter bench`: how fast text is ready after the key comes up, measured through the app's
//! own session code with a simulated microphone playing real speech at real-time pace.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use utter::audio::SimulatedMicrophone;
use utter::eval::corpus::{Clip, Utterance, build_utterances, load_clips};
use utter::eval::word_error_rate;
use utter::output::{Delivered, OutputError, OutputSettings, TextSink};
use utter::session::{DictationReport, Input, Pipeline, Session, SessionEvent};
use utter::settings::{Settings, Strategy};
use utter::stt::AudioContext;
use utter::transcriber::Transcriber;
use utter::vad::FRAME_SAMPLES;

use crate::{RecognitionArgs, engine};

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    recognition: RecognitionArgs,
    /// Speech corpus: a folder with manifest.tsv and its WAV files (default: $UTTER_BENCH_CORPUS,
    /// else ../shared/eval).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Utterance lengths in seconds.
    #[arg(long, value_delimiter = ',', default_value = "2,5,10,30")]
    sizes: Vec<f64>,
    /// Dictations per length and strategy (p50/p95 are over these).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

#[derive(Serialize)]
struct LatencyRow {
    utterance_s: f64,
    strategy: &'static str,
    p50: f64,
    p95: f64,
    runs: usize,
    /// Word error rate over these dictations, in percent.
    wer_percent: f64,
}

#[derive(Serialize)]
struct RatioRow {
    utterance_s: f64,
    streaming_over_batch_p50: f64,
}

#[derive(Serialize)]
struct RtfRow {
    audio_ctx: &'static str,
    rtf: f64,
    wer_percent: f64,
}

#[derive(Serialize)]
struct BenchReport {
    model: String,
    threads: usize,
    release_to_text_ms: Vec<LatencyRow>,
    ratio: Vec<RatioRow>,
    stt_rtf: Vec<RtfRow>,
    vad_us_per_frame: f64,
    load_ms: f64,
    peak_rss_mb: f64,
    idle_cpu_percent: f64,
}

pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    let corpus = args
        .corpus
        .clone()
        .or_else(|| std::env::var_os("UTTER_BENCH_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/eval"));
    let clips = load_clips(&corpus, "en").with_context(|| {
        format!(
            "no speech to benchmark with in {} (pass --corpus DIR)",
            corpus.display()
        )
    })?;
    if args.runs == 0 || args.sizes.is_empty() {
        bail!("--runs and --sizes must not be empty");
    }
    let settings = Settings {
        language: args.recognition.language.clone(),
        ..Settings::default()
    };
    let mut loaded = engine::load(&args.recognition, &settings)?;
    let threads = args
        .recognition
        .threads
        .unwrap_or_else(utter::session::loader::default_threads);
    let model = loaded.transcriber.stt().model_name().to_string();
    let progress = |what: &str| {
        if !args.recognition.json {
            eprintln!("{what}…");
        }
    };

    progress("VAD");
    let vad_us_per_frame = vad_us_per_frame(&mut loaded.transcriber, &clips)?;
    progress("speech-to-text real-time factor");
    let ten = pick(
        &build_utterances(&clips, 10.0, args.runs.max(3)),
        args.runs.max(3),
    );
    let stt_rtf = [AudioContext::Full, AudioContext::Scaled]
        .into_iter()
        .map(|ctx| stt_rtf(&mut loaded.transcriber, &loaded.options, ctx, &ten))
        .collect::<Result<Vec<_>>>()?;

    let mut sessions = SessionBench::start(loaded.transcriber, settings);
    let mut release_to_text_ms = Vec::new();
    for &size in &args.sizes {
        let utterances = pick(&build_utterances(&clips, size, args.runs), args.runs);
        if utterances.is_empty() {
            bail!("the corpus has no speech to make {size} s utterances from");
        }
        for strategy in [Strategy::Batch, Strategy::Streaming] {
            progress(&format!("{size} s dictations, {}", strategy_name(strategy)));
            release_to_text_ms.push(sessions.measure(size, strategy, &utterances)?);
        }
    }
    progress("idle CPU");
    let idle_cpu_percent = idle_cpu_percent(Duration::from_secs(3));
    drop(sessions);

    let ratio = ratios(&release_to_text_ms);
    let report = BenchReport {
        model,
        threads,
        release_to_text_ms,
        ratio,
        stt_rtf,
        vad_us_per_frame,
        load_ms: round(loaded.load_ms),
        peak_rss_mb: round(peak_rss_mb()),
        idle_cpu_percent: round(idle_cpu_percent),
    };
    if args.recognition.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Batch => "batch",
        Strategy::Streaming => "streaming",
    }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// `count` utterances, repeating the available ones when there are fewer.
fn pick(utterances: &[Utterance], count: usize) -> Vec<Utterance> {
    utterances.iter().cycle().take(count).cloned().collect()
}

/// Nearest-rank percentile of unsorted values.
fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Word error rate in percent over several dictations, weighted by reference length.
fn corpus_wer(pairs: &[(String, String)]) -> f64 {
    let words = |t: &str| utter::eval::normalize(t).len() as f64;
    let total: f64 = pairs.iter().map(|(r, _)| words(r)).sum();
    let errors: f64 = pairs
        .iter()
        .map(|(r, h)| word_error_rate(r, h) * words(r))
        .sum();
    round(100.0 * errors / total.max(1.0))
}

fn vad_us_per_frame(transcriber: &mut Transcriber, clips: &[Clip]) -> Result<f64> {
    let audio: Vec<f32> = clips
        .iter()
        .flat_map(|c| c.samples.clone())
        .take(30 * 16_000)
        .collect();
    let vad = transcriber.vad_mut();
    vad.reset();
    let start = Instant::now();
    let mut frames = 0;
    for frame in audio.chunks_exact(FRAME_SAMPLES) {
        vad.speech_probability(frame)?;
        frames += 1;
    }
    Ok(round(
        start.elapsed().as_secs_f64() * 1e6 / f64::from(frames.max(1)),
    ))
}

fn stt_rtf(
    transcriber: &mut Transcriber,
    options: &utter::transcriber::TranscribeOptions,
    audio_context: AudioContext,
    utterances: &[Utterance],
) -> Result<RtfRow> {
    let options = utter::transcriber::TranscribeOptions {
        audio_context,
        ..options.clone()
    };
    let (mut stt_s, mut speech_s) = (0.0, 0.0);
    let mut pairs = Vec::new();
    for u in utterances {
        let t = transcriber.transcribe(&u.samples, &options)?;
        stt_s += t.timings.stt_ms / 1000.0;
        speech_s += t.speech_s;
        pairs.push((u.reference.clone(), t.text));
    }
    Ok(RtfRow {
        audio_ctx: match audio_context {
            AudioContext::Full => "full",
            AudioContext::Scaled => "scaled",
        },
        rtf: (stt_s / speech_s.max(1e-9) * 1000.0).round() / 1000.0,
        wer_percent: corpus_wer(&pairs),
    })
}

/// Throws the text away: the bench measures up to the moment it would be typed.
#[derive(Default)]
struct Discard;

impl TextSink for Discard {
    fn deliver(&mut self, _: &OutputSettings, _: &str) -> Result<Delivered, OutputError> {
        Ok(Delivered::default())
    }
}

/// One warm session, as the app runs it, recording from a simulated microphone.
struct SessionBench {
    session: Session,
    mic: SimulatedMicrophone,
    played: Receiver<Instant>,
    finished: Receiver<Box<DictationReport>>,
    settings: Settings,
}

impl SessionBench {
    fn start(transcriber: Transcriber, settings: Settings) -> SessionBench {
        let pipeline = Pipeline {
            transcriber: Some(transcriber),
            cleaner: None,
            output: Box::new(Discard),
            history: None,
            recordings_dir: None,
        };
        let (mic, played) = SimulatedMicrophone::new();
        let (tx, finished) = channel();
        let session = Session::start_with_source(
            settings.clone(),
            pipeline,
            Box::new(mic.clone()),
            move |event| {
                if let SessionEvent::Finished { report } = event {
                    let _ = tx.send(report);
                }
            },
        );
        SessionBench {
            session,
            mic,
            played,
            finished,
            settings,
        }
    }

    fn measure(
        &mut self,
        size: f64,
        strategy: Strategy,
        utterances: &[Utterance],
    ) -> Result<LatencyRow> {
        self.settings.speed.strategy = strategy;
        self.session
            .send(Input::Settings(Box::new(self.settings.clone())));
        let mut latencies = Vec::new();
        let mut pairs = Vec::new();
        for u in utterances {
            let report = self.dictate(u)?;
            if let Some(error) = &report.error {
                bail!("dictation failed: {error}");
            }
            let ms = report
                .timings
                .iter()
                .find(|(k, _)| k == "release_to_text")
                .map(|(_, v)| *v)
                .context("no release_to_text timing")?;
            latencies.push(ms);
            pairs.push((u.reference.clone(), report.text.clone()));
        }
        Ok(LatencyRow {
            utterance_s: size,
            strategy: strategy_name(strategy),
            p50: round(percentile(&latencies, 50.0)),
            p95: round(percentile(&latencies, 95.0)),
            runs: latencies.len(),
            wer_percent: corpus_wer(&pairs),
        })
    }

    fn dictate(&mut self, utterance: &Utterance) -> Result<DictationReport> {
        let timeout = Duration::from_secs_f64(utterance.seconds() * 3.0 + 60.0);
        self.mic.queue(utterance.samples.clone());
        self.session.send(Input::Press(Instant::now()));
        self.played
            .recv_timeout(timeout)
            .context("the simulated microphone did not finish playing")?;
        self.session.send(Input::Release(Instant::now()));
        let report = self
            .finished
            .recv_timeout(timeout)
            .context("the dictation did not finish")?;
        Ok(*report)
    }
}

fn ratios(rows: &[LatencyRow]) -> Vec<RatioRow> {
    let p50 = |size: f64, strategy: &str| {
        rows.iter()
            .find(|r| r.utterance_s == size && r.strategy == strategy)
            .map(|r| r.p50)
    };
    let mut sizes: Vec<f64> = rows.iter().map(|r| r.utterance_s).collect();
    sizes.dedup();
    sizes
        .into_iter()
        .filter_map(|size| {
            let (s, b) = (p50(size, "streaming")?, p50(size, "batch")?);
            Some(RatioRow {
                utterance_s: size,
                streaming_over_batch_p50: (s / b.max(1e-9) * 1000.0).round() / 1000.0,
            })
        })
        .collect()
}

/// The process's CPU time (user + system) over `window` while the session sits idle.
fn idle_cpu_percent(window: Duration) -> f64 {
    let before = cpu_seconds();
    std::thread::sleep(window);
    let after = cpu_seconds();
    match (before, after) {
        (Some(b), Some(a)) => 100.0 * (a - b) / window.as_secs_f64(),
        _ => f64::NAN,
    }
}

fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Ticks are USER_HZ, which is 100 on Linux.
    Some(ticks / 100.0)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn print_table(r: &BenchReport) {
    println!(
        "model {} · {} threads · load {:.0} ms",
        r.model, r.threads, r.load_ms
    );
    println!();
    println!("release → text (ms)   strategy     p50      p95   runs   WER %");
    for row in &r.release_to_text_ms {
        println!(
            "{:>8.0} s dictation   {:<10} {:>7.0}  {:>7.0}   {:>4}   {:>5.1}",
            row.utterance_s, row.strategy, row.p50, row.p95, row.runs, row.wer_percent
        );
    }
    for row in &r.ratio {
        println!(
            "{:>8.0} s: streaming / batch = {:.3}",
            row.utterance_s, row.streaming_over_batch_p50
        );
    }
    println!();
    for row in &r.stt_rtf {
        println!(
            "STT real-time factor, audio_ctx {:<6}  {:.3}  (WER {:.1} %)",
            row.audio_ctx, row.rtf, row.wer_percent
        );
    }
    println!("VAD {:.0} µs per 32 ms frame", r.vad_us_per_frame);
    println!(
        "peak RSS {:.0} MB · idle CPU {:.2} %",
        r.peak_rss_mb, r.idle_cpu_percent
    );
}
