//! `utter bench --handsfree`: when does a hands-free dictation end? Each English clip of the
//! corpus is a finished utterance; a copy of it gets a 0.6–1.2 s pause inserted at a word
//! boundary in mid-sentence. For the semantic end of turn and for silence timeouts of 0.5, 1
//! and 2 s: how many of the paused copies are cut at the pause, and — through the session,
//! as the app runs it — how long from the end of the speech until the text is ready.

use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use utter::audio::simulated::room_tone;
use utter::eval::corpus::Clip;
use utter::models::ModelStore;
use utter::session::Job;
use utter::settings::Settings;
use utter::streaming::StreamStats;
use utter::transcriber::Transcriber;
use utter::turn::{EndParams, EndedBy, SmartTurn, TurnWatcher};
use utter::vad::{SileroVad, VadParams};

use super::handsfree_watch::{BLOCK, Reader, Talk, watch};
use super::report::{percentile, round};

pub(super) const SR: usize = utter::SAMPLE_RATE as usize;
/// Pauses inserted in mid-sentence, cycled over the clips.
const PAUSES_S: [f64; 4] = [0.6, 0.8, 1.0, 1.2];
/// Silence after the speech, as a speaker who has stopped.
pub(super) const TAIL_S: f64 = 4.0;
/// A 20 ms window this far under the loudest is not speech (end of speech, word gaps).
const QUIET: f32 = 0.03;
const WINDOW: usize = SR / 50;

#[derive(Serialize)]
pub struct RuleRow {
    pub rule: String,
    /// Paused copies ended before their speech did: at the inserted pause or at one of the
    /// clip's own.
    pub early_cuts: usize,
    /// Of those, ended at the pause inserted in mid-sentence.
    pub cuts_at_the_pause: usize,
    /// The clips of those, with the words the rule had read when it ended them.
    pub cut_clips: Vec<Cut>,
    /// Early cuts whose speech resumed within the follow-on window: a follow-on dictation
    /// picks the rest up, typed right after, and no words are lost.
    pub cuts_continued: usize,
    pub paused: usize,
    /// Finished clips (no pause inserted) ended before their speech did, at a pause of their
    /// own (the text would miss their last words).
    pub finished_cut: Vec<String>,
    /// Finished clips the end-of-turn model ended (the others waited for the silence limit).
    pub ended_by_turn: usize,
    pub finished: usize,
    /// Finished clips: from the last speech to the decision (watcher, audio time + compute).
    pub end_wait_p50: f64,
    pub end_wait_p95: f64,
    /// Through the session: from the end of the speech to the text, p50 / p95 (dictations
    /// not cut early).
    pub text_ready_p50: f64,
    pub text_ready_p95: f64,
    /// Word error rate of those texts (all dictations' words pooled): what a rule's decodes
    /// cost in accuracy.
    pub wer: f64,
    pub runs: usize,
    /// Rules that decode pauses early, over all the dictations fed: early decodes begun, given
    /// up because the speaker went on (or not begun: heard going on already), and taken as the
    /// pause's decode.
    pub early_decodes: usize,
    pub early_stopped: usize,
    pub early_used: usize,
    /// Paused clips the rule cut early, dictated through the session with their follow-ons
    /// (at most `runs`): the word error rate of what the window reads once all was typed...
    pub cut_wer: f64,
    pub cut_runs: usize,
    /// ...and their seams: heard going on with the sentence (the full stop before taken
    /// back), or a full stop left before a follow-on.
    pub seams_rejoined: usize,
    pub seams_full_stop_kept: usize,
    /// Their follow-ons' decodes of the seam in context (ms, p50 / max): the follow-on's text
    /// waits for it.
    pub seam_p50: f64,
    pub seam_max: f64,
}

impl RuleRow {
    fn count_early(&mut self, stats: Option<&StreamStats>) {
        if let Some(stats) = stats {
            self.early_decodes += stats.early_decodes;
            self.early_stopped += stats.early_stopped;
            self.early_used += stats.early_used;
        }
    }
}

#[derive(Serialize)]
pub struct Cut {
    pub clip: String,
    /// At the inserted pause (else at a pause of the clip's own).
    pub at_the_pause: bool,
    /// The last transcript read before the end ("" for rules that do not read it).
    pub heard: String,
    /// From the end to speech heard again (long enough to count), if within 10 s.
    pub resumed_after_ms: Option<f64>,
    /// Where it ended, and the inserted pause, in ms of the paused clip.
    pub ended_at_ms: f64,
    pub pause_ms: [f64; 2],
    /// Dictated through the session with its follow-ons (the first `runs` cuts): what the
    /// window reads once all was typed.
    pub typed: Option<String>,
}

