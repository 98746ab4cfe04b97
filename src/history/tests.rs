//! History store tests against a real SQLite file.
use super::*;

fn outcome(raw: &str, cleaned: Option<&str>, used: Used, reason: &str) -> CleanupOutcome {
    CleanupOutcome {
        raw: raw.into(),
        cleaned: cleaned.map(String::from),
        used,
        reason: reason.into(),
        detail: None,
        llm_ms: Some(12.0),
        request: Some(
            serde_json::json!({"model": "m", "messages": [{"role": "user", "content": raw}]}),
        ),
    }
}

#[test]
fn a_dictation_is_filled_in_stage_by_stage() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let wav = dir.path().join("a.wav");
    std::fs::write(&wav, b"RIFF").unwrap();
    let id = history.record(Some(&wav), 3.5).unwrap();
    assert_eq!(history.get(id).unwrap().status, Status::Recorded);
    assert!(history.last_with_text().unwrap().is_none());

    history
        .set_transcript(id, "um hello world", "base-q8_0", Some("en"))
        .unwrap();
    history
        .set_cleanup(
            id,
            &outcome(
                "um hello world",
                Some("Hello, world."),
                Used::Cleaned,
                "cleaned",
            ),
        )
        .unwrap();
    history
        .add_timings(id, &[("stt", 812.345), ("llm", 240.0)])
        .unwrap();
    history.add_timings(id, &[("output", 30.0)]).unwrap();
    history.set_status(id, Status::Delivered, None).unwrap();

    let e = history.get(id).unwrap();
    assert_eq!(e.raw_text.as_deref(), Some("um hello world"));
    assert_eq!(e.final_text.as_deref(), Some("Hello, world."));
    assert_eq!(e.text_used.as_deref(), Some("cleaned"));
    assert_eq!(e.cleanup_reason.as_deref(), Some("cleaned"));
    // The trace: what was sent, what came back, and the verdict.
    let trace = e.cleanup_trace.as_ref().expect("a clean-up trace");
    assert_eq!(trace["request"]["messages"][0]["content"], "um hello world");
    assert_eq!(trace["reply"], "Hello, world.");
    assert_eq!(trace["used"], true);
    assert_eq!(e.timings["stt"], 812.35);
    assert_eq!(e.timings.len(), 3);
    assert_eq!(history.last_with_text().unwrap().unwrap().id, id);

    // A rejected clean-up keeps the raw text and says why.
    let id2 = history.record(None, 1.0).unwrap();
    history
        .set_transcript(id2, "what time is it", "m", None)
        .unwrap();
    history
        .set_cleanup(
            id2,
            &outcome(
                "what time is it",
                Some("It is 3 pm."),
                Used::Raw,
                "guard_answered_question",
            ),
        )
        .unwrap();
    let e2 = history.get(id2).unwrap();
    assert_eq!(e2.final_text.as_deref(), Some("what time is it"));
    assert_eq!(
        e2.cleanup_reason.as_deref(),
        Some("guard_answered_question")
    );
    assert_eq!(e2.cleaned_text.as_deref(), Some("It is 3 pm."));

    assert_eq!(history.search("WORLD", 10).unwrap().len(), 1);
    assert_eq!(history.search("", 10).unwrap().len(), 2);
    assert_eq!(history.search("100%", 10).unwrap().len(), 0);

    history.delete(id).unwrap();
    assert!(!wav.exists(), "audio deleted with the entry");
    assert!(matches!(history.get(id), Err(HistoryError::NotFound(_))));
}

#[test]
fn retention_keeps_the_newest_and_can_drop_audio() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let wav = dir.path().join(format!("{i}.wav"));
        std::fs::write(&wav, b"RIFF").unwrap();
        let id = history.record(Some(&wav), 1.0).unwrap();
        history
            .set_transcript(id, &format!("text {i}"), "m", None)
            .unwrap();
        history.set_status(id, Status::Delivered, None).unwrap();
        ids.push(id);
    }
    let forgotten = history
        .prune(&Retention {
            keep_last: Some(3),
            max_age_days: None,
            keep_audio: false,
        })
        .unwrap();
    assert_eq!(forgotten, 2);
    let left = history.search("", 10).unwrap();
    assert_eq!(
        left.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[4], ids[3], ids[2]]
    );
    assert!(left.iter().all(|e| e.audio_path.is_none()));
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "wav")
            })
            .count(),
        0
    );
}

