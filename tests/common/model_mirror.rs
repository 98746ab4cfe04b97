//! A model mirror on 127.0.0.1 (`UTTER_MODEL_MIRROR`): Moonshine's packages built from the
//! shared model files, served whole or slowly (to see a download in progress and cancel it).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use utter::models::Catalog;

use super::models_dir;

pub struct Mirror {
    pub url: String,
    slow: Arc<AtomicBool>,
}

impl Mirror {
    /// Serves `files` (by name) until the test process ends.
    pub fn serve(files: HashMap<String, Vec<u8>>) -> Mirror {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a free port");
        let url = format!("http://{}", server.server_addr());
        let slow = Arc::new(AtomicBool::new(false));
        let throttle = slow.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let name = request.url().trim_start_matches('/').to_string();
                let Some(body) = files.get(&name).cloned() else {
                    let _ = request.respond(tiny_http::Response::empty(404));
                    continue;
                };
                let length = body.len();
                let reader = Throttled {
                    body: std::io::Cursor::new(body),
                    slow: throttle.clone(),
                };
                let response =
                    tiny_http::Response::new(200.into(), vec![], reader, Some(length), None);
                // Each response on its own thread: a slow one must not hold up the next.
                std::thread::spawn(move || {
                    let _ = request.respond(response);
                });
            }
        });
        Mirror { url, slow }
    }

    /// Slow: about 1.6 MB/s, so a download of tens of MB is seen in progress.
    pub fn set_slow(&self, slow: bool) {
        self.slow.store(slow, Ordering::SeqCst);
    }
}

struct Throttled {
    body: std::io::Cursor<Vec<u8>>,
    slow: Arc<AtomicBool>,
}

impl Read for Throttled {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.slow.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
            let n = buf.len().min(32 * 1024);
            return self.body.read(&mut buf[..n]);
        }
        self.body.read(buf)
    }
}

fn tgz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    // Other files of the package come along, as in the real one.
    let mut all = vec![("package/package.json", b"{}".to_vec())];
    all.extend(members.iter().map(|(n, d)| (*n, d.clone())));
    for (name, data) in all {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn wheel(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("moonshine_onnx/__init__.py", options)
        .unwrap();
    for (name, data) in members {
        zip.start_file(*name, options).unwrap();
        std::io::Write::write_all(&mut zip, data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The packages the catalog names for `model` (a Moonshine model), built from the shared model
/// files; `tamper` flips a byte in the decoder.
pub fn moonshine_packages(model: &str, tamper: bool) -> HashMap<String, Vec<u8>> {
    let entry = Catalog::builtin().get(model).unwrap().clone();
    let mut by_package: HashMap<String, Vec<(&str, Vec<u8>)>> = HashMap::new();
    for part in &entry.parts {
        let mut data = std::fs::read(models_dir().join(model).join(&part.file)).unwrap();
        if tamper && part.file.starts_with("decoder") {
            data[1000] ^= 0xff;
        }
        let package = part.url.rsplit('/').next().unwrap().to_string();
        by_package
            .entry(package)
            .or_default()
            .push((part.member.as_str(), data));
    }
    assert_eq!(by_package.len(), 2, "a .tgz and a wheel");
    by_package
        .into_iter()
        .map(|(name, members)| {
            let body = if name.ends_with(".tgz") {
                tgz(&members)
            } else {
                wheel(&members)
            };
            (name, body)
        })
        .collect()
}