#[derive(Serialize)]
pub struct HandsFreeReport {
    pub model: String,
    pub clips: usize,
    /// The window after an end in which resumed speech starts a follow-on.
    pub follow_on_ms: u32,
    pub rules: Vec<RuleRow>,
}

/// Which end-of-turn settings to compare (each pause × each threshold × each wait for a
/// likely finished pause, the model alone and with the transcript at each full-stop
/// confidence), with the silence timeouts as the baseline.
pub struct Variants {
    pub pauses_ms: Vec<u32>,
    pub thresholds: Vec<f32>,
    pub likely_ends_ms: Vec<u32>,
    pub full_stops_above: Vec<f32>,
    pub follow_on_ms: u32,
    pub early_decodes_ms: Vec<u32>,
}

fn rules(variants: &Variants) -> Vec<(String, EndParams)> {
    let semantic = EndParams::DEFAULT;
    let mut rules = Vec::new();
    for &pause_ms in &variants.pauses_ms {
        for &finished_above in &variants.thresholds {
            for &likely_end_silence_ms in &variants.likely_ends_ms {
                let alone = EndParams {
                    pause_ms,
                    finished_above,
                    likely_end_silence_ms,
                    read_transcript: false,
                    ..semantic
                };
                let name = format!(
                    "end of turn {pause_ms} ms, p > {finished_above} (p > {} at {:.1} s)",
                    semantic.likely_finished_above,
                    f64::from(likely_end_silence_ms) / 1000.0
                );
                rules.push((name.clone(), alone));
                for &full_stop_above in &variants.full_stops_above {
                    for &early_decode_ms in &variants.early_decodes_ms {
                        let params = EndParams {
                            read_transcript: true,
                            full_stop_above,
                            early_decode_ms,
                            ..alone
                        };
                        let early = match variants.early_decodes_ms.len() {
                            1 => String::new(),
                            _ => format!(", early decode {early_decode_ms} ms"),
                        };
                        rules.push((
                            format!("{name} + transcript, full stop > {full_stop_above}{early}"),
                            params,
                        ));
                    }
                }
            }
        }
    }
    for ms in [500, 1000, 2000] {
        let params = EndParams {
            semantic: false,
            end_silence_ms: ms,
            read_transcript: false,
            ..semantic
        };
        rules.push((format!("silence {:.1} s", f64::from(ms) / 1000.0), params));
    }
    rules
}

/// A finished clip and its copy with a pause in mid-sentence.
struct Case {
    name: String,
    whole: Vec<f32>,
    whole_speech_end: usize,
    reference: String,
    paused: Option<Paused>,
}

struct Paused {
    audio: Vec<f32>,
    speech_end: usize,
    /// Where the inserted pause is, in samples of `audio`.
    pause: std::ops::Range<usize>,
}

impl Paused {
    /// Ended during the inserted pause, or so soon after the speech resumed that the decision
    /// was about the pause (a block, and a VAD frame to hear the speech).
    fn ended_at_the_pause(&self, ended_at: usize) -> bool {
        (self.pause.start..self.pause.end + BLOCK + 512).contains(&ended_at)
    }
}

fn cases(clips: &[Clip]) -> Vec<Case> {
    clips
        .iter()
        .enumerate()
        .filter_map(|(i, clip)| {
            let speech_end = speech_end(&clip.samples)?;
            let paused = mid_sentence_gap(&clip.samples).map(|at| {
                let len = (PAUSES_S[i % PAUSES_S.len()] * SR as f64) as usize;
                let pause = room_tone(&clip.samples, len);
                let mut audio = clip.samples[..at].to_vec();
                audio.extend_from_slice(&pause);
                audio.extend_from_slice(&clip.samples[at..]);
                Paused {
                    audio,
                    speech_end: speech_end + pause.len(),
                    pause: at..at + pause.len(),
                }
            });
            Some(Case {
                name: clip
                    .path
                    .file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                whole: clip.samples.clone(),
                whole_speech_end: speech_end,
                reference: clip.reference.clone(),
                paused,
            })
        })
        .collect()
}

fn window_levels(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(WINDOW)
        .map(|w| (w.iter().map(|s| s * s).sum::<f32>() / w.len() as f32).sqrt())
        .collect()
}

/// Where the last word ends.
fn speech_end(samples: &[f32]) -> Option<usize> {
    let levels = window_levels(samples);
    let loudest = levels.iter().copied().fold(0.0, f32::max);
    let last = levels.iter().rposition(|&l| l > loudest * QUIET)?;
    Some(((last + 1) * WINDOW).min(samples.len()))
}

