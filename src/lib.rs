//! Utter's dictation engine: capture → voice activity detection → speech-to-text → text.
//!
//! Everything here runs headless; the desktop shell and the CLI are thin layers on top.
//! Stages talk through narrow types: 16 kHz mono `f32` samples, speech segments, text.

pub mod audio;
pub mod cleanup;
pub mod control;
pub mod crash;
pub mod eval;
pub mod history;
pub mod hotkey;
pub mod models;
pub mod onnx_runtime;
pub mod output;
pub mod paths;
pub mod privacy;
pub mod profiles;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod shortcut_portal;
pub mod spoken_commands;
pub mod streaming;
pub mod stt;
pub mod target;
pub mod text_rules;
pub mod transcriber;
pub mod turn;
pub mod vad;

/// The sample rate every stage after capture works at.
pub const SAMPLE_RATE: u32 = 16_000;
