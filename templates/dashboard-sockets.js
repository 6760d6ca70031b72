// devserve dashboard: the mock sockets panel (open connections, frames both ways, a broadcast
// form). dashboard.js hands it each "socket" event of the dashboard's stream.
(() => {
  "use strict";

  const MAX_FRAMES = 500;
  const $ = (id) => document.getElementById(id);
  const connections = new Map(); // "origin#n" -> {origin, path, connection, from, in, out}

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  function clock(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : date.toTimeString().slice(0, 8);
  }

  function renderConnections() {
    const body = $("socket-connections");
    body.replaceChildren();
    for (const c of connections.values()) {
      const row = document.createElement("tr");
      row.dataset.origin = c.origin;
      row.append(
        cell(c.origin), cell(c.path), cell(`#${c.connection}`), cell(c.from || ""),
        cell(c.in), cell(c.out),
      );
      body.append(row);
    }
    $("sockets-empty").hidden = connections.size > 0;
  }

  function frameRow(record) {
    const row = document.createElement("tr");
    row.className = `frame-${record.event}`;
    const arrow = { in: "page →", out: "→ page", open: "opened", close: "closed" }[record.event];
    let text = record.text;
    if (record.event === "close") {
      text = `${record.code ?? "-"}${record.reason ? ` "${record.reason}"` : ""} by ${record.by}`;
    } else if (record.event === "open") {
      text = record.from ? `from ${record.from}` : "";
    }
    const message = cell(text, "message");
    if (record.note) {
      const note = document.createElement("span");
      note.className = "frame-note";
      note.textContent = record.note;
      message.append(note);
    }
    row.append(
      cell(clock(record.time)), cell(record.origin), cell(`${record.path} #${record.connection}`),
      cell(arrow, "direction"), message,
    );
    return row;
  }

  function add(record) {
    $("sockets-panel").hidden = false;
    const key = `${record.origin}#${record.connection}`;
    let c = connections.get(key);
    if (record.event === "close") {
      connections.delete(key);
    } else {
      if (!c) {
        c = { origin: record.origin, path: record.path, connection: record.connection, in: 0, out: 0 };
        connections.set(key, c);
      }
      if (record.from) c.from = record.from;
      if (record.event === "in") c.in += 1;
      if (record.event === "out") c.out += 1;
    }
    renderConnections();
    if (record.time) {
      const frames = $("socket-frames");
      frames.prepend(frameRow(record)); // newest first
      while (frames.rows.length > MAX_FRAMES) frames.lastElementChild.remove();
    }
  }

  function origins(names) {
    const select = $("socket-origin");
    const chosen = select.value;
    select.replaceChildren(
      ...names.map((name) => {
        const option = document.createElement("option");
        option.value = option.textContent = name;
        return option;
      }),
    );
    if (names.includes(chosen)) select.value = chosen;
  }

  $("socket-send").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = $("socket-send-result");
    const origin = $("socket-origin").value;
    try {
      const response = await fetch(`/api/origins/${encodeURIComponent(origin)}/sockets/send`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: $("socket-path").value, text: $("socket-message").value }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      result.textContent = `sent to ${body.sent} page${body.sent === 1 ? "" : "s"}`;
    } catch (error) {
      result.textContent = `not sent: ${error.message}`;
    }
    result.hidden = false;
  });

  window.devserveSockets = { add, origins };
})();
