//! The model downloader against a real HTTP server on 127.0.0.1: resume, checksum, 404, stall.

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tiny_http::{Header, Response, Server};
use utter::models::{DownloadError, DownloadOptions, Downloader};

#[derive(Clone, Copy)]
enum Behaviour {
    Serve,
    IgnoreRange,
    NotFound,
}

struct TestServer {
    url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

fn serve(body: Vec<u8>, behaviour: Behaviour) -> TestServer {
    let server = Server::http("127.0.0.1:0").expect("bind a free port");
    let url = format!("http://{}/model.bin", server.server_addr());
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ranges);
    thread::spawn(move || {
        for request in server.incoming_requests().take(4) {
            let range = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Range"))
                .map(|h| h.value.as_str().to_string());
            seen.lock().unwrap().push(range.clone());
            let start = match (behaviour, range) {
                (Behaviour::Serve, Some(r)) => r
                    .trim_start_matches("bytes=")
                    .trim_end_matches('-')
                    .parse()
                    .unwrap_or(0),
                _ => 0usize,
            };
            let _ = match behaviour {
                Behaviour::NotFound => {
                    request.respond(Response::from_string("no such model").with_status_code(404))
                }
                _ => {
                    let status = if start > 0 { 206 } else { 200 };
                    let mut response =
                        Response::from_data(body[start..].to_vec()).with_status_code(status);
                    if start > 0 {
                        let value = format!("bytes {}-{}/{}", start, body.len() - 1, body.len());
                        response.add_header(Header::from_bytes("Content-Range", value).unwrap());
                    }
                    request.respond(response)
                }
            };
        }
    });
    TestServer { url, ranges }
}

fn payload() -> (Vec<u8>, String) {
    let body: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let sha = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (body, sha)
}

fn downloader(stall: Duration) -> Downloader {
    Downloader::new(DownloadOptions {
        stall_timeout: stall,
        connect_timeout: Duration::from_secs(5),
    })
    .unwrap()
}

/// Download all of `body` from `server` to `dest` and check it arrived whole.
fn download_whole(server: &TestServer, body: &[u8], sha: &str, dest: &std::path::Path) {
    downloader(Duration::from_secs(10))
        .download(&server.url, body.len() as u64, Some(sha), dest, &mut |_| {})
        .unwrap();
    assert_eq!(std::fs::read(dest).unwrap(), body);
}

#[test]
fn downloads_verify_and_rename_into_place() {
    let (body, sha) = payload();
    let server = serve(body.clone(), Behaviour::Serve);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    let mut last = 0;
    downloader(Duration::from_secs(10))
        .download(
            &server.url,
            body.len() as u64,
            Some(&sha),
            &dest,
            &mut |p| last = p.downloaded,
        )
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), body);
    assert_eq!(last, body.len() as u64);
    assert!(!dir.path().join("model.bin.partial").exists());
}

#[test]
fn an_interrupted_download_resumes_with_a_range_request() {
    let (body, sha) = payload();
    let server = serve(body.clone(), Behaviour::Serve);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    std::fs::write(dir.path().join("model.bin.partial"), &body[..1_234_567]).unwrap();
    download_whole(&server, &body, &sha, &dest);
    assert_eq!(
        server.ranges.lock().unwrap().as_slice(),
        &[Some("bytes=1234567-".to_string())]
    );
}

#[test]
fn a_server_that_ignores_range_still_gives_a_correct_file() {
    let (body, sha) = payload();
    let server = serve(body.clone(), Behaviour::IgnoreRange);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    std::fs::write(dir.path().join("model.bin.partial"), &body[..1000]).unwrap();
    download_whole(&server, &body, &sha, &dest);
}

