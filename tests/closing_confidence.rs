//! The recogniser's confidence in the full stop that closes its text, with the real models:
//! high where a sentence really ends, low where the speech was cut after words that could
//! end one ("The child almost" | "hurt the small dog."). Hands-free reads it so that a pause
//! in mid-sentence is not taken for the end.

mod common;

use common::{models_dir, shared_dir};
use utter::stt::{MoonshineEngine, SpeechToText, SttRequest, WhisperEngine};
use utter::turn::{EndParams, ends_with_closing_mark, reads_finished};

const SR: f64 = 16_000.0;

fn eval_clip(name: &str) -> Vec<f32> {
    let path = shared_dir().join(format!("eval/audio/{name}.wav"));
    utter::audio::load_mono_16k(&path).expect("clip decodes")
}

fn engines() -> Vec<Box<dyn SpeechToText>> {
    let whisper = |file: &str| -> Box<dyn SpeechToText> {
        Box::new(WhisperEngine::load(&models_dir().join(file), file, 1).expect("model loads"))
    };
    let moonshine = |folder: &str| -> Box<dyn SpeechToText> {
        Box::new(MoonshineEngine::load(&models_dir().join(folder), folder, 1).expect("model loads"))
    };
    vec![
        whisper("ggml-tiny.en-q8_0.bin"),
        whisper("ggml-base-q8_0.bin"),
        moonshine("moonshine-tiny-en"),
        moonshine("moonshine-base-en"),
    ]
}

fn english() -> SttRequest {
    SttRequest {
        language: utter::stt::Language::Code("en".into()),
        ..SttRequest::default()
    }
}

/// Finished sentences and the moment in them (s) where the words so far could end a sentence
/// but the speaker has not finished: "Mr. Quilter is the apostle of the middle | classes…",
/// "The child almost | hurt the small dog.", "The frosty air | passed through the coat."
const CUT: [(&str, f64); 3] = [
    ("en_librispeech_quilter", 2.64),
    ("en_harvard_spk1_snt1", 1.22),
    ("en_harvard_frosty", 1.56),
];

/// Every engine that tells its confidence is sure of the stop at a real end, and at a cut
/// either writes none or is unsure of it — so the transcript, read with its confidence, says
/// "not finished" at every cut. Moonshine writes a full stop after almost anything, so read
/// without the confidence its transcript would say "finished" at some cut (the test would
/// fail without the confidence).
#[test]
fn the_full_stop_is_sure_at_a_sentence_end_and_unsure_where_the_speech_was_cut() {
    let threshold = EndParams::DEFAULT.full_stop_above;
    for mut engine in engines() {
        let name = engine.model_name().to_string();
        let mut stop_written_at_a_cut = false;
        for (clip, cut_s) in CUT {
            let audio = eval_clip(clip);
            let whole = engine.transcribe(&audio, &english()).unwrap();
            assert!(
                reads_finished(&whole.text),
                "{name} {clip}: {:?}",
                whole.text
            );
            let sure = whole.closing_confidence.expect("the engine tells");
            assert!(sure > threshold, "{name} {clip}: {sure} {:?}", whole.text);

            let cut = engine
                .transcribe(&audio[..(cut_s * SR) as usize], &english())
                .unwrap();
            let reads = reads_finished(&cut.text);
            stop_written_at_a_cut |= reads;
            let confident = cut.closing_confidence.is_none_or(|p| p > threshold);
            assert!(
                !(reads && confident),
                "{name} {clip} cut at {cut_s} s: {:?} {:?}",
                cut.text,
                cut.closing_confidence
            );
            // The confidence is that of the closing mark: none without one.
            if !ends_with_closing_mark(&cut.text) {
                assert_eq!(cut.closing_confidence, None, "{name}: {:?}", cut.text);
            }
        }
        if name.starts_with("moonshine") {
            assert!(stop_written_at_a_cut, "{name} writes a stop at some cut");
        }
    }
}
