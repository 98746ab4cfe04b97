//! An OpenAI-compatible chat client: one HTTP client reused for every request (connections
//! kept alive), a hard deadline per call, streaming and non-streaming replies.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::config::Provider;
use super::prompt::Message;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("no reply within {0} ms")]
    Timeout(u64),
    #[error("cannot reach {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("HTTP {status} from the LLM server: {message}")]
    Http { status: u16, message: String },
    #[error("the LLM server sent a reply that is not a chat completion: {0}")]
    Malformed(String),
    #[error("the LLM reply was empty")]
    Empty,
    #[error("the streamed reply was cut off before it finished")]
    StreamCut,
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl LlmError {
    /// A stable machine-readable name (history, JSON).
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Timeout(_) => "timeout",
            LlmError::Connect { .. } => "connection_failed",
            LlmError::Http { .. } => "http_error",
            LlmError::Malformed(_) => "malformed_reply",
            LlmError::Empty => "empty_reply",
            LlmError::StreamCut => "stream_cut",
            LlmError::Setup(_) => "client_setup",
        }
    }
}

/// One chat completion request.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub temperature: f32,
    pub max_tokens: u32,
    pub stream: bool,
}

#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::blocking::Client,
    base_url: String,
    api_key: Option<String>,
    provider: Provider,
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: &'a [Message],
    temperature: f32,
    stream: bool,
}

