//! What a replay comes to: word error rates, latency per stage, yes/no checks, and how each
//! configuration compares with the first one, item by item.

use std::collections::BTreeMap;

use serde::Serialize;

use super::normalize;
use super::replay::Replayed;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantiles {
    pub p50: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigReport {
    pub name: String,
    /// Over the items with speech, weighted by their words.
    pub wer_raw_percent: f64,
    pub wer_final_percent: f64,
    pub latency_ms: BTreeMap<String, Quantiles>,
    /// How many items each yes/no check fired for (see [`CHECKS`]).
    pub checks: BTreeMap<String, usize>,
    pub items: Vec<Replayed>,
}

/// The yes/no checks, each counted over the items.
pub const CHECKS: [(&str, &str); 10] = [
    (
        "text_for_silence",
        "text typed for a recording without speech",
    ),
    ("speech_lost", "nothing typed although something was said"),
    (
        "words_invented",
        "the final text has words that were never said",
    ),
    (
        "cleanup_changed_words",
        "clean-up changed words, not only punctuation and fillers",
    ),
    (
        "cleanup_rejected",
        "the guard rejected the clean-up (the raw text was typed)",
    ),
    (
        "cleanup_rejected_answered",
        "…because the LLM answered a dictated question",
    ),
    (
        "cleanup_rejected_added",
        "…because it added what was not said (obeyed the words)",
    ),
    (
        "cleanup_rejected_preamble",
        "…because it began with chatter (\"Sure, here is…\")",
    ),
    ("cleanup_failed", "the LLM did not answer in time or failed"),
    ("failed", "the dictation failed"),
];

/// Clean-up outcomes that are not a problem.
const CLEANUP_FINE: [&str; 5] = [
    "cleaned",
    "disabled",
    "raw_requested",
    "too_short",
    "empty_input",
];

fn fired(item: &Replayed) -> Vec<&'static str> {
    let said = !normalize(&item.reference).is_empty();
    let typed = !normalize(&item.text_final).is_empty();
    let reason = item.cleanup_reason.as_deref().unwrap_or_default();
    let rejected = reason.starts_with("guard_") || reason == "empty_reply";
    [
        ("text_for_silence", !said && typed),
        ("speech_lost", said && !typed),
        ("words_invented", item.invented_words > 0),
        (
            "cleanup_changed_words",
            normalize(&item.text_final) != normalize(&item.text_raw),
        ),
        ("cleanup_rejected", rejected),
        (
            "cleanup_rejected_answered",
            reason == "guard_answered_question",
        ),
        (
            "cleanup_rejected_added",
            matches!(
                reason,
                "guard_unsaid_words"
                    | "guard_added_words"
                    | "guard_added_sentence"
                    | "guard_too_long"
            ),
        ),
        ("cleanup_rejected_preamble", reason == "guard_preamble"),
        (
            "cleanup_failed",
            !reason.is_empty() && !rejected && !CLEANUP_FINE.contains(&reason),
        ),
        ("failed", item.error.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, yes)| yes.then_some(name))
    .collect()
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl ConfigReport {
    pub fn new(name: &str, items: Vec<Replayed>) -> ConfigReport {
        let spoken: Vec<&Replayed> = items
            .iter()
            .filter(|i| !normalize(&i.reference).is_empty())
            .collect();
        let wer = |text: fn(&Replayed) -> &str| {
            let pairs: Vec<(String, String)> = spoken
                .iter()
                .map(|i| (i.reference.clone(), text(i).to_string()))
                .collect();
            round1(100.0 * super::corpus_word_error_rate(&pairs))
        };
        let mut stages: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for item in &items {
            for (stage, ms) in &item.timings {
                stages.entry(stage.clone()).or_default().push(*ms);
            }
        }
        let latency_ms = stages
            .into_iter()
            .map(|(stage, mut values)| {
                values.sort_by(f64::total_cmp);
                let q = Quantiles {
                    p50: round1(quantile(&values, 50.0)),
                    p95: round1(quantile(&values, 95.0)),
                };
                (stage, q)
            })
            .collect();
        let mut checks: BTreeMap<String, usize> = CHECKS
            .iter()
            .map(|(name, _)| (name.to_string(), 0))
            .collect();
        for item in &items {
            for name in fired(item) {
                *checks.entry(name.to_string()).or_default() += 1;
            }
        }
        ConfigReport {
            name: name.to_string(),
            wer_raw_percent: wer(|i| &i.text_raw),
            wer_final_percent: wer(|i| &i.text_final),
            latency_ms,
            checks,
            items,
        }
    }
}

/// One item whose word error rate differs between two configurations.
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    pub file: String,
    pub baseline_wer_percent: f64,
    pub candidate_wer_percent: f64,
}

