//! A desktop's GlobalShortcuts portal for tests: the session's own D-Bus bus (at
//! `$XDG_RUNTIME_DIR/bus`, where systemd puts it), Debian's real xdg-desktop-portal front end,
//! and — in place of KDE's or GNOME's back end, which grab the real key — a back end here that
//! binds what it is asked to and fires Activated/Deactivated when the test presses the "key".

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use super::sway::Sway;

const BACKEND_NAME: &str = "org.freedesktop.impl.portal.desktop.uttertest";
const DESKTOP_PATH: &str = "/org/freedesktop/portal/desktop";
const SHORTCUTS_IFACE: &str = "org.freedesktop.impl.portal.GlobalShortcuts";
/// XDG_CURRENT_DESKTOP of the session: the front end picks back ends listed for it.
const DESKTOP: &str = "utter-test";

/// A shortcut an app asked for: its id and the key it proposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub id: String,
    pub preferred_trigger: Option<String>,
}

#[derive(Default)]
struct Bound {
    session: Option<OwnedObjectPath>,
    shortcuts: Vec<Asked>,
}

struct Shortcuts(Arc<Mutex<Bound>>);

fn string_of(value: &OwnedValue) -> Option<String> {
    String::try_from(value.try_clone().ok()?).ok()
}

#[zbus::interface(name = "org.freedesktop.impl.portal.GlobalShortcuts")]
impl Shortcuts {
    async fn create_session(
        &self,
        _handle: OwnedObjectPath,
        session_handle: OwnedObjectPath,
        _app_id: String,
        _options: HashMap<String, OwnedValue>,
        #[zbus(object_server)] server: &zbus::ObjectServer,
    ) -> (u32, HashMap<String, OwnedValue>) {
        let _ = server.at(session_handle.as_ref(), ImplSession).await;
        self.0.lock().unwrap().session = Some(session_handle);
        (0, HashMap::new())
    }

    fn bind_shortcuts(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
        shortcuts: Vec<(String, HashMap<String, OwnedValue>)>,
        _parent_window: String,
        _options: HashMap<String, OwnedValue>,
    ) -> (u32, HashMap<String, OwnedValue>) {
        let mut answer: Vec<(String, HashMap<String, Value>)> = Vec::new();
        let mut asked = Vec::new();
        for (id, info) in shortcuts {
            let preferred_trigger = info.get("preferred_trigger").and_then(string_of);
            let description = info.get("description").and_then(string_of);
            // As KDE does: the proposed key is taken.
            let trigger = preferred_trigger.clone().unwrap_or_default();
            let mut details = HashMap::new();
            details.insert(
                "description".to_string(),
                Value::from(description.unwrap_or_default()),
            );
            details.insert("trigger_description".to_string(), Value::from(trigger));
            answer.push((id.clone(), details));
            asked.push(Asked {
                id,
                preferred_trigger,
            });
        }
        self.0.lock().unwrap().shortcuts = asked;
        let mut results = HashMap::new();
        results.insert(
            "shortcuts".to_string(),
            OwnedValue::try_from(Value::new(answer)).unwrap(),
        );
        (0, results)
    }

    fn list_shortcuts(
        &self,
        _handle: OwnedObjectPath,
        _session_handle: OwnedObjectPath,
    ) -> (u32, HashMap<String, OwnedValue>) {
        (0, HashMap::new())
    }

    #[zbus(property)]
    fn version(&self) -> u32 {
        1
    }
}

struct ImplSession;

#[zbus::interface(name = "org.freedesktop.impl.portal.Session")]
impl ImplSession {
    fn close(&self) {}
}

/// A D-Bus session bus, xdg-desktop-portal on it and (unless `without_shortcuts`) the test's
/// GlobalShortcuts back end; all stopped (by process id) when dropped.
pub struct ShortcutsPortal {
    bus: Child,
    frontend: Option<Child>,
    address: String,
    runtime: tokio::runtime::Runtime,
    connection: Option<zbus::Connection>,
    bound: Arc<Mutex<Bound>>,
    log: PathBuf,
}

impl ShortcutsPortal {
    /// A desktop whose portal offers GlobalShortcuts (as KDE and GNOME 48 do).
    pub fn start(sway: &Sway) -> ShortcutsPortal {
        Self::start_with(sway, true)
    }

    /// A desktop whose portal has no GlobalShortcuts back end (as sway's own, wlr, has not).
    pub fn start_without_shortcuts(sway: &Sway) -> ShortcutsPortal {
        Self::start_with(sway, false)
    }

