// Per-application profiles (Apps section): each one a small form; a change applies at once.
// Empty choices mean "as in the general settings".

const TRI = [["", "As set in general"], ["true", "Yes"], ["false", "No"]];
const PROFILE_FIELDS = [
  ["name", "Name", "text"],
  ["apps", "Applications (class or app id, comma-separated)", "text"],
  ["title", "Window title pattern (optional)", "text"],
  ["output", "Deliver by", [["", "As set in general"], ["type", "Typing"], ["paste", "Pasting"]]],
  ["paste_keys", "Paste keys", [["", "As set in general"], ["ctrl_v", "Ctrl+V"], ["ctrl_shift_v", "Ctrl+Shift+V"], ["shift_insert", "Shift+Insert"]]],
  ["trailing_space", "Space after the text", TRI],
  ["press_enter", "Press Enter after the text", TRI],
  ["cleanup", "LLM clean-up", TRI],
  ["prompt", "Clean-up prompt (name, optional)", "text"],
  ["commands", "Spoken commands", TRI],
  ["vocabulary", "Extra vocabulary (comma-separated)", "text"],
];

function profileField(index, [key, label, kind], value) {
  const wrap = document.createElement("label");
  wrap.textContent = label;
  let field;
  if (kind === "text") {
    field = document.createElement("input");
    field.value = value;
    field.addEventListener("input", () => scheduleSave(field, TYPING_PAUSE_MS));
  } else {
    field = document.createElement("select");
    for (const [v, text] of kind) field.add(new Option(text, v));
    field.value = value;
    field.addEventListener("change", () => scheduleSave(field, 0));
  }
  field.className = "p-" + key.replaceAll("_", "-");
  field.id = `profile-${index}-${key.replaceAll("_", "-")}`;
  wrap.append(field);
  return wrap;
}

function asText(p, key) {
  const v = p[key];
  if (v === undefined || v === null) return "";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

function fillProfiles(profiles) {
  const box = $("profiles");
  box.replaceChildren();
  profiles.forEach((p, i) => {
    const set = document.createElement("fieldset");
    set.className = "profile";
    set.dataset.index = i;
    const legend = document.createElement("legend");
    legend.textContent = p.name || "(unnamed)";
    set.append(legend);
    for (const f of PROFILE_FIELDS) set.append(profileField(i, f, asText(p, f[0])));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "p-remove";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove the profile ${p.name}`);
    remove.onclick = () => {
      set.remove();
      scheduleSave($("profiles"), 0);
    };
    set.append(remove);
    box.append(set);
  });
}

function collectProfiles() {
  const list = (text) => text.split(",").map((w) => w.trim()).filter((w) => w);
  return [...document.querySelectorAll("#profiles .profile")].map((set) => {
    const get = (key) => set.querySelector(".p-" + key.replaceAll("_", "-")).value;
    const p = { name: get("name").trim(), apps: list(get("apps")), vocabulary: list(get("vocabulary")), replacements: [] };
    const title = get("title").trim();
    if (title) p.title = title;
    const prompt = get("prompt").trim();
    if (prompt) p.prompt = prompt;
    for (const key of ["output", "paste_keys"]) if (get(key)) p[key] = get(key);
    for (const key of ["trailing_space", "press_enter", "cleanup", "commands"]) {
      if (get(key)) p[key] = get(key) === "true";
    }
    // What the window does not show is kept as it was.
    const before = current.profiles[Number(set.dataset.index)];
    if (before?.replacements) p.replacements = before.replacements;
    return p;
  });
}

function addProfile(profile) {
  current.profiles = collectProfiles();
  current.profiles.push(profile);
  fillProfiles(current.profiles);
  scheduleSave($("profiles"), 0);
}

$("add-profile").onclick = () => addProfile({ name: "", apps: [], vocabulary: [], replacements: [] });
$("profile-from-last").onclick = async () => {
  const target = await invoke("last_target").catch(() => null);
  if (!target) {
    $("profiles-status").textContent = "No dictation has gone to an application yet: dictate into it once, then come back.";
    return;
  }
  addProfile({ name: target.app, apps: [target.app], vocabulary: [], replacements: [] });
  $("profiles-status").textContent = `A profile for ${target.app} (the last dictation went there): choose what it changes.`;
};

(async () => {
  const builtin = await invoke("builtin_profiles").catch(() => []);
  $("builtin-profiles").textContent = builtin
    .map((p) => `${p.name}: ${p.apps.join(", ")} — no space after the text, Ctrl+Shift+V to paste, ` +
      `never Enter (a dictated command must not run by surprise). A profile of yours named "${p.name}" replaces it.`)
    .join("\n");
})();