#[test]
fn a_corrupt_database_is_kept_aside_and_a_new_one_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let garbage = b"this was a history database before the disk went bad".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let history = History::open(&path).unwrap();
    let aside = history
        .set_aside()
        .expect("the corrupt file was set aside")
        .to_path_buf();
    assert_eq!(std::fs::read(&aside).unwrap(), garbage, "kept as it was");
    assert!(
        history
            .set_aside_warning()
            .unwrap()
            .contains(&aside.display().to_string())
    );
    // Dictation goes on with the new one.
    let id = history.record(None, 1.0).unwrap();
    history
        .set_transcript(id, "still here", "tiny", None)
        .unwrap();
    assert_eq!(history.last_with_text().unwrap().unwrap().id, id);
    // The next start finds a good database and leaves it alone.
    drop(history);
    let again = History::open(&path).unwrap();
    assert!(again.set_aside().is_none());
    assert_eq!(
        again.get(id).unwrap().raw_text.as_deref(),
        Some("still here")
    );
}

#[test]
fn dictations_whose_process_died_are_interrupted_and_others_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    // A process that has ended, as a killed Utter would have.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let recording = history.begin(Some(Path::new("/nowhere/a.wav"))).unwrap();
    let transcribing = history.begin(None).unwrap();
    history.recorded(transcribing, None, 2.0, None).unwrap();
    let ours = history.begin(None).unwrap();
    for id in [recording, transcribing] {
        history
            .conn
            .execute(
                "UPDATE dictations SET pid = ?2 WHERE id = ?1",
                params![id, gone_pid],
            )
            .unwrap();
    }
    let interrupted = || -> Vec<i64> {
        let entries = history.interrupted().unwrap();
        entries.iter().map(|e| e.id).collect()
    };
    assert_eq!(interrupted(), [recording, transcribing]);
    assert_eq!(
        history.get(ours).unwrap().status,
        Status::Recording,
        "still ours"
    );
    assert_eq!(history.get(recording).unwrap().status, Status::Interrupted);
    // Recovered ones are not found again.
    history
        .set_status(recording, Status::Recovered, None)
        .unwrap();
    assert_eq!(interrupted(), [transcribing]);
}

/// A process id taken over by another process (after a reboot, or ids wrapping around) does
/// not keep a dead process's dictation waiting: the start time tells the two apart.
#[test]
fn a_process_id_taken_over_since_does_not_keep_a_dictation_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let mut running = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = running.id();
    let real_start = super::interrupted::process_start(pid).expect("/proc/PID/stat reads");
    let entry = |pid: u32, start: &str| {
        let id = history.begin(None).unwrap();
        history
            .conn
            .execute(
                "UPDATE dictations SET pid = ?2, process_start = ?3 WHERE id = ?1",
                params![id, pid, start],
            )
            .unwrap();
        id
    };
    let its_own = entry(pid, &real_start);
    let before_reboot = entry(pid, "another-boot:12345");
    // Our own id, from a process that had it before: not ours.
    let our_id_before = entry(std::process::id(), "another-boot:12345");
    let ours = history.begin(None).unwrap();
    let interrupted: Vec<i64> = history
        .interrupted()
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(interrupted, [before_reboot, our_id_before]);
    assert_eq!(history.get(its_own).unwrap().status, Status::Recording);
    assert_eq!(history.get(ours).unwrap().status, Status::Recording);
    running.kill().unwrap();
    running.wait().unwrap();
}

#[test]
fn an_old_database_gains_the_new_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(&SCHEMA.replace(",\n    pid            INTEGER", ""))
        .unwrap();
    old.execute(
        "INSERT INTO dictations (created_ms, status) VALUES (1, 'delivered')",
        [],
    )
    .unwrap();
    drop(old);
    let history = History::open(&path).unwrap();
    let id = history.begin(None).unwrap();
    assert_eq!(history.get(id).unwrap().status, Status::Recording);
    assert_eq!(history.search("", 10).unwrap().len(), 2);
}
