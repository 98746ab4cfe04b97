//! The eval report as one self-contained HTML page (no scripts, no downloads): the summary,
//! WER per item and the latency of each stage as SVG charts, the comparisons, and each item's
//! text against the reference, word by word.

use std::fmt::Write;

use super::align::Step;
use super::report::{CHECKS, ConfigReport, EvalReport};

const COLORS: [&str; 6] = [
    "#2563eb", "#f59e0b", "#10b981", "#a855f7", "#ef4444", "#0ea5e9",
];
const STAGES: [&str; 6] = ["release_to_text", "vad", "stt", "llm", "output", "save"];

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn color(i: usize) -> &'static str {
    COLORS[i % COLORS.len()]
}

pub fn render(report: &EvalReport) -> String {
    let mut page = String::new();
    let items = report.configs.first().map_or(0, |c| c.items.len());
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Utter eval: {set}</title><style>{STYLE}</style></head><body>\
         <h1>Golden set “{set}”: {items} recordings</h1>",
        set = esc(&report.set)
    );
    page.push_str(&legend(&report.configs));
    page.push_str(&summary(report));
    page.push_str("<h2>Word error rate per recording (final text)</h2>");
    page.push_str(&wer_chart(&report.configs));
    page.push_str("<h2>Latency per stage</h2><p class=\"hint\">Each dot is one recording; the bar marks the median, the tick the 95th percentile.</p>");
    page.push_str(&latency_chart(&report.configs));
    page.push_str(&comparisons(report));
    page.push_str("<h2>Each recording, word by word</h2><p class=\"hint\"><del>struck</del>: said but not in the text; <ins>underlined</ins>: in the text but never said.</p>");
    page.push_str(&diffs(&report.configs));
    page.push_str("</body></html>\n");
    page
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1f2937}\
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}\
th{background:#f3f4f6}.num{text-align:right;font-variant-numeric:tabular-nums}.hint{color:#6b7280}\
del{color:#b91c1c;background:#fee2e2}ins{color:#047857;background:#d1fae5}.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:.2rem;margin:0 .3rem 0 1rem;vertical-align:middle}\
svg text{font:12px system-ui,sans-serif;fill:#374151}.fired{color:#b45309}";

fn legend(configs: &[ConfigReport]) -> String {
    let mut out = String::from("<p id=\"legend\">");
    for (i, c) in configs.iter().enumerate() {
        let _ = write!(
            out,
            "<span class=\"swatch\" style=\"background:{}\"></span>{}",
            color(i),
            esc(&c.name)
        );
    }
    out + "</p>"
}

fn summary(report: &EvalReport) -> String {
    let mut out = String::from(
        "<table id=\"summary\"><tr><th>configuration</th><th>WER raw</th><th>WER final</th>\
         <th>release → text p50 / p95</th><th>stt p50</th><th>llm p50</th><th>checks</th></tr>",
    );
    for c in &report.configs {
        let p = |stage: &str| {
            c.latency_ms.get(stage).map_or("–".to_string(), |q| {
                format!("{:.0} / {:.0} ms", q.p50, q.p95)
            })
        };
        let p50 = |stage: &str| {
            c.latency_ms
                .get(stage)
                .map_or("–".to_string(), |q| format!("{:.0} ms", q.p50))
        };
        let fired: Vec<String> = CHECKS
            .iter()
            .filter_map(|(name, what)| {
                let n = *c.checks.get(*name)?;
                (n > 0).then(|| format!("<span title=\"{}\">{name}: {n}</span>", esc(what)))
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{:.1} %</td><td class=\"num\">{:.1} %</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"fired\">{}</td></tr>",
            esc(&c.name),
            c.wer_raw_percent,
            c.wer_final_percent,
            p("release_to_text"),
            p50("stt"),
            p50("llm"),
            if fired.is_empty() {
                "<span class=\"hint\">none</span>".into()
            } else {
                fired.join("<br>")
            }
        );
    }
    out + "</table>"
}

/// A row per recording, a bar per configuration.
fn wer_chart(configs: &[ConfigReport]) -> String {
    let Some(first) = configs.first() else {
        return String::new();
    };
    let (label_w, chart_w, bar_h) = (220.0, 520.0, 10.0);
    let row_h = bar_h * configs.len() as f64 + 8.0;
    let max = configs
        .iter()
        .flat_map(|c| c.items.iter().map(|i| i.wer_final_percent))
        .fold(100.0f64, f64::max);
    let height = row_h * first.items.len() as f64 + 24.0;
    let mut out = format!(
        "<svg id=\"wer-chart\" role=\"img\" aria-label=\"word error rate per recording\" \
         width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\">",
        w = label_w + chart_w + 60.0
    );
    for (row, item) in first.items.iter().enumerate() {
        let y = row as f64 * row_h;
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + row_h / 2.0 + 4.0,
            esc(&item.file)
        );
        for (k, c) in configs.iter().enumerate() {
            let wer = c.items.get(row).map_or(0.0, |i| i.wer_final_percent);
            let w = (wer / max * chart_w).max(1.0);
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" \
                 fill=\"{}\"><title>{}: {wer:.1} %</title></rect>",
                y + 4.0 + k as f64 * bar_h,
                color(k),
                esc(&c.name)
            );
        }
    }
    let axis_y = height - 8.0;
    let _ = write!(
        out,
        "<text x=\"{label_w}\" y=\"{axis_y}\">0 %</text><text x=\"{:.1}\" y=\"{axis_y}\">{max:.0} %</text></svg>",
        label_w + chart_w - 30.0
    );
    out
}

/// For each stage, a strip per configuration: a dot per recording, the median and the p95.
fn latency_chart(configs: &[ConfigReport]) -> String {
    let stages: Vec<&str> = STAGES
        .iter()
        .copied()
        .filter(|s| configs.iter().any(|c| c.latency_ms.contains_key(*s)))
        .collect();
    let (label_w, chart_w, strip_h) = (260.0, 520.0, 16.0);
    let max = configs
        .iter()
        .flat_map(|c| c.items.iter())
        .flat_map(|i| stages.iter().filter_map(|s| i.timings.get(*s).copied()))
        .fold(1.0f64, f64::max);
    let rows = stages.len() * configs.len();
    let height = rows as f64 * strip_h + 30.0;
    let mut out = format!(
        "<svg id=\"latency-chart\" role=\"img\" aria-label=\"latency per stage\" width=\"{w}\" \
         height=\"{height}\" viewBox=\"0 0 {w} {height}\">",
        w = label_w + chart_w + 60.0
    );
    let x = |ms: f64| label_w + ms / max * chart_w;
    let mut row = 0;
    for stage in &stages {
        for (k, c) in configs.iter().enumerate() {
            let y = row as f64 * strip_h + strip_h / 2.0;
            row += 1;
            let _ = write!(
                out,
                "<text x=\"0\" y=\"{:.1}\">{} · {}</text>",
                y + 4.0,
                stage.replace('_', " "),
                esc(&c.name)
            );
            for item in &c.items {
                if let Some(ms) = item.timings.get(*stage) {
                    let _ = write!(
                        out,
                        "<circle class=\"dot\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{}\" \
                         fill-opacity=\"0.6\"><title>{}: {ms:.0} ms</title></circle>",
                        x(*ms),
                        color(k),
                        esc(&item.file)
                    );
                }
            }
            if let Some(q) = c.latency_ms.get(*stage) {
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"{:.1}\" fill=\"#111827\">\
                     <title>median {:.0} ms</title></rect><rect x=\"{:.1}\" y=\"{:.1}\" width=\"2\" \
                     height=\"{:.1}\" fill=\"#9ca3af\"><title>p95 {:.0} ms</title></rect>",
                    x(q.p50) - 1.5,
                    y - strip_h / 2.0 + 2.0,
                    strip_h - 4.0,
                    q.p50,
                    x(q.p95) - 1.0,
                    y - strip_h / 2.0 + 4.0,
                    strip_h - 8.0,
                    q.p95
                );
            }
        }
    }
    let axis_y = height - 8.0;
    let _ = write!(
        out,
        "<text x=\"{label_w}\" y=\"{axis_y}\">0 ms</text><text x=\"{:.1}\" y=\"{axis_y}\">{max:.0} ms</text></svg>",
        label_w + chart_w - 40.0
    );
    out
}

fn comparisons(report: &EvalReport) -> String {
    if report.comparisons.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("<h2>Compared with the first configuration</h2><ul id=\"comparisons\">");
    for c in &report.comparisons {
        let files = |changes: &[super::report::ItemChange]| {
            let described: Vec<String> = changes.iter().map(|i| esc(&i.describe())).collect();
            described.join(", ")
        };
        let _ = write!(
            out,
            "<li><b>{}</b> against <b>{}</b>: final WER {:+.1} points. Better on {}: {}. Worse on {}: {}. Unchanged: {}.</li>",
            esc(&c.candidate),
            esc(&c.baseline),
            c.wer_final_change_points,
            c.better.len(),
            files(&c.better),
            c.worse.len(),
            files(&c.worse),
            c.unchanged
        );
    }
    out + "</ul>"
}

fn words(steps: &[Step]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Same { word } => esc(word),
            Step::Substituted { said, heard } => {
                format!("<del>{}</del> <ins>{}</ins>", esc(said), esc(heard))
            }
            Step::Dropped { said } => format!("<del>{}</del>", esc(said)),
            Step::Invented { heard } => format!("<ins>{}</ins>", esc(heard)),
        })
        .collect();
    parts.join(" ")
}

