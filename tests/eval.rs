//! `utter eval` end to end: dictations in the history corrected (one of them deliberately
//! wrong) and confirmed through the CLI make a golden set; it is exported to a folder and read
//! back; replayed through Whisper tiny.en and base, the eval's word error rates agree with an
//! independent count, base beats tiny.en, `--fail-if-worse` guards the order; the HTML report
//! opens in WebKitGTK's browser with its charts; and clean-up configurations against scripted
//! local LLM servers make the yes/no checks fire.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::llm_server::{LlmServer, Reply};
use common::webdriver::Driver;
use common::xserver::XServer;
use common::{JFK, models_dir, shared_dir, utter_bin};
use serde_json::Value;

/// Clips where Whisper tiny.en is known to mishear words that base gets right (measured on
/// this corpus; the reference from its manifest), and one whose "correction" is deliberately
/// wrong. (JFK, which both get right, is added too.)
const CLIPS: [(&str, &str); 6] = [
    (
        "en_harvard_spk2_snt4.wav",
        "Mend the coat before you go out.",
    ),
    (
        "en_harvard_spk2_snt6.wav",
        "The pearl was worn in a thin silver ring.",
    ),
    ("en_librispeech_1995-1837-0001.wav", ""),
    ("en_spont_whisper2.wav", ""),
    ("en_spont_uhum.wav", ""),
    (
        "en_harvard_spk1_snt1.wav",
        "The cat quietly left the big house.",
    ),
];

