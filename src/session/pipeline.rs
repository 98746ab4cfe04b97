//! What happens to one recording after the key is released: save it, transcribe it, clean it
//! up, deliver it — recording each step in the history before the next one can fail.

use std::path::PathBuf;
use std::time::Instant;

use super::job::Job;
use crate::cleanup::{Choice, Cleaner};
use crate::history::{History, Status};
use crate::output::TextSink;
use crate::streaming::StreamingTranscription;
use crate::target::Target;
use crate::transcriber::Transcriber;

/// Everything a finished dictation reports (to the UI and the logs).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DictationReport {
    pub history_id: Option<i64>,
    pub text: String,
    pub raw_text: String,
    /// Why the raw text was used, when clean-up was on but not applied.
    pub cleanup_reason: Option<String>,
    pub delivered: bool,
    pub error: Option<String>,
    /// Something the user should know about a dictation that was otherwise fine (its
    /// recording could not be saved).
    pub warning: Option<String>,
    /// Milliseconds per stage: save, vad, stt, llm, output, and from release to text.
    pub timings: Vec<(String, f64)>,
    /// How a hands-free dictation ended (None for the other modes).
    pub ended_by: Option<crate::turn::EndedBy>,
    /// The application it went to and the profile that shaped it.
    pub target: Option<Target>,
    pub profile: Option<String>,
    /// Spoken commands applied ("new line", "press enter", "scratch that", …).
    pub commands: Vec<String>,
    /// A hands-free follow-on: it continues the dictation before it (typed right after it).
    pub continues: bool,
    /// ...and the full stop that closed the dictation before was taken back: the speaker went
    /// on with that sentence.
    pub rejoined: bool,
    /// What decoding while recording did (streaming only).
    pub stream: Option<crate::streaming::StreamStats>,
}

impl DictationReport {
    pub fn failed(message: &str) -> DictationReport {
        DictationReport {
            history_id: None,
            text: String::new(),
            raw_text: String::new(),
            cleanup_reason: None,
            delivered: false,
            error: Some(message.to_string()),
            warning: None,
            timings: Vec::new(),
            ended_by: None,
            target: None,
            profile: None,
            commands: Vec::new(),
            continues: false,
            rejoined: false,
            stream: None,
        }
    }
}

/// The warm parts of the pipeline, owned by the worker thread.
pub struct Pipeline {
    pub transcriber: Option<Transcriber>,
    pub cleaner: Option<Cleaner>,
    pub output: Box<dyn TextSink>,
    pub history: Option<History>,
    pub recordings_dir: Option<PathBuf>,
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn ms_between(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1000.0
}

impl Pipeline {
    fn save_audio(&self, samples: &[f32]) -> Option<PathBuf> {
        let dir = self.recordings_dir.as_ref()?;
        let path = dir.join(format!("{}.wav", crate::history::now_ms()));
        match crate::audio::wav::write_wav_16k(&path, samples) {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::error!("cannot save the recording: {e}");
                None
            }
        }
    }

    fn note<T>(&self, what: &str, result: Result<T, crate::history::HistoryError>) {
        if let Err(e) = result {
            tracing::warn!("history ({what}): {e}");
        }
    }