/// A gap between words (≥ 40 ms quiet) in the middle of the speech (35–75 % of it), nearest
/// its centre: a pause there is in mid-sentence.
fn mid_sentence_gap(samples: &[f32]) -> Option<usize> {
    let levels = window_levels(samples);
    let loudest = levels.iter().copied().fold(0.0, f32::max);
    let voiced: Vec<bool> = levels.iter().map(|&l| l > loudest * QUIET).collect();
    let first = voiced.iter().position(|&v| v)?;
    let last = voiced.iter().rposition(|&v| v)?;
    let span = (last - first) as f64;
    let (lo, hi) = (
        first + (span * 0.35) as usize,
        first + (span * 0.75) as usize,
    );
    let centre = (first + last) / 2;
    let mut best: Option<usize> = None;
    let mut run_start = None;
    for (i, &v) in voiced.iter().enumerate().take(hi + 1).skip(lo) {
        match (v, run_start) {
            (false, None) => run_start = Some(i),
            (true, Some(start)) => {
                if i - start >= 2 {
                    let mid = (start + i) / 2;
                    if best.is_none_or(|b| mid.abs_diff(centre) < b.abs_diff(centre)) {
                        best = Some(mid);
                    }
                }
                run_start = None;
            }
            _ => {}
        }
    }
    best.map(|w| w * WINDOW)
}

/// All the dictations' words pooled, to three places.
fn pooled_wer(references: &[&str], texts: &[String]) -> f64 {
    let wer = utter::eval::word_error_rate(&references.join(" "), &texts.join(" "));
    (wer * 1000.0).round() / 1000.0
}

fn ms(samples: usize) -> f64 {
    round(samples as f64 * 1000.0 / SR as f64)
}

/// After a dictation ended at `audio[..from]`: how long (ms) until the VAD hears speech
/// again (long enough to count, as a follow-on starts, going on from the end), if within 10 s.
fn resumed_after_ms(watcher: &mut TurnWatcher, audio: &[f32], from: usize) -> Result<Option<f64>> {
    watcher.go_on(EndParams {
        semantic: false,
        read_transcript: false,
        wait_for_speech_ms: 10_000,
        ..EndParams::DEFAULT
    });
    let rest = audio.get(from..).unwrap_or_default();
    for (i, block) in rest.chunks(BLOCK).enumerate() {
        watcher.push(block)?;
        if watcher.heard_speech() {
            return Ok(Some(((i + 1) * BLOCK) as f64 * 1000.0 / SR as f64));
        }
    }
    Ok(None)
}