impl ItemChange {
    /// "a.wav (20 → 0 %)"
    pub fn describe(&self) -> String {
        format!(
            "{} ({:.0} → {:.0} %)",
            self.file, self.baseline_wer_percent, self.candidate_wer_percent
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub baseline: String,
    pub candidate: String,
    /// Candidate minus baseline, in percentage points (negative: better).
    pub wer_final_change_points: f64,
    pub better: Vec<ItemChange>,
    pub worse: Vec<ItemChange>,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub set: String,
    pub configs: Vec<ConfigReport>,
    /// Every configuration after the first against the first.
    pub comparisons: Vec<Comparison>,
}

impl EvalReport {
    pub fn new(set: &str, configs: Vec<ConfigReport>) -> EvalReport {
        let comparisons = match configs.split_first() {
            Some((baseline, others)) => others.iter().map(|c| compare(baseline, c)).collect(),
            None => Vec::new(),
        };
        EvalReport {
            set: set.to_string(),
            configs,
            comparisons,
        }
    }

    /// Candidates whose final word error rate is more than `threshold_points` above the
    /// baseline's, each with a sentence saying so.
    pub fn worse_than_baseline(&self, threshold_points: f64) -> Vec<String> {
        self.comparisons
            .iter()
            .filter(|c| c.wer_final_change_points > threshold_points)
            .map(|c| {
                format!(
                    "{} is worse than {}: final WER {:+.1} points (allowed {threshold_points:.1}); \
                     worse on {} item(s), better on {}",
                    c.candidate,
                    c.baseline,
                    c.wer_final_change_points,
                    c.worse.len(),
                    c.better.len()
                )
            })
            .collect()
    }
}

fn compare(baseline: &ConfigReport, candidate: &ConfigReport) -> Comparison {
    let mut comparison = Comparison {
        baseline: baseline.name.clone(),
        candidate: candidate.name.clone(),
        wer_final_change_points: round1(candidate.wer_final_percent - baseline.wer_final_percent),
        better: Vec::new(),
        worse: Vec::new(),
        unchanged: 0,
    };
    for (a, b) in baseline.items.iter().zip(&candidate.items) {
        let change = ItemChange {
            file: a.file.clone(),
            baseline_wer_percent: a.wer_final_percent,
            candidate_wer_percent: b.wer_final_percent,
        };
        if b.wer_final_percent < a.wer_final_percent {
            comparison.better.push(change);
        } else if b.wer_final_percent > a.wer_final_percent {
            comparison.worse.push(change);
        } else {
            comparison.unchanged += 1;
        }
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(file: &str, reference: &str, raw: &str, last: &str, reason: Option<&str>) -> Replayed {
        let alignment = super::super::align::align(reference, last);
        Replayed {
            file: file.into(),
            reference: reference.into(),
            text_raw: raw.into(),
            text_final: last.into(),
            wer_raw_percent: 100.0 * super::super::word_error_rate(reference, raw),
            wer_final_percent: 100.0 * super::super::word_error_rate(reference, last),
            timings: [
                ("stt".to_string(), 100.0),
                ("release_to_text".to_string(), 150.0),
            ]
            .into(),
            cleanup_reason: reason.map(str::to_string),
            invented_words: super::super::align::counts(&alignment).invented,
            alignment,
            error: None,
        }
    }

    #[test]
    fn checks_count_what_they_name() {
        let report = ConfigReport::new(
            "a",
            vec![
                item("1.wav", "", "thank you", "Thank you.", Some("cleaned")),
                item(
                    "2.wav",
                    "what time is it",
                    "what time is it",
                    "what time is it",
                    Some("guard_answered_question"),
                ),
                item(
                    "3.wav",
                    "send the file",
                    "send the file",
                    "Please send the file now.",
                    None,
                ),
                item(
                    "4.wav",
                    "one two three",
                    "one two three",
                    "one two three",
                    Some("llm_timeout"),
                ),
                item("5.wav", "hello there", "", "", None),
            ],
        );
        let c = &report.checks;
        assert_eq!(c["text_for_silence"], 1);
        assert_eq!(c["cleanup_rejected"], 1);
        assert_eq!(c["cleanup_rejected_answered"], 1);
        assert_eq!(c["cleanup_changed_words"], 1);
        assert_eq!(c["words_invented"], 2, "silence's words and 'please … now'");
        assert_eq!(c["cleanup_failed"], 1);
        assert_eq!(c["speech_lost"], 1);
        assert_eq!(c["failed"], 0);
        assert_eq!(
            report.latency_ms["stt"],
            Quantiles {
                p50: 100.0,
                p95: 100.0
            }
        );
        // Over the items with speech only (12 words): 2 invented + 2 dropped.
        assert_eq!(report.wer_final_percent, round1(100.0 * 4.0 / 12.0));
    }

    #[test]
    fn the_comparison_says_which_items_got_better_or_worse() {
        let a = ConfigReport::new(
            "tiny",
            vec![
                item("1.wav", "ask not", "ask knot", "ask knot", None),
                item("2.wav", "fail better", "fail better", "fail better", None),
            ],
        );
        let b = ConfigReport::new(
            "base",
            vec![
                item("1.wav", "ask not", "ask not", "ask not", None),
                item("2.wav", "fail better", "fail better", "fail better", None),
            ],
        );
        let report = EvalReport::new("set", vec![a.clone(), b.clone()]);
        let c = &report.comparisons[0];
        assert_eq!(c.better.len(), 1);
        assert_eq!(c.better[0].file, "1.wav");
        assert!(c.worse.is_empty() && c.unchanged == 1);
        assert!(report.worse_than_baseline(1.0).is_empty());
        let reversed = EvalReport::new("set", vec![b, a]);
        let worse = reversed.worse_than_baseline(1.0);
        assert_eq!(worse.len(), 1);
        assert!(worse[0].starts_with("tiny is worse than base"), "{worse:?}");
    }
}