    fn start_with(sway: &Sway, shortcuts: bool) -> ShortcutsPortal {
        let runtime_dir = sway.runtime_dir();
        let socket = runtime_dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        let log = runtime_dir.join("portal.log");
        // The session bus's own rules, and root (this test, playing the desktop) let in.
        let config = runtime_dir.join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig>\
                 <include>/usr/share/dbus-1/session.conf</include>\
                 <policy context=\"default\"><allow user=\"root\"/><allow user=\"{}\"/></policy>\
                 </busconfig>\n",
                super::sway::USER
            ),
        )
        .unwrap();
        sway.account.own(&config);
        let bus = sway
            .command("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--nopidfile", "--address"])
            .arg(&address)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("dbus-daemon runs (apt install dbus-daemon)");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut portal = ShortcutsPortal {
            bus,
            frontend: None,
            address,
            runtime,
            connection: None,
            bound: Arc::default(),
            log,
        };
        wait_for(&socket, "the session bus socket", &portal);
        if shortcuts {
            // The back end owns its name before the front end looks for it.
            let server = Shortcuts(Arc::clone(&portal.bound));
            let connection = portal.runtime.block_on(async {
                zbus::connection::Builder::address(portal.address.as_str())?
                    .name(BACKEND_NAME)?
                    .serve_at(DESKTOP_PATH, server)?
                    .build()
                    .await
            });
            portal.connection =
                Some(connection.unwrap_or_else(|e| panic!("the test back end joins the bus: {e}")));
        }
        let portals = runtime_dir.join("portals");
        std::fs::create_dir_all(&portals).unwrap();
        let interfaces = if shortcuts { SHORTCUTS_IFACE } else { "" };
        std::fs::write(
            portals.join("uttertest.portal"),
            format!(
                "[portal]\nDBusName={BACKEND_NAME}\nInterfaces={interfaces};\nUseIn={DESKTOP}\n"
            ),
        )
        .unwrap();
        sway.account.own(&portals);
        let frontend = sway
            .command("/usr/libexec/xdg-desktop-portal")
            .arg("--verbose")
            .envs(portal.env())
            .env("XDG_DESKTOP_PORTAL_DIR", &portals)
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&portal.log)
                    .unwrap(),
            )
            .spawn()
            .expect("xdg-desktop-portal runs (apt install xdg-desktop-portal)");
        portal.frontend = Some(frontend);
        portal.wait_for_frontend();
        portal
    }

    /// What an app in this session needs to find the bus and the portal.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.address.clone()),
            ("XDG_CURRENT_DESKTOP", DESKTOP.to_string()),
        ]
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for_frontend(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let owned = || {
            self.runtime.block_on(async {
                let connection = zbus::connection::Builder::address(self.address.as_str())
                    .ok()?
                    .build()
                    .await
                    .ok()?;
                let dbus = zbus::fdo::DBusProxy::new(&connection).await.ok()?;
                let name = "org.freedesktop.portal.Desktop".try_into().ok()?;
                dbus.name_has_owner(name).await.ok()
            }) == Some(true)
        };
        while !owned() {
            assert!(
                Instant::now() < deadline,
                "xdg-desktop-portal never took its name:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until an app has bound its shortcuts; what it asked for.
    pub fn wait_bound(&self, timeout: Duration) -> Vec<Asked> {
        let deadline = Instant::now() + timeout;
        loop {
            let shortcuts = self.bound.lock().unwrap().shortcuts.clone();
            if !shortcuts.is_empty() {
                return shortcuts;
            }
            assert!(
                Instant::now() < deadline,
                "no app bound a shortcut:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The desktop saw the shortcut's key go down.
    pub fn press(&self, id: &str) {
        self.emit("Activated", id);
    }

    /// … and come up.
    pub fn release(&self, id: &str) {
        self.emit("Deactivated", id);
    }

    fn emit(&self, signal: &str, id: &str) {
        let session = self
            .bound
            .lock()
            .unwrap()
            .session
            .clone()
            .expect("a session was created");
        let connection = self.connection.as_ref().expect("the back end runs");
        let timestamp = 0u64;
        let options: HashMap<String, OwnedValue> = HashMap::new();
        self.runtime
            .block_on(connection.emit_signal(
                None::<&str>,
                DESKTOP_PATH,
                SHORTCUTS_IFACE,
                signal,
                &(session, id, timestamp, options),
            ))
            .unwrap_or_else(|e| panic!("{signal}: {e}"));
    }
}

fn wait_for(path: &Path, what: &str, portal: &ShortcutsPortal) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "no {what} at {}:\n{}",
            path.display(),
            portal.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for ShortcutsPortal {
    fn drop(&mut self) {
        if let Some(mut frontend) = self.frontend.take() {
            let _ = frontend.kill();
            let _ = frontend.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
