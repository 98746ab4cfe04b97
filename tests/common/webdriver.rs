//! Driving the real settings window through WebDriver: tauri-driver in front of WebKitGTK's
//! WebKitWebDriver, spoken to over plain W3C WebDriver HTTP.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tauri-driver on free ports; it starts the app when a session is created.
pub struct Driver {
    child: Child,
    native_port: u16,
    url: String,
    http: reqwest::blocking::Client,
}

fn tauri_driver() -> std::path::PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|d| d.join("bin/tauri-driver"));
    match cargo_bin {
        Some(path) if path.exists() => path,
        _ => "tauri-driver".into(),
    }
}

impl Driver {
    /// `configure` sets the environment the app will inherit (display, data dirs, ...).
    pub fn start(configure: impl FnOnce(&mut Command)) -> Driver {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new(tauri_driver());
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ]);
        Driver::spawn(
            cmd,
            port,
            native,
            configure,
            "tauri-driver starts (cargo install tauri-driver --locked)",
        )
    }

    /// WebKitGTK's own WebDriver, for pages opened in its MiniBrowser (see [`Driver::browse`]).
    pub fn start_browser(configure: impl FnOnce(&mut Command)) -> Driver {
        let port = free_port();
        let mut cmd = Command::new("WebKitWebDriver");
        cmd.arg(format!("--port={port}"));
        Driver::spawn(
            cmd,
            port,
            port,
            configure,
            "WebKitWebDriver starts (apt install webkit2gtk-driver)",
        )
    }

    fn spawn(
        mut cmd: Command,
        port: u16,
        native: u16,
        configure: impl FnOnce(&mut Command),
        what: &str,
    ) -> Driver {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        configure(&mut cmd);
        let child = cmd.spawn().expect(what);
        let driver = Driver {
            child,
            native_port: native,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while driver
            .http
            .get(format!("{}/status", driver.url))
            .send()
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "the WebDriver server did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{}", self.url, path);
        let request = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body.unwrap_or(json!({})).to_string()),
        };
        let response = request.send().expect("WebDriver request");
        let status = response.status();
        let text = response.text().unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "WebDriver {method} {path}: {status} {text}"
        );
        value["value"].clone()
    }

    /// Open `url` in WebKitGTK's MiniBrowser (a driver from [`Driver::start_browser`]).
    pub fn browse(&self, url: &str) -> Session<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {
                "binary": "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                "args": ["--automation"]
            }
        }}});
        let session = self.new_session(caps);
        session.call("POST", "/url", Some(json!({"url": url})));
        session
    }

    fn new_session(&self, capabilities: Value) -> Session<'_> {
        let created = self.call("POST", "/session", Some(capabilities));
        let id = created["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        Session { driver: self, id }
    }

    /// Start the app with `args` and attach to the window titled `title`.
    pub fn open(&self, application: &Path, args: &[&str], title: &str) -> Session<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": application, "args": args}
        }}});
        let session = self.new_session(caps);
        session.switch_to_window_titled(title);
        session
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // tauri-driver does not stop the WebKitWebDriver it started; we do.
        let native = format!("WebKitWebDriver --port={}", self.native_port);
        let _ = Command::new("pkill")
            .args(["-KILL", "-f", &native])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
    }

    fn switch_to_window_titled(&self, title: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let handles = self.call("GET", "/window/handles", None);
            for handle in handles.as_array().into_iter().flatten() {
                self.call("POST", "/window", Some(json!({"handle": handle})));
                if self.call("GET", "/title", None).as_str() == Some(title) {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no window titled {title:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let result = self
                .driver
                .http
                .post(format!("{}/session/{}/element", self.driver.url, self.id))
                .header("Content-Type", "application/json")
                .body(json!({"using": "css selector", "value": css}).to_string())
                .send()
                .and_then(|r| r.text());
            if let Ok(text) = result {
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if let Some(id) = v["value"][ELEMENT_KEY].as_str() {
                    return id.to_string();
                }
            }
            assert!(Instant::now() < deadline, "no element {css:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    pub fn clear(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        );
    }

    /// An element's DOM property (e.g. "value" of an input).
    pub fn property(&self, css: &str, name: &str) -> Value {
        let el = self.find(css);
        self.call("GET", &format!("/element/{el}/property/{name}"), None)
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.call("GET", &format!("/element/{el}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Wait until the element's text satisfies `ok`.
    pub fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let t = self.text(css);
            if ok(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "{css}: text stayed {t:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Wait up to `timeout` for an element (which may not exist yet) whose text satisfies `ok`.
    pub fn wait_text_for(&self, css: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        let source = format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            serde_json::to_string(css).unwrap()
        );
        loop {
            let text = self.script(&source);
            if let Some(t) = text.as_str().filter(|t| ok(t)) {
                return t.to_string();
            }
            assert!(Instant::now() < deadline, "{css}: text stayed {text}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Run JavaScript in the page and return its result (for diagnostics).
    pub fn script(&self, source: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": source, "args": []})),
        )
    }

    /// End the session (tauri-driver closes the app).
    pub fn close(self) {
        let _ = self.call("DELETE", "", None);
    }
}
