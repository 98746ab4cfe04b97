//! A dictation is on disk from its first moment: when the recording starts it is entered in
//! the history and its audio file grows as the audio is captured, so a killed process leaves
//! both behind for the next start to recover. When the disk fills up, the recording goes on
//! in memory and the dictation completes; the entry says its audio could not be saved.

use std::path::PathBuf;

use crate::audio::wav::GrowingWav;
use crate::history::History;

/// Where recordings go: the coordinator's own connection to the history database.
pub(super) struct Journal {
    history: Option<History>,
    recordings_dir: Option<PathBuf>,
}

/// One recording being written.
pub(super) struct Written {
    id: Option<i64>,
    wav: Option<GrowingWav>,
    /// Why the audio is not (or no longer) being saved.
    error: Option<String>,
}

/// What the pipeline is handed: the history entry and the saved audio, if any.
#[derive(Debug, Clone, Default)]
pub struct Saved {
    pub history_id: Option<i64>,
    pub audio_path: Option<PathBuf>,
    /// Why the recording could not be saved.
    pub error: Option<String>,
}

impl Journal {
    pub(super) fn new(history: Option<History>, recordings_dir: Option<PathBuf>) -> Journal {
        Journal {
            history,
            recordings_dir,
        }
    }

    /// A recording starts. Failures are kept for the end of the dictation, not raised: the
    /// recording goes on in memory.
    pub(super) fn begin(&self) -> Written {
        let (wav, error) = match &self.recordings_dir {
            Some(dir) => {
                let path = dir.join(format!("{}.wav", crate::history::now_ms()));
                match GrowingWav::create(&path) {
                    Ok(wav) => (Some(wav), None),
                    Err(e) => (None, Some(e.to_string())),
                }
            }
            None => (None, None),
        };
        let path = wav.as_ref().map(|w| w.path().to_path_buf());
        let id = self.history.as_ref().and_then(|h| {
            h.begin(path.as_deref())
                .map_err(|e| tracing::warn!("history (start of a recording): {e}"))
                .ok()
        });
        if let Some(e) = &error {
            tracing::error!("the recording is not being saved: {e}");
        }
        Written { id, wav, error }
    }

    /// The recording ended with `samples` in memory: finish the file and the entry.
    pub(super) fn finish(&self, written: &mut Written, samples: &[f32]) -> Saved {
        let audio_s = crate::audio::seconds(samples.len());
        // Whatever the device delivered after the last block passed on.
        let behind = written.wav.as_ref().map(|w| w.samples().min(samples.len()));
        if let Some(from) = behind {
            written.append(&samples[from..]);
        }
        let mut audio_path = None;
        if let Some(wav) = written.wav.take() {
            let path = wav.path().to_path_buf();
            match wav.finish() {
                Ok(path) => audio_path = Some(path),
                Err(e) => written.fail(e.to_string(), Some(path)),
            }
        }
        let error = written.error.take().map(|e| {
            format!("the recording could not be saved ({e}): its text is kept, its audio is not")
        });
        if let (Some(h), Some(id)) = (&self.history, written.id)
            && let Err(e) = h.recorded(id, audio_path.as_deref(), audio_s, error.as_deref())
        {
            tracing::warn!("history (end of a recording): {e}");
        }
        Saved {
            history_id: written.id,
            audio_path,
            error,
        }
    }

    /// A cancelled recording leaves nothing behind.
    pub(super) fn discard(&self, mut written: Written) {
        if let Some(wav) = written.wav.take() {
            let path = wav.path().to_path_buf();
            drop(wav);
            let _ = std::fs::remove_file(path);
        }
        if let (Some(h), Some(id)) = (&self.history, written.id)
            && let Err(e) = h.delete(id)
        {
            tracing::warn!("history (cancelled recording): {e}");
        }
    }
}

impl Written {
    /// Captured audio, as it comes.
    pub(super) fn append(&mut self, block: &[f32]) {
        if let Some(wav) = self.wav.as_mut()
            && let Err(e) = wav.append(block)
        {
            let path = wav.path().to_path_buf();
            self.fail(e.to_string(), Some(path));
        }
    }

    /// Stop saving (the disk is full, or the file went away): the recording goes on in
    /// memory, and a partial file is removed so that it frees what it took.
    fn fail(&mut self, error: String, partial: Option<PathBuf>) {
        tracing::error!("the recording cannot be saved: {error}; it goes on in memory");
        self.wav = None;
        if let Some(path) = partial {
            let _ = std::fs::remove_file(path);
        }
        self.error.get_or_insert(error);
    }
}
