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
  $("hf-end-silence").value = s.hands_free.end_silence_ms;
  $("hf-max").value = s.hands_free.max_seconds;
  const c = s.cleanup;
  $("cleanup-enabled").checked = c.enabled;
  $("cleanup-provider").value = c.provider;
  $("cleanup-base-url").value = c.base_url || "";
  $("cleanup-model").value = c.model;
  $("cleanup-timeout").value = c.timeout_ms;
  $("cleanup-min-words").value = c.min_words;
  fillPrompts(c);
  $("settings-path").textContent = "Settings file: " + view.settings_path;
  $("session-state").textContent = view.state;
  const warnings = $("warnings");
  warnings.hidden = view.warnings.length === 0;
  warnings.textContent = view.warnings.join("\n");
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
  hf.end_silence_ms = Math.round(Math.max(200, number("hf-end-silence", hf.end_silence_ms)));
  hf.max_seconds = Math.max(1, number("hf-max", hf.max_seconds));
  s.cleanup = collectCleanup();
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

async function refreshModels() {
  const keep = $("model").value;
  const models = await invoke("list_models");
  $("model").innerHTML = '<option value="">Default</option>';
  modelLanguages = Object.fromEntries(models.map((m) => [m.name, { languages: m.languages, default: m.default }]));
  for (const m of models.filter((m) => m.engine in ENGINES)) {
    const label = `${m.name} — ${ENGINES[m.engine]}: ${m.description}${figures(m.measured)}${m.installed ? "" : " (not downloaded)"}`;
    $("model").add(new Option(label, m.name));
  }
  $("model").value = keep;
  modelCards(models);
  limitLanguages();
  await refreshAdvice();
}

// Measured on the project's build machine (2 cores) by `utter bench`.
function figures(measured) {
  if (!measured) return "";
  return ` [WER ${measured.wer_percent.toFixed(1)} %, text ${Math.round(measured.release_to_text_ms)} ms after release]`;
}

// Which model suits the dictation language, and why (from the measured figures).
async function refreshAdvice() {
  const language = $("language").value || "auto";
  try {
    const advice = await invoke("model_advice", { language });
    $("model-advice").textContent = advice
      ? `Proposed for "${language}": ${advice.model} — ${advice.reason}.`
      : "";
    $("model-advice").dataset.model = advice ? advice.model : "";
  } catch (e) { $("model-advice").textContent = ""; }
}
$("language").addEventListener("change", refreshAdvice);
$("language").addEventListener("input", refreshAdvice);

// The dictation language by name. "Detect" and languages other than English only where the
// chosen model can do them (English-only models: Whisper .en, Moonshine, Parakeet, Nemotron).
const LANGUAGES = [
  ["auto", "Detect the language"], ["en", "English"], ["de", "German"], ["fr", "French"],
  ["es", "Spanish"], ["it", "Italian"], ["pt", "Portuguese"], ["nl", "Dutch"],
  ["sv", "Swedish"], ["da", "Danish"], ["no", "Norwegian"], ["fi", "Finnish"], ["pl", "Polish"],
  ["cs", "Czech"], ["uk", "Ukrainian"], ["ru", "Russian"], ["tr", "Turkish"], ["el", "Greek"],
  ["hu", "Hungarian"], ["ro", "Romanian"], ["ca", "Catalan"], ["ar", "Arabic"],
  ["he", "Hebrew"], ["hi", "Hindi"], ["zh", "Chinese"], ["ja", "Japanese"], ["ko", "Korean"],
  ["vi", "Vietnamese"], ["id", "Indonesian"], ["th", "Thai"],
];
let modelLanguages = {};
function setLanguage(code) {
  const select = $("language");
  if (!select.options.length) {
    for (const [value, name] of LANGUAGES) select.add(new Option(name, value));
  }
  // A code set in the settings file that the list does not name is kept as it is.
  if (code && ![...select.options].some((o) => o.value === code)) select.add(new Option(code, code));
  select.value = code || "auto";
  limitLanguages();
}
function limitLanguages() {
  const chosen = $("model").value || Object.keys(modelLanguages).find((n) => modelLanguages[n].default);
  const englishOnly = modelLanguages[chosen]?.languages === "en";
  for (const option of $("language").options) option.disabled = englishOnly && option.value !== "en";
  if (englishOnly && $("language").value !== "en") $("language").value = "en";
  $("language-note").textContent = englishOnly ? `${chosen} recognises English only.` : "";
}
$("model").addEventListener("change", () => { limitLanguages(); refreshAdvice(); });

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

