// Speech models: the list and the cards, downloads, measuring on this machine, and the
// dictation language the chosen model can do.

async function refreshModels() {
  const keep = $("model").value;
  const models = await invoke("list_models");
  $("model").innerHTML = '<option value="">Default</option>';
  modelLanguages = Object.fromEntries(models.map((m) => [m.name, { languages: m.languages, default: m.default }]));
  for (const m of models.filter((m) => m.engine in ENGINES)) {
    const label = `${m.name} — ${ENGINES[m.engine]}: ${m.description}${figures(m)}${m.installed ? "" : " (not downloaded)"}`;
    $("model").add(new Option(label, m.name));
  }
  $("model").value = keep;
  modelCards(models);
  limitLanguages();
  await refreshAdvice();
}

// Measured here if the user has, else on the project's build machine (2 cores) by `utter bench`.
function figures(m) {
  const f = m.measured_here || m.measured;
  return f ? ` [${figuresText(f)}${m.measured_here ? " here" : ""}]` : "";
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

// Downloads and the measurement in progress, by model: the cards are drawn again from these.
const downloads = new Map();
let measuring = null;

async function downloadModel(name) {
  if (!name) return;
  $("download-progress").hidden = false;
  $("cancel-download").hidden = false;
  downloads.set(name, { downloaded: 0, total: 0 });
  refreshModels();
  try {
    await invoke("download_model", { name });
    $("model-status").textContent = `${name} is ready.`;
    // Chosen before it was here: apply it again now that it can load.
    if ($("model").value === name) scheduleSave($("model"), 0);
  } catch (e) { $("model-status").textContent = `${name}: ${e}`; }
  downloads.delete(name);
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

// The built-in set dictated with this model here, through the app's own session.
async function measureModel(name) {
  measuring = { name, done: 0, total: 0 };
  refreshModels();
  try {
    const f = await invoke("measure_model", { name });
    $("model-status").textContent = `${name} measured: ${figuresText(f)}.`;
  } catch (e) { $("model-status").textContent = `${name} could not be measured: ${e}`; }
  measuring = null;
  refreshModels();
}

function figuresText(f) {
  return `text ${Math.round(f.release_to_text_ms)} ms after release · WER ${f.wer_percent.toFixed(1)} %`;
}
function measuredOn(f) {
  const day = new Date(f.measured_at * 1000).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  return `${f.strategy}, ${f.threads} threads, ${day}`;
}
function megabytes(bytes) { return (bytes / 1e6).toFixed(1); }

// Every model as a card: what it is, its size, whether it is here and in use, the measured
// figures (the build machine's, and this machine's once measured), and what can be done.
const ENGINES = { whisper: "Whisper", parakeet: "Parakeet", nemotron: "Nemotron", moonshine: "Moonshine" };
function modelCards(models) {
  const inUse = $("model").value || models.find((m) => m.default)?.name;
  const cards = $("model-cards");
  cards.replaceChildren();
  for (const m of models.filter((m) => m.engine in ENGINES)) {
    const card = document.createElement("article");
    const download = downloads.get(m.name);
    card.className = "model-card";
    card.dataset.model = m.name;
    card.dataset.state = download ? "downloading" : m.name === inUse ? "in-use" : m.installed ? "installed" : "absent";
    card.setAttribute("role", "listitem");
    card.setAttribute("aria-label", m.name);
    const line = (cls, text) => {
      const p = document.createElement("p");
      p.className = cls;
      p.textContent = text;
      card.append(p);
      return p;
    };
    const title = document.createElement("h3");
    title.textContent = m.name;
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = download ? "Downloading" : m.name === inUse ? (m.installed ? "In use" : "In use — not downloaded")
      : m.installed ? "Installed" : "Not downloaded";
    title.append(" ", badge);
    card.append(title);
    const languages = m.languages === "en" ? "English" : "many languages";
    line("hint", `${ENGINES[m.engine]} · ${languages} · ${Math.round(m.size / 1e6)} MB — ${m.description}`);
    if (m.measured) line("figures", `${figuresText(m.measured)} (on a 2-core build machine)`);
    if (m.measured_here) {
      line("figures-here", `On this machine (built-in set): ${figuresText(m.measured_here)} (${measuredOn(m.measured_here)})`);
    }
    if (download) {
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = download.total ? download.downloaded / download.total : 0;
      bar.setAttribute("aria-label", `Downloading ${m.name}`);
      card.append(bar);
      line("download-status hint", download.total
        ? `${megabytes(download.downloaded)} of ${megabytes(download.total)} MB` : "Starting…");
    }
    if (measuring?.name === m.name) {
      line("measuring hint", measuring.total
        ? `Measuring on this machine… ${measuring.done} of ${measuring.total} clips`
        : "Measuring on this machine… loading the model");
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
    if (download) button("Cancel", "cancel", () => invoke("cancel_download"));
    else if (!m.installed) button("Download", "download", () => downloadModel(m.name));
    else {
      button(m.measured_here ? "Measure again" : "Measure here", "measure", () => measureModel(m.name), !measuring);
      if (!m.default || m.imported) button("Delete", "delete", () => deleteModel(m.name), m.name !== inUse);
    }
    card.append(actions);
    cards.append(card);
  }
}

listen("download", ({ payload }) => {
  if (payload.total > 0) $("download-progress").value = payload.downloaded / payload.total;
  $("model-status").textContent = payload.error
    ? `${payload.name}: ${payload.error}`
    : `${payload.name}: ${megabytes(payload.downloaded)} of ${megabytes(payload.total)} MB`;
  // The card follows in place (drawing every card again 5 times a second would steal focus).
  if (!downloads.has(payload.name) || payload.done) return;
  downloads.set(payload.name, payload);
  const card = document.querySelector(`.model-card[data-model="${payload.name}"]`);
  const bar = card?.querySelector("progress");
  if (bar && payload.total > 0) bar.value = payload.downloaded / payload.total;
  const text = card?.querySelector(".download-status");
  if (text) text.textContent = `${megabytes(payload.downloaded)} of ${megabytes(payload.total)} MB`;
});

listen("measure", ({ payload }) => {
  if (measuring?.name !== payload.name) return;
  measuring = payload;
  const text = document.querySelector(`.model-card[data-model="${payload.name}"] .measuring`);
  if (text) text.textContent = `Measuring on this machine… ${payload.done} of ${payload.total} clips`;
});
