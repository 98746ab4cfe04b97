//! Read audio files (WAV, FLAC, MP3) into 16 kHz mono with symphonia.

use std::fs::File;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::resample::{ResampleError, to_mono_16k};

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot open audio file {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} is a folder, not an audio file")]
    Folder { path: PathBuf },
    #[error("{path} is empty (0 bytes): there is no audio in it")]
    Empty { path: PathBuf },
    #[error("{path} is not a WAV, FLAC or MP3 file{reason}")]
    Unsupported { path: PathBuf, reason: String },
    #[error("{path}: the audio data is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Resample {
        path: PathBuf,
        source: ResampleError,
    },
}

/// Decoded audio at its own rate, interleaved.
pub struct DecodedAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Decode a file and convert it to 16 kHz mono `f32`.
pub fn load_mono_16k(path: &Path) -> Result<Vec<f32>, DecodeError> {
    let decoded = decode_file(path)?;
    to_mono_16k(&decoded.samples, decoded.sample_rate, decoded.channels).map_err(|source| {
        DecodeError::Resample {
            path: path.to_path_buf(),
            source,
        }
    })
}

pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    let owned = || path.to_path_buf();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DecodeError::Missing { path: owned() });
        }
        Ok(meta) if meta.is_dir() => return Err(DecodeError::Folder { path: owned() }),
        Ok(meta) if meta.len() == 0 => return Err(DecodeError::Empty { path: owned() }),
        _ => {}
    }
    let file = File::open(path).map_err(|source| DecodeError::Open {
        path: owned(),
        source,
    })?;
    // The library's own words only where they add something ("no audio track").
    let unsupported = |reason: String| DecodeError::Unsupported {
        path: owned(),
        reason: if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        },
    };
    let corrupt = |reason: String| DecodeError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };

    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::IoError(_) => corrupt("it ends before its audio begins".into()),
            _ => unsupported(String::new()),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| unsupported("no audio track".into()))?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| unsupported(e.to_string()))?;

    let mut samples = Vec::new();
    let mut sample_rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut channels = track
        .codec_params
        .channels
        .map(|c| c.count() as u16)
        .unwrap_or(0);
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => return Err(corrupt(e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged frame in a lossy stream: skip it rather than lose the whole file.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(corrupt(e.to_string())),
        };
        let spec = *decoded.spec();
        sample_rate = spec.rate;
        channels = spec.channels.count() as u16;
        let needed = decoded.capacity() as u64;
        let buf = match buffer.as_mut() {
            Some(buf) if buf.capacity() as u64 >= needed * u64::from(channels) => buf,
            _ => buffer.insert(SampleBuffer::new(needed, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        samples.extend_from_slice(buf.samples());
    }
    if sample_rate == 0 || channels == 0 {
        return Err(corrupt("no decodable audio".into()));
    }
    Ok(DecodedAudio {
        samples,
        sample_rate,
        channels,
    })
}