async function refreshHistory() {
  const entries = await invoke("history_list", { query: $("history-search").value, limit: 50 });
  const list = $("history");
  list.innerHTML = "";
  for (const e of entries) {
    const li = document.createElement("li");
    li.textContent = (e.final_text || e.raw_text || "(no text)") + " ";
    const copy = document.createElement("button");
    copy.textContent = "Copy";
    copy.onclick = () => invoke("history_copy", { id: e.id }).then(() => status("Copied"));
    const del = document.createElement("button");
    del.textContent = "Delete";
    del.onclick = () => invoke("history_delete", { id: e.id }).then(refreshHistory);
    const play = document.createElement("button");
    play.textContent = "Play";
    play.disabled = !e.audio_path;
    play.onclick = async () => {
      try { new Audio(await invoke("history_audio", { id: e.id })).play(); }
      catch (err) { status(String(err), true); }
    };
    const again = document.createElement("button");
    again.textContent = "Re-transcribe";
    again.disabled = !e.audio_path;
    again.onclick = () => { status("Transcribing again…"); invoke("history_retranscribe", { id: e.id }); };
    li.append(copy, play, again, del, timingsLine(e.timings), timeline(e.timings));
    list.append(li);
  }
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
  "mode", "hf-pause", "hf-finished-above", "hf-read-transcript", "hf-end-silence", "hf-max",
  "microphone", "model", "language", "translate", "speed-strategy", "speed-audio-context",
  "speed-unload", "vocabulary", "replacements", "output-method", "paste-keys", "wayland-typing",
  "trailing-space", "start-at-login", "cleanup-enabled", "cleanup-provider", "cleanup-base-url",
  "cleanup-model", "cleanup-timeout", "cleanup-min-words",
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

// The field a refusal is about, when its message names one; else the one just changed.
function fieldAt(message, changed) {
  const named = [
    [/base URL/i, "cleanup-base-url"],
    [/clean-up model/i, "cleanup-model"],
    [/time ?out|time box/i, "cleanup-timeout"],
    [/hotkey|key name|modifier/i, "hotkey"],
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
$("history-search").oninput = refreshHistory;
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
async function downloadModel(name) {
  if (!name) return;
  $("download-progress").hidden = false;
  $("cancel-download").hidden = false;
  for (const card of document.querySelectorAll(`.model-card[data-model="${name}"]`)) card.dataset.state = "downloading";
  try {
    await invoke("download_model", { name });
    $("model-status").textContent = `${name} is ready.`;
    // Chosen before it was here: apply it again now that it can load.
    if ($("model").value === name) scheduleSave($("model"), 0);
  } catch (e) { $("model-status").textContent = String(e); }
  $("download-progress").hidden = true;
  $("cancel-download").hidden = true;
  refreshModels();
}
$("cancel-download").onclick = () => invoke("cancel_download");
async function deleteModel(name) {
  if (!name) return;
  try {
    await invoke("delete_model", { name });
    $("model-status").textContent = `${name} deleted.`;
  } catch (e) { $("model-status").textContent = String(e); }
  refreshModels();
}
$("download-model").onclick = () => downloadModel($("model").value);
$("delete-model").onclick = () => deleteModel($("model").value);

// Every model as a card: what it is, its size, whether it is here and in use, the measured
// figures, and what can be done with it.
const ENGINES = { whisper: "Whisper", parakeet: "Parakeet", nemotron: "Nemotron", moonshine: "Moonshine" };
function modelCards(models) {
  const inUse = $("model").value || models.find((m) => m.default)?.name;
  const cards = $("model-cards");
  cards.replaceChildren();
  for (const m of models.filter((m) => m.engine in ENGINES)) {
    const card = document.createElement("article");
    card.className = "model-card";
    card.dataset.model = m.name;
    card.dataset.state = m.name === inUse ? "in-use" : m.installed ? "installed" : "absent";
    card.setAttribute("role", "listitem");
    card.setAttribute("aria-label", m.name);
    const title = document.createElement("h3");
    title.textContent = m.name;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = m.name === inUse ? (m.installed ? "In use" : "In use — not downloaded")
      : m.installed ? "Installed" : "Not downloaded";
    title.append(" ", badge);
    const about = document.createElement("p");
    about.className = "hint";
    const languages = m.languages === "en" ? "English" : "many languages";
    about.textContent = `${ENGINES[m.engine]} · ${languages} · ${Math.round(m.size / 1e6)} MB — ${m.description}`;
    card.append(title, about);
    if (m.measured) {
      const figures = document.createElement("p");
      figures.className = "figures";
      figures.textContent = `WER ${m.measured.wer_percent.toFixed(1)} % · text ${Math.round(m.measured.release_to_text_ms)} ms after release (measured on a 2-core machine)`;
      card.append(figures);
    }
    const actions = document.createElement("div");
    actions.className = "row";
    const button = (label, cls, action, enabled = true) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.textContent = label;
      b.disabled = !enabled;
      b.onclick = action;
      actions.append(b);
    };
    button("Use", "use", () => {
      $("model").value = m.name;
      $("model").dispatchEvent(new Event("change"));
      refreshModels();
    }, m.name !== inUse);
    if (!m.installed) button("Download", "download", () => downloadModel(m.name));
    else if (!m.default || m.imported) button("Delete", "delete", () => deleteModel(m.name), m.name !== inUse);
    card.append(actions);
    cards.append(card);
  }
}

listen("download", ({ payload }) => {
  if (payload.total > 0) $("download-progress").value = payload.downloaded / payload.total;
  $("model-status").textContent = payload.error
    ? `${payload.name}: ${payload.error}`
    : `${payload.name}: ${(payload.downloaded / 1e6).toFixed(1)} of ${(payload.total / 1e6).toFixed(1)} MB`;
});

listen("session", ({ payload }) => {
  if (payload.kind === "state") $("session-state").textContent = payload.state;
  if (payload.kind === "level") {
    $("level").value = payload.level;
    $("try-level").value = Math.min(1, Math.sqrt(payload.level) * 1.4);
  }
  if (payload.kind === "partial") {
    $("try-text").textContent = payload.text;
    $("try-text").dataset.final = "false";
  }
  if (payload.kind === "finished") {
    showTried(payload.report);
    refreshHistory();
  }
  if (payload.kind === "retranscribed") {
    status(payload.error ? payload.error : "Transcribed again", Boolean(payload.error));
    refreshHistory();
  }
});

// Which trigger and output path this desktop session uses, and the key-binding lines for
// desktops where the compositor must trigger dictation (Wayland).
async function showDesktopSession() {
  const session = await invoke("desktop_session");
  const r = session.report;
  const kind = r.display_server === "wayland" ? "Wayland" : r.display_server === "x11" ? "X11" : "No display";
  $("session-paths").textContent =
    `${kind} session. Trigger: ${r.trigger}. Typing: ${r.typing}. Pasting: ${r.pasting}.`;
  const list = $("key-binding-list");
  list.replaceChildren();
  for (const b of session.key_bindings) {
    const title = document.createElement("h3");
    title.textContent = `${b.desktop} — ${b.place}${b.push_to_talk ? "" : " (tap to start, tap to stop)"}`;
    const pre = document.createElement("pre");
    pre.textContent = b.lines.join("\n");
    list.append(title, pre);
  }
  $("key-bindings").open = r.display_server === "wayland";
}

// "Try it here": the last dictation's text, where the time went, and the level while speaking.
function showTried(report) {
  $("try-text").textContent = report.text || report.error || "(nothing heard)";
  $("try-text").dataset.final = "true";
  const timings = Object.fromEntries(report.timings || []);
  $("try-timings").replaceChildren(timingsLine(timings), timeline(timings));
}
const tryHold = $("try-hold");
let trying = false;
const tryStart = (e) => {
  e.preventDefault();
  if (trying) return;
  trying = true;
  $("try-text").textContent = "Listening…";
  $("try-text").dataset.final = "false";
  invoke("try_press");
};
const tryStop = () => {
  if (!trying) return;
  trying = false;
  invoke("try_release");
};
tryHold.addEventListener("pointerdown", tryStart);
tryHold.addEventListener("pointerup", tryStop);
tryHold.addEventListener("pointerleave", tryStop);
tryHold.addEventListener("keydown", (e) => { if (e.key === " " || e.key === "Enter") tryStart(e); });
tryHold.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") tryStop(); });

// What a user needs to report a problem (About → Diagnostics).
const DIAGNOSTICS = [
  ["version", "Version"], ["session", "Session"], ["trigger", "Hotkey"], ["typing", "Typing"],
  ["pasting", "Pasting"], ["microphone", "Microphone"], ["model", "Speech model"],
  ["model_loaded", "Model loaded"], ["threads", "Decoder threads"],
  ["onnx_runtime", "ONNX Runtime"], ["log_file", "Log file"], ["data_dir", "Data folder"],
  ["settings_file", "Settings file"], ["models_dir", "Models folder"],
];
async function showDiagnostics() {
  const d = await invoke("diagnostics");
  const list = $("diagnostics");
  list.replaceChildren();
  for (const [key, label] of DIAGNOSTICS) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.id = "diag-" + key.replaceAll("_", "-");
    dd.textContent = typeof d[key] === "boolean" ? (d[key] ? "yes" : "no") : String(d[key]);
    list.append(dt, dd);
  }
}
$("nav-about").addEventListener("click", showDiagnostics);
$("copy-diagnostics").onclick = async () => {
  const text = DIAGNOSTICS.map(([key, label]) =>
    `${label}: ${$("diag-" + key.replaceAll("_", "-"))?.textContent ?? ""}`).join("\n");
  try {
    await invoke("copy_diagnostics", { text });
    $("diagnostics-status").textContent = "Copied.";
  } catch (e) { $("diagnostics-status").textContent = String(e); }
};
$("open-logs").onclick = async () => {
  try { $("diagnostics-status").textContent = "Opened " + await invoke("open_log_folder"); }
  catch (e) { $("diagnostics-status").textContent = String(e); }
};

(async () => {
  const view = await invoke("get_settings");
  await loadChoices(view.settings);
  fill(view);
  await showDesktopSession();
  await showDiagnostics();
  document.body.dataset.ready = "true";
  refreshHistory();
})();
