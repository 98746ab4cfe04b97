//! `utter bench`: how fast text is ready after the key comes up, measured through the app's
//! own session code with a simulated microphone playing real speech at real-time pace —
//! for one model or several side by side (same utterances, one process, one after another).

mod handsfree;
mod handsfree_session;
mod handsfree_watch;
mod long_hold;
mod measure;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use utter::eval::corpus::{Clip, Utterance, build_utterances, load_clips};
use utter::settings::{Settings, Strategy};

use crate::{RecognitionArgs, engine};
use measure::SessionBench;
use report::{BenchReport, ModelReport, round};

#[derive(Args)]
pub struct BenchArgs {
    /// Several models to compare, separated by commas (each a name or a path), e.g.
    /// `--model moonshine-base-en,moonshine-tiny-en,base-q8_0`.
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
    /// Release the key this long after the last word (cuts the recordings' trailing silence;
    /// the hardest case is a release right as the speech ends). Default: as recorded.
    #[arg(long)]
    trailing_silence_ms: Option<u32>,
    /// Measure hands-free instead: when dictations end (end of turn vs silence timeouts),
    /// cuts at mid-sentence pauses, and end of speech → text. `--runs` dictations per rule
    /// go through the session (default 5).
    #[arg(long)]
    handsfree: bool,
    /// With --handsfree: pauses (ms) after which the end-of-turn model is asked, to compare.
    #[arg(long, value_delimiter = ',', default_value = "200")]
    turn_pause_ms: Vec<u32>,
    /// With --handsfree: P(finished) thresholds to compare.
    #[arg(long, value_delimiter = ',', default_value = "0.5")]
    turn_threshold: Vec<f32>,
    /// With --handsfree: how long (ms) a pause the model thought likely finished lasts before
    /// it ends the dictation, to compare (3000: only the silence limit; default: the app's).
    #[arg(long, value_delimiter = ',')]
    likely_end_ms: Vec<u32>,
    /// With --handsfree: how sure the recogniser must be of the transcript's closing mark, to
    /// compare (rules that read the transcript; 0 takes the mark as written; default: the
    /// app's).
    #[arg(long, value_delimiter = ',')]
    full_stop_above: Vec<f32>,
    /// With --handsfree: the window (ms) after an end in which resumed speech continues the
    /// dictation; cuts whose speech resumed within it lose no words (default: the app's).
    #[arg(long)]
    follow_on_ms: Option<u32>,
    /// With --handsfree: pauses (ms) after which the speech so far is decoded early, before
    /// the end-of-turn model is asked, to compare (0: at the model's pause; default: the app's).
    #[arg(long, value_delimiter = ',')]
    early_decode_ms: Vec<u32>,
    /// Measure one push-to-talk dictation this many seconds long instead (the corpus's clips
    /// one after another): memory while the key is held, the text, the saved recording.
    #[arg(long, value_name = "SECONDS")]
    long_hold: Option<f64>,
    /// With --long-hold: play the speech this many times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    pace: f64,
    /// With --long-hold: decode while the key is held (default) or after.
    #[arg(long, value_enum, default_value = "streaming")]
    strategy: crate::StrategyArg,
}

