//! Decoding while the key is held gives the same words as decoding the whole recording at
//! once: real speech clips joined into dictation-length utterances, real models.

mod common;

use common::{stream, transcriber};
use utter::eval::corpus::Utterance;
use utter::eval::{normalize, word_error_rate};
use utter::streaming::StreamingTranscription;
use utter::transcriber::TranscribeOptions;

/// Blocks as the capture thread delivers them (20 ms).
const BLOCK: usize = 320;

fn options() -> TranscribeOptions {
    common::english()
}

fn utterances() -> Vec<Utterance> {
    common::eval_utterances(&[(10.0, 5), (30.0, 1)])
}

#[test]
fn streaming_is_as_accurate_as_batch_on_real_speech() {
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let (wb, ws, stats) = common::batch_and_streaming_wer(&mut t, &utterances());
    let commits: usize = stats.iter().map(|s| s.committed_segments).sum();
    assert!(
        commits >= 6,
        "the stream really decoded while recording ({commits} commits)"
    );
    assert!(wb < 0.15, "batch WER {wb:.3} is implausible for tiny.en");
    assert!(ws <= wb + 0.01, "streaming WER {ws:.3} vs batch {wb:.3}");
}

#[test]
fn block_size_does_not_change_the_text() {
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let u = &utterances()[0];
    let (small, stats) = stream(&mut t, &u.samples, BLOCK);
    let commits = stats.committed_segments;
    let (large, _) = stream(&mut t, &u.samples, 16_000);
    let (one_piece, _) = stream(&mut t, &u.samples, u.samples.len());
    assert!(commits >= 1);
    assert_eq!(small, large);
    // Pushed in one piece, every decision is taken inside one push: same cuts, same text.
    assert_eq!(small, one_piece);
}

#[test]
fn decodes_given_up_at_the_release_lose_no_words() {
    // Whisper's decodes are expensive: once the key is up, any decode still to run is left to
    // the release's own decode, which must then cover it (committed stretches included).
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let u = &utterances()[5];
    let batch = t.transcribe(&u.samples, &options()).unwrap().text;
    let released = utter::stt::StopFlag::default();
    let mut s =
        StreamingTranscription::with_release_flag(&mut t, options(), Some(released.clone()));
    let (held, after) = u.samples.split_at(u.samples.len() / 3);
    for chunk in held.chunks(BLOCK) {
        s.push(&mut t, chunk);
    }
    // The key comes up; the rest of the audio is still in the queue.
    released.store(true, std::sync::atomic::Ordering::Relaxed);
    for chunk in after.chunks(BLOCK) {
        s.push(&mut t, chunk);
    }
    let (out, stats) = s.finish(&mut t, &u.samples).unwrap();
    assert!(stats.decodes_stopped >= 1, "{stats:?}");
    let (wb, ws) = (
        word_error_rate(&u.reference, &batch),
        word_error_rate(&u.reference, &out.text),
    );
    assert!(ws <= wb + 0.02, "{:?} vs batch {:?}", out.text, batch);
    assert!(
        normalize(&out.text).len() + 2 >= normalize(&batch).len(),
        "{:?}",
        out.text
    );
}
