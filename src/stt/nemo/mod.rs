//! NVIDIA NeMo FastConformer transducers through ONNX Runtime, in the sherpa-onnx layout:
//! Parakeet TDT (offline, token + duration decoding) and Nemotron Speech Streaming
//! (cache-aware encoder run chunk by chunk, RNN-T decoding, text while the user speaks).

mod features;
mod greedy;
mod network;
mod spec;
mod vocab;

use std::path::Path;

pub use features::{Features, LogMel};
pub use network::ModelFiles;
pub use spec::{Kind, Normalize, Spec};

use features::LOG_GUARD;
use greedy::Hypothesis;
use network::{EncoderCaches, Networks};

use super::{Language, SpeechToText, SttError, SttOutput, SttRequest};

pub struct NemoEngine {
    nets: Networks,
    mel: LogMel,
    name: String,
    /// The recording being recognised while it is made (streaming models).
    live: Option<NemoStream>,
}

/// A streaming recognition in progress (Nemotron): audio in, partial text out.
pub struct NemoStream {
    mel: LogMel,
    /// Feature frames not yet consumed as a chunk, frame-major.
    pending: Vec<f32>,
    caches: EncoderCaches,
    hyp: Hypothesis,
}

impl NemoEngine {
    /// Load a model directory (`encoder.int8.onnx`, `decoder.int8.onnx`, `joiner.int8.onnx`,
    /// `tokens.txt`); every problem is reported with the file it concerns.
    pub fn load(dir: &Path, name: &str, threads: usize) -> Result<Self, SttError> {
        let files = super::locate_folder(dir, ModelFiles::locate)?;
        let nets = Networks::load(&files, threads)
            .map_err(|(path, reason)| SttError::ModelInvalid { path, reason })?;
        if nets.spec.is_streaming() && nets.spec.normalize != Normalize::None {
            return Err(SttError::ModelInvalid {
                path: files.encoder,
                reason: "streaming models with per-utterance feature normalisation cannot stream"
                    .into(),
            });
        }
        let mel = LogMel::new(nets.spec.feat_dim);
        Ok(Self {
            nets,
            mel,
            name: name.to_string(),
            live: None,
        })
    }

    pub fn spec(&self) -> &Spec {
        &self.nets.spec
    }

    fn fresh_hypothesis(&mut self) -> Result<Hypothesis, SttError> {
        Ok(Hypothesis {
            tokens: Vec::new(),
            prediction: self.nets.initial_prediction().map_err(SttError::Decode)?,
        })
    }

    /// Start streaming recognition (streaming models only).
    pub fn start_stream(&mut self) -> Result<NemoStream, SttError> {
        if !self.nets.spec.is_streaming() {
            return Err(SttError::Decode(format!(
                "{} is not a streaming model",
                self.name
            )));
        }
        Ok(NemoStream {
            mel: LogMel::new(self.nets.spec.feat_dim),
            pending: Vec::new(),
            caches: self.nets.initial_caches(),
            hyp: self.fresh_hypothesis()?,
        })
    }

    /// Add audio; decodes every chunk that is complete.
    pub fn accept(&mut self, stream: &mut NemoStream, samples: &[f32]) -> Result<(), SttError> {
        stream.mel.accept(samples, &mut stream.pending);
        self.run_ready_chunks(stream, false)
    }

    /// Text so far.
    pub fn partial_text(&self, stream: &NemoStream) -> String {
        self.nets.vocabulary.decode(&stream.hyp.tokens)
    }

    /// The audio has ended: decode what is left and return the final text.
    pub fn finish_stream(&mut self, stream: &mut NemoStream) -> Result<String, SttError> {
        stream.mel.finish(&mut stream.pending);
        self.run_ready_chunks(stream, true)?;
        Ok(self.partial_text(stream))
    }

