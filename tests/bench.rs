//! `utter bench` runs real speech through the app's session code and reports every figure
//! the speed work is judged by. Speeds are not asserted here (that is the bench's job);
//! the words and the shape of the report are.

mod common;

use std::process::Command;

use common::{models_dir, shared_dir, utter_bin};
use serde_json::Value;

/// `utter bench ARGS --corpus CORPUS` with the shared models and a private data folder.
fn bench(args: &[&str], corpus: &std::path::Path, data: &std::path::Path) -> std::process::Output {
    Command::new(utter_bin())
        .arg("bench")
        .args(args)
        .arg("--corpus")
        .arg(corpus)
        .env("UTTER_MODELS_DIR", models_dir())
        .env("UTTER_DATA_DIR", data)
        .output()
        .expect("utter runs")
}

#[test]
fn bench_json_compares_models_side_by_side_with_every_figure() {
    let data = tempfile::tempdir().unwrap();
    let corpus = shared_dir().join("eval");
    let args = [
        "--model",
        "tiny.en-q8_0,moonshine-tiny-en",
        "--json",
        "--sizes",
        "2,5",
        "--runs",
        "1",
        "--trailing-silence-ms",
        "100",
    ];
    let out = bench(&args, &corpus, data.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");

    assert!(report["threads"].as_u64().unwrap() >= 1);
    assert_eq!(report["trailing_silence_ms"], 100);
    assert!(report["vad_us_per_frame"].as_f64().unwrap() > 0.0);
    let models = report["models"].as_array().unwrap();
    let names: Vec<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tiny.en-q8_0", "moonshine-tiny-en"]);
    for m in models {
        let rows = m["release_to_text_ms"].as_array().unwrap();
        assert_eq!(rows.len(), 4, "2 sizes × 2 strategies: {rows:?}");
        for row in rows {
            let strategy = row["strategy"].as_str().unwrap();
            assert!(["batch", "streaming"].contains(&strategy));
            assert!([2.0, 5.0].contains(&row["utterance_s"].as_f64().unwrap()));
            let (p50, p95) = (row["p50"].as_f64().unwrap(), row["p95"].as_f64().unwrap());
            assert!(p50 >= 0.0 && p95 >= p50, "{row}");
            // The dictations were really transcribed.
            assert!(row["wer_percent"].as_f64().unwrap() <= 25.0, "{m}");
        }
        assert_eq!(m["ratio"].as_array().unwrap().len(), 2);
        // The whole English corpus was transcribed, with a plausible word error rate.
        assert!(m["corpus_clips"].as_u64().unwrap() >= 20);
        let wer = m["corpus_wer_percent"].as_f64().unwrap();
        assert!(wer > 0.0 && wer < 35.0, "{m}");
        assert!(m["rtf"].as_f64().unwrap() > 0.0);
        assert!(m["load_ms"].as_f64().unwrap() > 0.0);
        assert!(m["peak_rss_mb"].as_f64().unwrap() > 20.0);
        // No polling loops: an idle session costs (next to) nothing.
        let idle = m["idle_cpu_percent"].as_f64().unwrap();
        assert!((0.0..2.0).contains(&idle), "idle CPU {idle} %");
    }
    assert_eq!(models[0]["engine"], "whisper");
    assert_eq!(models[1]["engine"], "moonshine");
    // Whisper's encoder window is compared; Moonshine has none.
    let rtf = models[0]["stt_rtf"].as_array().unwrap();
    let contexts: Vec<&str> = rtf
        .iter()
        .map(|r| r["audio_ctx"].as_str().unwrap())
        .collect();
    assert_eq!(contexts, ["full", "scaled"]);
    assert!(models[1]["stt_rtf"].as_array().unwrap().is_empty());
}

#[test]
fn the_bench_table_has_a_row_per_model_and_strategy() {
    let data = tempfile::tempdir().unwrap();
    let args = [
        "--model",
        "moonshine-tiny-en",
        "--sizes",
        "2",
        "--runs",
        "1",
    ];
    let out = bench(&args, &shared_dir().join("eval"), data.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for strategy in ["batch", "streaming"] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("moonshine-tiny-en") && l.contains(strategy)),
            "{table}"
        );
    }
    assert!(
        table.contains("WER %") && table.contains("RSS MB"),
        "{table}"
    );
}

#[test]
fn bench_without_a_corpus_says_what_to_pass() {
    let data = tempfile::tempdir().unwrap();
    let out = bench(&["--model", "tiny.en-q8_0"], data.path(), data.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--corpus") && stderr.contains("manifest.tsv"),
        "{stderr}"
    );
}

/// A corpus of the first `count` English clips of the shared one (manifest rows, same audio).
fn small_corpus(count: usize) -> tempfile::TempDir {
    let shared = shared_dir().join("eval");
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(shared.join("manifest.tsv")).unwrap();
    let mut lines = manifest.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    out.extend(
        lines
            .filter(|l| l.split('\t').nth(1) == Some("en"))
            .take(count)
            .map(str::to_string),
    );
    std::fs::write(dir.path().join("manifest.tsv"), out.join("\n") + "\n").unwrap();
    std::os::unix::fs::symlink(shared.join("audio"), dir.path().join("audio")).unwrap();
    dir
}

