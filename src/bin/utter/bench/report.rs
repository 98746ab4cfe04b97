//! What `utter bench` reports: one row per model and strategy, as JSON or a table.

use serde::Serialize;

#[derive(Serialize)]
pub struct LatencyRow {
    pub utterance_s: f64,
    pub strategy: &'static str,
    pub p50: f64,
    pub p95: f64,
    pub runs: usize,
    /// Word error rate over these dictations, in percent.
    pub wer_percent: f64,
}

#[derive(Serialize)]
pub struct RatioRow {
    pub utterance_s: f64,
    pub streaming_over_batch_p50: f64,
}

/// Whisper only: the encoder window's effect.
#[derive(Serialize)]
pub struct RtfRow {
    pub audio_ctx: &'static str,
    pub rtf: f64,
    pub wer_percent: f64,
}

#[derive(Serialize)]
pub struct ModelReport {
    pub model: String,
    pub engine: String,
    pub load_ms: f64,
    /// Highest resident memory while this model was loaded and used.
    pub peak_rss_mb: f64,
    /// Every English clip of the corpus transcribed whole (batch).
    pub corpus_wer_percent: f64,
    pub corpus_clips: usize,
    /// Decoding time over speech time on those clips.
    pub rtf: f64,
    pub release_to_text_ms: Vec<LatencyRow>,
    pub ratio: Vec<RatioRow>,
    pub stt_rtf: Vec<RtfRow>,
    /// CPU used by the warm session while nobody dictates.
    pub idle_cpu_percent: f64,
}

#[derive(Serialize)]
pub struct BenchReport {
    pub threads: usize,
    /// Silence kept after the last word before the key comes up (None: as recorded).
    pub trailing_silence_ms: Option<u32>,
    pub models: Vec<ModelReport>,
    pub vad_us_per_frame: f64,
}

pub fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Nearest-rank percentile of unsorted values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ratios(rows: &[LatencyRow]) -> Vec<RatioRow> {
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

pub fn print_table(r: &BenchReport) {
    let sizes: Vec<f64> = r
        .models
        .first()
        .map(|m| {
            let mut s: Vec<f64> = m
                .release_to_text_ms
                .iter()
                .map(|row| row.utterance_s)
                .collect();
            s.dedup();
            s
        })
        .unwrap_or_default();
    let release = match r.trailing_silence_ms {
        Some(ms) => format!("key released {ms} ms after the last word"),
        None => "key released when the recording ends".to_string(),
    };
    println!(
        "release → text, p50 / p95 ms ({} threads; dictations played in real time, {release})",
        r.threads
    );
    let mut header = format!("{:<24} {:<10}", "model", "strategy");
    for s in &sizes {
        header.push_str(&format!(" {:>13}", format!("{s:.0} s")));
    }
    header.push_str(&format!(
        " {:>7} {:>7} {:>8} {:>8}",
        "WER %", "RTF", "load ms", "RSS MB"
    ));
    println!("{header}");
    for m in &r.models {
        for strategy in ["batch", "streaming"] {
            let mut line = format!("{:<24} {:<10}", m.model, strategy);
            for s in &sizes {
                let cell = m
                    .release_to_text_ms
                    .iter()
                    .find(|row| row.utterance_s == *s && row.strategy == strategy)
                    .map_or("-".to_string(), |row| {
                        format!("{:.0} / {:.0}", row.p50, row.p95)
                    });
                line.push_str(&format!(" {cell:>13}"));
            }
            line.push_str(&format!(
                " {:>7.1} {:>7.3} {:>8.0} {:>8.0}",
                m.corpus_wer_percent, m.rtf, m.load_ms, m.peak_rss_mb
            ));
            println!("{line}");
        }
    }
    println!();
    for m in &r.models {
        let ratio: Vec<String> = m
            .ratio
            .iter()
            .map(|x| format!("{:.0} s {:.2}", x.utterance_s, x.streaming_over_batch_p50))
            .collect();
        println!(
            "{}: streaming / batch p50 = {} · idle CPU {:.2} %",
            m.model,
            ratio.join(", "),
            m.idle_cpu_percent
        );
        for row in &m.stt_rtf {
            println!(
                "{}: STT real-time factor, audio_ctx {:<6} {:.3} (WER {:.1} %)",
                m.model, row.audio_ctx, row.rtf, row.wer_percent
            );
        }
    }
    println!("VAD {:.0} µs per 32 ms frame", r.vad_us_per_frame);
}

/// The hands-free comparison as a table.
pub fn print_handsfree(report: &super::handsfree::HandsFreeReport) {
    println!(
        "Hands-free end of dictation — {} ({} English clips; text ready through the session)",
        report.model, report.clips
    );
    println!(
        "{:<30} {:>16} {:>26} {:>14} {:>20} {:>30} {:>6} {:>26} {:>56}",
        "rule",
        "cut mid-sentence",
        format!("picked up ≤ {} ms", report.follow_on_ms),
        "ended by turn",
        "end wait p50/p95 ms",
        "speech end → text p50/p95",
        "WER",
        "early decodes stopped/used",
        "cuts: WER, seams rejoined/full stop, seam decode p50/max"
    );
    for r in &report.rules {
        println!(
            "{:<30} {:>16} {:>26} {:>14} {:>20} {:>30} {:>6.3} {:>26} {:>56}",
            r.rule,
            format!("{} / {}", r.early_cuts, r.paused),
            format!("{} / {}", r.cuts_continued, r.early_cuts),
            format!("{} / {}", r.ended_by_turn, r.finished),
            format!("{:.0} / {:.0}", r.end_wait_p50, r.end_wait_p95),
            format!(
                "{:.0} / {:.0} ms ({} runs)",
                r.text_ready_p50, r.text_ready_p95, r.runs
            ),
            r.wer,
            match r.early_decodes {
                0 => "—".to_string(),
                n => format!("{} / {} of {n}", r.early_stopped, r.early_used),
            },
            match r.cut_runs {
                0 => "—".to_string(),
                n => format!(
                    "{:.3}, {} / {}, {:.0} / {:.0} ms ({n} runs)",
                    r.cut_wer, r.seams_rejoined, r.seams_full_stop_kept, r.seam_p50, r.seam_max
                ),
            },
        );
    }
}
