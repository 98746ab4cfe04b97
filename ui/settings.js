// The settings window: loads the settings from the app, edits them, saves them back.
const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;
const $ = (id) => document.getElementById(id);
let current = null;

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").style.color = isError ? "var(--bad)" : "var(--ok)";
}

// One section at a time, chosen in the sidebar (Up/Down move between the entries).
function showSection(name) {
  for (const button of document.querySelectorAll("#sections button")) {
    const chosen = button.dataset.section === name;
    if (chosen) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
    $("section-" + button.dataset.section).hidden = !chosen;
  }
}
for (const button of document.querySelectorAll("#sections button")) {
  button.onclick = () => showSection(button.dataset.section);
  button.onkeydown = (e) => {
    const buttons = [...document.querySelectorAll("#sections button")];
    const step = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    const next = buttons[(buttons.indexOf(button) + step + buttons.length) % buttons.length];
    next.focus();
    showSection(next.dataset.section);
    e.preventDefault();
  };
}

function lines(text) {
  return text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
}

function showWarnings(list) {
  $("warnings").hidden = list.length === 0;
  $("warnings").textContent = list.join("\n");
}
async function refreshWarnings() {
  showWarnings((await invoke("get_settings")).warnings);
}

function fill(view) {
  const s = view.settings;
  current = s;
  $("hotkey").value = s.hotkey;
  $("mode").value = s.mode;
  setLanguage(s.language);
  $("translate").checked = s.translate;
  $("vocabulary").value = s.vocabulary.join("\n");
  $("replacements").value = s.replacements.map((r) => `${r.from} => ${r.to}`).join("\n");
  $("output-method").value = s.output.method;
  $("paste-keys").value = s.output.paste_keys;
  $("trailing-space").checked = s.output.trailing_space;
  $("wayland-typing").value = s.output.wayland_typing;
  $("start-at-login").checked = s.start_at_login;
  $("speed-strategy").value = s.speed.strategy;
  $("speed-audio-context").value = s.speed.audio_context;
  $("speed-unload").value = s.speed.unload_after_idle_minutes;
  $("hf-pause").value = s.hands_free.pause_ms;
  $("hf-finished-above").value = s.hands_free.finished_above;
  $("hf-read-transcript").checked = s.hands_free.read_transcript;
  $("hf-full-stop-above").value = s.hands_free.full_stop_above;
  $("hf-end-silence").value = s.hands_free.end_silence_ms;
  $("hf-likely-end").value = s.hands_free.likely_end_silence_ms;
  $("hf-max").value = s.hands_free.max_seconds;
  $("hf-follow-on").value = s.hands_free.follow_on_ms;
  const c = s.cleanup;
  $("cleanup-enabled").checked = c.enabled;
  $("cleanup-provider").value = c.provider;
  $("cleanup-base-url").value = c.base_url || "";
  $("cleanup-model").value = c.model;
  $("cleanup-timeout").value = c.timeout_ms;
  $("cleanup-min-words").value = c.min_words;
  fillPrompts(c);
  $("cleanup-app-context").checked = c.app_context;
  $("spoken-commands").checked = s.spoken_commands;
  fillProfiles(s.profiles);
  $("settings-path").textContent = "Settings file: " + view.settings_path;
  $("session-state").textContent = view.state;
  showWarnings(view.warnings);
}