    fn run_ready_chunks(&mut self, stream: &mut NemoStream, last: bool) -> Result<(), SttError> {
        let Kind::Streaming(shape) = self.nets.spec.kind.clone() else {
            return Err(SttError::Decode("not a streaming model".into()));
        };
        let feat = self.nets.spec.feat_dim;
        loop {
            let rows = stream.pending.len() / feat;
            if rows == 0 || (rows < shape.window && !last) {
                return Ok(());
            }
            let mut window: Vec<f32> = stream.pending[..rows.min(shape.window) * feat].to_vec();
            // At the end, the last window is filled with what silence looks like.
            window.resize(shape.window * feat, LOG_GUARD.ln());
            let channels_first = features::transpose(&window, shape.window, feat);
            let frames = self
                .nets
                .encode_chunk(channels_first, shape.window, &mut stream.caches)
                .map_err(SttError::Decode)?;
            greedy::decode_rnnt(&mut self.nets, &frames, &mut stream.hyp)
                .map_err(SttError::Decode)?;
            let consumed = rows.min(shape.shift) * feat;
            stream.pending.drain(..consumed);
        }
    }

    fn transcribe_offline(&mut self, audio: &[f32]) -> Result<String, SttError> {
        let Kind::Offline { durations } = self.nets.spec.kind.clone() else {
            return Err(SttError::Decode("not an offline model".into()));
        };
        let mut features = self.mel.compute(audio);
        if self.nets.spec.normalize == Normalize::PerFeature {
            features.normalize_per_feature();
        }
        let frames = features.frames();
        let encoded = self
            .nets
            .encode(features.channels_first(), frames)
            .map_err(SttError::Decode)?;
        let mut hyp = self.fresh_hypothesis()?;
        if durations.is_empty() {
            greedy::decode_rnnt(&mut self.nets, &encoded, &mut hyp)
        } else {
            greedy::decode_tdt(&mut self.nets, &encoded, &durations, &mut hyp)
        }
        .map_err(SttError::Decode)?;
        Ok(self.nets.vocabulary.decode(&hyp.tokens))
    }
}

impl SpeechToText for NemoEngine {
    fn engine(&self) -> &'static str {
        if self.nets.spec.is_streaming() {
            "nemotron"
        } else {
            "parakeet"
        }
    }

    fn model_name(&self) -> &str {
        &self.name
    }

    /// From the metadata's `language` when present; otherwise by vocabulary size (the English
    /// models have 1024 pieces, Parakeet v3's 25 languages 8192).
    fn is_multilingual(&self) -> bool {
        match &self.nets.spec.languages {
            Some(languages) => languages.trim() != "en",
            None => self.nets.spec.vocab_size > 1025,
        }
    }

    fn transcribe(&mut self, audio: &[f32], request: &SttRequest) -> Result<SttOutput, SttError> {
        if request.translate {
            return Err(SttError::EnglishOnly {
                model: self.name.clone(),
                what: "translate (transducers only transcribe)".into(),
            });
        }
        if let Language::Code(code) = &request.language
            && code != "en"
            && !self.is_multilingual()
        {
            return Err(SttError::EnglishOnly {
                model: self.name.clone(),
                what: format!("transcribe {code:?}"),
            });
        }
        let text = if self.nets.spec.is_streaming() {
            let mut stream = self.start_stream()?;
            self.accept(&mut stream, audio)?;
            self.finish_stream(&mut stream)?
        } else {
            self.transcribe_offline(audio)?
        };
        let language = match &request.language {
            Language::Code(code) => Some(code.clone()),
            Language::Auto if !self.is_multilingual() => Some("en".into()),
            Language::Auto => None,
        };
        Ok(SttOutput {
            text,
            language,
            closing_confidence: None,
        })
    }

    fn live_start(&mut self) -> Result<bool, SttError> {
        self.live = None;
        if !self.nets.spec.is_streaming() {
            return Ok(false);
        }
        self.live = Some(self.start_stream()?);
        Ok(true)
    }

    fn live_push(&mut self, samples: &[f32]) -> Result<(), SttError> {
        let mut stream = self
            .live
            .take()
            .ok_or_else(|| SttError::Decode("no live recognition in progress".into()))?;
        let result = self.accept(&mut stream, samples);
        self.live = Some(stream);
        result
    }

    fn live_text(&self) -> String {
        self.live
            .as_ref()
            .map(|s| self.partial_text(s))
            .unwrap_or_default()
    }

    fn live_finish(&mut self) -> Result<String, SttError> {
        let mut stream = self
            .live
            .take()
            .ok_or_else(|| SttError::Decode("no live recognition in progress".into()))?;
        self.finish_stream(&mut stream)
    }
}
