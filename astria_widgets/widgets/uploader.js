// Chunked browser uploads for astria-widgets (anywidget ESM).
//
// A click anywhere in the widget (class "astria-upload") opens the file chooser; files can
// also be dropped on ".astria-upload-drop". Each file is sliced into `chunk_size` pieces and
// each piece is sent as one custom message with one binary buffer:
//   model.send({kind: "chunk", id, batch, name, index, total, size, type}, undefined, [buffer])
// At most `window` pieces per file wait for the kernel's {kind: "ack", id, index}; a
// {kind: "error", id} stops that file. Files over `max_file_bytes` are not read at all:
// {kind: "skipped", id, name, size, type, reason: "too-large"}. Progress comes back from the
// kernel in the synced `progress` trait, so the bars show what Python really received.

// Mirrors astria_widgets.imaging.checks.format_size (binary units, IEC labels).
function formatBytes(n) {
  if (n >= 1024 ** 3) return (n / 1024 ** 3).toFixed(1) + " GiB";
  if (n >= 1024 ** 2) return (n / 1024 ** 2).toFixed(1) + " MiB";
  if (n >= 1024) return Math.round(n / 1024) + " KiB";
  return n + " bytes";
}

function newId() {
  // crypto.randomUUID needs a secure context; plain http://127.0.0.1 may not be one
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
}

const STATE_TEXT = {
  receiving: "",
  done: "received",
  rejected: "not sent (too large)",
  failed: "failed",
  cancelled: "cancelled",
};