    /// Run one dictation to the end. Never panics on bad input; every failure is reported and
    /// the audio and whatever text exists are kept in the history.
    pub fn run(&mut self, job: Job, stream: Option<StreamingTranscription>) -> DictationReport {
        let mut timings = job.extra_timings.clone();
        let audio_s = job.samples.len() as f64 / f64::from(crate::SAMPLE_RATE);
        let t = Instant::now();
        let saved = job.saved.clone().unwrap_or_else(|| {
            let audio_path = self.save_audio(&job.samples);
            let history_id = self
                .history
                .as_ref()
                .and_then(|h| h.record(audio_path.as_deref(), audio_s).ok());
            super::journal::Saved {
                history_id,
                audio_path,
                error: None,
            }
        });
        let id = saved.history_id;
        timings.push(("save".into(), ms_since(t)));
        let mut report = DictationReport {
            history_id: id,
            text: String::new(),
            raw_text: String::new(),
            cleanup_reason: None,
            delivered: false,
            error: job.capture_error.clone(),
            warning: saved.error,
            timings: Vec::new(),
            ended_by: job.ended_by,
            target: job.target.clone(),
            profile: job.profile.clone(),
            commands: Vec::new(),
            continues: job.output.continues,
            rejoined: false,
            stream: None,
        };
        let fail = |this: &Self, report: &mut DictationReport, message: String| {
            if let (Some(h), Some(id)) = (&this.history, id) {
                this.note("status", h.set_status(id, Status::Failed, Some(&message)));
            }
            tracing::error!("dictation failed: {message}");
            report.error = Some(message);
        };

        let Some(transcriber) = self.transcriber.as_mut() else {
            fail(
                self,
                &mut report,
                "no speech model is loaded: download one in the settings".into(),
            );
            return finish(report, timings, job.released);
        };
        let result = match stream {
            Some(stream) => stream
                .finish(transcriber, &job.samples)
                .map(|(t, stats)| (t, Some(stats))),
            None => transcriber
                .transcribe_after(&job.heard_before, &job.samples, &job.options)
                .map(|t| (t, None)),
        };
        // A follow-on starts with no speech before it: its own VAD, unlike the listener's, may
        // take quiet speech trailing on after the pause for the room. Heard in context, it is not.
        let result = match result {
            Ok((t, Some(_))) if t.text.trim().is_empty() && !job.heard_before.is_empty() => {
                transcriber
                    .transcribe_after(&job.heard_before, &job.samples, &job.options)
                    .map(|t| (t, None))
            }
            other => other,
        };
        let transcription = match result {
            Ok((t, stats)) => {
                match stats {
                    // What is left after the release is what the user waits for.
                    Some(stats) => {
                        timings.extend([
                            ("stt_while_recording".into(), stats.stt_ms_while_recording),
                            ("vad".into(), stats.vad_ms_after_release),
                            ("stt".into(), stats.stt_ms_after_release),
                        ]);
                        report.stream = Some(stats);
                    }
                    None => timings.extend([
                        ("vad".into(), t.timings.vad_ms),
                        ("stt".into(), t.timings.stt_ms),
                    ]),
                }
                t
            }
            Err(e) => {
                fail(self, &mut report, format!("transcription failed: {e}"));
                return finish(report, timings, job.released);
            }
        };
        let model = transcriber.stt().model_name().to_string();
        let mut raw = crate::text_rules::apply_replacements(&transcription.text, &job.replacements);
        let t = Instant::now();
        let seam = super::seam::read(transcriber, &job, &raw);
        if job.output.continues {
            timings.push(("seam".into(), ms_since(t)));
            if let Some(seam) = &seam {
                raw = seam.text.clone();
            }
            raw = crate::text_rules::continue_sentence(&job.said_before, &raw);
        }
        report.raw_text = raw.clone();
        if let (Some(h), Some(id)) = (&self.history, id) {
            self.note(
                "transcript",
                h.set_transcript(id, &raw, &model, transcription.language.as_deref()),
            );
            self.note("settings hash", h.set_settings_hash(id, &job.settings_hash));
            if let Some(target) = &job.target {
                self.note("target", h.set_target(id, target, job.profile.as_deref()));
            }
        }

        let spoken = match job.spoken_commands {
            true => crate::spoken_commands::apply(&raw),
            false => crate::spoken_commands::Spoken {
                text: raw.clone(),
                ..Default::default()
            },
        };
        report.commands = spoken.applied.iter().map(|c| c.to_string()).collect();
        if spoken.scratch {
            return self.scratch(&job, report, timings);
        }
        let mut output = job.output.clone();
        output.press_enter |= spoken.press_enter;
        let mut text = spoken.text.clone();
        if let Some(cleaner) = &self.cleaner
            && !text.trim().is_empty()
        {
            let context = crate::cleanup::Context {
                prompt: Some(&job.cleanup_prompt),
                app: job.target.as_ref().map(|t| t.app.as_str()),
            };
            let outcome = cleaner.clean_in(&text, &job.options.vocabulary, job.choice, &context);
            if let Some(ms) = outcome.llm_ms {
                timings.push(("llm".into(), ms));
            }
            if let (Some(h), Some(id)) = (&self.history, id) {
                self.note("clean-up", h.set_cleanup(id, &outcome));
            }
            text = outcome.text().to_string();
            report.cleanup_reason = Some(outcome.reason.clone());
        }
        // Again after the clean-up, which would give the fragment its capital back.
        if job.output.continues {
            text = crate::text_rules::continue_sentence(&job.said_before, &text);
        }
        report.text = text.clone();

        if text.trim().is_empty() && !output.press_enter {
            if let (Some(h), Some(id)) = (&self.history, id) {
                self.note("status", h.set_status(id, Status::Delivered, None));
            }
            return finish(report, timings, job.released);
        }
        if let Some(mark) = seam.as_ref().and_then(|s| s.goes_on.as_deref()) {
            match self
                .output
                .take_back_full_stop(&output, &job.hotkey, &job.said_before)
            {
                Ok(()) => {
                    output.rejoins = true;
                    text = super::seam::Seam::go_on(mark, &job.said_before, &text);
                    report.rejoined = true;
                }
                Err(e) => {
                    // The text has its capital: it follows a full stop (continue_sentence).
                    tracing::info!("the full stop before the follow-on stays: {e}");
                }
            }
            report.text = text.clone();
        }
        let t = Instant::now();
        let mut text_at = None;
        match self.output.deliver(&output, &text) {
            Ok(delivered) => {
                // A paste is done when the target fetched the text, not when the clipboard
                // has been restored afterwards.
                let arrived = delivered.text_arrived_at.unwrap_or_else(Instant::now);
                text_at = Some(arrived);
                timings.push(("output".into(), ms_between(t, arrived)));
                report.delivered = true;
                if let (Some(h), Some(id)) = (&self.history, id) {
                    self.note(
                        "status",
                        h.set_status(id, Status::Delivered, job.capture_error.as_deref()),
                    );
                }
            }
            // Dictated with Utter's own window in front (its "try it here" area): the text is
            // shown there and kept in the history; nothing failed.
            Err(e @ crate::output::OutputError::OwnWindow) => tracing::info!("{e}"),
            Err(e) => fail(
                self,
                &mut report,
                format!("could not deliver the text (it is in the history): {e}"),
            ),
        }
        finish_at(report, timings, job.released, text_at)
    }