function collect() {
  const s = structuredClone(current);
  s.hotkey = $("hotkey").value;
  s.mode = $("mode").value;
  s.microphone = $("microphone").value || null;
  s.model = $("model").value || null;
  s.language = $("language").value || "auto";
  s.translate = $("translate").checked;
  s.vocabulary = lines($("vocabulary").value);
  s.replacements = lines($("replacements").value)
    .map((l) => l.split("=>"))
    .filter((p) => p.length === 2)
    .map(([from, to]) => ({ from: from.trim(), to: to.trim() }));
  s.output.method = $("output-method").value;
  s.output.paste_keys = $("paste-keys").value;
  s.output.trailing_space = $("trailing-space").checked;
  s.output.wayland_typing = $("wayland-typing").value;
  s.start_at_login = $("start-at-login").checked;
  s.speed.strategy = $("speed-strategy").value;
  s.speed.audio_context = $("speed-audio-context").value;
  s.speed.unload_after_idle_minutes = Math.max(0, parseFloat($("speed-unload").value) || 0);
  const number = (id, fallback) => {
    const v = parseFloat($(id).value);
    return Number.isFinite(v) ? v : fallback;
  };
  const hf = s.hands_free;
  hf.pause_ms = Math.round(Math.max(100, number("hf-pause", hf.pause_ms)));
  hf.finished_above = Math.min(1, Math.max(0, number("hf-finished-above", hf.finished_above)));
  hf.read_transcript = $("hf-read-transcript").checked;
  hf.full_stop_above = Math.min(1, Math.max(0, number("hf-full-stop-above", hf.full_stop_above)));
  hf.end_silence_ms = Math.round(Math.max(200, number("hf-end-silence", hf.end_silence_ms)));
  hf.likely_end_silence_ms = Math.round(Math.max(200, number("hf-likely-end", hf.likely_end_silence_ms)));
  hf.max_seconds = Math.max(1, number("hf-max", hf.max_seconds));
  hf.follow_on_ms = Math.round(Math.min(10000, Math.max(0, number("hf-follow-on", hf.follow_on_ms))));
  s.cleanup = collectCleanup();
  s.spoken_commands = $("spoken-commands").checked;
  s.profiles = collectProfiles();
  return s;
}

function collectCleanup() {
  const c = structuredClone(current.cleanup);
  c.enabled = $("cleanup-enabled").checked;
  c.provider = $("cleanup-provider").value;
  c.base_url = $("cleanup-base-url").value.trim() || null;
  c.model = $("cleanup-model").value.trim();
  c.timeout_ms = Number($("cleanup-timeout").value);
  c.min_words = Number($("cleanup-min-words").value);
  c.prompt = $("cleanup-prompt").value || "default";
  c.app_context = $("cleanup-app-context").checked;
  return c;
}

function fillPrompts(c) {
  const select = $("cleanup-prompt");
  select.innerHTML = '<option value="default">Built-in clean-up prompt</option>';
  for (const p of c.prompts) select.add(new Option(p.name, p.name));
  select.value = c.prompts.some((p) => p.name === c.prompt) ? c.prompt : "default";
  const chosen = c.prompts.find((p) => p.name === select.value);
  $("prompt-name").value = chosen ? chosen.name : "";
  $("prompt-text").value = chosen ? chosen.text : "";
}

async function loadChoices(s) {
  const providers = await invoke("providers");
  $("cleanup-provider").innerHTML = providers
    .map((p) => `<option value="${p.id}">${p.label}</option>`).join("");
  try {
    const devices = await invoke("list_devices");
    for (const d of devices) {
      $("microphone").add(new Option(d.name + (d.is_default ? " (default)" : ""), d.name));
    }
  } catch (e) { console.warn(e); }
  await refreshModels();
  $("microphone").value = s.microphone || "";
  $("model").value = s.model || "";
}


// Where the time went, release-to-text first: what the user waited for.
function timingsLine(timings) {
  const order = ["release_to_text", "stt_while_recording", "vad", "stt", "llm", "output", "save", "mic_open"];
  const parts = order
    .filter((k) => timings && timings[k] !== undefined)
    .map((k) => `${k.replaceAll("_", " ")} ${Math.round(timings[k])} ms`);
  const small = document.createElement("small");
  small.className = "timings";
  small.textContent = parts.join(" · ");
  return small;
}