function render({ model, el }) {
  el.classList.add("astria-upload-root");

  const input = document.createElement("input");
  input.type = "file";
  input.className = "astria-upload-input";
  input.style.display = "none";

  const zone = document.createElement("div");
  zone.className = "astria-upload-drop";
  zone.setAttribute("role", "button");
  zone.tabIndex = 0;
  const label = document.createElement("span");
  label.className = "astria-upload-label";
  const status = document.createElement("span");
  status.className = "astria-upload-status";
  zone.append(label, status);

  const list = document.createElement("ul");
  list.className = "astria-upload-progress";
  el.append(input, zone, list);

  function syncSettings() {
    input.accept = model.get("accept");
    input.multiple = model.get("multiple");
    label.textContent = model.get("description");
    el.classList.toggle("astria-upload-disabled", model.get("disabled"));
  }

  // One row per file while a selection is on its way; once every file is finished the rows
  // fold into a one-line summary (expandable), so 20 received photos do not take 20 lines.
  let summaryOpen = false;

  function fileRow(entry) {
    const item = document.createElement("li");
    item.className = "astria-upload-file";
    item.dataset.state = entry.state;
    const name = document.createElement("span");
    name.className = "astria-upload-name";
    name.textContent = entry.name;
    name.title = entry.name;
    const bar = document.createElement("progress");
    bar.max = Math.max(entry.size, 1);
    bar.value = entry.size ? entry.received : 1;
    const text = document.createElement("span");
    text.className = "astria-upload-bytes";
    const state = STATE_TEXT[entry.state] || entry.state;
    text.textContent =
      entry.state === "done"
        ? formatBytes(entry.size) + " received"
        : formatBytes(entry.received) + " / " + formatBytes(entry.size) + (state ? " " + state : "");
    item.append(name, bar, text);
    return item;
  }

  function drawProgress() {
    const entries = model.get("progress") || [];
    const finished = entries.every((e) => e.state !== "receiving");
    const rows = entries.map(fileRow);
    const previous = list.querySelector("details");
    if (previous) summaryOpen = previous.open;
    list.replaceChildren();
    if (!finished || entries.length <= 3) {
      list.append(...rows);
      return;
    }
    const done = entries.filter((e) => e.state === "done");
    const bytes = done.reduce((sum, e) => sum + e.size, 0);
    const other = entries.length - done.length;
    const details = document.createElement("details");
    details.className = "astria-upload-summary";
    details.open = summaryOpen;
    const summary = document.createElement("summary");
    summary.textContent =
      done.length + " file" + (done.length === 1 ? "" : "s") + " received (" +
      formatBytes(bytes) + ")" + (other ? ", " + other + " not received" : "");
    const inner = document.createElement("ul");
    inner.className = "astria-upload-progress";
    inner.append(...rows);
    details.append(summary, inner);
    // the summary toggles the list; it must not open the file chooser too
    details.addEventListener("click", (event) => event.stopPropagation());
    const item = document.createElement("li");
    item.append(details);
    list.append(item);
  }

  // -- sending -----------------------------------------------------------------------------
  const queue = [];
  const waiters = new Map(); // "id:index" -> {resolve, reject}
  const failed = new Set();
  let busy = false;
  let closed = false;
  let currentId = null;
  let sentFiles = 0;

  function waitForAck(id, index) {
    return new Promise((resolve, reject) => waiters.set(id + ":" + index, { resolve, reject }));
  }

  function rejectAll(id, reason) {
    for (const [key, waiter] of waiters) {
      if (id === null || key.startsWith(id + ":")) {
        waiters.delete(key);
        waiter.reject(new Error(reason));
      }
    }
  }

  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.kind === "ack") {
      const key = msg.id + ":" + msg.index;
      const waiter = waiters.get(key);
      if (waiter) {
        waiters.delete(key);
        waiter.resolve();
      }
    } else if (msg.kind === "error") {
      failed.add(msg.id);
      rejectAll(msg.id, msg.reason || "rejected by the kernel");
    }
  }

  async function sendFile({ file, batch }) {
    const id = newId();
    const size = file.size;
    const meta = { id, batch, name: file.name, size, type: file.type || "" };
    if (size > model.get("max_file_bytes")) {
      model.send({ kind: "skipped", reason: "too-large", ...meta });
      return;
    }
    const chunkSize = Math.max(1, model.get("chunk_size"));
    const windowSize = Math.max(1, model.get("window"));
    const total = Math.max(1, Math.ceil(size / chunkSize));
    const inFlight = new Set();
    currentId = id;
    try {
      for (let index = 0; index < total; index++) {
        if (closed || failed.has(id)) return;
        const start = index * chunkSize;
        const buffer = await file.slice(start, Math.min(size, start + chunkSize)).arrayBuffer();
        const acked = waitForAck(id, index);
        inFlight.add(acked);
        acked.then(
          () => inFlight.delete(acked),
          () => inFlight.delete(acked),
        );
        model.send({ kind: "chunk", index, total, ...meta }, undefined, [buffer]);
        while (inFlight.size >= windowSize) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } catch (err) {
      if (!closed && !failed.has(id)) {
        model.send({ kind: "skipped", reason: "failed", ...meta });
      }
    } finally {
      currentId = null;
    }
  }

  async function drain() {
    if (busy) return;
    busy = true;
    try {
      while (queue.length && !closed) {
        const item = queue.shift();
        sentFiles += 1;
        status.textContent = " Sending " + sentFiles + " of " + (sentFiles + queue.length) + "…";
        await sendFile(item);
      }
    } finally {
      busy = false;
      sentFiles = 0;
      status.textContent = "";
    }
  }

  function enqueue(files) {
    if (model.get("disabled") || !files.length) return;
    const batch = newId();
    queue.push(...files.map((file) => ({ file, batch })));
    drain();
  }

  // -- events ------------------------------------------------------------------------------
  function openChooser(event) {
    if (event.target === input || model.get("disabled")) return;
    input.click();
  }
  function onKey(event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openChooser(event);
    }
  }
  function onChange() {
    const files = Array.from(input.files || []);
    input.value = ""; // picking the same files again fires "change" again
    enqueue(files);
  }
  function onDragOver(event) {
    event.preventDefault();
    el.classList.add("astria-upload-over");
  }
  function onDragLeave() {
    el.classList.remove("astria-upload-over");
  }
  function onDrop(event) {
    event.preventDefault();
    el.classList.remove("astria-upload-over");
    enqueue(Array.from((event.dataTransfer && event.dataTransfer.files) || []));
  }

  el.addEventListener("click", openChooser);
  zone.addEventListener("keydown", onKey);
  input.addEventListener("change", onChange);
  el.addEventListener("dragover", onDragOver);
  el.addEventListener("dragleave", onDragLeave);
  el.addEventListener("drop", onDrop);
  model.on("msg:custom", onMessage);
  model.on("change:progress", drawProgress);
  model.on("change:description change:accept change:multiple change:disabled", syncSettings);
  syncSettings();
  drawProgress();

  return () => {
    closed = true;
    if (currentId !== null) model.send({ kind: "abort", id: currentId });
    rejectAll(null, "closed");
    queue.length = 0;
    el.removeEventListener("click", openChooser);
    el.removeEventListener("dragover", onDragOver);
    el.removeEventListener("dragleave", onDragLeave);
    el.removeEventListener("drop", onDrop);
    model.off("msg:custom", onMessage);
    model.off("change:progress", drawProgress);
    model.off("change:description change:accept change:multiple change:disabled", syncSettings);
  };
}

export default { render };