    /// "scratch that": erase the previous dictation in the target, or say why not.
    fn scratch(
        &mut self,
        job: &Job,
        mut report: DictationReport,
        timings: Vec<(String, f64)>,
    ) -> DictationReport {
        match self.output.scratch(&job.output, &job.hotkey) {
            Ok(chars) => {
                tracing::info!(chars, "scratch that: the previous dictation was erased");
                report.delivered = true;
            }
            Err(e) => {
                tracing::info!("scratch that: nothing erased: {e}");
                report.warning = Some(format!("\"scratch that\" erased nothing: {e}"));
            }
        }
        if let (Some(h), Some(id)) = (&self.history, report.history_id) {
            self.note("status", h.set_status(id, Status::Delivered, None));
        }
        finish(report, timings, job.released)
    }

    /// Transcribe a past dictation's audio again with the current model and settings, and
    /// store the new text in its history entry. Nothing is typed.
    pub fn retranscribe(&mut self, id: i64, job_settings: &Job) -> Result<String, String> {
        let history = self.history.as_ref().ok_or("history is off")?;
        let entry = history.get(id).map_err(|e| e.to_string())?;
        let audio = entry
            .audio_path
            .ok_or("this dictation's audio was not kept")?;
        let samples = crate::audio::load_mono_16k(&audio).map_err(|e| e.to_string())?;
        let transcriber = self
            .transcriber
            .as_mut()
            .ok_or("no speech model is loaded")?;
        let t = transcriber
            .transcribe(&samples, &job_settings.options)
            .map_err(|e| e.to_string())?;
        let model = transcriber.stt().model_name().to_string();
        let raw = crate::text_rules::apply_replacements(&t.text, &job_settings.replacements);
        history
            .set_transcript(id, &raw, &model, t.language.as_deref())
            .map_err(|e| e.to_string())?;
        let mut text = raw.clone();
        if let Some(cleaner) = &self.cleaner
            && !raw.trim().is_empty()
        {
            let outcome = cleaner.clean(&raw, &job_settings.options.vocabulary, Choice::Auto);
            history
                .set_cleanup(id, &outcome)
                .map_err(|e| e.to_string())?;
            text = outcome.text().to_string();
        }
        Ok(text)
    }

