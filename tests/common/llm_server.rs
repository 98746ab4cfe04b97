//! A scripted OpenAI-compatible server on 127.0.0.1: real sockets, real HTTP/1.1, real JSON and
//! server-sent events. Each test says how the server answers; the server records what it got.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The messages' contents, by role.
    pub fn message(&self, role: &str) -> String {
        self.body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == role)
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// How to answer a chat completion.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal completion whose message content is this text.
    Text(String),
    /// Any status and raw body.
    Raw { status: u16, body: String },
    /// Server-sent events carrying these content pieces; `finish` ends the stream properly,
    /// otherwise the connection is closed mid-way.
    Stream { pieces: Vec<String>, finish: bool },
    /// Wait, then answer.
    After(Duration, Box<Reply>),
}

impl Reply {
    pub fn text(s: &str) -> Reply {
        Reply::Text(s.to_string())
    }
}

type Script = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct LlmServer {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
    port: u16,
}

impl LlmServer {
    /// Serve `script` for every chat completion; `GET /models` lists `models`.
    pub fn start(
        models: &[&str],
        script: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> LlmServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script: Arc<Script> = Arc::new(script);
        let models: Vec<String> = models.iter().map(|m| m.to_string()).collect();
        let connections = Arc::new(AtomicUsize::new(0));
        let accept = {
            let seen = Arc::clone(&seen);
            let stop = Arc::clone(&stop);
            let connections = Arc::clone(&connections);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let seen = Arc::clone(&seen);
                    let script = Arc::clone(&script);
                    let models = models.clone();
                    std::thread::spawn(move || serve_connection(conn, &seen, &*script, &models));
                }
            })
        };
        LlmServer {
            url: format!("http://127.0.0.1:{port}/v1"),
            seen,
            stop,
            connections,
            accept: Some(accept),
            port,
        }
    }

    /// Answer every chat completion the same way.
    pub fn always(reply: Reply) -> LlmServer {
        LlmServer::start(&["test-model"], move |_| reply.clone())
    }

    /// TCP connections accepted so far (a client that keeps connections alive opens one).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn chat_requests(&self) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .collect()
    }
}

impl Drop for LlmServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Keep-alive: serve requests on one connection until the client closes it.
fn serve_connection(conn: TcpStream, seen: &Mutex<Vec<Seen>>, script: &Script, models: &[String]) {
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut out = conn;
    while let Some(request) = read_request(&mut reader) {
        seen.lock().unwrap().push(request.clone());
        let keep_open = if request.method == "GET" && request.path.ends_with("/models") {
            let data: Vec<_> = models
                .iter()
                .map(|m| serde_json::json!({"id": m, "object": "model"}))
                .collect();
            let body = serde_json::json!({"object": "list", "data": data}).to_string();
            respond(&mut out, 200, "application/json", &body)
        } else if request.path.ends_with("/chat/completions") {
            answer(&mut out, script(&request))
        } else {
            respond(&mut out, 404, "text/plain", "not found")
        };
        if !keep_open {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    })
}

fn respond(out: &mut TcpStream, status: u16, content_type: &str, body: &str) -> bool {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes()).is_ok() && out.write_all(body.as_bytes()).is_ok()
}

fn completion(text: &str) -> String {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }]
    })
    .to_string()
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    let value = serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    });
    format!("data: {value}\n\n")
}

/// Returns whether the connection may serve another request.
fn answer(out: &mut TcpStream, reply: Reply) -> bool {
    match reply {
        Reply::Text(text) => respond(out, 200, "application/json", &completion(&text)),
        Reply::Raw { status, body } => respond(out, status, "application/json", &body),
        Reply::After(delay, inner) => {
            std::thread::sleep(delay);
            answer(out, *inner)
        }
        Reply::Stream { pieces, finish } => {
            // Chunked transfer encoding, as real servers stream.
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                        Transfer-Encoding: chunked\r\n\r\n";
            if out.write_all(head.as_bytes()).is_err() {
                return false;
            }
            let mut events = vec![chunk(serde_json::json!({"role": "assistant"}), None)];
            events.extend(
                pieces
                    .iter()
                    .map(|p| chunk(serde_json::json!({"content": p}), None)),
            );
            if finish {
                events.push(chunk(serde_json::json!({}), Some("stop")));
                events.push("data: [DONE]\n\n".to_string());
            }
            for event in events {
                let framed = format!("{:x}\r\n{event}\r\n", event.len());
                if out.write_all(framed.as_bytes()).is_err() {
                    return false;
                }
                let _ = out.flush();
                std::thread::sleep(Duration::from_millis(10));
            }
            if finish {
                out.write_all(b"0\r\n\r\n").is_ok()
            } else {
                // Cut: close the socket without ending the chunked body.
                let _ = out.shutdown(std::net::Shutdown::Both);
                false
            }
        }
    }
}
