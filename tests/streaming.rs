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

/// Hands-free decodes each pause early; a speaker who goes on makes that decode a waste, and
/// the listener stops it. Here every early decode is stopped the moment it runs: the pauses'
/// own decodes (and the release) still give the words; left alone, the early decodes are the
/// pauses' transcripts, nothing decoded twice.
#[test]
fn early_decodes_stopped_when_the_speaker_goes_on_lose_no_words() {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    use utter::streaming::{ListeningDecodes, ResumeWatch};

    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let u = &utterances()[0];
    let batch = t.transcribe(&u.samples, &options()).unwrap().text;
    let decodes = ListeningDecodes {
        pause_ms: 200,
        early_pause_ms: Some(96),
    };
    let mut run = |stop_each: bool| {
        let watch = ResumeWatch::default();
        let finished = std::sync::Arc::new(AtomicBool::new(false));
        // The listener's part: speech heard after the audio being decoded.
        let stopper = stop_each.then(|| {
            let (watch, finished) = (watch.clone(), finished.clone());
            std::thread::spawn(move || {
                while !finished.load(Relaxed) {
                    if let Some(through) = watch.decoding() {
                        watch.heard_speech_through(through + 1);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            })
        });
        let mut s = StreamingTranscription::new(&mut t, options()).listening(decodes, watch);
        for chunk in u.samples.chunks(BLOCK) {
            s.push(&mut t, chunk);
        }
        let result = s.finish(&mut t, &u.samples).unwrap();
        finished.store(true, Relaxed);
        if let Some(thread) = stopper {
            thread.join().unwrap();
        }
        result
    };
    let (stopped, stopped_stats) = run(true);
    assert!(stopped_stats.early_stopped >= 1, "{stopped_stats:?}");
    assert_eq!(stopped_stats.early_used, 0, "{stopped_stats:?}");
    let (kept, kept_stats) = run(false);
    assert!(kept_stats.early_used >= 1, "{kept_stats:?}");
    assert_eq!(kept_stats.early_stopped, 0, "{kept_stats:?}");
    // The early decode replaced the pause's: no more decodes than pauses decoded.
    assert!(
        kept_stats.decodes <= stopped_stats.decodes,
        "{kept_stats:?} vs {stopped_stats:?}"
    );
    let wb = word_error_rate(&u.reference, &batch);
    for text in [&stopped.text, &kept.text] {
        let ws = word_error_rate(&u.reference, text);
        assert!(ws <= wb + 0.02, "{text:?} vs batch {batch:?}");
    }
}

/// A long dictation is not held twice: the stream lets go of the audio it has decoded for good
/// (the recording keeps all of it), and its text is still that of the whole recording.
#[test]
fn a_long_stream_lets_go_of_the_audio_it_has_decoded() {
    let mut t = transcriber("ggml-tiny.en-q8_0.bin");
    let u = common::eval_utterances(&[(90.0, 1)]).remove(0);
    let mut s = StreamingTranscription::new(&mut t, options());
    let mut most_held = 0;
    for block in u.samples.chunks(BLOCK) {
        s.push(&mut t, block);
        most_held = most_held.max(s.samples_held());
    }
    assert_eq!(s.samples_seen(), u.samples.len());
    let (streamed, stats) = s.finish(&mut t, &u.samples).expect("stream finishes");
    let batch = t.transcribe(&u.samples, &options()).unwrap();
    eprintln!(
        "{:.0} s, held at most {:.1} s, {} commits\n  batch:  {}\n  stream: {}",
        u.seconds(),
        most_held as f64 / 16_000.0,
        stats.committed_segments,
        batch.text,
        streamed.text
    );
    assert!(
        most_held < u.samples.len() / 3,
        "held {most_held} of {} samples",
        u.samples.len()
    );
    assert_eq!(streamed.audio_s, batch.audio_s);
    assert!((streamed.speech_s - batch.speech_s).abs() < 0.5);
    let (wb, ws) = (
        word_error_rate(&u.reference, &batch.text),
        word_error_rate(&u.reference, &streamed.text),
    );
    assert!(ws <= wb + 0.02, "streaming WER {ws:.3} vs batch {wb:.3}");
}