    /// The dictations a killed process left behind: their audio is repaired and transcribed,
    /// the text kept in the history (status recovered). Nothing is typed.
    pub fn recover(&mut self, job_settings: &Job) -> Vec<super::Recovered> {
        let Some(history) = &self.history else {
            return Vec::new();
        };
        let entries = match history.interrupted() {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!("cannot look for interrupted dictations: {e}");
                return Vec::new();
            }
        };
        let mut recovered = Vec::new();
        for entry in entries {
            tracing::info!("recovering interrupted dictation {}", entry.id);
            // What did not work is reported by the front end (the app's log, the CLI's output).
            let (text, error) = match self.recover_one(&entry, job_settings) {
                Ok(text) => (Some(text), None),
                Err(e) => (None, Some(e)),
            };
            recovered.push(super::Recovered {
                id: entry.id,
                text,
                error,
            });
        }
        recovered
    }

    fn recover_one(&mut self, entry: &crate::history::Entry, job: &Job) -> Result<String, String> {
        let history = self.history.as_ref().ok_or("history is off")?;
        let give_up = |why: String| {
            let _ = history.set_status(entry.id, Status::Failed, Some(&why));
            why
        };
        let Some(audio) = &entry.audio_path else {
            return Err(give_up("interrupted before its audio was saved".into()));
        };
        // Written up to the kill; the header may lag behind the samples.
        let samples = crate::audio::wav::repair(audio)
            .map_err(|e| give_up(format!("interrupted, and its audio is unreadable: {e}")))?;
        self.note(
            "audio length",
            history.set_audio_length(entry.id, crate::audio::seconds(samples)),
        );
        // Without a model it stays interrupted, for the next try.
        let text = self.retranscribe(entry.id, job)?;
        if let Some(history) = &self.history {
            self.note(
                "status",
                history.set_status(entry.id, Status::Recovered, None),
            );
        }
        Ok(text)
    }

    pub fn prune_history(&self, retention: &crate::history::Retention) {
        if let Some(h) = &self.history {
            self.note("pruning", h.prune(retention));
        }
    }

    pub fn store_timings(&self, report: &DictationReport) {
        if let (Some(h), Some(id)) = (&self.history, report.history_id) {
            let stages: Vec<(&str, f64)> = report
                .timings
                .iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect();
            self.note("timings", h.add_timings(id, &stages));
        }
    }
}

fn finish(
    report: DictationReport,
    timings: Vec<(String, f64)>,
    released: Instant,
) -> DictationReport {
    finish_at(report, timings, released, None)
}

fn finish_at(
    mut report: DictationReport,
    mut timings: Vec<(String, f64)>,
    released: Instant,
    text_at: Option<Instant>,
) -> DictationReport {
    let end = text_at.unwrap_or_else(Instant::now);
    timings.push(("release_to_text".into(), ms_between(released, end)));
    report.timings = timings
        .into_iter()
        .map(|(k, v)| (k, (v * 100.0).round() / 100.0))
        .collect();
    report
}