fn diffs(configs: &[ConfigReport]) -> String {
    let Some(first) = configs.first() else {
        return String::new();
    };
    let mut out = String::from(
        "<table id=\"diffs\"><tr><th>recording</th><th>configuration</th><th>WER</th><th>text against what was said</th></tr>",
    );
    for (row, item) in first.items.iter().enumerate() {
        let _ = write!(
            out,
            "<tr class=\"reference\"><td rowspan=\"{}\">{}</td><td>said</td><td></td><td>{}</td></tr>",
            configs.len() + 1,
            esc(&item.file),
            if item.reference.is_empty() {
                "<i>(nothing)</i>".to_string()
            } else {
                esc(&item.reference)
            }
        );
        for c in configs {
            let Some(replayed) = c.items.get(row) else {
                continue;
            };
            let note = replayed
                .cleanup_reason
                .as_deref()
                .filter(|r| *r != "cleaned" && *r != "disabled")
                .map_or(String::new(), |r| {
                    format!(" <span class=\"fired\">[{}]</span>", esc(r))
                });
            let _ = write!(
                out,
                "<tr class=\"diff\"><td>{}</td><td class=\"num\">{:.1} %</td><td>{}{note}</td></tr>",
                esc(&c.name),
                replayed.wer_final_percent,
                words(&replayed.alignment)
            );
        }
    }
    out + "</table>"
}