fn manifest_reference(file: &str) -> String {
    let manifest = std::fs::read_to_string(shared_dir().join("eval/manifest.tsv")).unwrap();
    manifest
        .lines()
        .find(|l| l.starts_with(file))
        .and_then(|l| l.split('\t').nth(5))
        .unwrap_or_else(|| panic!("{file} is not in the manifest"))
        .to_string()
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn utter(&self, args: &[&str]) -> Output {
        Command::new(utter_bin())
            .args(args)
            .env("UTTER_MODELS_DIR", models_dir())
            .env("UTTER_DATA_DIR", self.data())
            .env("UTTER_CONFIG_DIR", self.path("config"))
            .output()
            .expect("utter runs")
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.utter(args);
        assert!(
            out.status.success(),
            "utter {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Word errors and reference words, counted here without the eval's own code (the
/// normalisation is shared: it is what "the same texts" means).
fn independent_errors(reference: &str, hypothesis: &str) -> (usize, usize) {
    let r = utter::eval::normalize(reference);
    let h = utter::eval::normalize(hypothesis);
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(rw != hw))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    (row[h.len()], r.len())
}

fn write_config(home: &Home, name: &str, text: &str) -> String {
    let path = home.path(&format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn config<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no config {name} in {report}"))
}

#[test]
fn a_golden_set_from_corrected_dictations_compares_two_whisper_models() {
    let home = Home::new();
    let recordings = home.data().join("recordings");
    std::fs::create_dir_all(&recordings).unwrap();
    let history = utter::history::History::open(&home.data().join("history.sqlite3")).unwrap();
    let add = |file: &Path, heard: &str| {
        let wav = recordings.join(file.file_name().unwrap());
        std::fs::copy(file, &wav).unwrap();
        let id = history.record(Some(&wav), 3.0).unwrap();
        history
            .set_transcript(id, heard, "base-q8_0", Some("en"))
            .unwrap();
        id
    };
    // The user corrects what was typed; for the last clip the "correction" is wrong on
    // purpose: the scorer must use it and count the recognisers wrong there.
    let mut references = Vec::new();
    for (file, reference) in CLIPS {
        let id = add(
            &shared_dir().join("eval/audio").join(file),
            "whatever was typed",
        );
        let reference = if reference.is_empty() {
            manifest_reference(file)
        } else {
            reference.to_string()
        };
        home.ok(&["history", "correct", &id.to_string(), &reference]);
        references.push((id, reference));
    }
    // JFK was typed right: one click (here, one command) marks it so.
    let jfk = add(&common::clip("jfk.wav"), JFK);
    let said = home.ok(&["history", "confirm", &jfk.to_string()]);
    assert!(said.contains("ask not what your country"), "{said}");
    let shown: Value =
        serde_json::from_str(&home.ok(&["history", "show", &jfk.to_string(), "--json"])).unwrap();
    assert_eq!(shown["reference"], JFK);

    // Export, and the folder reads back as the same set.
    let folder = home.path("golden");
    let out = home.ok(&["eval", "export", folder.to_str().unwrap()]);
    assert!(out.contains("wrote 7 recordings"), "{out}");
    let from_history = utter::eval::golden_set::GoldenSet::from_history(&history).unwrap();
    let from_folder = utter::eval::golden_set::GoldenSet::from_dir(&folder).unwrap();
    assert_eq!(from_folder.items.len(), 7);
    for (a, b) in from_history.items.iter().zip(&from_folder.items) {
        assert_eq!(
            (&a.file, &a.reference, &a.language),
            (&b.file, &b.reference, &b.language)
        );
        assert_eq!(a.samples.len(), b.samples.len());
    }

    let tiny = write_config(
        &home,
        "tiny",
        "model = \"tiny.en-q8_0\"\n[speed]\nstrategy = \"batch\"\n",
    );
    let base = write_config(
        &home,
        "base",
        "model = \"base-q8_0\"\n[speed]\nstrategy = \"batch\"\n",
    );
    let html = home.path("report.html");
    let out = home.ok(&[
        "eval",
        "--set",
        "history",
        "--config",
        &tiny,
        "--config",
        &base,
        "--pace",
        "8",
        "--json",
        "--html",
        html.to_str().unwrap(),
        "--fail-if-worse",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["set"], "history");
    // Every item's WER and each configuration's total agree with an independent count.
    for name in ["tiny", "base"] {
        let c = config(&report, name);
        let items = c["items"].as_array().unwrap();
        assert_eq!(items.len(), 7);
        let (mut errors, mut words) = (0, 0);
        for item in items {
            let reference = item["reference"].as_str().unwrap();
            let text = item["text_final"].as_str().unwrap();
            let (e, w) = independent_errors(reference, text);
            let percent = (1000.0 * e as f64 / w as f64).round() / 10.0;
            assert_eq!(
                item["wer_final_percent"].as_f64(),
                Some(percent),
                "{name}: {item}"
            );
            errors += e;
            words += w;
        }
        let total = (1000.0 * errors as f64 / words as f64).round() / 10.0;
        assert_eq!(c["wer_final_percent"].as_f64(), Some(total), "{name}");
        // The wrong "correction" is scored as given: nobody said the cat left the house.
        let wrong = items
            .iter()
            .find(|i| {
                i["file"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("-{}.wav", references[5].0))
            })
            .unwrap();
        assert!(
            wrong["wer_final_percent"].as_f64().unwrap() >= 50.0,
            "{wrong}"
        );
        assert!(c["latency_ms"]["stt"]["p50"].as_f64().unwrap() > 0.0, "{c}");
        assert!(
            c["latency_ms"]["release_to_text"]["p95"].as_f64().is_some(),
            "{c}"
        );
    }
    let (t, b) = (config(&report, "tiny"), config(&report, "base"));
    assert!(
        b["wer_final_percent"].as_f64() < t["wer_final_percent"].as_f64(),
        "base should beat tiny.en: {} vs {}",
        b["wer_final_percent"],
        t["wer_final_percent"]
    );
    let comparison = &report["comparisons"][0];
    assert_eq!(comparison["baseline"], "tiny");
    assert!(
        !comparison["better"].as_array().unwrap().is_empty(),
        "{comparison}"
    );

    // The other way round, on the exported folder, the guard fails: tiny.en is worse than base.
    let out = home.utter(&[
        "eval",
        "--set",
        folder.to_str().unwrap(),
        "--config",
        &base,
        "--config",
        &tiny,
        "--pace",
        "8",
        "--fail-if-worse",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("worse: tiny is worse than base"),
        "{stderr}"
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("golden set \"golden\": 7 recordings"),
        "{table}"
    );

    // The HTML report in a real browser engine: its charts are drawn.
    let x = XServer::start();
    let driver = Driver::start_browser(|cmd| {
        cmd.env("DISPLAY", &x.display)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1");
    });
    let page = driver.browse(&format!("file://{}", html.display()));
    page.find("#wer-chart");
    let count = |css: &str| {
        page.script(&format!("return document.querySelectorAll('{css}').length"))
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        count("#wer-chart rect.bar"),
        14,
        "a bar per recording and model"
    );
    assert!(count("#latency-chart circle.dot") >= 14);
    assert!(count("#diffs del") >= 1 && count("#diffs ins") >= 1);
    let width =
        page.script("return document.querySelector('#wer-chart').getBoundingClientRect().width");
    assert!(width.as_f64().unwrap() > 300.0, "drawn: {width}");
    let summary = page.text("#summary");
    assert!(
        summary.contains("tiny") && summary.contains("base"),
        "{summary}"
    );
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/eval-report.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    x.screenshot(&x.window_named("Utter eval: history"), &shot);
    page.close();
}

#[test]
fn clean_up_configurations_show_the_yes_no_checks() {
    let home = Home::new();
    // A folder set: a statement, a spoken question (espeak-ng; checked below that the
    // recogniser hears it) and a second of silence that must stay empty.
    let folder = home.path("set");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(common::clip("jfk.wav"), folder.join("jfk.wav")).unwrap();
    let question = folder.join("question.wav");
    let status = Command::new("espeak-ng")
        .args([
            "-s",
            "140",
            "-w",
            question.to_str().unwrap(),
            "What is the capital of France?",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    utter::audio::wav::write_wav_16k(&folder.join("silence.wav"), &vec![0.0; 16_000]).unwrap();
    std::fs::write(
        folder.join("manifest.tsv"),
        format!(
            "file\tlanguage\treference\njfk.wav\ten\t{JFK}\nquestion.wav\ten\tWhat is the capital of France?\nsilence.wav\ten\t\n"
        ),
    )
    .unwrap();

    // A clean-up that returns the words as they came, and one that answers instead.
    let echo = LlmServer::start(&["test-model"], |seen| {
        let user = seen.message("user");
        Reply::text(
            user.trim_start_matches("<transcript>")
                .trim_end_matches("</transcript>")
                .trim(),
        )
    });
    let answers = LlmServer::always(Reply::text("The capital of France is Paris."));
    let cleanup = |url: &str| {
        format!(
            "model = \"tiny.en-q8_0\"\n[speed]\nstrategy = \"batch\"\n[cleanup]\nenabled = true\n\
             base_url = \"{url}\"\nmodel = \"test-model\"\nmin_words = 1\ntimeout_ms = 5000\n"
        )
    };
    let good = write_config(&home, "good-llm", &cleanup(&echo.url));
    let bad = write_config(&home, "answering-llm", &cleanup(&answers.url));
    let out = home.ok(&[
        "eval",
        "--set",
        folder.to_str().unwrap(),
        "--config",
        &good,
        "--config",
        &bad,
        // Speech detection that needs 30 s of speech before it believes any: all speech lost.
        "--config",
        "model=tiny.en-q8_0,speed.strategy=batch,vad.min_speech_ms=30000",
        "--pace",
        "4",
        "--json",
    ]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let (g, a) = (
        config(&report, "good-llm"),
        config(&report, "answering-llm"),
    );
    let question = &g["items"][1];
    let heard = question["text_raw"].as_str().unwrap().to_lowercase();
    assert!(
        heard.starts_with("what is the capital") && heard.ends_with('?'),
        "the recogniser hears the synthetic question: {question}"
    );
    for c in [g, a] {
        assert_eq!(c["checks"]["text_for_silence"], 0, "{c}");
        assert_eq!(c["checks"]["failed"], 0, "{c}");
        assert!(c["latency_ms"]["llm"]["p50"].as_f64().unwrap() > 0.0, "{c}");
    }
    assert_eq!(g["checks"]["cleanup_rejected"], 0, "{g}");
    assert_eq!(g["checks"]["cleanup_changed_words"], 0, "{g}");
    // The answering LLM is caught twice: it answered the question, and it put words nobody
    // said in place of JFK's; both times the raw text is what would have been typed.
    assert_eq!(a["checks"]["cleanup_rejected"], 2, "{a}");
    assert_eq!(a["checks"]["cleanup_rejected_answered"], 1, "{a}");
    assert_eq!(a["checks"]["cleanup_rejected_added"], 1, "{a}");
    for item in a["items"].as_array().unwrap() {
        assert_eq!(item["text_final"], item["text_raw"], "{item}");
    }
    assert!(!echo.chat_requests().is_empty() && !answers.chat_requests().is_empty());
    let deaf = config(
        &report,
        "model=tiny.en-q8_0,speed.strategy=batch,vad.min_speech_ms=30000",
    );
    assert_eq!(deaf["checks"]["speech_lost"], 2, "{deaf}");
    assert_eq!(deaf["checks"]["text_for_silence"], 0, "{deaf}");
}
