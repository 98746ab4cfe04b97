// History: past dictations with search, play, copy, re-transcribe, delete and their timeline;
// correcting one ("what I really said") or marking it right puts it in the golden set that
// `utter eval` replays, and words corrected again and again are proposed for the vocabulary.

// Answers can come back out of order while the search is typed: only the latest is drawn.
let historyRequest = 0;
async function refreshHistory() {
  const request = ++historyRequest;
  const entries = await invoke("history_list", { query: $("history-search").value, limit: 50 });
  if (request !== historyRequest) return;
  const list = $("history");
  list.innerHTML = "";
  for (const e of entries) list.append(historyEntry(e));
  refreshProposals();
}

function historyEntry(e) {
  const li = document.createElement("li");
  li.dataset.id = e.id;
  li.dataset.golden = e.reference !== null && e.reference !== undefined ? "true" : "false";
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = (e.final_text || e.raw_text || "(no text)") + " ";
  li.append(text);
  if (li.dataset.golden === "true") {
    const badge = document.createElement("span");
    badge.className = "badge golden";
    badge.textContent = "golden";
    badge.title = "In your golden set: utter eval replays it";
    li.append(badge, " ");
    if (e.reference !== (e.final_text || e.raw_text || "")) {
      const said = document.createElement("span");
      said.className = "reference";
      said.textContent = `really said: ${e.reference || "(nothing)"} `;
      li.append(said);
    }
  }
  const buttons = [
    ["Copy", "copy", () => invoke("history_copy", { id: e.id }).then(() => status("Copied"))],
    ["Play", "play", async () => {
      try { new Audio(await invoke("history_audio", { id: e.id })).play(); }
      catch (err) { status(String(err), true); }
    }, !e.audio_path],
    ["Re-transcribe", "retranscribe", () => { status("Transcribing again…"); invoke("history_retranscribe", { id: e.id }); }, !e.audio_path],
    ["Delete", "delete", () => invoke("history_delete", { id: e.id })
      .then(() => status("Deleted"), (err) => status(String(err), true))
      .then(refreshHistory)],
    ["Correct", "correct", () => showCorrection(li, e), !e.audio_path],
    li.dataset.golden === "true"
      ? ["Unmark", "unmark", () => golden("history_unmark", e.id, "Out of the golden set")]
      : ["Right", "confirm", () => golden("history_confirm", e.id, "Marked right: in the golden set"), !e.audio_path],
  ];
  for (const [label, cls, action, disabled] of buttons) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = cls;
    b.disabled = Boolean(disabled);
    b.setAttribute("aria-label", `${label} dictation ${e.id}`);
    b.onclick = action;
    li.append(b);
  }
  li.append(timingsLine(e.timings), timeline(e.timings));
  return li;
}

async function golden(command, id, done) {
  try {
    await invoke(command, { id });
    status(done);
  } catch (err) { status(String(err), true); }
  refreshHistory();
}

// An editor in place: the text as typed, to be made what was really said.
function showCorrection(li, e) {
  if (li.querySelector(".correction")) return;
  const form = document.createElement("form");
  form.className = "correction row";
  const input = document.createElement("input");
  input.value = e.reference ?? e.final_text ?? e.raw_text ?? "";
  input.setAttribute("aria-label", `What you really said in dictation ${e.id}`);
  const keep = document.createElement("button");
  keep.type = "submit";
  keep.className = "keep";
  keep.textContent = "Keep";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.onclick = () => form.remove();
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    try {
      await invoke("history_correct", { id: e.id, text: input.value });
      status("Corrected: in the golden set");
    } catch (err) { status(String(err), true); }
    refreshHistory();
  };
  form.append(input, keep, cancel);
  li.append(form);
  input.focus();
}

// Words the recogniser keeps missing, offered for the vocabulary (Words section).
async function refreshProposals() {
  const box = $("vocabulary-proposals");
  let proposals = [];
  try { proposals = await invoke("vocabulary_proposals"); } catch (err) { console.warn(err); }
  box.replaceChildren();
  if (!proposals.length) return;
  const title = document.createElement("p");
  title.className = "hint";
  title.textContent = "You corrected these in several dictations; the recogniser expects words in the vocabulary:";
  box.append(title);
  for (const p of proposals) {
    const row = document.createElement("div");
    row.className = "row proposal";
    row.dataset.word = p.word;
    const what = document.createElement("span");
    what.textContent = `${p.word} — corrected in ${p.dictations} dictations`;
    const add = document.createElement("button");
    add.type = "button";
    add.className = "add";
    add.textContent = "Add";
    add.setAttribute("aria-label", `Add ${p.word} to the vocabulary`);
    add.onclick = () => {
      const words = lines($("vocabulary").value);
      if (!words.includes(p.word)) words.push(p.word);
      $("vocabulary").value = words.join("\n");
      scheduleSave($("vocabulary"), 0);
      row.remove();
    };
    row.append(what, add);
    box.append(row);
  }
}

let searchTimer = null;
$("history-search").oninput = () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(refreshHistory, 200);
};
