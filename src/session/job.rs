//! One dictation's inputs, taken from the settings (shaped by the target application's
//! profile) when the key comes up.

use std::time::Instant;

use crate::cleanup::Choice;
use crate::output::OutputSettings;
use crate::settings::Settings;
use crate::target::Target;
use crate::transcriber::TranscribeOptions;

/// Per-dictation inputs taken from the settings at the time of the release.
pub struct Job {
    pub samples: Vec<f32>,
    pub released: Instant,
    pub options: TranscribeOptions,
    pub output: OutputSettings,
    pub replacements: Vec<crate::settings::Replacement>,
    pub choice: Choice,
    /// A device error that ended the recording early; the audio before it is still used.
    pub capture_error: Option<String>,
    pub extra_timings: Vec<(String, f64)>,
    /// How a hands-free recording ended.
    pub ended_by: Option<crate::turn::EndedBy>,
    /// Entered in the history and saved while it was recorded (else it is saved first thing).
    pub saved: Option<super::journal::Saved>,
    /// The settings it ran with, hashed (see [`Settings::short_hash`]).
    pub settings_hash: String,
    /// The focused application at the key press, and the profile chosen for it.
    pub target: Option<Target>,
    pub profile: Option<String>,
    pub spoken_commands: bool,
    /// The clean-up prompt (by name) for this dictation.
    pub cleanup_prompt: String,
    /// The dictation key, so "scratch that" does not count its own press as typing.
    pub hotkey: String,
    /// A follow-on: the audio just before it (the end of the dictation it continues), for the
    /// VAD to hear it in context; not transcribed.
    pub heard_before: Vec<f32>,
    /// A follow-on: the text delivered for the dictation it continues (the worker, which ran
    /// that one just before, fills it in).
    pub said_before: String,
}

impl Job {
    pub fn from_settings(samples: Vec<f32>, released: Instant, settings: &Settings) -> Job {
        Job {
            samples,
            released,
            options: TranscribeOptions {
                language: crate::stt::Language::parse(&settings.language),
                translate: settings.translate,
                vocabulary: settings.vocabulary.clone(),
                audio_context: settings.speed.audio_context,
            },
            output: settings.output.clone(),
            replacements: settings.replacements.clone(),
            choice: Choice::Auto,
            capture_error: None,
            extra_timings: Vec::new(),
            ended_by: None,
            saved: None,
            settings_hash: settings.short_hash(),
            target: None,
            profile: None,
            spoken_commands: settings.spoken_commands,
            cleanup_prompt: settings.cleanup.prompt.clone(),
            hotkey: settings.hotkey.clone(),
            heard_before: Vec::new(),
            said_before: String::new(),
        }
    }

    /// A job for a dictation into `target`, shaped by its profile (see [`crate::profiles`]).
    pub fn for_target(
        samples: Vec<f32>,
        released: Instant,
        settings: &Settings,
        target: Option<&Target>,
    ) -> Job {
        let profile = target.and_then(|t| crate::profiles::profile_for(&settings.profiles, t));
        let mut job = match &profile {
            Some(p) => Job::from_settings(samples, released, &crate::profiles::apply(settings, p)),
            None => Job::from_settings(samples, released, settings),
        };
        job.choice = match profile.as_ref().and_then(|p| p.cleanup) {
            Some(true) => Choice::On,
            Some(false) => Choice::Off,
            None => Choice::Auto,
        };
        job.target = target.cloned();
        job.profile = profile.map(|p| p.name);
        job
    }
}