#[test]
fn the_handsfree_bench_compares_the_end_of_turn_with_silence_timeouts() {
    let data = tempfile::tempdir().unwrap();
    let corpus = small_corpus(6);
    let args = [
        "--handsfree",
        "--model",
        "tiny.en-q8_0",
        "--json",
        "--language",
        "en",
        "--runs",
        "1",
        "--threads",
        "1",
        "--turn-threshold",
        "0.5,0.9",
        "--full-stop-above",
        "0,0.9",
    ];
    let out = bench(&args, corpus.path(), data.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(report["clips"], 6, "{report}");
    let rules = report["rules"].as_array().unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "end of turn 200 ms, p > 0.5 (p > 0.5 at 2.0 s)",
            "end of turn 200 ms, p > 0.5 (p > 0.5 at 2.0 s) + transcript, full stop > 0",
            "end of turn 200 ms, p > 0.5 (p > 0.5 at 2.0 s) + transcript, full stop > 0.9",
            "end of turn 200 ms, p > 0.9 (p > 0.5 at 2.0 s)",
            "end of turn 200 ms, p > 0.9 (p > 0.5 at 2.0 s) + transcript, full stop > 0",
            "end of turn 200 ms, p > 0.9 (p > 0.5 at 2.0 s) + transcript, full stop > 0.9",
            "silence 0.5 s",
            "silence 1.0 s",
            "silence 2.0 s"
        ]
    );
    for r in rules {
        let paused = r["paused"].as_u64().unwrap();
        assert!(paused >= 4, "most clips have a gap between words: {r}");
        assert!(r["early_cuts"].as_u64().unwrap() <= paused);
        assert!(r["end_wait_p95"].as_f64().unwrap() >= r["end_wait_p50"].as_f64().unwrap());
    }
    // A silence rule waits its timeout (to the next VAD frame) after the last word.
    let wait = |i: usize| rules[i]["end_wait_p50"].as_f64().unwrap();
    assert!((500.0..560.0).contains(&wait(6)), "{}", rules[6]);
    assert!((2000.0..2060.0).contains(&wait(8)), "{}", rules[8]);
    // The short timeout cuts more of the paused sentences than the long one; reading the
    // transcript never cuts more than the model alone, nor a surer full stop more than one
    // taken as written; each cut names its clip.
    let cuts = |i: usize| rules[i]["early_cuts"].as_u64().unwrap();
    assert!(cuts(6) > cuts(8), "{rules:?}");
    for alone in [0, 3] {
        let (written, sure) = (cuts(alone + 1), cuts(alone + 2));
        assert!(sure <= written && written <= cuts(alone), "{rules:?}");
    }
    // The cuts, dictated through the session (one run each here): the follow-ons pick the
    // rest of the speech up, so what the window reads keeps the words.
    for r in rules {
        let runs = r["cut_runs"].as_u64().unwrap();
        assert_eq!(runs, r["early_cuts"].as_u64().unwrap().min(1), "{r}");
    }
    assert!(rules[6]["cut_wer"].as_f64().unwrap() < 0.35, "{}", rules[6]);
    // Its follow-on's seam was decoded in context, and timed.
    let seam = |field: &str| rules[6][field].as_f64().unwrap();
    assert!(
        seam("seam_p50") > 0.0 && seam("seam_max") >= seam("seam_p50"),
        "{}",
        rules[6]
    );
    for r in rules {
        let cut = r["cut_clips"].as_array().unwrap();
        assert_eq!(cut.len() as u64, r["early_cuts"].as_u64().unwrap());
        let at_the_pause = cut.iter().filter(|c| c["at_the_pause"] == true).count();
        assert_eq!(
            at_the_pause as u64,
            r["cuts_at_the_pause"].as_u64().unwrap()
        );
        assert!(
            r["finished_cut"].as_array().unwrap().len() as u64 <= r["finished"].as_u64().unwrap()
        );
        // Rules that read the transcript decode pauses early (the default 128 ms), each early
        // decode given up, taken as the pause's decode, or neither (the silence did not last).
        let early = |field: &str| r[field].as_u64().unwrap();
        match r["rule"].as_str().unwrap().contains("transcript") {
            true => assert!(early("early_decodes") > 0, "{r}"),
            false => assert_eq!(early("early_decodes"), 0, "{r}"),
        }
        assert!(early("early_stopped") + early("early_used") <= early("early_decodes"));
        for c in cut {
            assert!(c["clip"].as_str().is_some_and(|n| !n.is_empty()), "{r}");
            // Only rules that read the transcript have read anything.
            if !r["rule"].as_str().unwrap().contains("transcript") {
                assert_eq!(c["heard"], "", "{r}");
            }
        }
    }
}

#[test]
fn a_long_hold_keeps_memory_bounded_and_delivers_the_whole_text() {
    let data = tempfile::tempdir().unwrap();
    let corpus = shared_dir().join("eval");
    // Two minutes of speech, played three times faster than real time (the bench runs ten
    // minutes at real pace: README).
    let args = [
        "--long-hold",
        "120",
        "--pace",
        "3",
        "--model",
        "tiny.en-q8_0",
        "--language",
        "en",
        "--threads",
        "1",
        "--json",
    ];
    let out = bench(&args, &corpus, data.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let figure = |k: &str| report[k].as_f64().unwrap_or(f64::NAN);
    assert!(figure("audio_s") >= 120.0, "{report}");
    assert!(
        figure("wer") < 20.0,
        "the whole hold is transcribed: {report}"
    );
    assert!(figure("words") > 200.0, "{report}");
    assert_eq!(
        figure("saved_audio_s"),
        figure("audio_s"),
        "all of it on disk: {report}"
    );
    // Memory grows by the audio the app holds (the recording once: the stream lets go of what
    // it has decoded), not by anything per second beyond it.
    let audio = figure("audio_mb_per_minute");
    assert!(figure("rss_mb_per_audio_minute") < 2.0 * audio, "{report}");
    assert!(figure("rss_peak_mb") > figure("rss_start_mb"), "{report}");
}
