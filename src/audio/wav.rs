//! Write 16 kHz mono WAV files (16-bit PCM) atomically: a crash never leaves half a file.

use std::io::BufWriter;
use std::path::Path;

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
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let result = (|| -> Result<(), hound::Error> {
        let file = std::fs::File::create(&tmp)?;
        let mut writer = hound::WavWriter::new(BufWriter::new(file), spec)?;
        for &s in samples {
            writer.write_sample((s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)?;
        }
        writer.finalize()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e.to_string()));
    }
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))
}

fn temp_path_beside(target: &Path) -> std::path::PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audio.wav".into());
    target.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