// The wait after the release as a bar per stage, to scale (the longest wait fills the row).
const TIMELINE_STAGES = ["vad", "stt", "llm", "output"];
function timeline(timings) {
  const row = document.createElement("div");
  row.className = "timeline";
  row.setAttribute("role", "img");
  const stages = TIMELINE_STAGES.filter((k) => timings && timings[k] > 0);
  const total = Math.max(timings?.release_to_text || 0, stages.reduce((a, k) => a + timings[k], 0));
  row.setAttribute("aria-label", stages.map((k) => `${k} ${Math.round(timings[k])} ms`).join(", ") || "no timings");
  for (const k of stages) {
    const bar = document.createElement("span");
    bar.className = "bar stage-" + k;
    bar.dataset.stage = k;
    bar.title = `${k} ${Math.round(timings[k])} ms`;
    bar.style.width = `${(100 * timings[k]) / total}%`;
    row.append(bar);
  }
  return row;
}

// Press-to-capture hotkey field.
$("hotkey").addEventListener("keydown", (ev) => {
  ev.preventDefault();
  if (["Control", "Alt", "Shift", "Meta"].includes(ev.key)) return;
  const parts = [];
  if (ev.ctrlKey) parts.push("Ctrl");
  if (ev.altKey) parts.push("Alt");
  if (ev.shiftKey) parts.push("Shift");
  if (ev.metaKey) parts.push("Super");
  parts.push(ev.code.replace(/^Key/, "").replace(/^Digit/, ""));
  $("hotkey").value = parts.join("+");
  scheduleSave($("hotkey"), 0);
});

// Instant apply: a change is saved and applied as soon as it is made (text after a pause in
// typing). A value the app refuses is not applied; its reason shows next to the field.
const SETTINGS_FIELDS = [
  "mode", "hf-pause", "hf-finished-above", "hf-read-transcript", "hf-full-stop-above",
  "hf-end-silence", "hf-max",
  "microphone", "model", "language", "translate", "speed-strategy", "speed-audio-context",
  "speed-unload", "vocabulary", "replacements", "output-method", "paste-keys", "wayland-typing",
  "trailing-space", "start-at-login", "cleanup-enabled", "cleanup-provider", "cleanup-base-url",
  "cleanup-model", "cleanup-timeout", "cleanup-min-words", "cleanup-app-context", "spoken-commands",
];
const TYPING_PAUSE_MS = 600;
let saveTimer = null;
let changedField = null;

function scheduleSave(field, delay) {
  changedField = field;
  document.body.dataset.saved = "false";
  status("Saving…");
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, delay);
}

async function saveNow() {
  saveTimer = null;
  const field = changedField;
  const settings = collect();
  try {
    await invoke("save_settings", { settings });
    current = settings;
    clearFieldError();
    if (CONNECTION_FIELDS.includes(field?.id)) checkReachable();
    if (saveTimer === null) {
      status("Saved");
      document.body.dataset.saved = "true";
    }
  } catch (e) {
    showFieldError(fieldAt(String(e), field), String(e));
    status("Not saved: " + String(e), true);
    document.body.dataset.saved = "error";
  }
}

// A clean-up server that does not answer is allowed (it may start later: dictations are typed
// as heard meanwhile), but said next to its URL as soon as the change is applied.
const CONNECTION_FIELDS = ["cleanup-enabled", "cleanup-provider", "cleanup-base-url", "cleanup-model"];
let reachCheck = 0;
async function checkReachable() {
  const check = ++reachCheck;
  const cleanup = collectCleanup();
  $("cleanup-base-url-warning")?.remove();
  if (!cleanup.enabled) return;
  try {
    const r = await invoke("llm_test", { cleanup });
    if (check === reachCheck) $("cleanup-status").textContent = `Reached in ${r.round_trip_ms} ms (${r.models} models).`;
  } catch (e) {
    if (check !== reachCheck) return;
    const p = document.createElement("p");
    p.className = "field-warning";
    p.id = "cleanup-base-url-warning";
    p.setAttribute("role", "status");
    p.textContent = `Saved, but the clean-up server does not answer now (${e}). Dictations are typed as heard until it does.`;
    $("cleanup-base-url").closest("label").after(p);
  }
}