/// `count` utterances, repeating the available ones when there are fewer.
fn pick(utterances: &[Utterance], count: usize) -> Vec<Utterance> {
    utterances.iter().cycle().take(count).cloned().collect()
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
    if args.handsfree {
        return run_handsfree(args, &clips);
    }
    if let Some(seconds) = args.long_hold {
        return run_long_hold(args, &clips, seconds);
    }
    let models: Vec<Option<String>> = match &args.recognition.model {
        Some(list) => list
            .split(',')
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .map(|m| Some(m.to_string()))
            .collect(),
        None => vec![None],
    };
    // The same utterances for every model.
    let mut dictations = Vec::new();
    for &size in &args.sizes {
        let mut utterances = pick(&build_utterances(&clips, size, args.runs), args.runs);
        if let Some(ms) = args.trailing_silence_ms {
            for u in &mut utterances {
                utter::audio::trim_trailing_silence(&mut u.samples, ms);
            }
        }
        if utterances.is_empty() {
            bail!("the corpus has no speech to make {size} s utterances from");
        }
        dictations.push((size, utterances));
    }
    let threads = args
        .recognition
        .threads
        .unwrap_or_else(utter::session::loader::default_threads);
    let progress = |what: &str| {
        if !args.recognition.json {
            eprintln!("{what}…");
        }
    };

    let mut reports = Vec::new();
    let mut vad_us_per_frame = f64::NAN;
    for model in models {
        let recognition = RecognitionArgs {
            model,
            ..args.recognition.clone()
        };
        let (report, vad) = bench_model(&recognition, &clips, &dictations, &progress)?;
        vad_us_per_frame = vad;
        reports.push(report);
    }
    let report = BenchReport {
        threads,
        trailing_silence_ms: args.trailing_silence_ms,
        models: reports,
        vad_us_per_frame,
    };
    if args.recognition.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        report::print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings and the first model named, for the measurements of one model.
fn first_model(args: &BenchArgs) -> Result<(Settings, engine::LoadedEngine)> {
    let settings = Settings {
        language: args.recognition.language.clone(),
        ..Settings::default()
    };
    let first_model = args
        .recognition
        .model
        .as_deref()
        .and_then(|list| list.split(',').map(str::trim).find(|m| !m.is_empty()))
        .map(str::to_string);
    let recognition = RecognitionArgs {
        model: first_model,
        ..args.recognition.clone()
    };
    let loaded = engine::load(&recognition, &settings)?;
    Ok((settings, loaded))
}

fn run_long_hold(args: &BenchArgs, clips: &[Clip], seconds: f64) -> Result<ExitCode> {
    let (mut settings, loaded) = first_model(args)?;
    settings.speed.strategy = args.strategy.into();
    let report = long_hold::run(loaded.transcriber, settings, clips, seconds, args.pace)?;
    if args.recognition.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "long hold: {:.0} s of speech ({}, {}, {}× real time): {} words, WER {:.1} %, \
             {:.0} ms after release\nmemory: {:.0} MB at the start, {:.0} MB at the peak, \
             +{:.1} MB per minute of audio (the audio itself: {:.2} MB a minute); \
             {:.0} s saved on disk",
            report.audio_s,
            report.model,
            report.strategy,
            report.pace,
            report.words,
            report.wer,
            report.release_to_text_ms,
            report.rss_start_mb,
            report.rss_peak_mb,
            report.rss_mb_per_audio_minute,
            report.audio_mb_per_minute,
            report.saved_audio_s
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The values given to compare, or the app's own.
fn or_default<T: Copy>(given: &[T], default: T) -> Vec<T> {
    if given.is_empty() {
        vec![default]
    } else {
        given.to_vec()
    }
}

fn run_handsfree(args: &BenchArgs, clips: &[Clip]) -> Result<ExitCode> {
    let (settings, loaded) = first_model(args)?;
    let progress = |what: &str| {
        if !args.recognition.json {
            eprintln!("{what}…");
        }
    };
    let defaults = utter::turn::EndParams::DEFAULT;
    let variants = handsfree::Variants {
        pauses_ms: args.turn_pause_ms.clone(),
        thresholds: args.turn_threshold.clone(),
        likely_ends_ms: or_default(&args.likely_end_ms, defaults.likely_end_silence_ms),
        full_stops_above: or_default(&args.full_stop_above, defaults.full_stop_above),
        follow_on_ms: args.follow_on_ms.unwrap_or(defaults.follow_on_ms),
        early_decodes_ms: or_default(&args.early_decode_ms, defaults.early_decode_ms),
    };
    let report = handsfree::run(
        loaded.transcriber,
        settings,
        clips,
        args.runs,
        &variants,
        &progress,
    )?;
    if args.recognition.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        report::print_handsfree(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything measured for one model; its memory is freed before the next one loads.
fn bench_model(
    recognition: &RecognitionArgs,
    clips: &[Clip],
    dictations: &[(f64, Vec<Utterance>)],
    progress: &dyn Fn(&str),
) -> Result<(ModelReport, f64)> {
    // No model in the settings: the session keeps the transcriber it is given.
    let settings = Settings {
        language: recognition.language.clone(),
        ..Settings::default()
    };
    measure::reset_peak_rss();
    let mut loaded = engine::load(recognition, &settings)?;
    let model = loaded.transcriber.stt().model_name().to_string();
    let engine_name = loaded.transcriber.stt().engine().to_string();
    progress(&format!("{model}: VAD"));
    let vad = measure::vad_us_per_frame(&mut loaded.transcriber, clips)?;
    progress(&format!("{model}: the corpus, whole clips"));
    let audio: Vec<(&[f32], &str)> = clips
        .iter()
        .map(|c| (c.samples.as_slice(), c.reference.as_str()))
        .collect();
    let (rtf, corpus_wer_percent) =
        measure::transcribe_all(&mut loaded.transcriber, &loaded.options, &audio)?;
    let stt_rtf = if engine_name == "whisper" {
        progress(&format!("{model}: Whisper's encoder window"));
        let ten = dictations
            .iter()
            .find(|(s, _)| *s == 10.0)
            .map_or_else(|| dictations[0].1.clone(), |(_, u)| u.clone());
        measure::whisper_windows(&mut loaded.transcriber, &loaded.options, &ten)?
    } else {
        Vec::new()
    };

    let mut sessions = SessionBench::start(loaded.transcriber, settings);
    let mut release_to_text_ms = Vec::new();
    for (size, utterances) in dictations {
        for strategy in [Strategy::Batch, Strategy::Streaming] {
            progress(&format!(
                "{model}: {size} s dictations, {}",
                measure::strategy_name(strategy)
            ));
            release_to_text_ms.push(sessions.measure(*size, strategy, utterances)?);
        }
    }
    progress(&format!("{model}: idle CPU"));
    // Worker threads settle first (ONNX Runtime's spin briefly after the last run).
    std::thread::sleep(Duration::from_millis(500));
    let idle_cpu_percent = round(measure::idle_cpu_percent(Duration::from_secs(3)));
    drop(sessions);
    let ratio = report::ratios(&release_to_text_ms);
    Ok((
        ModelReport {
            model,
            engine: engine_name,
            load_ms: round(loaded.load_ms),
            peak_rss_mb: round(measure::peak_rss_mb()),
            corpus_wer_percent,
            corpus_clips: clips.len(),
            rtf,
            release_to_text_ms,
            ratio,
            stt_rtf,
            idle_cpu_percent,
        },
        vad,
    ))
}
