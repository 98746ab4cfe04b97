//! Moonshine while the key is held: the words match decoding the whole recording at once, and
//! the recording indicator's text grows as the user speaks (a simulated microphone playing
//! real speech in real time through the app's session).

mod common;

use std::time::{Duration, Instant};

use common::moonshine_transcriber;
use utter::eval::corpus::Utterance;
use utter::eval::{normalize, word_error_rate};
use utter::session::{Input, SessionEvent};

fn utterances() -> Vec<Utterance> {
    common::eval_utterances(&[(10.0, 5), (30.0, 2)])
}

#[test]
fn streaming_gives_the_words_of_batch_decoding() {
    let mut t = moonshine_transcriber("moonshine-tiny-en");
    let (wb, ws, stats) = common::batch_and_streaming_wer(&mut t, &utterances());
    let refreshes: usize = stats.iter().map(|s| s.refreshes).sum();
    assert!(
        refreshes >= 10,
        "refreshed while speech went on ({refreshes})"
    );
    assert!(
        wb < 0.20,
        "batch WER {wb:.3} is implausible for Moonshine tiny"
    );
    assert!(ws <= wb + 0.01, "streaming WER {ws:.3} vs batch {wb:.3}");
}

#[test]
fn the_indicator_text_grows_while_the_key_is_held() {
    let u = utterances().into_iter().next().expect("a 10 s utterance");
    let sink = common::Collect::default();
    let (session, mic, played, events) =
        common::english_session(moonshine_transcriber("moonshine-tiny-en"), sink.clone());
    mic.queue(u.samples.clone());
    session.send(Input::Press(Instant::now()));
    // Text shown while the audio is still playing, i.e. while the key is held.
    let mut partials: Vec<(Instant, String)> = Vec::new();
    let mut done_playing = None;
    let released_at = loop {
        if done_playing.is_none() {
            done_playing = played.try_recv().ok();
        }
        if let Ok(SessionEvent::Partial { text }) = events.recv_timeout(Duration::from_millis(20)) {
            partials.push((Instant::now(), text));
        }
        // The speaker is done; the key stays down a moment longer if a busy machine has the
        // decoder lagging behind the voice (as a user holding the key in silence would).
        let caught_up = partials.len() >= 4;
        if done_playing.is_some_and(|at| caught_up || at.elapsed() > Duration::from_secs(10)) {
            break Instant::now();
        }
    };
    session.send(Input::Release(Instant::now()));
    let report = loop {
        match events
            .recv_timeout(Duration::from_secs(60))
            .expect("dictation finished")
        {
            SessionEvent::Finished { report } => break report,
            SessionEvent::Partial { text } => partials.push((Instant::now(), text)),
            _ => {}
        }
    };
    let held: Vec<&String> = partials
        .iter()
        .filter(|(at, _)| *at <= released_at)
        .map(|(_, text)| text)
        .collect();
    eprintln!("{held:#?}\nfinal: {}", report.text);
    assert!(
        held.len() >= 4,
        "the text changed {} times while held",
        held.len()
    );
    let words = |t: &str| normalize(t).len();
    // It grows: later guesses hold more words, and the last one held most of what was said.
    assert!(words(held[held.len() - 1]) > words(held[0]));
    let first_half = &held[..held.len() / 2];
    assert!(first_half.iter().all(|t| words(t) < words(&u.reference)));
    let wer = word_error_rate(&u.reference, held[held.len() - 1]);
    assert!(
        wer <= 0.5,
        "last text while held: {:?}",
        held[held.len() - 1]
    );
    // And the dictation's words are right.
    let wer = word_error_rate(&u.reference, &report.text);
    assert!(wer <= 0.25, "WER {wer:.2}: {:?}", report.text);
    assert_eq!(sink.0.lock().unwrap().concat().trim(), report.text.trim());
}

/// A corpus clip cut right after its last word: a key let go as the speaker finishes.
fn cut_at_last_word(file: &str) -> utter::eval::corpus::Clip {
    let clips = utter::eval::corpus::load_clips(&common::shared_dir().join("eval"), "en")
        .expect("eval corpus");
    let mut clip = clips
        .into_iter()
        .find(|c| c.path.file_name().is_some_and(|n| n == file))
        .expect("clip in the corpus");
    utter::audio::trim_trailing_silence(&mut clip.samples, 0);
    clip
}

/// Moonshine cut off at the last word says the last sentence again ("The frosty air passed
/// through the co-coat. The frosty air passed through the co-coat. The frosty"): it hears
/// the silence the VAD's padding would have given it had the recording gone on.
#[test]
fn a_recording_stopped_at_the_last_word_is_not_said_twice() {
    let mut t = moonshine_transcriber("moonshine-base-en");
    for file in ["en_harvard_frosty.wav", "en_harvard_spk2_snt5.wav"] {
        let clip = cut_at_last_word(file);
        let batch = t
            .transcribe(&clip.samples, &common::english())
            .unwrap()
            .text;
        let (streamed, _) = common::stream(&mut t, &clip.samples, 320);
        for text in [&batch, &streamed] {
            eprintln!("{file}: {text}");
            let wer = word_error_rate(&clip.reference, text);
            assert!(
                normalize(text).len() <= normalize(&clip.reference).len() && wer <= 0.25,
                "{file}: {text:?} (WER {wer:.2}) for {:?}",
                clip.reference
            );
        }
    }
}

/// The key comes up a moment into a word begun after the last refresh: shorter than the
/// VAD's shortest speech, it is no speech segment, but it is a word — it is decoded, not left
/// out by reusing the refresh.
#[test]
fn a_word_begun_after_the_last_refresh_is_decoded_at_the_release() {
    let mut t = moonshine_transcriber("moonshine-base-en");
    let clip = cut_at_last_word("en_harvard_spk1_snt5.wav");
    let refreshed_through = |t: &mut utter::transcriber::Transcriber, audio: &[f32]| {
        let mut s = utter::streaming::StreamingTranscription::new(t, common::english());
        let mut ends = Vec::new();
        for block in audio.chunks(320) {
            s.push(t, block);
            let through = s.partial().through;
            if ends.last() != Some(&through) && through > 0 {
                ends.push(through);
            }
        }
        ends
    };
    let refreshes = refreshed_through(&mut t, &clip.samples);
    assert!(refreshes.len() >= 2, "refreshes at {refreshes:?}");
    // Let go 160 ms (5 VAD frames, under the 250 ms of speech a segment needs) after each
    // refresh: the words are those of decoding the whole recording, the one after the
    // refresh too.
    for &through in &refreshes {
        let cut = &clip.samples[..(through + 160 * 16).min(clip.samples.len())];
        let (streamed, stats) = common::stream(&mut t, cut, 320);
        let batch = t.transcribe(cut, &common::english()).unwrap().text;
        eprintln!(
            "let go at {} ms: {streamed:?} (batch {batch:?}, {stats:?})",
            cut.len() / 16
        );
        assert_eq!(
            normalize(&streamed),
            normalize(&batch),
            "let go 160 ms after the refresh at {} ms (refresh reused: {})",
            through / 16,
            stats.reused_decode
        );
    }
}