// The field a refusal is about, when its message names one; else the one just changed.
function fieldAt(message, changed) {
  const named = [
    [/base URL/i, "cleanup-base-url"],
    [/clean-up model/i, "cleanup-model"],
    [/time ?out|time box/i, "cleanup-timeout"],
    [/hotkey|key name|modifier/i, "hotkey"],
    [/profile/i, "profiles"],
  ].find(([pattern]) => pattern.test(message));
  return named ? $(named[1]) : changed;
}

function clearFieldError() {
  for (const el of document.querySelectorAll(".field-error")) el.remove();
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showFieldError(field, message) {
  clearFieldError();
  if (!field) return;
  const p = document.createElement("p");
  p.className = "field-error";
  p.id = field.id + "-error";
  p.setAttribute("role", "alert");
  p.textContent = message;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", p.id);
  (field.closest("label") || field).after(p);
}

for (const id of SETTINGS_FIELDS) {
  const field = $(id);
  const typed = field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && field.type !== "checkbox");
  if (typed) field.addEventListener("input", () => scheduleSave(field, TYPING_PAUSE_MS));
  field.addEventListener("change", () => scheduleSave(field, 0));
}

$("save-key").onclick = async () => {
  try {
    await invoke("set_api_key", { provider: $("cleanup-provider").value, key: $("api-key").value });
    $("api-key").value = "";
    $("cleanup-status").textContent = "Key stored in the keyring.";
  } catch (e) { $("cleanup-status").textContent = String(e); }
};
$("fetch-models").onclick = async () => {
  try {
    const models = await invoke("llm_models", { cleanup: collectCleanup() });
    $("cleanup-models").innerHTML = models.map((m) => `<option value="${m}">`).join("");
    $("cleanup-status").textContent = `${models.length} models offered.`;
  } catch (e) { $("cleanup-status").textContent = String(e); }
};
$("test-connection").onclick = async () => {
  try {
    const r = await invoke("llm_test", { cleanup: collectCleanup() });
    $("cleanup-status").textContent = `Reached in ${r.round_trip_ms} ms (${r.models} models).`;
  } catch (e) { $("cleanup-status").textContent = String(e); }
};
$("mic-test").onclick = async () => {
  $("mic-status").textContent = "Listening for 3 seconds… say something.";
  try {
    $("mic-status").textContent = await invoke("mic_test", { device: $("microphone").value || null });
  } catch (e) { $("mic-status").textContent = String(e); }
};
listen("mic_level", ({ payload }) => { $("level").value = Math.min(1, Math.sqrt(payload) * 1.4); });
$("cleanup-prompt").onchange = () => {
  current.cleanup.prompt = $("cleanup-prompt").value;
  fillPrompts(current.cleanup);
  scheduleSave($("cleanup-prompt"), 0);
};
$("save-prompt").onclick = () => {
  const name = $("prompt-name").value.trim();
  const text = $("prompt-text").value.trim();
  if (!name || name === "default" || !text) {
    $("cleanup-status").textContent = "A prompt needs a name (not \"default\") and instructions.";
    return;
  }
  const prompts = current.cleanup.prompts.filter((p) => p.name !== name);
  prompts.push({ name, text });
  current.cleanup.prompts = prompts;
  current.cleanup.prompt = name;
  fillPrompts(current.cleanup);
  $("cleanup-status").textContent = `Prompt "${name}" kept and in use.`;
  scheduleSave($("prompt-name"), 0);
};
$("delete-prompt").onclick = () => {
  const name = $("prompt-name").value.trim();
  current.cleanup.prompts = current.cleanup.prompts.filter((p) => p.name !== name);
  current.cleanup.prompt = "default";
  fillPrompts(current.cleanup);
  scheduleSave($("prompt-name"), 0);
};