#[test]
fn a_checksum_mismatch_discards_the_file() {
    let (body, _) = payload();
    let server = serve(body.clone(), Behaviour::Serve);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    let wrong = "0".repeat(64);
    let err = downloader(Duration::from_secs(10))
        .download(
            &server.url,
            body.len() as u64,
            Some(&wrong),
            &dest,
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, DownloadError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"));
    assert!(!dest.exists());
    assert!(!dir.path().join("model.bin.partial").exists());
}

#[test]
fn http_404_is_reported() {
    let server = serve(Vec::new(), Behaviour::NotFound);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    let err = downloader(Duration::from_secs(10))
        .download(&server.url, 100, Some(&"0".repeat(64)), &dest, &mut |_| {})
        .unwrap_err();
    assert!(
        matches!(err, DownloadError::Http { status: 404, .. }),
        "{err}"
    );
    assert!(!dest.exists());
}

#[test]
fn a_stalled_server_times_out_and_keeps_the_partial_file() {
    let (body, sha) = payload();
    // A raw socket, so the first 1000 bytes are really on the wire before the server goes quiet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/model.bin", listener.local_addr().unwrap());
    let head = body[..1000].to_vec();
    let total = body.len();
    thread::spawn(move || {
        use std::io::Write;
        if let Ok((mut socket, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            let _ = write!(socket, "HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n");
            let _ = socket.write_all(&head);
            let _ = socket.flush();
            thread::sleep(Duration::from_secs(5));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    let err = downloader(Duration::from_secs(1))
        .download(&url, body.len() as u64, Some(&sha), &dest, &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, DownloadError::Stalled { .. }), "{err}");
    assert!(!dest.exists());
    let partial = std::fs::metadata(dir.path().join("model.bin.partial"))
        .unwrap()
        .len();
    assert_eq!(
        partial, 1000,
        "bytes received before the stall are kept for resuming"
    );
}

#[test]
fn the_cli_downloads_a_catalog_model_from_a_mirror_and_rejects_a_wrong_one() {
    let vad = std::fs::read(common::models_dir().join("silero_vad.onnx")).unwrap();
    let server = serve(vad.clone(), Behaviour::Serve);
    let models = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::utter_bin())
        .args(["models", "download", "silero-vad", "--url", &server.url])
        .env("UTTER_MODELS_DIR", models.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(models.path().join("silero_vad.onnx")).unwrap(),
        vad
    );

    // The shared tiny.en file is a local quantization: its checksum differs from upstream's.
    let tiny = std::fs::read(common::models_dir().join("ggml-tiny.en-q8_0.bin")).unwrap();
    let server = serve(tiny, Behaviour::Serve);
    let out = std::process::Command::new(common::utter_bin())
        .args(["models", "download", "tiny.en-q8_0", "--url", &server.url])
        .env("UTTER_MODELS_DIR", models.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("size mismatch") || err.contains("checksum mismatch"),
        "{err}"
    );
    assert!(!models.path().join("ggml-tiny.en-q8_0.bin").exists());
}

#[test]
fn a_cancelled_download_stops_keeps_its_bytes_and_resumes_later() {
    let (body, sha) = payload();
    let server = serve(body.clone(), Behaviour::Serve);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("model.bin");
    let cancel = utter::stt::StopFlag::default();
    let flag = cancel.clone();
    // The user presses Cancel once the first bytes have arrived.
    let err = downloader(Duration::from_secs(10))
        .cancelled_by(cancel)
        .download(
            &server.url,
            body.len() as u64,
            Some(&sha),
            &dest,
            &mut |p| {
                if p.downloaded > 0 {
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            },
        )
        .expect_err("cancelled");
    assert!(matches!(err, DownloadError::Cancelled { .. }), "{err}");
    assert!(err.to_string().contains("resume"), "{err}");
    assert!(!dest.exists(), "no model file where one is expected");
    let kept = std::fs::metadata(dir.path().join("model.bin.partial"))
        .unwrap()
        .len();
    assert!(kept > 0 && kept < body.len() as u64, "{kept}");
    // Downloading again picks up where it stopped.
    download_whole(&server, &body, &sha, &dest);
    assert_eq!(
        server.ranges.lock().unwrap().last().cloned().flatten(),
        Some(format!("bytes={kept}-"))
    );
}
