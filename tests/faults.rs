//! Faults that really happen on desktops, through the session with real models: the recording
//! is on disk while it is made (so a kill cannot lose it), a full disk still delivers the
//! text, and a model download on a full disk stops cleanly.

mod common;

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::tmpfs::Tmpfs;
use common::{Collect, JFK, load_clip, transcriber};
use utter::history::{History, Status};
use utter::session::{DictationReport, Input, Pipeline, Session, SessionEvent};
use utter::settings::Settings;

/// A push-to-talk session typing into `sink`, keeping its history and recordings in `data`.
fn session(
    data: &Path,
    sink: Collect,
) -> (
    Session,
    utter::audio::SimulatedMicrophone,
    Receiver<SessionEvent>,
) {
    let pipeline = Pipeline {
        transcriber: Some(transcriber("ggml-tiny.en-q8_0.bin")),
        cleaner: None,
        output: Box::new(sink),
        history: Some(History::open(&data.join("history.sqlite3")).unwrap()),
        recordings_dir: Some(data.join("recordings")),
    };
    let settings = Settings {
        language: "en".into(),
        ..Settings::default()
    };
    let (mic, _played) = utter::audio::SimulatedMicrophone::new();
    let (tx, events) = std::sync::mpsc::channel();
    let session = Session::start_with_source(settings, pipeline, Box::new(mic.clone()), move |e| {
        let _ = tx.send(e);
    });
    (session, mic, events)
}

fn finished(events: &Receiver<SessionEvent>) -> DictationReport {
    loop {
        let event = events
            .recv_timeout(Duration::from_secs(60))
            .expect("the dictation ends");
        if let SessionEvent::Finished { report } = event {
            return *report;
        }
    }
}

fn wav_seconds(path: &Path) -> f64 {
    let reader = hound::WavReader::open(path).expect("a readable WAV");
    f64::from(reader.duration()) / 16_000.0
}

#[test]
fn a_recording_is_on_disk_and_in_the_history_while_it_is_made() {
    let data = tempfile::tempdir().unwrap();
    let sink = Collect::default();
    let (session, mic, events) = session(data.path(), sink.clone());
    let speech = load_clip("jfk.wav");
    mic.queue(speech.clone());
    session.send(Input::Press(Instant::now()));
    std::thread::sleep(Duration::from_secs(4));

    // Mid-dictation, as a kill would find it: entered as recording, its audio readable.
    let history = History::open(&data.path().join("history.sqlite3")).unwrap();
    let entry = history.search("", 1).unwrap().remove(0);
    assert_eq!(entry.status, Status::Recording);
    let wav = entry.audio_path.clone().expect("a recording file");
    let so_far = wav_seconds(&wav);
    assert!((3.0..5.0).contains(&so_far), "{so_far} s on disk after 4 s");

    std::thread::sleep(Duration::from_secs_f64(
        speech.len() as f64 / 16_000.0 - 3.5,
    ));
    session.send(Input::Release(Instant::now()));
    let report = finished(&events);
    assert!(report.warning.is_none(), "{report:?}");
    assert!(
        utter::eval::word_error_rate(JFK, &report.text) < 0.2,
        "{}",
        report.text
    );
    let entry = history.get(entry.id).unwrap();
    assert_eq!(entry.status, Status::Delivered);
    assert_eq!(entry.audio_path.as_deref(), Some(wav.as_path()));
    assert!(
        (wav_seconds(&wav) - entry.audio_s).abs() < 0.05,
        "the whole recording"
    );
    assert!(entry.audio_s > 10.0, "{}", entry.audio_s);

    // A cancelled recording leaves neither a file nor an entry.
    mic.queue(speech[..16_000 * 2].to_vec());
    session.send(Input::Press(Instant::now()));
    std::thread::sleep(Duration::from_secs(1));
    session.send(Input::Cancel);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(history.search("", 10).unwrap().len(), 1);
    let files = std::fs::read_dir(data.path().join("recordings"))
        .unwrap()
        .count();
    assert_eq!(files, 1);
}

#[test]
fn on_a_full_disk_the_text_is_still_delivered_and_the_entry_says_the_audio_was_lost() {
    let Some(disk) = Tmpfs::mount(1024) else {
        return;
    };
    let data = disk.path();
    let sink = Collect::default();
    let (session, mic, events) = session(data, sink.clone());
    // Room for the history's writes, not for an 11 s recording (350 KB).
    disk.fill_leaving(160 * 1024);
    let speech = load_clip("jfk.wav");
    mic.queue(speech.clone());
    session.send(Input::Press(Instant::now()));
    std::thread::sleep(Duration::from_secs_f64(
        speech.len() as f64 / 16_000.0 + 0.3,
    ));
    session.send(Input::Release(Instant::now()));
    let report = finished(&events);

    assert!(
        utter::eval::word_error_rate(JFK, &report.text) < 0.2,
        "{}",
        report.text
    );
    assert_eq!(sink.0.lock().unwrap().len(), 1, "the text was delivered");
    let warning = report.warning.clone().expect("the user is told");
    assert!(warning.contains("could not be saved"), "{warning}");
    assert!(
        warning.to_lowercase().contains("space"),
        "says why: {warning}"
    );
    // The history records it; no half recording is left taking space.
    let history = History::open(&data.join("history.sqlite3")).unwrap();
    let entry = history
        .get(report.history_id.expect("in the history"))
        .unwrap();
    assert_eq!(entry.audio_path, None);
    assert!(
        entry
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("could not be saved"),
        "{entry:?}"
    );
    assert_eq!(entry.raw_text.as_deref().map(str::is_empty), Some(false));
    let left = std::fs::read_dir(data.join("recordings"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "the partial recording was removed");
}

#[test]
fn a_model_download_on_a_full_disk_stops_with_a_clear_message_and_no_model_file() {
    let Some(disk) = Tmpfs::mount(4096) else {
        return;
    };
    // A real HTTP server with a 3 MB model; the disk has less than that free.
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/model.bin", server.server_addr());
    std::thread::spawn(move || {
        for request in server.incoming_requests().take(2) {
            let _ = request.respond(tiny_http::Response::from_data(body.clone()));
        }
    });
    disk.fill_leaving(1024 * 1024);
    let dest = disk.path().join("models").join("model.bin");
    let downloader = utter::models::Downloader::new(utter::models::DownloadOptions {
        stall_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap();
    let err = downloader
        .download(&url, 3_000_000, None, &dest, &mut |_| {})
        .expect_err("there is no room");
    let message = err.to_string();
    assert!(message.contains("disk space"), "{message}");
    assert!(!dest.exists(), "no model file where one is expected");
}