pub fn run(
    mut transcriber: Transcriber,
    settings: Settings,
    clips: &[Clip],
    runs: usize,
    variants: &Variants,
    progress: &dyn Fn(&str),
) -> Result<HandsFreeReport> {
    let model = transcriber.stt().model_name().to_string();
    let store = ModelStore::open_default()?;
    let vad = SileroVad::load(&store.resolve_vad()?)?;
    let turn_path = store.resolve_turn().context("the end-of-turn model")?;
    let smart_turn = SmartTurn::load(&turn_path, 1)?;
    let mut watcher = TurnWatcher::new(
        vad,
        Some(smart_turn),
        EndParams::DEFAULT,
        VadParams::default(),
    );
    let cases = cases(clips);
    // What the listener hears of each dictation, whole and paused (it stops early decodes).
    let talks = cases
        .iter()
        .map(|case| {
            let paused = case.paused.as_ref();
            Ok((
                Talk::hear(&mut watcher, &case.whole)?,
                paused
                    .map(|p| Talk::hear(&mut watcher, &p.audio))
                    .transpose()?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut reader = Reader {
        transcriber: &mut transcriber,
        options: Job::from_settings(Vec::new(), Instant::now(), &settings).options,
    };
    // Where each rule ends each dictation (decoding as the session does where it reads the
    // transcript), then how long the text takes through the session.
    let mut measured = Vec::new();
    for (name, params) in rules(variants) {
        progress(&format!("hands-free: {name}"));
        let mut row = RuleRow {
            rule: name,
            early_cuts: 0,
            cuts_at_the_pause: 0,
            cut_clips: Vec::new(),
            cuts_continued: 0,
            paused: 0,
            finished_cut: Vec::new(),
            ended_by_turn: 0,
            finished: cases.len(),
            end_wait_p50: 0.0,
            end_wait_p95: 0.0,
            text_ready_p50: 0.0,
            text_ready_p95: 0.0,
            wer: 0.0,
            runs: 0,
            early_decodes: 0,
            early_stopped: 0,
            early_used: 0,
            cut_wer: 0.0,
            cut_runs: 0,
            seams_rejoined: 0,
            seams_full_stop_kept: 0,
            seam_p50: 0.0,
            seam_max: 0.0,
        };
        let mut waits = Vec::new();
        // Whole clips the rule let finish (not cut before their speech ended), and paused
        // ones it cut.
        let mut uncut = Vec::new();
        let mut cut_short = Vec::new();
        for (case, (whole_talk, paused_talk)) in cases.iter().zip(&talks) {
            if let (Some(paused), Some(paused_talk)) = (&case.paused, paused_talk) {
                row.paused += 1;
                let cut = watch(
                    &mut watcher,
                    params,
                    &paused.audio,
                    paused_talk,
                    Some(&mut reader),
                )?;
                row.count_early(cut.stats.as_ref());
                // Ended before the speech did (a VAD frame of slack).
                if cut.ended_at + 512 < paused.speech_end {
                    let at_the_pause = paused.ended_at_the_pause(cut.ended_at);
                    let at = cut.end.at_sample;
                    let resumed = resumed_after_ms(&mut watcher, &paused.audio, at)?;
                    row.early_cuts += 1;
                    cut_short.push((case, paused));
                    row.cuts_at_the_pause += usize::from(at_the_pause);
                    row.cuts_continued += usize::from(
                        resumed.is_some_and(|ms| ms <= f64::from(variants.follow_on_ms)),
                    );
                    row.cut_clips.push(Cut {
                        clip: case.name.clone(),
                        at_the_pause,
                        heard: cut.heard,
                        resumed_after_ms: resumed.map(round),
                        ended_at_ms: ms(cut.ended_at),
                        pause_ms: [ms(paused.pause.start), ms(paused.pause.end)],
                        typed: None,
                    });
                }
            }
            let whole = watch(
                &mut watcher,
                params,
                &case.whole,
                whole_talk,
                Some(&mut reader),
            )?;
            row.count_early(whole.stats.as_ref());
            waits.push(whole.end.end_wait_ms);
            row.ended_by_turn += usize::from(whole.end.ended_by == EndedBy::Turn);
            if whole.ended_at >= case.whole_speech_end {
                uncut.push(case);
            } else {
                row.finished_cut.push(case.name.clone());
            }
        }
        row.end_wait_p50 = round(percentile(&waits, 50.0));
        row.end_wait_p95 = round(percentile(&waits, 95.0));
        measured.push((row, params, uncut, cut_short));
    }
    let mut session = super::handsfree_session::HandsFreeSession::start(transcriber, settings);
    let mut rows = Vec::new();
    for (mut row, params, uncut, cut_short) in measured {
        progress(&format!("hands-free: {} through the session", row.rule));
        // Dictations cut before their speech ended have no "text after the speech".
        let mut ready = Vec::new();
        let (mut references, mut texts) = (Vec::new(), Vec::new());
        for case in uncut.into_iter().take(runs) {
            let dictated = session.dictate(params, &case.whole, case.whole_speech_end)?;
            ready.push(dictated.ready_ms);
            references.push(case.reference.as_str());
            texts.push(dictated.text);
        }
        row.wer = pooled_wer(&references, &texts);
        // What the follow-ons make of the cuts.
        let (mut references, mut texts, mut seams) = (Vec::new(), Vec::new(), Vec::new());
        let cuts = cut_short.into_iter().zip(row.cut_clips.iter_mut());
        for ((case, paused), cut) in cuts.take(runs) {
            let dictated = session.dictate(params, &paused.audio, paused.speech_end)?;
            row.seams_rejoined += dictated.rejoined;
            row.seams_full_stop_kept += dictated.full_stops_kept;
            seams.extend(dictated.seam_ms);
            references.push(case.reference.as_str());
            cut.typed = Some(dictated.text.clone());
            texts.push(dictated.text);
        }
        row.cut_wer = pooled_wer(&references, &texts);
        row.cut_runs = texts.len();
        if !seams.is_empty() {
            row.seam_p50 = round(percentile(&seams, 50.0));
            row.seam_max = round(percentile(&seams, 100.0));
        }
        row.text_ready_p50 = round(percentile(&ready, 50.0));
        row.text_ready_p95 = round(percentile(&ready, 95.0));
        row.runs = ready.len();
        rows.push(row);
    }
    Ok(HandsFreeReport {
        model,
        clips: cases.len(),
        follow_on_ms: variants.follow_on_ms,
        rules: rows,
    })
}
