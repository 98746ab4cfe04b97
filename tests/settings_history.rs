//! The settings window's history, driven through WebDriver like a user: search, delete, the
//! stage timeline, play, copy, re-transcribe; correcting dictations and marking them right puts
//! them in the golden set, and a word corrected twice is offered for the vocabulary.

mod common;

use std::time::{Duration, Instant};

use common::desktop_app::desktop_bin;
use common::models_dir;
use common::settings_window::{TITLE, open_section};
use common::webdriver::Driver;
use common::xserver::XServer;

#[test]
fn history_in_the_window_searches_plays_copies_retranscribes_and_corrects() {
    let x = XServer::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("recordings")).unwrap();
    // A past dictation whose text came out wrong (say, with another model).
    let wav = data.join("recordings/1.wav");
    std::fs::copy(common::clip("jfk.wav"), &wav).unwrap();
    let history = utter::history::History::open(&data.join("history.sqlite3")).unwrap();
    let id = history.record(Some(&wav), 11.0).unwrap();
    history
        .set_transcript(id, "and so my fellow american ask knot", "old-model", None)
        .unwrap();
    history
        .set_status(id, utter::history::Status::Delivered, None)
        .unwrap();
    history
        .add_timings(
            id,
            &[
                ("release_to_text", 123.4),
                ("vad", 3.0),
                ("stt", 80.0),
                ("output", 20.0),
            ],
        )
        .unwrap();

    // Another, newer one, to search past and delete.
    let old_wav = data.join("recordings/2.wav");
    std::fs::copy(common::clip("beckett.wav"), &old_wav).unwrap();
    let old = history.record(Some(&old_wav), 10.0).unwrap();
    history
        .set_transcript(old, "ever tried ever failed", "old-model", None)
        .unwrap();
    history
        .set_status(old, utter::history::Status::Delivered, None)
        .unwrap();

    // Two where a name came out as other words: corrected, they make a vocabulary proposal.
    let mut misheard = Vec::new();
    for (n, heard) in [
        (3, "deploy it to cube and eighties"),
        (4, "the cube and eighties cluster is down"),
    ] {
        let wav = data.join(format!("recordings/{n}.wav"));
        std::fs::copy(common::clip("jfk.wav"), &wav).unwrap();
        let k = history.record(Some(&wav), 11.0).unwrap();
        history.set_transcript(k, heard, "old-model", None).unwrap();
        misheard.push(k);
    }
    let (k1, k2) = (misheard[0], misheard[1]);

    let driver = Driver::start(|cmd| {
        cmd.env("DISPLAY", &x.display)
            .env("UTTER_CONFIG_DIR", dir.path().join("config"))
            .env("UTTER_DATA_DIR", &data)
            .env("UTTER_MODELS_DIR", models_dir())
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1")
            // A desktop set to dark: the window follows it.
            .env("GTK_THEME", "Adwaita:dark");
    });
    let model = models_dir().join("ggml-tiny.en-q8_0.bin");
    let args = ["--settings", "--model", model.to_str().unwrap()];
    let session = driver.open(&desktop_bin(), &args, TITLE);
    session.find("body[data-ready='true']");
    let background = session.script("return getComputedStyle(document.body).backgroundColor");
    assert_eq!(background, "rgb(17, 24, 39)", "dark like the desktop");
    open_section(&session, "history");
    let entries = "return Array.from(document.querySelectorAll('#history li')).map(li => Number(li.dataset.id))";
    let wait_entries = |want: serde_json::Value| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while session.script(entries) != want {
            assert!(
                Instant::now() < deadline,
                "history shows {} not {want} ({})",
                session.script(entries),
                session.text("#status")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_entries(serde_json::json!([k2, k1, old, id]));
    // Search finds dictations by their words.
    session.type_into("#history-search", "failed");
    wait_entries(serde_json::json!([old]));
    // (The list is drawn again once typing pauses; let it settle before clicking in it.)
    std::thread::sleep(Duration::from_millis(500));
    wait_entries(serde_json::json!([old]));
    // Delete forgets the dictation and its recording.
    session.click(&format!("#history li[data-id='{old}'] button.delete"));
    wait_entries(serde_json::json!([]));
    assert!(!old_wav.exists(), "the recording is deleted too");
    assert!(history.get(old).is_err());
    // Backspace over the search (U+E003 is Backspace in WebDriver): all dictations again.
    session.type_into("#history-search", &"\u{E003}".repeat("failed".len()));
    wait_entries(serde_json::json!([k2, k1, id]));
    let entry = format!("#history li[data-id='{id}']");
    let shown = session.wait_text(&entry, |t| t.contains("ask knot"));
    // Where the time went is visible, what the user waited for first.
    assert!(
        shown.contains("release to text 123 ms · vad 3 ms · stt 80 ms · output 20 ms"),
        "{shown}"
    );
    // ...and as a timeline: a bar per stage after the release, to scale.
    let bars = session.script(&format!(
        "return Array.from(document.querySelectorAll(\"{entry} .timeline .bar\")).map(b => \
         [b.dataset.stage, b.title, Math.round(b.getBoundingClientRect().width)])"
    ));
    let bars = bars.as_array().expect("bars").clone();
    let stages: Vec<&str> = bars.iter().filter_map(|b| b[0].as_str()).collect();
    assert_eq!(stages, ["vad", "stt", "output"], "{bars:?}");
    assert_eq!(bars[1][1], "stt 80 ms");
    let width = |i: usize| bars[i][2].as_f64().unwrap();
    assert!(
        width(1) > 3.0 * width(2) && width(2) > width(0),
        "to scale: {bars:?}"
    );

    // Play hands the kept recording to an audio element (intercepted: no sound device here).
    session.script(
        "window.__played = null; const A = window.Audio; \
         window.Audio = function (src) { const a = new A(src); \
           a.play = () => { window.__played = src; return Promise.resolve(); }; return a; };",
    );
    session.click(&format!("{entry} button.play"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let played = loop {
        if let Some(src) = session.script("return window.__played;").as_str() {
            break src.to_string();
        }
        assert!(Instant::now() < deadline, "Play did not play anything");
        std::thread::sleep(Duration::from_millis(100));
    };
    let wav = played
        .strip_prefix("data:audio/wav;base64,")
        .unwrap_or_else(|| panic!("not a WAV data URL: {:.60}", played));
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, wav).unwrap();
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes)).unwrap();
    let seconds = reader.duration() as f64 / f64::from(reader.spec().sample_rate);
    assert!(
        (seconds - 11.0).abs() < 0.1,
        "the whole recording: {seconds} s"
    );

    // Copy puts the text on the clipboard.
    session.click(&format!("{entry} button.copy"));
    session.wait_text("#status", |t| t == "Copied");
    assert_eq!(x.clipboard(), "and so my fellow american ask knot");

    // Re-transcribe runs the current model on the kept audio and updates the entry.
    session.click(&format!("{entry} button.retranscribe"));
    session.wait_text("#status", |t| t == "Transcribed again");
    let text = session.wait_text(&entry, |t| !t.contains("ask knot"));
    assert!(text.contains("ask not what your country"), "{text}");
    let raw = history.get(id).unwrap().raw_text.unwrap();
    assert!(
        utter::eval::word_error_rate(common::JFK, &raw) <= 0.1,
        "{raw}"
    );

    // "Right": the text as it is joins the golden set.
    session.click(&format!("{entry} button.confirm"));
    session.find(&format!("{entry}[data-golden='true'] .badge.golden"));
    assert_eq!(
        history.get(id).unwrap().reference.as_deref(),
        Some(raw.as_str())
    );
    session.find(&format!("{entry} button.unmark"));

    // "Correct": edit in place what was really said; it is kept as the reference.
    for (k, said) in [
        (k1, "Deploy it to Kubernetes."),
        (k2, "The Kubernetes cluster is down."),
    ] {
        let li = format!("#history li[data-id='{k}']");
        session.click(&format!("{li} button.correct"));
        let field = format!("{li} .correction input");
        assert_eq!(
            session.property(&field, "value").as_str(),
            history.get(k).unwrap().raw_text.as_deref()
        );
        session.clear(&field);
        session.type_into(&field, said);
        session.click(&format!("{li} .correction button.keep"));
        let shown = session.wait_text(&format!("{li}[data-golden='true']"), |t| {
            t.contains("really said")
        });
        assert!(shown.contains(said), "{shown}");
        assert_eq!(history.get(k).unwrap().reference.as_deref(), Some(said));
    }
    assert_eq!(history.golden().unwrap().len(), 3);

    // Corrected twice, "Kubernetes" is offered for the vocabulary; Add puts it there.
    open_section(&session, "words");
    let proposal = "#vocabulary-proposals .proposal[data-word='Kubernetes']";
    let offered = session.text(proposal);
    assert!(offered.contains("corrected in 2 dictations"), "{offered}");
    session.click(&format!("{proposal} button.add"));
    session.find("body[data-saved='true']");
    assert_eq!(session.property("#vocabulary", "value"), "Kubernetes");
    let saved = std::fs::read_to_string(dir.path().join("config/settings.toml")).unwrap();
    assert!(saved.contains("Kubernetes"), "{saved}");
    assert_eq!(
        session.script(&format!(
            "return document.querySelector(\"{proposal}\") === null"
        )),
        true
    );
    session.close();
}
