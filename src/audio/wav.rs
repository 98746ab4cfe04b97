//! 16 kHz mono WAV files (16-bit PCM): written whole and atomically (a crash never leaves half
//! a file), or grown while recording so that a killed process leaves a readable file, and
//! repaired when a kill came between the samples and the header.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::SAMPLE_RATE;

#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {reason}")]
pub struct WavWriteError {
    pub path: std::path::PathBuf,
    pub reason: String,
}

pub fn write_wav_16k(path: &Path, samples: &[f32]) -> Result<(), WavWriteError> {
    let fail = |reason: String| WavWriteError {
        path: path.to_path_buf(),
        reason,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let tmp = temp_path_beside(path);
    let result = (|| -> Result<(), hound::Error> {
        let file = File::create(&tmp)?;
        let mut writer = hound::WavWriter::new(BufWriter::new(file), SPEC)?;
        write_samples(&mut writer, samples)?;
        writer.finalize()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e.to_string()));
    }
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
}

const SPEC: hound::WavSpec = hound::WavSpec {
    channels: 1,
    sample_rate: SAMPLE_RATE,
    bits_per_sample: 16,
    sample_format: hound::SampleFormat::Int,
};

fn write_samples<W: Write + Seek>(
    writer: &mut hound::WavWriter<W>,
    samples: &[f32],
) -> Result<(), hound::Error> {
    for &s in samples {
        writer.write_sample((s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)?;
    }
    Ok(())
}

/// A recording written as it is captured. After each [`append`](Self::append) the file on
/// disk is a valid WAV of everything so far (the header is rewritten), so a process killed
/// mid-dictation leaves its audio behind.
pub struct GrowingWav {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
    samples: usize,
}

impl GrowingWav {
    pub fn create(path: &Path) -> Result<GrowingWav, WavWriteError> {
        let fail = |reason: String| WavWriteError {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
        }
        let file = File::create(path).map_err(|e| fail(e.to_string()))?;
        let writer =
            hound::WavWriter::new(BufWriter::new(file), SPEC).map_err(|e| fail(e.to_string()))?;
        Ok(GrowingWav {
            path: path.to_path_buf(),
            writer,
            samples: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Add captured audio and bring the file's header up to date (not synced to the disk: a
    /// killed process loses nothing the kernel has; a power cut may lose the last moments).
    pub fn append(&mut self, samples: &[f32]) -> Result<(), WavWriteError> {
        write_samples(&mut self.writer, samples)
            .and_then(|()| self.writer.flush())
            .map_err(|e| WavWriteError {
                path: self.path.clone(),
                reason: e.to_string(),
            })?;
        self.samples += samples.len();
        Ok(())
    }

    pub fn finish(self) -> Result<PathBuf, WavWriteError> {
        let path = self.path;
        self.writer.finalize().map_err(|e| WavWriteError {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(path)
    }
}

/// Make a WAV whose header lags behind its data (the writer was killed between the two)
/// readable again: the RIFF and data sizes are set from the file's length, cut to whole
/// samples. Returns the number of samples. Files that are already right are left alone.
pub fn repair(path: &Path) -> Result<usize, WavWriteError> {
    let fail = |reason: String| WavWriteError {
        path: path.to_path_buf(),
        reason,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    let len = file.metadata().map_err(|e| fail(e.to_string()))?.len();
    let mut header = [0u8; 12];
    file.read_exact(&mut header)
        .map_err(|_| fail("too short to be a WAV file".into()))?;
    if &header[..4] != b"RIFF" || &header[8..] != b"WAVE" {
        return Err(fail("not a WAV file".into()));
    }
    // Walk the chunks to "data"; its size is the only one that can be behind.
    let mut at = 12u64;
    let data_at = loop {
        let mut chunk = [0u8; 8];
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut chunk))
            .map_err(|_| fail("no audio data in the file".into()))?;
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        if &chunk[..4] == b"data" {
            break at + 8;
        }
        at += 8 + size + (size & 1);
    };
    // Our recordings are 16-bit mono: 2 bytes a sample.
    let data = (len.saturating_sub(data_at) / 2) * 2;
    let riff = u32::try_from(data_at - 8 + data).map_err(|_| fail("too long for WAV".into()))?;
    let data32 = u32::try_from(data).map_err(|_| fail("too long for WAV".into()))?;
    let write = |file: &mut File, at: u64, value: u32| {
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.write_all(&value.to_le_bytes()))
    };
    write(&mut file, 4, riff)
        .and_then(|()| write(&mut file, data_at - 4, data32))
        .and_then(|()| file.set_len(data_at + data))
        .map_err(|e| fail(e.to_string()))?;
    Ok((data / 2) as usize)
}

fn temp_path_beside(target: &Path) -> std::path::PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio.wav".into());
    target.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Vec<i16> {
        hound::WavReader::open(path)
            .unwrap()
            .into_samples::<i16>()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_growing_wav_is_readable_after_every_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.wav");
        let mut wav = GrowingWav::create(&path).unwrap();
        wav.append(&[0.5; 1600]).unwrap();
        // As a killed process leaves it: never finished.
        assert_eq!(read(&path).len(), 1600);
        wav.append(&[-0.5; 800]).unwrap();
        assert_eq!(read(&path).len(), 2400);
        std::mem::forget(wav);
        assert_eq!(repair(&path).unwrap(), 2400, "nothing to repair");
    }

    #[test]
    fn a_header_behind_its_data_is_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.wav");
        write_wav_16k(&path, &[0.25; 1000]).unwrap();
        // Killed after more samples (and half of one) reached the file, before the header.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(&[1u8; 2 * 500 + 1]).unwrap();
        drop(file);
        assert_eq!(repair(&path).unwrap(), 1500);
        let samples = read(&path);
        assert_eq!(samples.len(), 1500);
        assert_eq!(samples[0], (0.25 * f32::from(i16::MAX)) as i16);
        let not_wav = dir.path().join("x.wav");
        std::fs::write(&not_wav, b"hello").unwrap();
        assert!(repair(&not_wav).unwrap_err().to_string().contains("x.wav"));
    }
}
