// The window's live parts: session events, the desktop session, "Try it here", diagnostics,
// and the start-up that fills everything in.

listen("session", ({ payload }) => {
  if (payload.kind === "state") $("session-state").textContent = payload.state;
  if (payload.kind === "model_loaded") refreshWarnings();
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