impl LlmClient {
    pub fn new(
        provider: Provider,
        base_url: &str,
        api_key: Option<String>,
    ) -> Result<LlmClient, LlmError> {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // An upper bound for abandoned background requests; callers wait less.
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(300))
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(concat!("utter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Setup(e.to_string()))?;
        Ok(LlmClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.filter(|k| !k.trim().is_empty()),
            provider,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url, path)
    }

    fn authorized(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        let request = request.header("X-Title", "Utter");
        match &self.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    fn body(&self, req: &ChatRequest) -> Value {
        let mut body = serde_json::to_value(Body {
            model: &req.model,
            messages: &req.messages,
            temperature: req.temperature,
            stream: req.stream,
        })
        .unwrap_or_else(|_| Value::Object(Default::default()));
        // OpenAI's newer models only accept the new name of this field.
        let limit_field = if self.provider == Provider::OpenAi {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        if let Value::Object(map) = &mut body {
            map.insert(limit_field.into(), req.max_tokens.into());
            if let Value::Object(extra) = self.provider.no_thinking_fields() {
                map.extend(extra);
            }
        }
        body
    }

    /// Send a chat completion and return the reply's text, or an error, by `deadline` at the
    /// latest. The request runs on a worker thread so that no stage of it (connect, headers,
    /// a slow body) can hold the caller past the deadline.
    pub fn chat(&self, req: &ChatRequest, deadline: Instant) -> Result<String, LlmError> {
        let body = self.body(req);
        let request = self.authorized(
            self.http
                .post(self.url("chat/completions"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        );
        let stream = req.stream;
        let url = self.base_url.clone();
        self.run_until(deadline, move || {
            let response = send(request, &url)?;
            if stream {
                read_stream(response)
            } else {
                read_completion(response)
            }
        })
    }

    /// Model ids offered by the server (`GET /models`).
    pub fn list_models(&self, timeout: Duration) -> Result<Vec<String>, LlmError> {
        let request = self.authorized(self.http.get(self.url("models")));
        let url = self.base_url.clone();
        self.run_until(Instant::now() + timeout, move || {
            let response = send(request, &url)?;
            let text = response
                .text()
                .map_err(|e| LlmError::Malformed(e.to_string()))?;
            parse_models(&text)
        })
    }

    /// Measure a round trip to the server (used by "test connection").
    pub fn ping(&self, timeout: Duration) -> Result<(Duration, usize), LlmError> {
        let start = Instant::now();
        let models = self.list_models(timeout)?;
        Ok((start.elapsed(), models.len()))
    }

    fn run_until<T: Send + 'static>(
        &self,
        deadline: Instant,
        job: impl FnOnce() -> Result<T, LlmError> + Send + 'static,
    ) -> Result<T, LlmError> {
        let budget = deadline.saturating_duration_since(Instant::now());
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("utter-llm".into())
            .spawn(move || {
                let _ = tx.send(job());
            })
            .map_err(|e| LlmError::Setup(e.to_string()))?;
        match rx.recv_timeout(budget) {
            Ok(result) => result,
            Err(_) => Err(LlmError::Timeout(budget.as_millis() as u64)),
        }
    }
}

fn send(
    request: reqwest::blocking::RequestBuilder,
    url: &str,
) -> Result<reqwest::blocking::Response, LlmError> {
    let response = request.send().map_err(|e| LlmError::Connect {
        url: url.to_string(),
        reason: root_cause(&e),
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().unwrap_or_default();
    Err(LlmError::Http {
        status: status.as_u16(),
        message: error_message(&body),
    })
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's own error message when it sent one, else the start of the body.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    message.unwrap_or_else(|| body.chars().take(200).collect())
}

fn read_completion(response: reqwest::blocking::Response) -> Result<String, LlmError> {
    let text = response
        .text()
        .map_err(|e| LlmError::Malformed(format!("reading the body: {e}")))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        LlmError::Malformed(format!(
            "{e}: {}",
            text.chars().take(120).collect::<String>()
        ))
    })?;
    let choice = value
        .pointer("/choices/0")
        .ok_or_else(|| LlmError::Malformed("no choices in the reply".into()))?;
    match choice.pointer("/message/content") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) | Some(Value::Null) => Err(LlmError::Empty),
        _ => Err(LlmError::Malformed(
            "the choice has no message content".into(),
        )),
    }
}

/// Read a server-sent-events stream of chat chunks to the end. A stream that stops without
/// `[DONE]` or a finish reason was cut off; its partial text is never used.
fn read_stream(response: reqwest::blocking::Response) -> Result<String, LlmError> {
    let mut text = String::new();
    let mut finished = false;
    for line in BufReader::new(response).lines() {
        let line = line.map_err(|_| LlmError::StreamCut)?;
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        let data = data.trim();
        if data == "[DONE]" {
            finished = true;
            break;
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|e| LlmError::Malformed(format!("bad stream chunk: {e}")))?;
        if let Some(message) = chunk.pointer("/error/message").and_then(Value::as_str) {
            return Err(LlmError::Http {
                status: 200,
                message: message.to_string(),
            });
        }
        if let Some(piece) = chunk
            .pointer("/choices/0/delta/content")
            .and_then(Value::as_str)
        {
            text.push_str(piece);
        }
        if chunk
            .pointer("/choices/0/finish_reason")
            .is_some_and(|r| !r.is_null())
        {
            finished = true;
        }
    }
    if !finished {
        return Err(LlmError::StreamCut);
    }
    if text.trim().is_empty() {
        return Err(LlmError::Empty);
    }
    Ok(text)
}

fn parse_models(body: &str) -> Result<Vec<String>, LlmError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| LlmError::Malformed(format!("model list: {e}")))?;
    let list = value
        .get("data")
        .or_else(|| value.get("models"))
        .and_then(Value::as_array)
        .ok_or_else(|| LlmError::Malformed("model list has no \"data\" array".into()))?;
    let mut ids: Vec<String> = list
        .iter()
        .filter_map(|m| m.get("id").or_else(|| m.get("name")))
        .filter_map(Value::as_str)
        .map(|id| id.trim_start_matches("models/").to_string())
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_lists_from_openai_and_gemini_shapes() {
        let openai = r#"{"object":"list","data":[{"id":"gpt-4o-mini"},{"id":"gpt-4o"}]}"#;
        assert_eq!(parse_models(openai).unwrap(), ["gpt-4o", "gpt-4o-mini"]);
        let gemini = r#"{"data":[{"id":"models/gemini-2.5-flash"}]}"#;
        assert_eq!(parse_models(gemini).unwrap(), ["gemini-2.5-flash"]);
        assert!(matches!(parse_models("{}"), Err(LlmError::Malformed(_))));
    }

    #[test]
    fn server_error_messages_are_extracted() {
        assert_eq!(
            error_message(r#"{"error":{"message":"model not found"}}"#),
            "model not found"
        );
        assert_eq!(error_message(r#"{"error":"bad key"}"#), "bad key");
        assert_eq!(error_message("Bad Gateway"), "Bad Gateway");
    }

    #[test]
    fn thinking_is_switched_off_where_supported_and_limits_named_per_provider() {
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![],
            temperature: 0.0,
            max_tokens: 99,
            stream: false,
        };
        let ollama = LlmClient::new(Provider::Ollama, "http://x/v1/", None).unwrap();
        assert_eq!(ollama.base_url(), "http://x/v1");
        let body = ollama.body(&req);
        assert_eq!(body["reasoning_effort"], "none");
        assert_eq!(body["max_tokens"], 99);
        let openai = LlmClient::new(Provider::OpenAi, "http://x/v1", None).unwrap();
        let body = openai.body(&req);
        assert_eq!(body["max_completion_tokens"], 99);
        assert!(body.get("reasoning_effort").is_none());
    }
}
